"""Function transforms (grad, value_and_grad, vjp, jvp, jacobian, hessian) and gradcheck itself.

Expected values come from closed forms written with NumPy or from finite differences, never from
the transform under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import primitive


def f64(data, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(data, dtype=cr.float64, requires_grad=requires_grad)


def fd_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Numerator-layout Jacobian (out.shape + x.shape) of f: ndarray -> ndarray, by central differences."""
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for j in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[j] = eps
        jac[(Ellipsis, *j)] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return jac


def as_numpy_fn(f):
    """Evaluate a chainrule function on float64 arrays, without recording a graph."""

    def g(x: np.ndarray) -> np.ndarray:
        with cr.no_grad():
            return f(f64(x)).numpy()

    return g


X = np.array([0.3, -1.2, 0.8])
Y = np.array([1.5, 0.4, -0.7])


def f_xy(x, y):
    return (x * x * y).sum() + cr.sin(y).sum()


# ----------------------------------------------------------------------------- grad
def test_grad_argnums_int():
    gx = cr.grad(f_xy)(f64(X), f64(Y))
    np.testing.assert_allclose(gx.numpy(), 2 * X * Y, rtol=1e-14)
    gy = cr.grad(f_xy, argnums=1)(f64(X), f64(Y))
    np.testing.assert_allclose(gy.numpy(), X**2 + np.cos(Y), rtol=1e-14)
    assert isinstance(gx, cr.Tensor) and not gx.requires_grad


def test_grad_argnums_tuple():
    gy, gx = cr.grad(f_xy, argnums=(1, 0))(f64(X), f64(Y))
    np.testing.assert_allclose(gx.numpy(), 2 * X * Y, rtol=1e-14)
    np.testing.assert_allclose(gy.numpy(), X**2 + np.cos(Y), rtol=1e-14)
    (only,) = cr.grad(f_xy, argnums=(0,))(f64(X), f64(Y))
    np.testing.assert_allclose(only.numpy(), 2 * X * Y, rtol=1e-14)


def test_value_and_grad():
    value, g = cr.value_and_grad(f_xy)(f64(X), f64(Y))
    np.testing.assert_allclose(value.item(), np.sum(X * X * Y) + np.sum(np.sin(Y)), rtol=1e-14)
    assert not value.requires_grad
    np.testing.assert_allclose(g.numpy(), 2 * X * Y, rtol=1e-14)
    value, (gx, gy) = cr.value_and_grad(f_xy, argnums=(0, 1))(f64(X), f64(Y))
    np.testing.assert_allclose(gx.numpy(), 2 * X * Y, rtol=1e-14)
    np.testing.assert_allclose(gy.numpy(), X**2 + np.cos(Y), rtol=1e-14)


def test_grad_accepts_arrays_and_leaves_inputs_alone():
    x = f64(X)
    g = cr.grad(lambda t: (t**3).sum())(x)
    np.testing.assert_allclose(g.numpy(), 3 * X**2, rtol=1e-14)
    assert not x.requires_grad and x.grad is None  # the caller's tensor is not modified
    g = cr.grad(lambda t: (t**3).sum())(X)  # a plain array works too
    np.testing.assert_allclose(g.numpy(), 3 * X**2, rtol=1e-14)
    w = f64(X, requires_grad=True)
    cr.grad(lambda t: (t * t).sum())(w)
    assert w.grad is None  # no accumulation into .grad


def test_grad_of_unused_argument_is_zero():
    g = cr.grad(lambda a, b: (a * 2.0).sum(), argnums=1)(f64(X), f64(Y))
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    g = cr.grad(lambda a: cr.tensor(1.0, dtype=cr.float64))(f64(X))
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))


def test_grad_errors():
    with pytest.raises(ValueError, match="scalar"):
        cr.grad(lambda x: x * 2.0)(f64(X))
    with pytest.raises(TypeError, match="floating"):
        cr.grad(lambda x: x.sum())(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="argnums"):
        cr.grad(lambda x: x.sum(), argnums=1)(f64(X))


def test_grad_keeps_float32():
    g = cr.grad(lambda t: (t * t).sum())(cr.tensor([1.0, 2.0]))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


# ----------------------------------------------------------------------------- vjp / jvp
def g_vec(x, y):
    """R³ × R³ -> R²."""
    return cr.stack([(x * y).sum(), (cr.exp(x) * y * y).sum()])


def g_vec_jacobians(x, y):
    jx = np.stack([y, np.exp(x) * y * y])
    jy = np.stack([x, 2 * np.exp(x) * y])
    return jx, jy


def test_vjp():
    out, back = cr.vjp(g_vec, f64(X), f64(Y))
    np.testing.assert_allclose(out.numpy(), [np.sum(X * Y), np.sum(np.exp(X) * Y * Y)], rtol=1e-14)
    jx, jy = g_vec_jacobians(X, Y)
    for v in ([1.0, 0.0], [0.3, -2.0]):
        vx, vy = back(f64(v))
        np.testing.assert_allclose(vx.numpy(), np.asarray(v) @ jx, rtol=1e-13)
        np.testing.assert_allclose(vy.numpy(), np.asarray(v) @ jy, rtol=1e-13)
    with pytest.raises(ValueError, match="cotangent"):
        back(f64([1.0, 2.0, 3.0]))


def test_vjp_matrix_output():
    a = np.arange(6.0).reshape(2, 3) / 5
    out, back = cr.vjp(lambda m: cr.tanh(m) * 2.0, f64(a))
    np.testing.assert_allclose(out.numpy(), np.tanh(a) * 2, rtol=1e-14)
    v = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, 1.0]])
    (gm,) = back(v)
    np.testing.assert_allclose(gm.numpy(), v * 2 * (1 - np.tanh(a) ** 2), rtol=1e-13)


def test_jvp_matches_jacobian_times_tangent():
    tx, ty = np.array([1.0, -0.5, 2.0]), np.array([0.2, 0.1, -1.0])
    out, tangent = cr.jvp(g_vec, (f64(X), f64(Y)), (f64(tx), f64(ty)))
    jx, jy = g_vec_jacobians(X, Y)
    np.testing.assert_allclose(out.numpy(), [np.sum(X * Y), np.sum(np.exp(X) * Y * Y)], rtol=1e-14)
    np.testing.assert_allclose(tangent.numpy(), jx @ tx + jy @ ty, rtol=1e-12)
    jac = cr.jacobian(g_vec, argnums=(0, 1))(f64(X), f64(Y))
    np.testing.assert_allclose(
        tangent.numpy(), jac[0].numpy() @ tx + jac[1].numpy() @ ty, rtol=1e-12
    )


def test_jvp_of_nonlinear_map_and_errors():
    m = np.array([[0.5, -1.0], [2.0, 0.3]])
    t = np.array([[1.0, 0.0], [0.5, -1.0]])
    f = lambda a: cr.softmax(a @ a, axis=1)
    _, tangent = cr.jvp(f, (f64(m),), (f64(t),))
    numeric = np.tensordot(fd_jacobian(as_numpy_fn(f), m), t, axes=2)
    np.testing.assert_allclose(tangent.numpy(), numeric, atol=1e-8)
    with pytest.raises(ValueError, match="tangent"):
        cr.jvp(f, (f64(m),), (f64([1.0, 2.0]),))
    with pytest.raises(ValueError):
        cr.jvp(f, (f64(m),), ())


# ----------------------------------------------------------------------------- jacobian
def u_map(x):
    """R³ -> R⁴."""
    return cr.stack([x[0] * x[1], cr.sin(x[2]), cr.exp(x[0] - x[2]), (x * x).sum()])


def g_map(v):
    """R⁴ -> R²."""
    return cr.stack([cr.tanh(v[0]) + v[1] * v[2], v[3] ** 2 - v[0]])


def test_jacobian_numerator_layout_against_finite_differences():
    def f(m):  # (2, 3) -> (4, 2)
        return cr.tanh(cr.concatenate([m.T @ m[:, :2], m[:1, 1:] ** 2], axis=0))

    m = np.array([[0.5, -0.3, 1.1], [0.2, 0.9, -0.6]])
    jac = cr.jacobian(f)(f64(m))
    assert jac.shape == (4, 2, 2, 3)
    np.testing.assert_allclose(jac.numpy(), fd_jacobian(as_numpy_fn(f), m), atol=1e-8)


def test_jacobian_of_vector_map_and_argnums_tuple():
    jac = cr.jacobian(u_map)(f64(X))
    assert jac.shape == (4, 3)
    x0, x1, x2 = X
    expected = np.array(
        [
            [x1, x0, 0.0],
            [0.0, 0.0, np.cos(x2)],
            [np.exp(x0 - x2), 0.0, -np.exp(x0 - x2)],
            2 * X,
        ]
    )
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-13)
    jx, jy = cr.jacobian(g_vec, argnums=(0, 1))(f64(X), f64(Y))
    ex, ey = g_vec_jacobians(X, Y)
    np.testing.assert_allclose(jx.numpy(), ex, rtol=1e-13)
    np.testing.assert_allclose(jy.numpy(), ey, rtol=1e-13)


def test_jacobian_scalar_output_and_scalar_input():
    j = cr.jacobian(lambda x: (x**2).sum())(f64(X))
    assert j.shape == (3,)
    np.testing.assert_allclose(j.numpy(), 2 * X, rtol=1e-14)
    j = cr.jacobian(lambda s: cr.stack([s * 2.0, s**3]))(f64(0.5))
    assert j.shape == (2,)
    np.testing.assert_allclose(j.numpy(), [2.0, 0.75], rtol=1e-14)


def test_denominator_layout_is_transpose_of_numerator():
    def f(m):  # (2, 3) -> (2,)
        return cr.logsumexp(m * m, axis=1)

    m = np.array([[0.5, -0.3, 1.1], [0.2, 0.9, -0.6]])
    num = cr.jacobian(f)(f64(m)).numpy()
    den = cr.jacobian(f, layout="denominator")(f64(m)).numpy()
    assert num.shape == (2, 2, 3) and den.shape == (2, 3, 2)
    np.testing.assert_array_equal(den, np.transpose(num, (1, 2, 0)))
    num2 = cr.jacobian(u_map)(f64(X)).numpy()
    np.testing.assert_array_equal(cr.jacobian(u_map, layout="denominator")(f64(X)).numpy(), num2.T)
    with pytest.raises(ValueError, match="layout"):
        cr.jacobian(f, layout="rows")


def test_chain_rule_in_denominator_layout():
    x = f64(X)
    du_dx = cr.jacobian(u_map, layout="denominator")(x).numpy()  # (3, 4)
    dg_du = cr.jacobian(g_map, layout="denominator")(u_map(x)).numpy()  # (4, 2)
    dg_dx = cr.jacobian(lambda t: g_map(u_map(t)), layout="denominator")(x).numpy()  # (3, 2)
    assert du_dx.shape == (3, 4) and dg_du.shape == (4, 2) and dg_dx.shape == (3, 2)
    np.testing.assert_allclose(dg_dx, du_dx @ dg_du, rtol=1e-12)
    fd = fd_jacobian(as_numpy_fn(lambda t: g_map(u_map(t))), X).T  # to denominator layout
    np.testing.assert_allclose(dg_dx, fd, atol=1e-8)


# ----------------------------------------------------------------------------- hessian
def test_hessian_of_sum_of_cubes():
    h = cr.hessian(lambda t: (t**3).sum())(f64(X))
    assert h.shape == (3, 3) and h.dtype == np.float64
    np.testing.assert_allclose(h.numpy(), np.diag(6 * X), rtol=1e-14, atol=0)


def test_hessian_of_logsumexp():
    z = np.array([0.5, -1.0, 2.0, 0.1])
    h = cr.hessian(cr.logsumexp)(f64(z))
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(h.numpy(), np.diag(p) - np.outer(p, p), atol=1e-14)


def test_hessian_of_matrix_argument_and_argnums():
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    h = cr.hessian(lambda m: (m * m * m).sum())(f64(a))
    assert h.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(h.numpy().reshape(4, 4), np.diag(6 * a.reshape(-1)), atol=1e-14)
    h = cr.hessian(lambda c, x: (c * x * x).sum(), argnums=1)(f64(Y), f64(X))
    np.testing.assert_allclose(h.numpy(), np.diag(2 * Y), atol=1e-14)


def test_transforms_nest():
    # grad of a function that itself takes a grad, and the third derivative via jacobian(hessian)
    x = f64(X)
    g2 = cr.grad(lambda t: cr.grad(lambda u: (u**4).sum())(t).sum())(x)
    np.testing.assert_allclose(g2.numpy(), 12 * X**2, rtol=1e-14)
    third = cr.jacobian(cr.hessian(lambda t: (t**4).sum()))(x).numpy()
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 24 * X[i]
    np.testing.assert_allclose(third, expected, atol=1e-13)
    jj = cr.jacobian(cr.jacobian(lambda t: cr.sin(t) * t[0]))(x).numpy()
    numeric = fd_jacobian(lambda v: cr.jacobian(lambda t: cr.sin(t) * t[0])(f64(v)).numpy(), X)
    np.testing.assert_allclose(jj, numeric, atol=1e-8)


# a 2-3-1 tanh network, MSE on a few points; the Hessian is taken w.r.t. the first layer's weights
MLP_X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.1, 0.2]])
MLP_Y = np.array([[0.3], [-0.5], [0.9], [0.0]])
MLP_W1 = np.array([[0.4, -0.6], [0.9, 0.2], [-0.3, 0.7]])  # (hidden=3, in=2)
MLP_B1 = np.array([0.1, -0.2, 0.05])
MLP_W2 = np.array([[0.8, -1.1, 0.5]])
MLP_B2 = np.array([0.3])


def mlp_loss(w1_flat):
    w1 = cr.reshape(w1_flat, (3, 2))
    h = cr.tanh(cr.tensor(MLP_X) @ w1.T + MLP_B1)
    pred = h @ cr.tensor(MLP_W2).T + MLP_B2
    return ((pred - MLP_Y) ** 2).mean()


def test_hessian_of_small_mlp_matches_finite_differences():
    w = MLP_W1.reshape(-1)
    h = cr.hessian(mlp_loss)(f64(w)).numpy()
    assert h.shape == (6, 6)
    grad_fn = cr.grad(mlp_loss)
    eps = 1e-5
    numeric = np.zeros((6, 6))
    for i in range(6):
        step = np.zeros(6)
        step[i] = eps
        numeric[:, i] = (grad_fn(f64(w + step)).numpy() - grad_fn(f64(w - step)).numpy()) / (
            2 * eps
        )
    np.testing.assert_allclose(h, numeric, atol=1e-5)
    np.testing.assert_allclose(h, h.T, atol=1e-12)  # second derivatives commute
    # and the gradient itself against finite differences of the loss
    loss_np = lambda v: as_numpy_fn(mlp_loss)(v)
    np.testing.assert_allclose(grad_fn(f64(w)).numpy(), fd_jacobian(loss_np, w), atol=1e-8)


# ----------------------------------------------------------------------------- gradcheck
@primitive("test_transforms_bad_square")
def _test_transforms_bad_square(x):
    return x * x


# deliberately wrong: d(x²)/dx is 2x, this rule says 3x
_test_transforms_bad_square.defvjp(lambda F, g, out, x: g * 3 * x)


@primitive("test_transforms_bad_scale")
def _test_transforms_bad_scale(a, b):
    return a * b


# right for a, wrong for b (it should be g·a)
_test_transforms_bad_scale.defvjp(lambda F, g, out, a, b: g * b, lambda F, g, out, a, b: g * b)


def test_gradcheck_passes_on_correct_functions():
    assert cr.gradcheck(lambda a, b: (cr.tanh(a) * b).sum(), cr.randn(3), cr.randn(3))
    assert cr.gradcheck(lambda a, k: a * k, cr.randn(2, 2), 3)  # non-float args pass through


def test_gradcheck_error_names_input_index_and_values():
    x = np.array([0.5, -1.5, 2.0])
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda t: _test_transforms_bad_square(t), x)
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "input 0" in message
    v0 = np.random.default_rng(0).standard_normal(3)[0]  # gradcheck's cotangent (its seed 0)
    assert "index (0,)" in message
    assert f"analytic {3 * x[0] * v0:.10g}" in message
    numeric = float(message.split("numeric ")[1].split(" ")[0])
    np.testing.assert_allclose(numeric, 2 * x[0] * v0, rtol=1e-6)


def test_gradcheck_error_names_the_wrong_input():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[0.5, -1.0], [2.0, 0.25]])
    with pytest.raises(cr.GradcheckError, match=r"input 1 at index \(0, 0\)"):
        cr.gradcheck(_test_transforms_bad_scale, a, b)
    with pytest.raises(cr.GradcheckError, match="input 2"):
        cr.gradcheck(lambda k, x, y: _test_transforms_bad_scale(x, y) * k, 2, a, b)


def test_gradcheck_rejects_bad_calls():
    with pytest.raises(ValueError, match="floating"):
        cr.gradcheck(lambda k: cr.tensor([1.0]) * k, 3)
    with pytest.raises(TypeError, match="float64"):
        cr.gradcheck(lambda t: t.astype(cr.float32), np.ones(2))


def test_test_primitives_do_not_clobber_registry_names():
    from chainrule.autograd import OPS, RAW

    assert getattr(RAW, "test_transforms_bad_square", None) is not None
    assert RAW.mul is not _test_transforms_bad_square
    assert OPS.mul is cr.mul
