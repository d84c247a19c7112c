"""Numerical stability: the activations and log-probabilities stay finite for |x| up to 1e4.

pytest turns every RuntimeWarning (overflow, divide by zero, invalid value) into an error, so a
test that merely runs an op on extreme inputs already checks that it warns about nothing. References
come from SciPy's stable implementations, evaluated in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

DTYPES = [cr.float32, cr.float64]
EXTREMES = np.array(
    [-1e4, -3e3, -710.0, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 710.0, 3e3, 1e4]
)


def gelu_ref(x):
    return x * sp.ndtr(x)


def gelu_tanh_ref(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def gelu_tanh_grad_ref(x):
    c = np.sqrt(2 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)


# name: (op, forward reference, derivative reference); elementwise ops take the cotangent 1
ELEMENTWISE = {
    "sigmoid": (cr.sigmoid, sp.expit, lambda x: sp.expit(x) * sp.expit(-x)),
    "softplus": (cr.softplus, lambda x: np.logaddexp(0.0, x), sp.expit),
    "gelu": (
        cr.gelu,
        gelu_ref,
        lambda x: sp.ndtr(x) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi),
    ),
    "gelu_tanh": (lambda t: cr.gelu(t, approximate="tanh"), gelu_tanh_ref, gelu_tanh_grad_ref),
}

# Absolute error floors. "tiny" (the smallest normal number) means full relative precision down
# to the underflow threshold, in both tails; "eps" means absolute precision only, where the form
# is the usual one (PyTorch's too): σ' = σ(1 - σ) cancels for large x, gelu = x·Φ(x) with
# Φ = (1 + erf)/2 cancels for very negative x.
FORWARD_FLOOR = {"sigmoid": "tiny", "softplus": "tiny", "gelu": "eps", "gelu_tanh": "eps"}
BACKWARD_FLOOR = {"sigmoid": "eps", "softplus": "tiny", "gelu": "eps", "gelu_tanh": "eps"}


def tolerances(dtype, floor: str = "tiny"):
    info = np.finfo(dtype)
    atol = float(info.tiny if floor == "tiny" else info.eps)
    return {"rtol": 2e-6 if dtype == cr.float32 else 1e-12, "atol": atol}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_extremes_finite_and_accurate(name, dtype):
    op, ref, dref = ELEMENTWISE[name]
    x = cr.tensor(EXTREMES, dtype=dtype, requires_grad=True)
    y = op(x)
    assert y.dtype == dtype
    assert np.all(np.isfinite(y.numpy()))
    y.backward(cr.ones_like(y))
    assert x.grad.dtype == dtype
    assert np.all(np.isfinite(x.grad.numpy()))
    xs = EXTREMES.astype(dtype).astype(np.float64)
    forward = tolerances(dtype, FORWARD_FLOOR[name])
    backward = tolerances(dtype, BACKWARD_FLOOR[name])
    if name == "gelu_tanh" and dtype == cr.float32:
        forward["rtol"] = backward["rtol"] = 1e-5  # the cubic inside tanh loses float32 digits
    np.testing.assert_allclose(y.numpy(), ref(xs), **forward)
    np.testing.assert_allclose(x.grad.numpy(), dref(xs), **backward)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tails_keep_relative_precision(dtype):
    # the stable forms are accurate in relative terms where the naive ones give 0 or 1
    x = -20.0 if dtype == cr.float32 else -700.0
    rtol = 2e-6 if dtype == cr.float32 else 1e-12
    t = cr.tensor([x], dtype=dtype, requires_grad=True)
    np.testing.assert_allclose(cr.sigmoid(t).numpy(), [np.exp(x)], rtol=rtol * 10)
    np.testing.assert_allclose(cr.softplus(t).numpy(), [np.exp(x)], rtol=rtol * 10)
    cr.softplus(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [np.exp(x)], rtol=rtol * 10)
    np.testing.assert_allclose(cr.sigmoid(-t).numpy(), [1.0], rtol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_exact_limits(dtype):
    big = cr.tensor([1e4, -1e4], dtype=dtype)
    np.testing.assert_array_equal(cr.sigmoid(big).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(cr.softplus(big).numpy(), [1e4, 0.0])
    np.testing.assert_array_equal(cr.gelu(big).numpy(), [1e4, 0.0])
    np.testing.assert_array_equal(cr.gelu(big, approximate="tanh").numpy(), [1e4, 0.0])
    z = cr.tensor([1e4, 0.0], dtype=dtype)
    np.testing.assert_array_equal(cr.log_softmax(z, axis=0).numpy(), [0.0, -1e4])
    np.testing.assert_array_equal(cr.softmax(z, axis=0).numpy(), [1.0, 0.0])
    assert cr.logsumexp(z).item() == 1e4
    np.testing.assert_array_equal(cr.log_softmax(-z, axis=0).numpy(), [-1e4, 0.0])
    assert cr.logsumexp(-z).item() == 0.0
    assert cr.logsumexp(cr.tensor([-1e4, -1e4], dtype=dtype)).item() == pytest.approx(
        -1e4 + np.log(2), rel=1e-7
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_exact_limit_gradients(dtype):
    x = cr.tensor([1e4, -1e4], dtype=dtype, requires_grad=True)
    cr.sigmoid(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.grad = None
    cr.softplus(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])
    x.grad = None
    cr.gelu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])
    z = cr.tensor([1e4, 0.0], dtype=dtype, requires_grad=True)
    cr.logsumexp(z).backward()
    np.testing.assert_array_equal(z.grad.numpy(), [1.0, 0.0])  # softmax
    z.grad = None
    (cr.log_softmax(z, axis=0) * cr.tensor([0.0, 1.0], dtype=dtype)).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [-1.0, 1.0])  # e_1 - softmax
    z.grad = None
    (cr.softmax(z, axis=0) * cr.tensor([2.0, 1.0], dtype=dtype)).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 0.0])  # saturated


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_log_probabilities_on_extreme_logits(name, dtype, axis):
    logits = np.array(
        [[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [3e3, 3e3 + 1.0, -5.0], [0.5, -0.2, 1.0]]
    )
    xs = logits.astype(dtype).astype(np.float64)
    p = sp.softmax(xs, axis=axis)
    reference = {
        "logsumexp": sp.logsumexp(xs, axis=axis),
        "softmax": p,
        "log_softmax": sp.log_softmax(xs, axis=axis),
    }[name]
    x = cr.tensor(logits, dtype=dtype, requires_grad=True)
    y = getattr(cr, name)(x, axis=axis)
    assert y.dtype == dtype
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == cr.float32 else {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(y.numpy(), reference, **tol)
    w = np.random.default_rng(0).standard_normal(y.shape)  # a random cotangent
    (y * cr.tensor(w, dtype=dtype)).sum().backward()
    g = x.grad.numpy()
    assert g.dtype == dtype and np.all(np.isfinite(g))
    if name == "logsumexp":
        expected = p * np.expand_dims(w, axis)  # ∇ logsumexp = softmax
    elif name == "softmax":
        expected = p * (w - np.sum(w * p, axis=axis, keepdims=True))
    else:
        expected = w - p * np.sum(w, axis=axis, keepdims=True)
    np.testing.assert_allclose(g, expected, **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@given(
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5),
        elements=st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False),
    )
)
def test_random_large_inputs_stay_finite(dtype, x):
    ops = [
        cr.sigmoid,
        cr.softplus,
        cr.gelu,
        lambda t: cr.gelu(t, approximate="tanh"),
        lambda t: cr.logsumexp(t, axis=-1),
        lambda t: cr.softmax(t, axis=-1),
        lambda t: cr.log_softmax(t, axis=0),
        cr.logsumexp,
    ]
    for op in ops:
        t = cr.tensor(x, dtype=dtype, requires_grad=True)
        y = op(t)
        assert np.all(np.isfinite(y.numpy()))
        y.sum().backward()
        assert np.all(np.isfinite(t.grad.numpy()))
        assert t.grad.dtype == dtype
    t = cr.tensor(x, dtype=dtype)
    xs = x.astype(dtype).astype(np.float64)
    tol = {"rtol": 1e-5, "atol": 1e-3} if dtype == cr.float32 else {"rtol": 1e-10, "atol": 1e-9}
    np.testing.assert_allclose(cr.sigmoid(t).numpy(), sp.expit(xs), **tol)
    np.testing.assert_allclose(cr.softplus(t).numpy(), np.logaddexp(0.0, xs), **tol)
    np.testing.assert_allclose(
        cr.log_softmax(t, axis=-1).numpy(), sp.log_softmax(xs, axis=-1), **tol
    )
    np.testing.assert_allclose(cr.logsumexp(t).numpy(), sp.logsumexp(xs), **tol)


def test_no_runtime_warning_even_when_warnings_are_errors():
    # the pytest configuration turns RuntimeWarning into an error; make sure that is in force
    with pytest.raises(RuntimeWarning):
        np.exp(np.array([1e4]))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_logsumexp_gradient_keeps_relative_precision_for_large_logits(dtype):
    # the result 1e4 + 0.31 is rounded at its own scale (ulp 1e-3 in float32); the gradient must
    # not inherit that error: it is softmax, computed from the shifted logits
    z = np.array([1e4, 1e4 - 1.0, -1e4])
    x = cr.tensor(z, dtype=dtype, requires_grad=True)
    cr.logsumexp(x).backward()
    rtol = 2e-6 if dtype == cr.float32 else 1e-13
    np.testing.assert_allclose(x.grad.numpy(), sp.softmax(z), rtol=rtol, atol=0)
    rows = cr.tensor(np.stack([z, z[::-1]]), dtype=dtype, requires_grad=True)
    cr.logsumexp(rows, axis=1, keepdims=True).sum().backward()
    np.testing.assert_allclose(rows.grad.numpy(), [sp.softmax(z), sp.softmax(z[::-1])], rtol=rtol)


@pytest.mark.parametrize("logits", [[1e15, -3e14, 2e14], [3e7, 1.0, -2e7], [-1e20, 5e19, 1e19]])
def test_cross_entropy_gradient_at_huge_float32_logits(logits):
    """Regression: the loss + z_y shortcut rounded away at huge logits and gave [0, -1, 0]
    (or inf) where softmax(z) - onehot is [1, -1, 0]."""
    x = cr.tensor([logits], requires_grad=True)
    cr.nn.functional.cross_entropy(x, cr.tensor([1])).backward()
    expected = np.zeros(3, dtype=np.float32)
    expected[int(np.argmax(logits))] += 1.0
    expected[1] -= 1.0
    np.testing.assert_allclose(x.grad.numpy()[0], expected, atol=1e-6)
