"""Losses: gradients (first and second order), stability, validation, values, and PyTorch parity."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.nn.loss_modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from chainrule.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    nll_loss,
)
from chainrule.nn.parameter import Parameter

REDUCTIONS = ["mean", "sum", "none"]
N, C = 4, 3


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def f64(a) -> cr.Tensor:
    return cr.tensor(np.asarray(a, dtype=np.float64))


def probs(r: np.random.Generator, shape, axis=-1) -> np.ndarray:
    p = r.random(shape) + 0.05
    return p / p.sum(axis=axis, keepdims=True)


CLASS_W = np.array([0.5, 2.0, 1.25])
SAMPLE_W = np.array([1.0, 0.25, 2.0, 0.5])


# ----------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, CLASS_W], ids=["noweight", "classweight"])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
def test_gradcheck_cross_entropy_indices(reduction, weight, smoothing, sample):
    r = rng(1)
    z = r.standard_normal((N, C))
    y = np.array([0, 2, 1, 2])
    f = lambda z: cross_entropy(
        z, y, weight, reduction=reduction, label_smoothing=smoothing, sample_weight=sample
    )
    assert cr.gradcheck(f, z)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, CLASS_W], ids=["noweight", "classweight"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
def test_gradcheck_cross_entropy_probabilities(reduction, weight, smoothing, sample):
    r = rng(2)
    z, t = r.standard_normal((N, C)), probs(r, (N, C))
    f = lambda z, t: cross_entropy(
        z, t, weight, reduction=reduction, label_smoothing=smoothing, sample_weight=sample
    )
    assert cr.gradcheck(f, z, t)  # with respect to the logits and the target


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_cross_entropy_spatial_and_single(reduction):
    r = rng(3)
    z = r.standard_normal((2, C, 3))  # (N, C, d): classes on axis 1, as PyTorch
    y = np.array([[0, 1, 2], [2, 2, 0]])
    sw = np.array([0.5, 2.0])
    f = lambda z: cross_entropy(z, y, CLASS_W, reduction=reduction, sample_weight=sw)
    assert cr.gradcheck(f, z)
    t = probs(r, (2, C, 3), axis=1)
    assert cr.gradcheck(lambda z, t: cross_entropy(z, t, reduction=reduction), z, t)
    z1 = r.standard_normal(C)  # one sample of C scores, a scalar target
    assert cr.gradcheck(lambda z: cross_entropy(z, 2, reduction=reduction), z1)
    zl = r.standard_normal((3, N, C))  # classes last
    yl = r.integers(0, C, (3, N))
    assert cr.gradcheck(lambda z: cross_entropy(z, yl, reduction=reduction, axis=-1), zl)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, CLASS_W], ids=["noweight", "classweight"])
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
def test_gradcheck_nll_loss(reduction, weight, sample):
    r = rng(4)
    x = np.log(probs(r, (N, C)))
    y = np.array([1, 0, 2, 1])
    f = lambda x: nll_loss(x, y, weight, reduction=reduction, sample_weight=sample)
    assert cr.gradcheck(f, x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
def test_gradcheck_binary_cross_entropy(reduction, weighted, sample):
    r = rng(5)
    p = r.uniform(0.05, 0.95, (N, 2))
    y = r.random((N, 2))  # soft labels: the target is differentiable too
    w = r.uniform(0.5, 2.0, (N, 2)) if weighted else None
    f = lambda p, y: binary_cross_entropy(p, y, w, reduction=reduction, sample_weight=sample)
    assert cr.gradcheck(f, p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
def test_gradcheck_bce_with_logits(reduction, weighted, sample):
    r = rng(6)
    z = 3 * r.standard_normal((N, C))
    y = r.random((N, C))
    w = r.uniform(0.5, 2.0, (1, C)) if weighted else None
    f = lambda z, y: binary_cross_entropy_with_logits(
        z, y, w, reduction=reduction, sample_weight=sample
    )
    assert cr.gradcheck(f, z, y)
    pw = r.uniform(0.3, 3.0, C)  # pos_weight: gradients for the logits, target and pos_weight
    g = lambda z, y, pw: binary_cross_entropy_with_logits(
        z, y, w, pw, reduction=reduction, sample_weight=sample
    )
    assert cr.gradcheck(g, z, y, pw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("sample", [None, SAMPLE_W], ids=["nosample", "sampleweight"])
@pytest.mark.parametrize(
    "loss",
    [mse_loss, l1_loss, huber_loss, lambda a, b, **k: huber_loss(a, b, delta=0.3, **k)],
    ids=["mse", "l1", "huber", "huber0.3"],
)
def test_gradcheck_regression(loss, reduction, sample):
    r = rng(7)
    x, y = r.standard_normal((N, 2)), r.standard_normal((N, 2))
    assert cr.gradcheck(lambda x, y: loss(x, y, reduction=reduction, sample_weight=sample), x, y)


def test_gradcheck_sample_weight_itself():
    # the weighted mean Σ s·l / Σ s is differentiable in s too
    r = rng(8)
    z, y = r.standard_normal((N, C)), np.array([0, 1, 2, 0])
    f = lambda s: cross_entropy(z, y, CLASS_W, sample_weight=s)
    assert cr.gradcheck(f, SAMPLE_W)
    assert cr.gradcheck(lambda s: mse_loss(z, z * 0.5, sample_weight=s), SAMPLE_W)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(1, 5),
    smoothing=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 2**16),
)
def test_gradcheck_cross_entropy_random_shapes(n, c, smoothing, seed):
    r = rng(seed)
    z, y = r.standard_normal((n, c)), r.integers(0, c, n)
    w = r.uniform(0.2, 2.0, c)
    assert cr.gradcheck(lambda z: cross_entropy(z, y, w, label_smoothing=smoothing), z)


# ----------------------------------------------------------------------------- second order
def fd_hessian(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of ``chainrule.grad(f)``: column i is ∂(∇f)/∂xᵢ."""
    grad = cr.grad(f)
    n = x.size
    out = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        plus = grad(f64(x + e.reshape(x.shape))).numpy().reshape(-1)
        minus = grad(f64(x - e.reshape(x.shape))).numpy().reshape(-1)
        out[:, i] = (plus - minus) / (2 * h)
    return out


def check_hessian(f, x: np.ndarray) -> None:
    H = cr.hessian(f)(f64(x)).numpy().reshape(x.size, x.size)
    np.testing.assert_allclose(H, fd_hessian(f, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weight": CLASS_W},
        {"label_smoothing": 0.2},
        {"weight": CLASS_W, "label_smoothing": 0.1},
    ],
    ids=["plain", "weight", "smoothing", "both"],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hessian_cross_entropy(options, reduction):
    r = rng(9)
    z, y = r.standard_normal((3, C)), np.array([2, 0, 1])
    check_hessian(lambda z: cross_entropy(z, y, reduction=reduction, **options), z)


def test_hessian_cross_entropy_probability_targets():
    r = rng(10)
    z, t = r.standard_normal((2, C)), probs(r, (2, C))
    check_hessian(lambda z: cross_entropy(z, t, CLASS_W, label_smoothing=0.1), z)
    # and the mixed second derivative, through the target: ∂²l/∂z∂t
    # (t² renormalised: probability targets must sum to 1)
    check_hessian(lambda t: cross_entropy(f64(z) * 1.5, t * t / (t * t).sum(1, keepdims=True)), t)


def test_hessian_cross_entropy_is_softmax_jacobian():
    # for one sample, ∇²l = diag(p) - p pᵀ, whatever the label
    z = np.array([0.3, -1.2, 2.0, 0.1])
    H = cr.hessian(lambda z: cross_entropy(z, 1))(f64(z)).numpy()
    p = np.exp(z - z.max())
    p /= p.sum()
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), atol=1e-12)


@pytest.mark.parametrize("pos_weight", [None, np.array([0.5, 3.0])], ids=["plain", "pos_weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hessian_bce_with_logits(pos_weight, reduction):
    r = rng(11)
    z, y = 2 * r.standard_normal((3, 2)), r.random((3, 2))
    f = lambda z: binary_cross_entropy_with_logits(
        z, y, pos_weight=pos_weight, reduction=reduction, sample_weight=[1.0, 2.0, 0.5]
    )
    check_hessian(f, z)


def test_hessian_bce_with_logits_is_logistic_curvature():
    # ∂²l/∂z² = σ(z)(1 - σ(z)) for any label (the pos_weight-free case)
    z = np.array([-3.0, 0.0, 1.5])
    H = cr.hessian(lambda z: binary_cross_entropy_with_logits(z, [1.0, 0.0, 0.3], reduction="sum"))
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(H(f64(z)).numpy(), np.diag(s * (1 - s)), atol=1e-12)


_Y = np.array([0, 2, 1, 1])
_T = probs(rng(0), (N, C))


@pytest.mark.parametrize(
    "loss",
    [
        lambda z: cross_entropy(z, _Y, reduction="none"),
        lambda z: cross_entropy(z, _Y, CLASS_W, reduction="none", label_smoothing=0.2),
        lambda z: cross_entropy(z, _T, CLASS_W, reduction="none", label_smoothing=0.1),
    ],
    ids=["plain", "weighted_smoothed", "probabilities"],
)
def test_double_backward_through_the_gradient_rules(loss):
    # (z, v) ↦ ∇_z Σ v·l(z): its Jacobian runs the VJPs of the gradient primitive in both arguments
    r = rng(12)
    z, v = r.standard_normal((N, C)), r.standard_normal(N)
    check_jacobian(lambda z, v: cr.grad(lambda z: (loss(z) * v).sum())(z), z, v)


def check_jacobian(f, *arrays: np.ndarray, wrt: tuple[int, ...] | None = None, h=1e-6) -> None:
    """``jacobian(f)`` with respect to every argument, against central differences of ``f``.

    ``f`` may itself call ``chainrule.grad``: inside ``jacobian`` that builds the graph of the
    backward pass, so this checks second derivatives. (Not ``gradcheck``: it evaluates ``f``
    under ``no_grad``, where an inner ``grad`` returns zeros.)
    """
    # differentiate with respect to all arguments: an inner grad builds the graph of its backward
    # pass only for arguments that already require grad (see the report on functional._prepare)
    every = tuple(range(len(arrays)))
    jacs = cr.jacobian(f, argnums=every)(*[f64(a) for a in arrays])
    for k in every if wrt is None else wrt:
        J, a = jacs[k], arrays[k]
        out_shape = f(*[f64(b) for b in arrays]).shape
        numeric = np.zeros(out_shape + a.shape)
        for idx in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[idx] = h
            plus = f(*[f64(b + e if i == k else b) for i, b in enumerate(arrays)]).numpy()
            minus = f(*[f64(b - e if i == k else b) for i, b in enumerate(arrays)]).numpy()
            numeric[(..., *idx)] = (plus - minus) / (2 * h)
        assert np.abs(numeric).max() > 1e-3, "vacuous check: f does not depend on this argument"
        np.testing.assert_allclose(J.numpy(), numeric, rtol=1e-5, atol=1e-7, err_msg=f"arg {k}")


def test_second_order_bce_with_logits_through_target_and_pos_weight():
    r = rng(13)
    z, y, pw = r.standard_normal((3, 2)), r.random((3, 2)), r.uniform(0.5, 2, 2)
    loss = lambda z, y, pw: binary_cross_entropy_with_logits(z, y, pos_weight=pw, reduction="sum")
    check_jacobian(lambda z, y, pw: cr.grad(lambda z: loss(z, y, pw))(z), z, y, pw)
    check_jacobian(lambda z, y, pw: cr.grad(lambda y: loss(z, y, pw))(y), z, y, pw, wrt=(0, 2))
    check_jacobian(lambda z, y, pw: cr.grad(lambda pw: loss(z, y, pw))(pw), z, y, pw, wrt=(0, 1))
    plain = lambda z, y: binary_cross_entropy_with_logits(z, y, reduction="sum")
    check_jacobian(lambda z, y: cr.grad(lambda y: plain(z, y))(y), z, y, wrt=(0,))  # -z


def test_second_order_binary_cross_entropy():
    r = rng(14)
    p, y = r.uniform(0.1, 0.9, (2, 2)), r.random((2, 2))
    loss = lambda p, y: binary_cross_entropy(p, y, reduction="sum")
    check_jacobian(lambda p, y: cr.grad(lambda p: loss(p, y))(p), p, y)
    check_jacobian(lambda p, y: cr.grad(lambda y: loss(p, y))(y), p, y, wrt=(0,))  # clamped log


def test_second_order_cross_entropy_through_probability_target():
    r = rng(15)
    z, t = r.standard_normal((2, C)), probs(r, (2, C))
    check_jacobian(lambda z, t: cr.grad(lambda z: cross_entropy(z, t, CLASS_W))(z), z, t)
    check_jacobian(
        lambda z, t: cr.grad(lambda t: cross_entropy(z, t, label_smoothing=0.1))(t), z, t, wrt=(0,)
    )


# ----------------------------------------------------------------------------- stability
@pytest.fixture
def strict_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / divide warning fails the test
        yield


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
def test_bce_with_logits_extreme_logits(dtype, strict_warnings):
    z = cr.tensor([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype, requires_grad=True)
    y = [1.0, 0.0, 0.0, 1.0, 1.0]
    loss = binary_cross_entropy_with_logits(z, y, reduction="none")
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-7)
    assert z.grad.dtype == dtype
    # with pos_weight the limits scale: a missed positive costs pw·|z|
    z2 = cr.tensor([-1e4, 1e4], dtype=dtype, requires_grad=True)
    loss2 = binary_cross_entropy_with_logits(z2, [1.0, 0.0], pos_weight=[3.0], reduction="none")
    np.testing.assert_allclose(loss2.numpy(), [3e4, 1e4], rtol=1e-6)
    loss2.sum().backward()
    np.testing.assert_allclose(z2.grad.numpy(), [-3.0, 1.0], atol=1e-7)
    # second order stays finite: σ(1 - σ) → 0
    H = cr.hessian(lambda z: binary_cross_entropy_with_logits(z, [1.0, 0.0], reduction="sum"))(
        cr.tensor([1e4, -1e4], dtype=dtype)
    )
    np.testing.assert_array_equal(H.numpy(), np.zeros((2, 2)))


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
@pytest.mark.parametrize("options", [{}, {"weight": CLASS_W, "label_smoothing": 0.1}])
def test_cross_entropy_extreme_logits(dtype, options, strict_warnings):
    z = cr.tensor([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype)
    z.requires_grad_()
    y = [0, 1, 2]
    loss = cross_entropy(z, y, reduction="none", **options)
    assert np.isfinite(loss.numpy()).all() and loss.dtype == dtype
    if not options:
        np.testing.assert_allclose(loss.numpy(), [0.0, 2e4, 0.0], rtol=1e-6)
    loss.sum().backward()
    g = z.grad.numpy()
    assert np.isfinite(g).all()
    if not options:  # softmax(z) - onehot(y) in the limit
        np.testing.assert_allclose(g, [[0, 0, 0], [1, -1, 0], [0, 0, 0]], atol=1e-7)
    # probability targets and the composed path agree at the extremes too
    t = np.eye(3)[y]
    soft = cross_entropy(z, t, reduction="none", **options).numpy()
    np.testing.assert_allclose(soft, loss.numpy(), rtol=1e-6)


def test_binary_cross_entropy_at_zero_and_one(strict_warnings):
    p = cr.tensor([0.0, 1.0, 0.0, 1.0], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([0.0, 1.0, 1.0, 0.0], dtype=cr.float64, requires_grad=True)
    loss = binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [0.0, 0.0, 100.0, 100.0])  # log clamped at -100
    assert not np.signbit(loss.numpy()).any()  # no -0.0
    loss.sum().backward()
    assert np.isfinite(p.grad.numpy()).all() and np.isfinite(y.grad.numpy()).all()
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 0.0, -1e12, 1e12])  # PyTorch's 1e-12 floor
    np.testing.assert_allclose(y.grad.numpy(), [100.0, -100.0, 100.0, -100.0])


@pytest.mark.skipif(
    cr.backend.NAME != "numpy", reason="GPU kernels flush float32 subnormals to zero"
)
def test_binary_cross_entropy_float32_subnormal_probabilities(strict_warnings):
    # float32 subnormals reach e^-103: the -100 floor applies below e^-100 ≈ 3.7e-44, as in PyTorch
    p = cr.tensor([1e-45, 1e-40, 1e-30], requires_grad=True)
    loss = binary_cross_entropy(p, [1.0, 1.0, 1.0], reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, -math.log(1e-40), -math.log(1e-30)], rtol=1e-3)
    loss.sum().backward()
    assert np.isfinite(p.grad.numpy()).all()


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "call",
    [
        lambda r: binary_cross_entropy(cr.tensor([0.5]), [1.0], reduction=r),
        lambda r: binary_cross_entropy_with_logits(cr.tensor([0.5]), [1.0], reduction=r),
        lambda r: cross_entropy(cr.tensor([[0.5, 1.0]]), [1], reduction=r),
        lambda r: nll_loss(cr.tensor([[-0.5, -1.0]]), [1], reduction=r),
        lambda r: mse_loss(cr.tensor([0.5]), [1.0], reduction=r),
        lambda r: l1_loss(cr.tensor([0.5]), [1.0], reduction=r),
        lambda r: huber_loss(cr.tensor([0.5]), [1.0], reduction=r),
        lambda r: BCELoss(reduction=r),
        lambda r: BCEWithLogitsLoss(reduction=r),
        lambda r: CrossEntropyLoss(reduction=r),
        lambda r: NLLLoss(reduction=r),
        lambda r: MSELoss(reduction=r),
        lambda r: L1Loss(reduction=r),
        lambda r: HuberLoss(reduction=r),
    ],
)
@pytest.mark.parametrize("bad", ["avg", "Mean", None, 1])
def test_reduction_errors(call, bad):
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none', got") as e:
        call(bad)
    assert repr(bad) in str(e.value)


@pytest.mark.parametrize("loss", [binary_cross_entropy, binary_cross_entropy_with_logits])
@pytest.mark.parametrize("bad", [2.0, -0.5, 1.5])
def test_binary_target_outside_unit_interval(loss, bad):
    with pytest.raises(
        ValueError, match=rf"target must lie in \[0, 1\], found {bad} at index \(1,\)"
    ):
        loss(cr.tensor([0.3, 0.6, 0.2]), [1.0, bad, 0.0])


@pytest.mark.parametrize("loss", [binary_cross_entropy, binary_cross_entropy_with_logits])
def test_binary_integer_label_2_is_named(loss):
    with pytest.raises(ValueError, match=r"found 2 at index \(0, 1\)"):
        loss(cr.tensor([[0.3, 0.6]]), np.array([[1, 2]]))


def test_binary_soft_labels_are_allowed():
    loss = binary_cross_entropy_with_logits(cr.tensor([0.0]), [0.5])
    assert loss.item() == pytest.approx(math.log(2))
    assert binary_cross_entropy(cr.tensor([0.5]), [0.5]).item() == pytest.approx(math.log(2))


def test_bce_input_must_be_probabilities():
    with pytest.raises(ValueError, match=r"input must lie in \[0, 1\], found 1.5 at index \(1,\)"):
        binary_cross_entropy(cr.tensor([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        binary_cross_entropy(cr.tensor([-0.1]), [0.0])  # the message points to the logits form


@pytest.mark.parametrize("loss", [cross_entropy, nll_loss])
@pytest.mark.parametrize("bad", [3, 7, -1])
def test_class_index_out_of_range(loss, bad):
    with pytest.raises(
        ValueError, match=rf"class index {bad} at index \(2,\), but input has 3 classes"
    ):
        loss(cr.tensor(np.zeros((4, 3))), [0, 1, bad, 2])


def test_class_index_out_of_range_spatial_names_position():
    with pytest.raises(ValueError, match=r"class index 5 at index \(1, 0\).*3 classes"):
        cross_entropy(cr.zeros((2, 3, 2)), [[0, 1], [5, 0]])


@pytest.mark.parametrize("loss", [cross_entropy, nll_loss])
def test_fractional_class_index(loss):
    with pytest.raises(ValueError, match=r"target holds 1.5 at index \(1,\).*whole numbers"):
        loss(cr.zeros((3, 3)), np.array([0.0, 1.5, 2.0]))


def test_whole_float_class_indices_are_accepted():
    z = cr.tensor([[1.0, 2.0, 0.5], [0.0, 0.1, 0.2]])
    expected = cross_entropy(z, [1, 2]).item()
    assert cross_entropy(z, np.array([1.0, 2.0])).item() == pytest.approx(expected)


@pytest.mark.parametrize(
    "call, shapes",
    [
        (lambda: cross_entropy(cr.zeros((4, 3)), np.zeros(5, dtype=int)), [r"\(5,\)", r"\(4, 3\)"]),
        (lambda: cross_entropy(cr.zeros((4, 3)), np.zeros((4, 2))), [r"\(4, 2\)", r"\(4, 3\)"]),
        (lambda: nll_loss(cr.zeros((4, 3)), np.zeros((4, 3))), [r"\(4, 3\)", r"\(4,\)"]),
        (lambda: binary_cross_entropy(cr.zeros(4), np.zeros((4, 1))), [r"\(4, 1\)", r"\(4,\)"]),
        (
            lambda: binary_cross_entropy_with_logits(cr.zeros((2, 3)), np.zeros(3)),
            [r"\(3,\)", r"\(2, 3\)"],
        ),
        (lambda: mse_loss(cr.zeros(3), np.zeros(4)), [r"\(4,\)", r"\(3,\)"]),
        (lambda: l1_loss(cr.zeros((3, 1)), np.zeros(3)), [r"\(3,\)", r"\(3, 1\)"]),
        (lambda: huber_loss(cr.zeros(3), np.zeros((1, 3))), [r"\(1, 3\)", r"\(3,\)"]),
        (
            lambda: mse_loss(cr.zeros((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(3)),
            [r"\(3,\)", r"\(4,\)"],
        ),
        (
            lambda: cross_entropy(cr.zeros((4, 3)), [0, 0, 0, 0], weight=np.ones(2)),
            [r"\(2,\)", r"\(3,\)"],
        ),
        (
            lambda: binary_cross_entropy_with_logits(
                cr.zeros((4, 3)), np.zeros((4, 3)), pos_weight=np.ones(4)
            ),
            [r"\(4,\)", r"\(4, 3\)"],
        ),
        (
            lambda: binary_cross_entropy(cr.zeros(4), np.zeros(4), weight=np.ones((4, 1))),
            [r"\(4, 1\)", r"\(4,\)"],
        ),
    ],
)
def test_wrong_shapes_name_both(call, shapes):
    with pytest.raises(ValueError) as e:
        call()
    for s in shapes:
        assert re.search(s, str(e.value)), (s, str(e.value))


@pytest.mark.parametrize(
    "call",
    [
        lambda x, y: cross_entropy(x, [0, 1]),
        lambda x, y: nll_loss(x, [0, 1]),
        lambda x, y: binary_cross_entropy_with_logits(x, y),
        lambda x, y: binary_cross_entropy(x, y),
        lambda x, y: mse_loss(x, y),
        lambda x, y: l1_loss(x, y),
        lambda x, y: huber_loss(x, y),
    ],
)
def test_nan_in_input_or_target(call):
    good = cr.tensor([[0.2, 0.7], [0.4, 0.1]])
    bad = cr.tensor([[0.2, 0.7], [float("nan"), 0.1]])
    call(good, good)  # fine
    with pytest.raises(ValueError, match=r"input contains NaN \(first at index \(1, 0\)\)"):
        call(bad, good)


@pytest.mark.parametrize(
    "call",
    [
        lambda y: binary_cross_entropy_with_logits(cr.zeros(2), y),
        lambda y: binary_cross_entropy(cr.full((2,), 0.5), y),
        lambda y: mse_loss(cr.zeros(2), y),
        lambda y: l1_loss(cr.zeros(2), y),
        lambda y: huber_loss(cr.zeros(2), y),
        lambda y: cross_entropy(cr.zeros(2), y),  # probabilities for one sample
        lambda y: cross_entropy(cr.zeros((2, 3)), y),  # class indices
    ],
)
def test_nan_in_target(call):
    with pytest.raises(ValueError, match=r"target contains NaN \(first at index \(1,\)\)"):
        call(np.array([0.0, np.nan]))


def test_probability_targets_outside_unit_interval():
    with pytest.raises(
        ValueError, match=r"probabilities must lie in \[0, 1\], found -0.5 at index \(0, 0\)"
    ):
        cross_entropy(cr.zeros((1, 2)), np.array([[-0.5, 1.5]]))
    with pytest.raises(ValueError, match=r"found 1.5 at index \(0, 1\)"):
        cross_entropy(cr.zeros((1, 2)), np.array([[0.5, 1.5]]))


def test_other_option_errors():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        cross_entropy(cr.zeros((1, 2)), [0], label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing"):
        CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(ValueError, match=r"delta must be positive, got 0"):
        huber_loss(cr.zeros(1), [0.0], delta=0)
    with pytest.raises(ValueError, match="delta"):
        HuberLoss(delta=-1.0)
    with pytest.raises(
        ValueError, match=r"sample_weight must be non-negative, found -1.0 at index \(1,\)"
    ):
        mse_loss(cr.zeros(2), [0.0, 0.0], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        mse_loss(cr.zeros(2), [0.0, 0.0], sample_weight=[1.0, np.nan])
    with pytest.raises(ValueError, match="sum to 0"):
        mse_loss(cr.zeros(2), [0.0, 0.0], sample_weight=[0.0, 0.0])
    with pytest.raises(ValueError, match="sum to 0"):
        cross_entropy(cr.zeros((2, 3)), [1, 1], weight=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="empty batch"):
        cross_entropy(cr.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        cross_entropy(cr.zeros((2, 3)), [0, 1], axis=2)
    with pytest.raises(ValueError, match="class axis"):
        cross_entropy(cr.tensor(1.0), 0)
    with pytest.raises(TypeError, match="floating point"):
        mse_loss(cr.tensor([1, 2]), [1, 2])
    # zero-weight batches are fine with 'sum' and 'none'
    assert mse_loss(cr.ones(2), [0.0, 0.0], reduction="sum", sample_weight=[0.0, 0.0]).item() == 0


# ----------------------------------------------------------------------------- values
def test_values_by_hand():
    z = cr.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], dtype=cr.float64)
    lse0 = math.log(math.e**2 + 1 + math.e**-1)
    l0, l1 = lse0 - 2.0, math.log(3)  # -log softmax(z)[y]
    assert cross_entropy(z, [0, 2]).item() == pytest.approx((l0 + l1) / 2)
    assert cross_entropy(z, [0, 2], reduction="sum").item() == pytest.approx(l0 + l1)
    np.testing.assert_allclose(cross_entropy(z, [0, 2], reduction="none").numpy(), [l0, l1])
    # class weights: PyTorch's mean divides by the weights of the targets
    w = [0.5, 1.0, 3.0]
    assert cross_entropy(z, [0, 2], w).item() == pytest.approx((0.5 * l0 + 3 * l1) / 3.5)
    # sample weights: the weighted mean
    s = [2.0, 1.0]
    assert cross_entropy(z, [0, 2], sample_weight=s).item() == pytest.approx((2 * l0 + l1) / 3)
    assert cross_entropy(z, [0, 2], w, sample_weight=s).item() == pytest.approx(
        (2 * 0.5 * l0 + 3 * l1) / (2 * 0.5 + 3)
    )
    # label smoothing ε: (1 - ε)·nll + ε·mean_c(-log p_c)
    eps = 0.3
    lp0 = np.array([2.0, 0.0, -1.0]) - lse0
    expect0 = (1 - eps) * l0 + eps * -lp0.mean()
    expect1 = (1 - eps) * l1 + eps * math.log(3)
    assert cross_entropy(z, [0, 2], label_smoothing=eps).item() == pytest.approx(
        (expect0 + expect1) / 2
    )
    # probability targets
    t = [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]
    expect = -(0.5 * lp0[0] + 0.5 * lp0[1]) + math.log(3)
    assert cross_entropy(z, t).item() == pytest.approx(expect / 2)
    # nll_loss on log-probabilities
    lp = np.log([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    assert nll_loss(f64(lp), [0, 1]).item() == pytest.approx(-(math.log(0.5) + math.log(0.8)) / 2)
    assert nll_loss(f64(lp), [0, 1], [2.0, 1.0, 1.0]).item() == pytest.approx(
        -(2 * math.log(0.5) + math.log(0.8)) / 3
    )


def test_binary_values_by_hand():
    z = f64([2.0, -1.0, 0.0])
    y = [1.0, 0.0, 1.0]
    sp = lambda v: math.log1p(math.exp(v))  # softplus
    per = [sp(-2.0), sp(-1.0), math.log(2)]
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(z, y, reduction="none").numpy(), per
    )
    pw = 3.0
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(z, y, pos_weight=[pw], reduction="none").numpy(),
        [pw * sp(-2.0), sp(-1.0), pw * math.log(2)],
    )
    w = [1.0, 2.0, 0.5]
    assert binary_cross_entropy_with_logits(z, y, w).item() == pytest.approx(
        (per[0] + 2 * per[1] + 0.5 * per[2]) / 3  # PyTorch: elementwise weight, plain mean
    )
    p = f64([0.9, 0.2, 0.5])
    np.testing.assert_allclose(
        binary_cross_entropy(p, y, reduction="none").numpy(),
        [-math.log(0.9), -math.log(0.8), math.log(2)],
    )
    # sample weights on a (N, k) input: Σ sᵢ·lᵢⱼ / (k·Σ sᵢ)
    zz = f64([[1.0, -1.0], [0.5, 2.0]])
    yy = [[1.0, 1.0], [0.0, 1.0]]
    per2 = binary_cross_entropy_with_logits(zz, yy, reduction="none").numpy()
    s = np.array([3.0, 1.0])
    got = binary_cross_entropy_with_logits(zz, yy, sample_weight=s).item()
    assert got == pytest.approx((s[:, None] * per2).sum() / (2 * s.sum()))


def test_regression_values_by_hand():
    x, y = f64([1.0, -2.0, 0.5]), [0.0, 1.0, 0.0]
    assert mse_loss(x, y).item() == pytest.approx((1 + 9 + 0.25) / 3)
    assert mse_loss(x, y, reduction="sum").item() == pytest.approx(10.25)
    assert l1_loss(x, y).item() == pytest.approx(4.5 / 3)
    np.testing.assert_allclose(huber_loss(x, y, reduction="none").numpy(), [0.5, 2.5, 0.125])
    np.testing.assert_allclose(
        huber_loss(x, y, delta=2.0, reduction="none").numpy(), [0.5, 4.0, 0.125]
    )
    assert mse_loss(x, y, sample_weight=[1.0, 0.0, 3.0]).item() == pytest.approx((1 + 3 * 0.25) / 4)
    # sample weights of all ones change nothing
    assert l1_loss(x, y, sample_weight=[1.0, 1.0, 1.0]).item() == pytest.approx(
        l1_loss(x, y).item()
    )


def test_regression_gradients_by_hand():
    x = cr.tensor([1.0, -2.0, 0.5, 0.0], dtype=cr.float64, requires_grad=True)
    y = [0.0, 1.0, 0.0, 0.0]
    huber_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, 0.5, 0.0])  # clipped at ±δ
    x.grad = None
    l1_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, 1.0, 0.0])  # 0 at x = y
    x.grad = None
    mse_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -6.0, 1.0, 0.0])


def test_fused_cross_entropy_matches_log_softmax_and_nll():
    r = rng(14)
    z, y = r.standard_normal((6, 5)), r.integers(0, 5, 6)
    w, s = r.uniform(0.2, 2, 5), r.uniform(0.2, 2, 6)
    for reduction in REDUCTIONS:
        a = cross_entropy(f64(z), y, w, reduction=reduction, sample_weight=s)
        b = nll_loss(cr.log_softmax(f64(z), axis=1), y, w, reduction=reduction, sample_weight=s)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        ga = cr.grad(lambda z: cross_entropy(z, y, w, reduction="sum", sample_weight=s))(f64(z))
        gb = cr.grad(
            lambda z: nll_loss(cr.log_softmax(z, axis=1), y, w, reduction="sum", sample_weight=s)
        )(f64(z))
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-10, atol=1e-14)
    # one-hot probability targets give the same loss as their indices, smoothing included
    onehot = np.eye(5)[y]
    for eps in (0.0, 0.25):
        a = cross_entropy(f64(z), y, label_smoothing=eps)
        b = cross_entropy(f64(z), onehot, label_smoothing=eps)
        assert a.item() == pytest.approx(b.item(), rel=1e-12)
    # with class weights the sums agree (the means differ by definition: Σ w_y against N)
    a = cross_entropy(f64(z), y, w, reduction="sum", label_smoothing=0.1)
    b = cross_entropy(f64(z), onehot, w, reduction="sum", label_smoothing=0.1)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_bce_with_logits_matches_bce_of_sigmoid():
    r = rng(15)
    z, y = r.standard_normal(8), r.random(8)
    a = binary_cross_entropy_with_logits(f64(z), y)
    b = binary_cross_entropy(cr.sigmoid(f64(z)), y)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_dtypes_are_kept():
    z = cr.randn(4, 3, requires_grad=True)  # float32
    for loss in (
        cross_entropy(z, [0, 1, 2, 0], np.ones(3), label_smoothing=0.1, sample_weight=np.ones(4)),
        cross_entropy(z, np.full((4, 3), 1 / 3)),
        nll_loss(z, [0, 1, 2, 0], np.ones(3)),
        binary_cross_entropy_with_logits(z, np.ones((4, 3)), pos_weight=np.ones(3)),
        mse_loss(z, np.zeros((4, 3))),
        huber_loss(z, np.zeros((4, 3), dtype=np.int64)),
    ):
        assert loss.dtype == cr.float32
        z.grad = None
        loss.backward()
        assert z.grad.dtype == cr.float32


def test_targets_are_differentiable_leaves():
    z = cr.tensor([[0.5, -0.5]], dtype=cr.float64, requires_grad=True)
    t = cr.tensor([[0.25, 0.75]], dtype=cr.float64, requires_grad=True)
    cross_entropy(z, t).backward()
    lp = np.log(np.exp([0.5, -0.5]) / np.exp([0.5, -0.5]).sum())
    np.testing.assert_allclose(t.grad.numpy(), -lp[None])  # ∂l/∂t = -log p
    y = cr.tensor([0.3], dtype=cr.float64, requires_grad=True)
    binary_cross_entropy_with_logits(cr.tensor([1.7], dtype=cr.float64), y).backward()
    np.testing.assert_allclose(y.grad.numpy(), [-1.7])  # ∂l/∂y = -z


# ----------------------------------------------------------------------------- modules, penalties
def test_modules_match_functions():
    r = rng(16)
    z, y, t = r.standard_normal((N, C)), r.integers(0, C, N), r.random((N, C))
    pw = r.uniform(0.5, 2, C)
    cases = [
        (CrossEntropyLoss(CLASS_W, label_smoothing=0.1), cross_entropy(f64(z), y, CLASS_W, label_smoothing=0.1, sample_weight=SAMPLE_W), y),
        (NLLLoss(CLASS_W, reduction="sum"), nll_loss(f64(z), y, CLASS_W, reduction="sum", sample_weight=SAMPLE_W), y),
        (BCEWithLogitsLoss(pos_weight=pw), binary_cross_entropy_with_logits(f64(z), t, pos_weight=pw, sample_weight=SAMPLE_W), t),
        (MSELoss(reduction="none"), mse_loss(f64(z), t, reduction="none", sample_weight=SAMPLE_W), t),
        (L1Loss(), l1_loss(f64(z), t, sample_weight=SAMPLE_W), t),
        (HuberLoss(delta=0.5), huber_loss(f64(z), t, delta=0.5, sample_weight=SAMPLE_W), t),
    ]  # fmt: skip
    for module, expected, target in cases:
        got = module(f64(z), target, sample_weight=SAMPLE_W)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            module.forward(f64(z), target, sample_weight=SAMPLE_W).numpy(), expected.numpy()
        )
    p = 1 / (1 + np.exp(-z))
    assert BCELoss()(f64(p), t).item() == pytest.approx(binary_cross_entropy(f64(p), t).item())
    # PyTorch's repr shows no options (print(model) must read the same)
    assert repr(CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss()"
    assert repr(MSELoss(reduction="sum")) == "MSELoss()"


def test_penalties_skip_unregularized_parameters():
    w = Parameter([[1.0, -2.0], [0.5, 0.0]])
    b = Parameter([3.0, -4.0], regularize=False)
    plain = cr.tensor([1.0, -1.0], requires_grad=True)  # no attribute: counts
    assert l1_penalty([w, b]).item() == pytest.approx(3.5)
    assert l2_penalty([w, b]).item() == pytest.approx(5.25)
    assert l2_penalty([w, b, plain]).item() == pytest.approx(7.25)
    assert l1_penalty(iter([w, b])).item() == pytest.approx(3.5)  # a generator, as parameters()
    assert l1_penalty(w).item() == pytest.approx(3.5)  # one tensor
    assert l1_penalty([b]).item() == 0.0 and l2_penalty([]).item() == 0.0

    class Model:
        def parameters(self):
            return iter([w, b])

    assert l2_penalty(Model()).item() == pytest.approx(5.25)
    (l2_penalty([w, b]) + l1_penalty([w, b])).backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy() + np.sign(w.numpy()))
    assert b.grad is None


# ----------------------------------------------------------------------------- PyTorch parity
def _torch():
    return pytest.importorskip("torch", reason="PyTorch is optional; parity tests need it")


def _run(ours, theirs, torch, args, grad_args, grad_rtol=1e-9):
    """Values and gradients (w.r.t. the positions in grad_args) of both implementations."""
    ours_in = [cr.tensor(a, requires_grad=i in grad_args) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for i, a in enumerate(args)]  # fmt: skip
    torch_in = [torch.tensor(a, requires_grad=i in grad_args and a.dtype == np.float64) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]  # fmt: skip
    a, b = ours(*ours_in), theirs(*torch_in)
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = rng(99).standard_normal(a.shape)
    a.backward(cr.tensor(v))
    b.backward(torch.tensor(v))
    for i in grad_args:
        np.testing.assert_allclose(
            ours_in[i].grad.numpy(), torch_in[i].grad.numpy(), rtol=grad_rtol, atol=1e-12
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", ["NC", "C", "NCd"])
def test_torch_cross_entropy_indices(reduction, weighted, smoothing, shape):
    torch = _torch()
    F = torch.nn.functional
    r = rng(20)
    zshape, yshape = {"NC": ((5, 4), (5,)), "C": ((4,), ()), "NCd": ((3, 4, 2), (3, 2))}[shape]
    z, y = r.standard_normal(zshape), r.integers(0, 4, yshape)
    w = r.uniform(0.2, 2.0, 4) if weighted else None
    wt = torch.tensor(w) if weighted else None
    _run(
        lambda z, y: cross_entropy(z, y, w, reduction=reduction, label_smoothing=smoothing),
        lambda z, y: F.cross_entropy(
            z, torch.as_tensor(y), wt, reduction=reduction, label_smoothing=smoothing
        ),
        torch,
        [z, y],
        [0],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2)])
def test_torch_cross_entropy_probabilities(reduction, weighted, smoothing, shape):
    torch = _torch()
    F = torch.nn.functional
    r = rng(21)
    z, t = r.standard_normal(shape), probs(r, shape, axis=0 if len(shape) == 1 else 1)
    w = r.uniform(0.2, 2.0, 4) if weighted else None
    wt = torch.tensor(w) if weighted else None
    _run(
        lambda z, t: cross_entropy(z, t, w, reduction=reduction, label_smoothing=smoothing),
        lambda z, t: F.cross_entropy(z, t, wt, reduction=reduction, label_smoothing=smoothing),
        torch,
        [z, t],
        [0, 1],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_torch_nll_loss(reduction, weighted):
    torch = _torch()
    F = torch.nn.functional
    r = rng(22)
    x, y = np.log(probs(r, (6, 3))), r.integers(0, 3, 6)
    w = r.uniform(0.2, 2.0, 3) if weighted else None
    wt = torch.tensor(w) if weighted else None
    _run(
        lambda x, y: nll_loss(x, y, w, reduction=reduction),
        lambda x, y: F.nll_loss(x, torch.as_tensor(y), wt, reduction=reduction),
        torch,
        [x, y],
        [0],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_torch_binary_cross_entropy(reduction, weighted):
    torch = _torch()
    F = torch.nn.functional
    r = rng(23)
    p, y = r.uniform(0.02, 0.98, (5, 3)), r.random((5, 3))
    w = r.uniform(0.2, 2.0, (5, 3)) if weighted else None
    wt = torch.tensor(w) if weighted else None
    _run(
        lambda p, y: binary_cross_entropy(p, y, w, reduction=reduction),
        lambda p, y: F.binary_cross_entropy(p, y, wt, reduction=reduction),
        torch,
        [p, y],
        [0, 1],
    )
    # the clamped ends: value and the input's gradient agree with PyTorch
    pe, ye = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    _run(
        lambda p, y: binary_cross_entropy(p, y, reduction=reduction),
        lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction),
        torch,
        [pe, ye],
        [0],
        grad_rtol=1e-7,  # ±1e12 at the clamped ends: only the rounding differs
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos", [False, True])
def test_torch_bce_with_logits(reduction, weighted, pos):
    torch = _torch()
    F = torch.nn.functional
    r = rng(24)
    z, y = 4 * r.standard_normal((5, 3)), r.random((5, 3))
    z[0] = [1e4, -1e4, 50.0]
    w = r.uniform(0.2, 2.0, (1, 3)) if weighted else None
    pw = r.uniform(0.2, 3.0, 3) if pos else None
    wt = torch.tensor(w) if weighted else None
    args = [z, y, pw] if pos else [z, y]
    _run(
        lambda z, y, pw=None: binary_cross_entropy_with_logits(z, y, w, pw, reduction=reduction),
        lambda z, y, pw=None: F.binary_cross_entropy_with_logits(
            z, y, wt, reduction=reduction, pos_weight=pw
        ),
        torch,
        args,
        [0, 1],  # PyTorch gives no gradient for pos_weight; ours is checked by gradcheck above
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (mse_loss, "mse_loss"),
        (l1_loss, "l1_loss"),
        (huber_loss, "huber_loss"),
        (lambda a, b, **k: huber_loss(a, b, delta=0.4, **k), ("huber_loss", {"delta": 0.4})),
    ],
    ids=["mse", "l1", "huber", "huber0.4"],
)
def test_torch_regression(ours, theirs, reduction):
    torch = _torch()
    name, extra = theirs if isinstance(theirs, tuple) else (theirs, {})
    fn = getattr(torch.nn.functional, name)
    r = rng(25)
    x, y = r.standard_normal((4, 3)), r.standard_normal((4, 3))
    _run(
        lambda x, y: ours(x, y, reduction=reduction),
        lambda x, y: fn(x, y, reduction=reduction, **extra),
        torch,
        [x, y],
        [0, 1],
    )


def test_torch_sample_weight_is_weighted_mean_of_none():
    torch = _torch()
    F = torch.nn.functional
    r = rng(26)
    z, y, s = r.standard_normal((5, 4)), r.integers(0, 4, 5), r.uniform(0.1, 2, 5)
    w = r.uniform(0.2, 2.0, 4)
    per = F.cross_entropy(torch.tensor(z), torch.tensor(y), torch.tensor(w), reduction="none")
    expected = (per * torch.tensor(s)).sum() / (
        torch.tensor(w)[torch.tensor(y)] * torch.tensor(s)
    ).sum()
    got = cross_entropy(f64(z), y, w, sample_weight=s)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)
