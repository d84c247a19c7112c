"""Every fast VJP rule equals the readable rule it stands beside (float64, random shapes), never
writes into its inputs, and is used by first-order backward only: ``create_graph`` runs the
readable rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd import OPS, RAW, _fit, primitive
from chainrule.backend import xp

if xp is not np:  # pragma: no cover - the fast rules are NumPy's
    pytest.skip("fast rules are registered on the NumPy backend only", allow_module_level=True)

SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def _rand(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.asarray(rng.standard_normal(shape))


def _axis(draw: st.DrawFn, ndim: int):
    if ndim == 0 or draw(st.booleans()):
        return None
    axes = draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique=True))
    axes = [a % ndim for a in axes]
    if len(set(axes)) != len(axes):
        return None
    return axes[0] if len(axes) == 1 else tuple(axes)


@st.composite
def elementwise(draw: st.DrawFn):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (_rand(rng, draw(SHAPES)),), {}


@st.composite
def reduction(draw: st.DrawFn):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = _rand(rng, draw(SHAPES))
    return (x,), {"axis": _axis(draw, x.ndim), "keepdims": draw(st.booleans())}


@st.composite
def linear_args(draw: st.DrawFn):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    lead = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple))  # batch axes
    n_in, n_out = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x, w = _rand(rng, (*lead, n_in)), _rand(rng, (n_out, n_in))
    if draw(st.booleans()):
        return (x, w, _rand(rng, (n_out,))), {}
    return (x, w), {}


# one strategy per op with a fast rule: a fast rule without an entry here fails the suite
CASES = {
    "tanh": elementwise(),
    "sigmoid": elementwise(),
    "sum": reduction(),
    "mean": reduction(),
    "linear": linear_args(),
    "fast_rules_probe": elementwise(),  # defined below
}


def _ops_with_fast_rules() -> dict:
    found = {}
    for name, fn in vars(OPS).items():
        op = getattr(fn, "op", None)
        if op is not None and any(f is not None for f in op.fast):
            found[name] = op
    return found


def test_every_fast_rule_has_a_case():
    assert set(_ops_with_fast_rules()) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_rule_equals_readable_rule(name):
    op = _ops_with_fast_rules()[name]

    @settings(max_examples=40, deadline=None)
    @given(CASES[name], st.integers(0, 2**16))
    def check(case, seed):
        args, kwargs = case
        out = np.asarray(op.forward(*args, **kwargs))
        g = _rand(np.random.default_rng(seed), out.shape)
        for i, fast in enumerate(op.fast):
            if fast is None or i >= len(args):
                continue
            before = [a.copy() for a in (g, out, *args)]
            got = fast(RAW, g, out, *args, **kwargs)
            want = op.vjps[i](RAW, g, out, *args, **kwargs)
            for a, b in zip((g, out, *args), before, strict=True):
                np.testing.assert_array_equal(a, b)  # a rule never writes into its inputs
            shape, dtype = args[i].shape, args[i].dtype
            got, want = _fit(RAW, got, shape, dtype, False), _fit(RAW, want, shape, dtype, False)
            assert got.shape == want.shape == shape and got.dtype == want.dtype == np.float64
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    check()


def test_tanh_and_sigmoid_fast_rules_are_bitwise_equal_to_the_readable_ones():
    x = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    g = np.random.default_rng(1).standard_normal((7, 5)).astype(np.float32)
    for fn in (cr.tanh, cr.sigmoid):
        out = fn.op.forward(x)
        fast = fn.op.fast[0](RAW, g, out, x)
        np.testing.assert_array_equal(fast, fn.op.vjps[0](RAW, g, out, x))


# a probe op, to see which of its two rules each kind of backward calls
_calls: list[str] = []


@primitive("fast_rules_probe")
def _probe(x):
    return x * 3.0


def _readable(F, g, out, x):
    _calls.append("readable")
    return g * 3.0


def _fast(F, g, out, x):
    _calls.append("fast")
    return g * 3.0


_probe.defvjp(_readable)
_probe.deffast(_fast)


def test_first_order_backward_uses_the_fast_rule_and_create_graph_the_readable_one():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    _calls.clear()
    (_probe(x) ** 2).sum().backward()
    assert _calls == ["fast"]
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])  # 2·3x·3
    _calls.clear()
    (gx,) = cr.autograd.run_backward(
        (_probe(x) ** 2).sum(),
        cr.tensor(1.0, dtype=cr.float64),
        retain_graph=True,
        create_graph=True,
        inputs=(x,),
    )
    assert _calls == ["readable"]
    assert gx.requires_grad  # the readable rule recorded the graph of the backward pass
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_readable_rules_give_second_derivatives():
    # d²/dx² tanh = -2·tanh·(1 - tanh²): from the readable rule under create_graph
    x = cr.tensor([0.3, -1.2], dtype=cr.float64, requires_grad=True)
    (g,) = cr.autograd.run_backward(
        cr.tanh(x).sum(),
        cr.tensor(1.0, dtype=cr.float64),
        retain_graph=True,
        create_graph=True,
        inputs=(x,),
    )
    g.sum().backward()
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), -2 * t * (1 - t * t), rtol=1e-12)
