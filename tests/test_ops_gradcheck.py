"""Finite-difference checks of every differentiable primitive, on random (and broadcast) shapes.

Each test draws shapes and op parameters with hypothesis and the values from a NumPy generator
seeded by hypothesis, then runs ``chainrule.gradcheck`` (float64, central differences). Inputs that
meet a kink (abs, relu, clip, maximum, max...) are drawn on a grid that keeps them at least 0.03
away from it, so the finite differences never straddle one. The explicit tests at the end pin the
conventions at the kinks themselves with exact expected values.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from chainrule.ops import joining

# ----------------------------------------------------------------------------- strategies
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)

# broadcast pairs every binary op must handle, beside the random ones
BROADCAST_PAIRS = [
    ((3, 1), (1, 4)),
    ((4,), (2, 3, 4)),
    ((2, 3, 4), (4,)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((2, 1, 3), (4, 1)),
    ((1,), (3,)),
]


def uniform(seed: int, shape: tuple, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def off_grid(seed: int, shape: tuple, span: int = 20) -> np.ndarray:
    """Values k/10 + 0.03 + u with u in [0, 0.04): at least 0.03 from every multiple of 0.1.

    So never within 0.03 of 0 (abs, relu...) nor of any bound or tie drawn on the grid.
    """
    rng = np.random.default_rng(seed)
    k = rng.integers(-span, span, size=shape)
    return k / 10 + 0.03 + rng.uniform(0.0, 0.04, size=shape)


def on_grid(seed: int, shape: tuple, span: int = 20) -> np.ndarray:
    """Multiples of 0.1 (the other side of :func:`off_grid`: the two never come closer than 0.03)."""
    return np.random.default_rng(seed).integers(-span, span, size=shape) / 10


def distinct(seed: int, shape: tuple) -> np.ndarray:
    """All-different values at least 0.05 apart (no ties for max/min)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0.0, 0.05, size=n)).reshape(shape) - n * 0.05


def positive(seed: int, shape: tuple, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    return uniform(seed, shape, low, high)


def signed_away(seed: int, shape: tuple, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Magnitudes in [low, high), random signs: safe denominators."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@st.composite
def shape_and_axis(draw, min_dims: int = 0, min_side: int = 1):
    """A shape and an ``axis`` argument: None, an int (maybe negative) or a tuple of ints."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4))
    nd = len(shape)
    if nd == 0:
        return shape, None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-nd, nd - 1))
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    return shape, tuple(a - nd if s else a for a, s in zip(axes, signs))


def reduced_count(shape: tuple, axis) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def check(f, *inputs) -> None:
    assert cr.gradcheck(f, *inputs)


# ----------------------------------------------------------------------------- binary arithmetic
BINARY = {
    "add": (lambda a, b: a + b, uniform),
    "sub": (lambda a, b: a - b, uniform),
    "mul": (lambda a, b: a * b, uniform),
    "div": (lambda a, b: a / b, signed_away),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("sa", "sb"), BROADCAST_PAIRS)
def test_binary_fixed_broadcast_pairs(name, sa, sb):
    f, denominator = BINARY[name]
    check(f, uniform(1, sa), denominator(2, sb))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=pairs, seed=seeds)
def test_binary_random_broadcast(name, pair, seed):
    f, denominator = BINARY[name]
    sa, sb = pair.input_shapes
    check(f, uniform(seed, sa), denominator(seed + 1, sb))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary_with_python_and_array_constants(name):
    f = BINARY[name][0]
    x = signed_away(3, (2, 3))
    check(lambda t: f(t, 1.5), x)
    check(lambda t: f(1.5, t), x)
    check(lambda t: f(t, np.full((3,), 0.7)), x)
    check(lambda t: f(np.full((2, 1), -0.8), t), x)


@given(shape=shapes, seed=seeds)
def test_neg(shape, seed):
    check(lambda a: -a, uniform(seed, shape))
    check(cr.neg, uniform(seed, shape))


@given(shape=shapes, seed=seeds, exponent=st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5, 1]))
def test_pow_scalar_exponent(shape, seed, exponent):
    check(lambda a: a**exponent, positive(seed, shape))
    if isinstance(exponent, int):  # integer powers are defined for negative bases too
        check(lambda a: a**exponent, signed_away(seed, shape))


@given(pair=pairs, seed=seeds)
def test_pow_tensor_exponent(pair, seed):
    sa, sb = pair.input_shapes
    check(lambda a, b: a**b, positive(seed, sa), uniform(seed + 1, sb))
    check(cr.pow, positive(seed, sa), uniform(seed + 1, sb))


def test_pow_scalar_base():
    check(lambda b: 2.5**b, uniform(0, (3, 2)))
    check(lambda b: cr.pow(0.5, b), uniform(1, (4,)))


# ----------------------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3,), (3,)),  # 1-D · 1-D -> scalar
    ((3,), (3, 4)),  # 1-D · 2-D
    ((2, 3), (3,)),  # 2-D · 1-D
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)),  # batched on the left only
    ((2, 3), (5, 3, 4)),  # batched on the right only
    ((2, 1, 2, 3), (4, 3, 2)),  # batch dims broadcast against each other
    ((5, 2, 3), (3,)),  # batched matrix · vector
    ((3,), (2, 3, 4)),  # vector · batched matrix
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul_shapes(sa, sb):
    a, b = uniform(1, sa), uniform(2, sb)
    expected = np.matmul(a, b)
    got = cr.matmul(cr.tensor(a), cr.tensor(b))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    check(lambda x, y: x @ y, a, b)


@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
    nkm=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    seed=seeds,
)
def test_matmul_random_batched(batch, nkm, seed):
    n, k, m = nkm
    sa = (*batch.input_shapes[0], n, k)
    sb = (*batch.input_shapes[1], k, m)
    check(cr.matmul, uniform(seed, sa), uniform(seed + 1, sb))


def test_matmul_with_constant_operand():
    w = uniform(3, (3, 4))
    check(lambda a: a @ w, uniform(4, (2, 3)))
    check(lambda b: w.T @ b, uniform(5, (3, 2)))


# ----------------------------------------------------------------------------- elementwise
UNARY = {
    "exp": (cr.exp, uniform),
    "log": (cr.log, positive),
    "log1p": (cr.log1p, lambda s, sh: uniform(s, sh, -0.5, 2.0)),
    "expm1": (cr.expm1, uniform),
    "sqrt": (cr.sqrt, positive),
    "abs": (cr.abs, off_grid),
    "abs_operator": (lambda x: abs(x), off_grid),
    "sin": (cr.sin, lambda s, sh: uniform(s, sh, -4.0, 4.0)),
    "cos": (cr.cos, lambda s, sh: uniform(s, sh, -4.0, 4.0)),
    "tanh": (cr.tanh, uniform),
    "sigmoid": (cr.sigmoid, lambda s, sh: uniform(s, sh, -6.0, 6.0)),
    "relu": (cr.relu, off_grid),
    "leaky_relu": (cr.leaky_relu, off_grid),
    "leaky_relu_0.2": (lambda x: cr.leaky_relu(x, 0.2), off_grid),
    "elu": (cr.elu, off_grid),
    "elu_alpha_1.5": (lambda x: cr.elu(x, alpha=1.5), off_grid),
    "softplus": (cr.softplus, lambda s, sh: uniform(s, sh, -6.0, 6.0)),
    "gelu_none": (lambda x: cr.gelu(x, approximate="none"), lambda s, sh: uniform(s, sh, -4, 4)),
    "gelu_tanh": (lambda x: cr.gelu(x, approximate="tanh"), lambda s, sh: uniform(s, sh, -4, 4)),
    "square_method": (lambda x: x.pow(2), uniform),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes, seed=seeds)
def test_unary(name, shape, seed):
    f, draw = UNARY[name]
    check(f, draw(seed, shape))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid"])
def test_unary_methods_match_functions(name):
    x = cr.tensor(positive(0, (2, 3)), dtype=cr.float64)
    np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(cr, name)(x).numpy())


# ----------------------------------------------------------------------------- selection
@given(shape=shapes, seed=seeds, bounds=st.sampled_from([(-0.5, 0.7), (None, 0.3), (-0.2, None)]))
def test_clip(shape, seed, bounds):
    lo, hi = bounds
    x = off_grid(seed, shape, span=10)  # the bounds are multiples of 0.1: never within 0.03
    check(lambda t: cr.clip(t, lo, hi), x)
    check(lambda t: t.clip(lo, hi), x)


@pytest.mark.parametrize("op", [cr.maximum, cr.minimum])
@given(pair=pairs, seed=seeds)
def test_maximum_minimum(op, pair, seed):
    sa, sb = pair.input_shapes
    check(op, off_grid(seed, sa), on_grid(seed + 1, sb))  # never tied
    check(lambda a: op(a, 0.0), off_grid(seed, sa))


@given(shapes3=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4), seed=seeds)
def test_where(shapes3, seed):
    sc, sa, sb = shapes3.input_shapes
    cond = np.random.default_rng(seed).random(sc) < 0.5
    check(lambda a, b: cr.where(cond, a, b), uniform(seed, sa), uniform(seed + 1, sb))
    check(lambda a, b: cr.where(cr.tensor(cond), a, b), uniform(seed, sa), uniform(seed + 1, sb))
    check(lambda a: cr.where(cond, a, 0.0), uniform(seed, sa))


# ----------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("name", ["sum", "mean"])
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_sum_mean(name, sa, keepdims, seed):
    shape, axis = sa
    x = uniform(seed, shape)
    out = getattr(cr, name)(cr.tensor(x), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), getattr(np, name)(x, axis=axis, keepdims=keepdims))
    check(lambda t: getattr(cr, name)(t, axis=axis, keepdims=keepdims), x)
    check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x)


@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_prod(sa, keepdims, seed):
    shape, axis = sa
    x = signed_away(seed, shape, 0.6, 1.4)
    np.testing.assert_allclose(
        cr.prod(cr.tensor(x), axis=axis, keepdims=keepdims).numpy(),
        np.prod(x, axis=axis, keepdims=keepdims),
    )
    check(lambda t: cr.prod(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["max", "min"])
@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_max_min(name, sa, keepdims, seed):
    shape, axis = sa
    x = distinct(seed, shape)
    # amax/amin: PyTorch's names for NumPy's max/min over several axes (max(x, dim) is a tuple)
    out = getattr(cr, "a" + name)(cr.tensor(x), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(x, axis=axis, keepdims=keepdims))
    check(lambda t: getattr(t, "a" + name)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["var", "std"])
@given(
    sa=shape_and_axis(min_dims=1), keepdims=st.booleans(), ddof=st.sampled_from([0, 1]), seed=seeds
)
def test_var_std(name, sa, keepdims, ddof, seed):
    shape, axis = sa
    assume(reduced_count(shape, axis) >= 2)  # n - ddof > 0 and a non-zero spread for std
    x = distinct(seed, shape)
    out = getattr(cr, name)(cr.tensor(x), axis=axis, ddof=ddof, keepdims=keepdims)
    expected = getattr(np, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    check(lambda t: getattr(cr, name)(t, axis=axis, ddof=ddof, keepdims=keepdims), x)
    check(lambda t: getattr(t, name)(axis=axis, ddof=ddof, keepdims=keepdims), x)


@given(sa=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_logsumexp(sa, keepdims, seed):
    shape, axis = sa
    x = uniform(seed, shape, -3, 3)
    expected = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(
        cr.logsumexp(cr.tensor(x), axis=axis, keepdims=keepdims).numpy(), expected
    )
    check(lambda t: cr.logsumexp(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_softmax_log_softmax(name, shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = uniform(seed, shape, -3, 3)
    p = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
    expected = p if name == "softmax" else np.log(p)
    np.testing.assert_allclose(getattr(cr, name)(cr.tensor(x), axis=axis).numpy(), expected)
    check(lambda t: getattr(cr, name)(t, axis=axis), x)
    check(lambda t: getattr(t, name)(axis), x)


# ----------------------------------------------------------------------------- shapes
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape(shape, seed, data):
    n = int(np.prod(shape))
    target = data.draw(st.sampled_from([(n,), (1, n), (n, 1), (-1,), (1, -1, 1), shape[::-1]]))
    x = uniform(seed, shape)
    check(lambda t: cr.reshape(t, target), x)
    check(lambda t: t.reshape(*target), x)
    check(lambda t: t.view(target), x)


@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_flatten(shape, seed, data):
    nd = len(shape)
    start = data.draw(st.integers(0, nd - 1))
    end = data.draw(st.integers(start, nd - 1))
    x = uniform(seed, shape)
    out = cr.flatten(cr.tensor(x), start, end)
    merged = int(np.prod(shape[start : end + 1]))
    assert out.shape == (*shape[:start], merged, *shape[end + 1 :])
    check(lambda t: cr.flatten(t, start, end), x)
    check(lambda t: t.flatten(), x)


def test_flatten_scalar():
    check(lambda t: cr.flatten(t), np.array(1.5))


@given(shape=shapes, seed=seeds, data=st.data())
def test_transpose_permute(shape, seed, data):
    nd = len(shape)
    perm = tuple(data.draw(st.permutations(range(nd))))
    negperm = tuple(p - nd for p in perm)
    x = uniform(seed, shape)
    np.testing.assert_array_equal(cr.transpose(cr.tensor(x), perm).numpy(), np.transpose(x, perm))
    check(lambda t: cr.transpose(t), x)
    check(lambda t: t.T, x)
    check(lambda t: cr.transpose(t, perm), x)
    check(lambda t: cr.transpose(t, negperm), x)
    check(lambda t: t.permute(*perm), x)
    check(lambda t: cr.permute(t, perm), x)


@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_swapaxes(shape, seed, data):
    nd = len(shape)
    a1 = data.draw(st.integers(-nd, nd - 1))
    a2 = data.draw(st.integers(-nd, nd - 1))
    check(lambda t: cr.swapaxes(t, a1, a2), uniform(seed, shape))


@given(shape=shapes, seed=seeds, data=st.data())
def test_expand_dims_unsqueeze(shape, seed, data):
    nd = len(shape)
    axis = data.draw(st.integers(-nd - 1, nd))
    x = uniform(seed, shape)
    assert cr.expand_dims(cr.tensor(x), axis).shape == np.expand_dims(x, axis).shape
    check(lambda t: cr.expand_dims(t, axis), x)
    check(lambda t: cr.unsqueeze(t, axis), x)
    check(lambda t: t.unsqueeze(axis), x)


@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
    seed=seeds,
    data=st.data(),
)
def test_squeeze(shape, seed, data):
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.sampled_from([None, *ones, tuple(ones)])) if ones else None
    x = uniform(seed, shape)
    assert cr.squeeze(cr.tensor(x), axis).shape == np.squeeze(x, axis).shape
    check(lambda t: cr.squeeze(t, axis), x)
    check(lambda t: t.squeeze(axis), x)


@given(shape=shapes, seed=seeds, data=st.data())
def test_broadcast_to(shape, seed, data):
    target = data.draw(hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=4, max_side=3))
    target = np.broadcast_shapes(shape, target)
    check(lambda t: cr.broadcast_to(t, target), uniform(seed, shape))
    check(lambda t: t.broadcast_to(target), uniform(seed, shape))


PAD_WIDTHS = [
    1,
    (1, 2),
    ((2, 0),),
    ((1, 2), (0, 3)),
    ((0, 0), (2, 1)),
]


@pytest.mark.parametrize("pad_width", PAD_WIDTHS)
@pytest.mark.parametrize("constant", [0, 1.5])
def test_pad(pad_width, constant):
    x = uniform(0, (2, 3))
    out = cr.ops.pad(cr.tensor(x), pad_width, constant_values=constant)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, pad_width, constant_values=constant))
    check(lambda t: cr.ops.pad(t, pad_width, constant_values=constant), x)


def test_pad_1d_and_3d():
    check(lambda t: cr.ops.pad(t, (2, 1)), uniform(1, (4,)))
    check(lambda t: cr.ops.pad(t, ((1, 0), (0, 0), (2, 2))), uniform(2, (2, 1, 3)))


def test_astype_round_trip():
    x = uniform(0, (3, 2))

    def f(t):
        low = t.astype(cr.float32)
        assert low.dtype == np.float32
        return (low * 2.0).astype(cr.float64) * t

    # float32 rounding makes the finite differences of low(t) noisy: loosen accordingly
    assert cr.gradcheck(f, x, eps=1e-3, atol=1e-4, rtol=1e-3)
    t = cr.tensor(x, dtype=cr.float64, requires_grad=True)
    y = cr.astype(cr.astype(t, "float32"), cr.float64)
    assert y.dtype == np.float64
    y.backward(cr.tensor(np.arange(6.0).reshape(3, 2)))
    assert t.grad.dtype == np.float64
    np.testing.assert_array_equal(t.grad.numpy(), np.arange(6.0).reshape(3, 2))
    check(lambda t: t.double() * t, x)


# ----------------------------------------------------------------------------- indexing
@given(shape=shapes, seed=seeds, data=st.data())
def test_getitem_basic(shape, seed, data):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = uniform(seed, shape)
    np.testing.assert_array_equal(cr.tensor(x)[index].numpy(), x[index])
    check(lambda t: t[index], x)


@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_getitem_integer_arrays(shape, seed, data):
    index = data.draw(
        hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2, max_side=5))
    )
    x = uniform(seed, shape)
    np.testing.assert_array_equal(cr.tensor(x)[index].numpy(), x[index])
    check(lambda t: t[index], x)
    check(lambda t: t[tuple(cr.tensor(i) for i in index)], x)


@given(shape=nonscalar_shapes, seed=seeds)
def test_getitem_boolean_mask(shape, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.5
    row_mask = rng.random(shape[0]) < 0.5
    x = uniform(seed, shape)
    check(lambda t: t[mask], x)
    check(lambda t: t[cr.tensor(mask)], x)
    check(lambda t: t[row_mask], x)
    check(lambda t: t[x > 0], x)


@pytest.mark.parametrize(
    "index",
    [
        slice(None, None, -1),
        (slice(None, None, -2), slice(1, None)),
        (Ellipsis, slice(3, 0, -1)),
        ([2, 0, 2], slice(None)),
        (slice(None), [3, 3, -1]),
        ([0, 2], [1, 3]),
        ([[0, 1], [1, 1]],),
        (-1, [0, 0, 0]),
        (None, 1, slice(None, None, -1)),
        ([True, False, True],),
        (np.array([1, 1, 0]), np.array([2, 2, 2])),
    ],
    ids=str,
)
def test_getitem_fixed(index):
    x = uniform(0, (3, 4))
    check(lambda t: t[index], x)
    check(lambda t: t[index] * t[index], x)  # the same positions read twice


# ----------------------------------------------------------------------------- joining
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_concatenate(shape, data, seed):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[axis] = n
        parts.append(uniform(seed + k, tuple(s)))
    expected = np.concatenate(parts, axis=axis)
    np.testing.assert_array_equal(
        cr.concatenate([cr.tensor(p) for p in parts], axis).numpy(), expected
    )
    check(lambda *ts: cr.concatenate(list(ts), axis=axis), *parts)
    check(lambda *ts: cr.cat(ts, axis), *parts)


def test_concatenate_with_constant_and_repeated_tensor():
    const = np.ones((1, 3))
    check(lambda a, b: cr.concatenate([a, const, b, a]), uniform(0, (2, 3)), uniform(1, (1, 3)))


@given(shape=shapes, n=st.integers(1, 3), data=st.data(), seed=seeds)
def test_stack(shape, n, data, seed):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [uniform(seed + k, shape) for k in range(n)]
    np.testing.assert_array_equal(
        cr.stack([cr.tensor(p) for p in parts], axis).numpy(), np.stack(parts, axis)
    )
    check(lambda *ts: cr.stack(list(ts), axis=axis), *parts)


@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_split(shape, data, seed):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    sections = data.draw(
        st.one_of(
            st.sampled_from([d for d in range(1, n + 1) if n % d == 0]),
            st.lists(st.integers(0, n), max_size=3).map(sorted),
        )
    )
    x = uniform(seed, shape)
    pieces = joining.split(cr.tensor(x), sections, axis)  # NumPy's split (cr.split is PyTorch's)
    expected = np.split(x, sections, axis)
    assert len(pieces) == len(expected)
    for p, e in zip(pieces, expected):
        np.testing.assert_array_equal(p.numpy(), e)
    weights = [uniform(seed + 7 + k, e.shape) for k, e in enumerate(expected)]

    def f(t):
        return cr.stack([(p * w).sum() for p, w in zip(joining.split(t, sections, axis), weights)])

    check(f, x)


# ----------------------------------------------------------------------------- composites
def test_composite_mlp_layer():
    # the ops together, as a layer uses them: matmul + broadcast bias + activation + reductions
    def f(x, w, b):
        h = cr.tanh(x @ w.T + b)
        return cr.log_softmax(h, axis=1).mean() + (h * h).sum(axis=0).max()

    check(f, uniform(0, (5, 3)), uniform(1, (4, 3)), uniform(2, (4,)))


# ============================================================================= second order
# Every rule also runs on recording Tensor ops (create_graph=True): check those second derivatives
# too, by gradchecking x -> ∂⟨w, f(x)⟩/∂x built with backward(create_graph=True).
def first_derivative(f, seed: int = 11):
    def df(*xs):
        with cr.enable_grad():  # gradcheck evaluates its perturbations under no_grad
            out = f(*xs)
            w = np.random.default_rng(seed).standard_normal(out.shape)
            for x in xs:
                x.grad = None
            out.backward(w, create_graph=True)
            grads = [x.grad if x.grad is not None else cr.zeros_like(x) for x in xs]
            for x in xs:
                x.grad = None
        return cr.concatenate([cr.reshape(g, (-1,)) for g in grads])

    return df


SECOND_ORDER = {
    "mul": (lambda a, b: a * b * a, [(2, 3), (3,)], uniform),
    "div": (lambda a, b: a / b, [(2, 3), (2, 1)], signed_away),
    "pow_scalar": (lambda a: a**3 + a**-1.5, [(2, 3)], positive),
    "pow_tensor": (lambda a, b: a**b, [(2, 3), (3,)], positive),
    "matmul_vv": (lambda a, b: (a @ b) * (a @ b), [(3,), (3,)], uniform),
    "matmul_batched": (lambda a, b: cr.tanh(a @ b), [(2, 1, 2, 3), (4, 3, 2)], uniform),
    "matmul_mv": (lambda a, b: cr.sin(a @ b), [(2, 3), (3,)], uniform),
    "exp_log": (lambda a: cr.exp(a) * cr.log(a), [(4,)], positive),
    "log1p_expm1_sqrt": (lambda a: cr.log1p(a) * cr.expm1(a) + cr.sqrt(a) ** 3, [(4,)], positive),
    "abs_relu": (lambda a: cr.abs(a) * a + cr.relu(a) ** 2, [(5,)], off_grid),
    "sin_cos_tanh": (lambda a: cr.sin(a) * cr.cos(a) + cr.tanh(a) ** 2, [(5,)], uniform),
    "sigmoid_softplus": (lambda a: cr.sigmoid(a) * cr.softplus(a), [(5,)], uniform),
    "leaky_elu": (lambda a: cr.leaky_relu(a) ** 2 + cr.elu(a, 1.5) ** 2, [(5,)], off_grid),
    "gelu": (lambda a: cr.gelu(a) + cr.gelu(a, approximate="tanh"), [(5,)], uniform),
    "clip_max_min": (
        lambda a, b: cr.clip(a, -0.5, 0.7) ** 2 + cr.maximum(a, b) * cr.minimum(a, b),
        [(2, 3), (3,)],
        off_grid,
    ),
    "where": (lambda a, b: cr.where(a > 0, a * b, b * b), [(2, 3), (2, 3)], off_grid),
    "sum_mean": (
        lambda a: a.sum(axis=0) ** 2 + a.mean(axis=1, keepdims=True) ** 3,
        [(2, 3)],
        uniform,
    ),
    "prod": (lambda a: cr.prod(a, axis=1), [(2, 3)], positive),
    "max_min": (lambda a: a.max(dim=0).values ** 2 + a.min() * a, [(3, 3)], distinct),
    "var_std": (lambda a: cr.var(a, axis=1) * cr.std(a, ddof=1), [(2, 4)], distinct),
    "logsumexp": (lambda a: cr.logsumexp(a, axis=(0, 1)), [(2, 3)], uniform),
    "softmax": (lambda a: cr.softmax(a, axis=0), [(3, 2)], uniform),
    "log_softmax": (lambda a: cr.log_softmax(a, axis=-1) ** 2, [(2, 3)], uniform),
    "shapes": (
        lambda a: (
            cr.transpose(cr.expand_dims(a, 0), (2, 0, 1)).reshape(-1) ** 2
            + cr.swapaxes(a, 0, 1).flatten()
        ),
        [(2, 3)],
        uniform,
    ),
    "broadcast_squeeze": (lambda a: cr.broadcast_to(a, (2, 3, 3)) ** 2, [(3, 1)], uniform),
    "getitem_duplicates": (lambda a: a[[0, 0, 2]] ** 2 * a[::-1][:3], [(4,)], uniform),
    "getitem_mask": (lambda a: a[a > 0] ** 3, [(2, 3)], off_grid),
    "pad": (lambda a: cr.ops.pad(a, ((1, 0), (2, 1))) ** 2, [(2, 2)], uniform),
    "concatenate_stack_split": (
        lambda a, b: cr.stack([*cr.split(cr.concatenate([a, b * b]), 2), a * b], axis=1) ** 2,
        [(2,), (2,)],
        uniform,
    ),
    "astype": (lambda a: a.astype(cr.float64) ** 3, [(3,)], uniform),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives(name):
    f, input_shapes, draw = SECOND_ORDER[name]
    inputs = [draw(k + 3, s) for k, s in enumerate(input_shapes)]
    check(first_derivative(f), *inputs)


# ============================================================================= edge cases
def grad_of(f, x, dtype=cr.float64):
    t = cr.tensor(x, dtype=dtype, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


def test_abs_and_relu_at_zero_have_zero_gradient():
    np.testing.assert_array_equal(grad_of(lambda t: cr.abs(t).sum(), [0.0, -2.0, 3.0]), [0, -1, 1])
    np.testing.assert_array_equal(grad_of(lambda t: cr.relu(t).sum(), [0.0, -2.0, 3.0]), [0, 0, 1])
    np.testing.assert_array_equal(grad_of(lambda t: cr.abs(t), 0.0), 0.0)
    np.testing.assert_array_equal(grad_of(lambda t: cr.relu(t), 0.0), 0.0)


def test_max_min_ties_split_evenly():
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), [3.0, 3.0, 1.0]), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad_of(lambda t: t.min(), [1.0, 3.0, 1.0]), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), [2.0, 2.0, 2.0, 2.0]), [0.25] * 4)


def test_max_min_ties_along_an_axis():
    x = [[3.0, 3.0, 1.0], [5.0, 2.0, 2.0], [4.0, 4.0, 4.0]]
    g = grad_of(lambda t: cr.amax(t, axis=1).sum(), x)
    np.testing.assert_allclose(g, [[0.5, 0.5, 0], [1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    x2 = [[3.0, 3.0, 1.0], [5.0, 2.0, 1.0], [3.0, 4.0, 4.0]]
    g = grad_of(lambda t: cr.amin(t, axis=0, keepdims=True).sum(), x2)
    np.testing.assert_allclose(g, [[0.5, 0, 0.5], [0, 1, 0.5], [0.5, 0, 0]], rtol=1e-15)
    weights = np.array([10.0, 20.0, 30.0])
    g = grad_of(lambda t: (cr.amax(t, axis=-1) * weights).sum(), x)
    np.testing.assert_allclose(g, [[5, 5, 0], [20, 0, 0], [10, 10, 10]], rtol=1e-15)


def test_maximum_minimum_ties_split_evenly():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor([1.0, 5.0, 0.0], requires_grad=True)
    cr.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1, 0])
    a.grad = b.grad = None
    cr.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1, 0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0, 1])
    # a tie against a broadcast scalar
    c = cr.tensor([[0.0, 1.0], [0.0, -1.0]], requires_grad=True)
    cr.maximum(c, 0.0).sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), [[0.5, 1], [0.5, 0]])


def test_getitem_duplicate_indices_accumulate():
    np.testing.assert_array_equal(grad_of(lambda t: t[[0, 0, 1]].sum(), [1.0, 2.0, 3.0]), [2, 1, 0])
    g = grad_of(lambda t: (t[[0, 0, 1]] * cr.tensor([1.0, 10.0, 100.0])).sum(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [11, 100, 0])
    g = grad_of(lambda t: t[[1, 1], [0, 0]].sum() + t[1, 0], np.zeros((2, 2)))
    np.testing.assert_array_equal(g, [[0, 0], [3, 0]])
    g = grad_of(lambda t: t[cr.tensor([2, 2, 2])].sum(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, [0, 0, 3])


def test_prod_with_one_zero():
    x = [2.0, 0.0, 3.0, 4.0]
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), x), [0, 24, 0, 0])
    x2 = [[2.0, 0.0, 3.0], [1.0, 2.0, 5.0]]
    g = grad_of(lambda t: t.prod(axis=1).sum(), x2)
    np.testing.assert_array_equal(g, [[0, 6, 0], [10, 5, 2]])
    g = grad_of(lambda t: t.prod(axis=0).sum(), x2)
    np.testing.assert_array_equal(g, [[1, 2, 5], [2, 0, 3]])
    check(lambda t: t.prod(), np.array(x))  # the finite differences agree at the zero too


def test_prod_with_two_zeros():
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), [2.0, 0.0, 3.0, 0.0]), [0, 0, 0, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), [0.0, 0.0]), [0, 0])
    g = grad_of(lambda t: t.prod(axis=1, keepdims=True).sum(), [[0.0, 0.0, 3.0], [0.0, 2.0, 5.0]])
    np.testing.assert_array_equal(g, [[0, 0, 0], [10, 0, 0]])


def test_sum_over_an_empty_axis():
    x = cr.zeros((0, 3), dtype=cr.float64, requires_grad=True)
    s = x.sum(axis=0)
    np.testing.assert_array_equal(s.numpy(), np.zeros(3))
    (s * cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64)).sum().backward()
    assert x.grad.shape == (0, 3)
    assert x.grad.dtype == np.float64
    y = cr.zeros((2, 0), requires_grad=True)
    total = y.sum()
    assert total.item() == 0.0
    total.backward()
    assert y.grad.shape == (2, 0)


@pytest.mark.parametrize(
    "make",
    [
        lambda t: cr.argmax(t),
        lambda t: cr.argmin(t, axis=0),
        lambda t: t.argmax(axis=1, keepdims=True),
        lambda t: cr.sign(t),
        lambda t: t.sign(),
        lambda t: cr.one_hot(cr.argmax(t, axis=1), 3),
        lambda t: t > 0,
        lambda t: cr.isfinite(t),
    ],
)
def test_nondifferentiable_ops_give_no_gradient(make):
    x = cr.tensor([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]], requires_grad=True)
    out = make(x)
    assert out.requires_grad is False
    assert out.grad_fn is None


def test_one_hot_values():
    out = cr.one_hot(cr.tensor([2, 0, 1]), 3)
    np.testing.assert_array_equal(out.numpy(), np.eye(3)[[2, 0, 1]])
    assert out.requires_grad is False
    with pytest.raises(ValueError, match="label 3"):
        cr.one_hot(cr.tensor([0, 3]), 3)
    with pytest.raises(TypeError, match="integer"):
        cr.one_hot(cr.tensor([0.0]), 3)


def test_sign_values_and_composite_gradient():
    x = cr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(cr.sign(x).numpy(), [-1, 0, 1])
    (cr.sign(x) * x).sum().backward()  # sign is a constant: d(s·x)/dx = s
    np.testing.assert_array_equal(x.grad.numpy(), [-1, 0, 1])


def test_pow_exponent_zero_has_zero_gradient_everywhere():
    np.testing.assert_array_equal(grad_of(lambda t: (t**0).sum(), [0.0, 2.0, -1.0]), [0, 0, 0])
    np.testing.assert_array_equal(grad_of(lambda t: (t**2).sum(), [0.0, 2.0]), [0, 4])
    np.testing.assert_array_equal(grad_of(lambda t: (t**1).sum(), [0.0, 2.0]), [1, 1])


def test_cast_to_integer_carries_no_gradient():
    x = cr.tensor([1.7, -2.2], requires_grad=True)
    for i in (x.astype(cr.int64), cr.astype(x, "int32"), x.astype(bool)):
        assert not i.requires_grad and i.grad_fn is None
    np.testing.assert_array_equal(cr.astype(x, "int32").numpy(), [1, -2])


def test_std_gradient_is_zero_where_the_spread_is_zero():
    x = cr.tensor([[1.5, 1.5, 1.5], [1.0, 2.0, 3.0]], dtype=cr.float64, requires_grad=True)
    cr.std(x, axis=1, correction=0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(
        x.grad.numpy()[1], np.array([-1.0, 0.0, 1.0]) / np.std([1.0, 2.0, 3.0]) / 3
    )
