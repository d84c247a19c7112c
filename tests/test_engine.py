"""The engine's behaviour: backward semantics, grad mode, in-place rules, dtypes, errors, Tensor API."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr


def f64(data, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(data, dtype=cr.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- backward
def test_leaf_grads_accumulate_until_set_to_none():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4, 6])
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5, 7, 9])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3, 3])


def test_grad_is_a_tensor_without_graph_of_the_leaf_shape():
    w = cr.tensor([[1.0, 2.0]], requires_grad=True)
    (w * cr.tensor([[1.0], [2.0], [3.0]])).sum().backward()  # broadcast (1,2) against (3,1)
    assert isinstance(w.grad, cr.Tensor)
    assert w.grad.shape == (1, 2)
    assert w.grad.requires_grad is False and w.grad.grad_fn is None
    np.testing.assert_array_equal(w.grad.numpy(), [[6, 6]])


def test_only_leaves_that_require_grad_get_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    h = x * c
    (h * h).sum().backward()
    assert c.grad is None
    assert h.grad is None  # intermediate results keep no gradient
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.array([1.0, 2.0]) * np.array([9.0, 16.0]))


def test_second_backward_through_freed_graph_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (cr.exp(x) * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_grads_double():
    x = f64([1.0, 2.0], requires_grad=True)
    y = (cr.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    expected = np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))
    np.testing.assert_allclose(first, expected, rtol=1e-14)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * expected, rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_shared_subgraph_gradients_add_up():
    x = f64([0.5, -1.5], requires_grad=True)
    h = cr.tanh(x)
    y = (h * h + 3.0 * h + h).sum()  # h used three times
    y.backward()
    t = np.tanh([0.5, -1.5])
    np.testing.assert_allclose(x.grad.numpy(), (2 * t + 4) * (1 - t**2), rtol=1e-14)


@pytest.mark.parametrize("order", ["h + exp(h)", "exp(h) + h"])
def test_diamond_graph_waits_for_every_consumer(order):
    # h is read by + directly and through exp: its node must run after both have passed it their
    # gradient, whichever order the arguments come in
    x = f64([0.3, -0.2], requires_grad=True)
    h = x * 2.0
    y = h + cr.exp(h) if order == "h + exp(h)" else cr.exp(h) + h
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 + np.exp(2 * x.numpy())), rtol=1e-14)


def test_deeper_diamonds():
    x = f64([0.7], requires_grad=True)
    a = cr.sin(x)
    b = a * a  # a twice
    c = cr.exp(a) + b  # a again, and b
    d = c * b + a  # c, b and a once more
    d.sum().backward()
    s, co = np.sin(0.7), np.cos(0.7)
    # d = (e^s + s²)·s² + s  ->  dd/ds = (e^s + 2s)·s² + (e^s + s²)·2s + 1
    dd_ds = (np.exp(s) + 2 * s) * s**2 + (np.exp(s) + s**2) * 2 * s + 1
    np.testing.assert_allclose(x.grad.numpy(), [dd_ds * co], rtol=1e-14)


def test_deep_chain_of_100000_ops_has_no_recursion_error():
    x = f64([1.0], requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.00001 if i % 2 else y + 0.5  # d/dx: only the products count
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.00001**50_000], rtol=1e-10)
    # and a long graph can be dropped without backward (no deep recursion when it is freed)
    z = x
    for _ in range(100_000):
        z = cr.sin(z) + z
    del z


def test_backward_on_non_scalar_needs_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"gradient") as info:
        y.backward()
    message = str(info.value)
    assert "(2,)" in message
    assert "ones_like" in message or "sum()" in message  # tells what to pass


def test_backward_with_gradient_for_non_scalar():
    x = f64([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * x
    v = np.array([[1.0, -1.0], [0.5, 2.0]])
    y.backward(gradient=v)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy() * v)
    x.grad = None
    (x * 3.0).backward(cr.tensor(v))  # a Tensor (float32) seed is cast to the output's dtype
    np.testing.assert_array_equal(x.grad.numpy(), 3 * v)
    assert x.grad.dtype == np.float64
    with pytest.raises(ValueError, match=r"\(3,\)"):
        (x * 3.0).backward(np.ones(3))


def test_backward_of_size_one_non_scalar_and_of_a_leaf():
    x = cr.tensor([[2.0]], requires_grad=True)
    (x * x).backward()  # a single element needs no gradient argument
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0]])
    leaf = cr.tensor(3.0, requires_grad=True)
    leaf.backward()
    assert leaf.grad.item() == 1.0


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0]).sum().backward()


def test_create_graph_gives_second_derivatives():
    x = f64([1.0, -2.0, 0.5], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.numpy(), 3 * x.numpy() ** 2, rtol=1e-14)
    assert first.requires_grad and first.grad_fn is not None
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy(), rtol=1e-14)


def test_create_graph_third_derivative_of_sin():
    x = f64([0.3, 1.2], requires_grad=True)
    cr.sin(x).sum().backward(create_graph=True)
    g1, x.grad = x.grad, None
    g1.sum().backward(create_graph=True)
    g2, x.grad = x.grad, None
    g2.sum().backward()
    np.testing.assert_allclose(g1.numpy(), np.cos(x.numpy()), rtol=1e-14)
    np.testing.assert_allclose(g2.numpy(), -np.sin(x.numpy()), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), -np.cos(x.numpy()), rtol=1e-14)


# ----------------------------------------------------------------------------- grad mode
def test_no_grad_records_no_graph():
    w = cr.ones(3, requires_grad=True)
    with cr.no_grad():
        y = (w * 2.0).sum()
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert y.grad_fn is None
    assert y.requires_grad is False
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_and_enable_grad_nest():
    w = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            inner = w * 2.0
            with cr.no_grad():
                innermost = w * 2.0
            assert cr.is_grad_enabled()
        outer = w * 2.0
        assert not cr.is_grad_enabled()
    assert inner.requires_grad and inner.grad_fn is not None
    assert not innermost.requires_grad
    assert not outer.requires_grad
    with cr.set_grad_enabled(False):
        assert not (w * 1.0).requires_grad
    assert cr.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(KeyError), cr.no_grad():
        raise KeyError("boom")
    assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    w = cr.ones(2, requires_grad=True)

    @cr.no_grad()
    def evaluate(t):
        assert not cr.is_grad_enabled()
        return t * 2.0

    @cr.enable_grad()
    def train(t):
        assert cr.is_grad_enabled()
        return t * 2.0

    assert evaluate.__name__ == "evaluate"
    assert not evaluate(w).requires_grad
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert train(w).requires_grad
        assert not cr.is_grad_enabled()
    # the same decorated function reused, also recursively
    assert not evaluate(w).requires_grad and not evaluate(w).requires_grad


def test_grad_mode_is_thread_local():
    w = cr.ones(2, requires_grad=True)
    started = threading.Event()
    seen = {}

    def worker():
        started.wait(5)  # runs while the main thread is inside no_grad
        seen["enabled"] = cr.is_grad_enabled()
        seen["records"] = (w * 2.0).requires_grad
        with cr.no_grad():
            seen["inside"] = cr.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    with cr.no_grad():
        started.set()
        thread.join(5)
    assert seen == {"enabled": True, "records": True, "inside": False}
    assert cr.is_grad_enabled()


def test_worker_no_grad_does_not_affect_main_thread():
    inside, leave = threading.Event(), threading.Event()

    def worker():
        with cr.no_grad():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    try:
        assert cr.is_grad_enabled()
        assert (cr.ones(1, requires_grad=True) * 2.0).requires_grad
    finally:
        leave.set()
        thread.join(5)


# ----------------------------------------------------------------------------- in place
INPLACE = {
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "zero_": lambda t: t.zero_(),
}
INPLACE_EXPECTED = {
    "+=": [2.0, 3.0],
    "-=": [0.0, 1.0],
    "*=": [2.0, 4.0],
    "/=": [0.5, 1.0],
    "setitem": [5.0, 2.0],
    "zero_": [0.0, 0.0],
}


@pytest.mark.parametrize("op", sorted(INPLACE))
def test_inplace_on_tensor_without_grad(op):
    t = cr.tensor([1.0, 2.0])
    data = t._data
    out = INPLACE[op](t)
    assert out is None or out is t
    np.testing.assert_array_equal(t.numpy(), INPLACE_EXPECTED[op])
    assert t._data is data  # really in place


@pytest.mark.parametrize("op", sorted(INPLACE))
def test_inplace_on_tensor_requiring_grad_raises(op):
    leaf = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        INPLACE[op](leaf)
    np.testing.assert_array_equal(leaf.numpy(), [1.0, 2.0])
    nonleaf = leaf * 1.0
    with pytest.raises(RuntimeError):
        INPLACE[op](nonleaf)
    with cr.no_grad(), pytest.raises(RuntimeError):
        INPLACE[op](nonleaf)  # a recorded result stays protected even under no_grad


@pytest.mark.parametrize("op", sorted(INPLACE))
def test_inplace_on_leaf_under_no_grad(op):
    leaf = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        INPLACE[op](leaf)
    np.testing.assert_array_equal(leaf.numpy(), INPLACE_EXPECTED[op])
    assert leaf.requires_grad and leaf.is_leaf


def test_inplace_operators_with_python_syntax():
    t = cr.tensor([1.0, 2.0])
    t += cr.tensor([1.0, 1.0])
    t *= 3
    t -= 1
    t /= 2
    t[1] = cr.tensor(0.0)
    np.testing.assert_array_equal(t.numpy(), [2.5, 0.0])
    assert t.dtype == np.float32


def test_sgd_style_update_under_no_grad():
    w = cr.tensor([1.0, -1.0], requires_grad=True)
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.25 * w.grad
    np.testing.assert_array_equal(w.numpy(), [0.5, -0.5])
    assert w.is_leaf and w.requires_grad


# ----------------------------------------------------------------------------- comparisons
@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda a, b: a < b, [True, False, False]),
        (lambda a, b: a <= b, [True, True, False]),
        (lambda a, b: a > b, [False, False, True]),
        (lambda a, b: a >= b, [False, True, True]),
        (lambda a, b: a == b, [False, True, False]),
        (lambda a, b: a != b, [True, False, True]),
    ],
)
def test_comparisons_give_bool_tensors_without_grad(op, expected):
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = op(a, cr.tensor([2.0, 2.0, 2.0]))
    assert isinstance(out, cr.Tensor)
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(op(a, 2.0).numpy(), expected)  # against a scalar too


def test_logic_on_bool_tensors():
    a = cr.tensor([True, True, False])
    b = cr.tensor([True, False, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, False])
    np.testing.assert_array_equal((~a).numpy(), [False, False, True])
    assert (a & b).dtype == np.bool_


def test_tensor_is_hashable_by_identity():
    a, b = cr.tensor([1.0]), cr.tensor([1.0])
    assert len({a, b, a}) == 2


# ----------------------------------------------------------------------------- dtypes
def test_default_dtype_is_float32():
    assert cr.get_default_dtype() == np.float32
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor(1.5).dtype == np.float32
    assert cr.zeros(2).dtype == np.float32
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True]).dtype == np.bool_
    assert cr.tensor(np.ones(2, dtype=np.float64)).dtype == np.float64  # arrays keep their dtype


def test_set_default_dtype_and_context():
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor([1.0]).dtype == np.float64
        assert cr.randn(2, generator=cr.Generator(0)).dtype == np.float64
        assert cr.arange(0.0, 1.0, 0.5).dtype == np.float64
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.tensor([1.0]).dtype == np.float32
    with cr.default_dtype("float64"):
        assert cr.ones(1).dtype == np.float64
        with cr.default_dtype(cr.float16):
            assert cr.full((2,), 3.0).dtype == np.float16
        assert cr.get_default_dtype() == np.float64
    assert cr.get_default_dtype() == np.float32
    with pytest.raises(TypeError):
        cr.set_default_dtype(cr.int64)
    assert cr.get_default_dtype() == np.float32


def test_default_dtype_context_restores_after_error():
    with pytest.raises(ZeroDivisionError), cr.default_dtype(cr.float64):
        raise ZeroDivisionError
    assert cr.get_default_dtype() == np.float32


SCALAR_OPS = [
    lambda t, s: t + s,
    lambda t, s: s + t,
    lambda t, s: t - s,
    lambda t, s: s - t,
    lambda t, s: t * s,
    lambda t, s: s * t,
    lambda t, s: t / s,
    lambda t, s: s / t,
    lambda t, s: t**s,
    lambda t, s: s**t,
]


@pytest.mark.parametrize("op", SCALAR_OPS)
@pytest.mark.parametrize("scalar", [2.5, np.float64(2.5), 2, np.int64(2)], ids=repr)
def test_scalars_never_upcast_float32(op, scalar):
    t = cr.tensor([1.5, 2.0], requires_grad=True)
    out = op(t, scalar)
    assert isinstance(out, cr.Tensor)
    assert out.dtype == np.float32
    expected = op(np.array([1.5, 2.0], dtype=np.float32), float(scalar))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    out.sum().backward()
    assert t.grad.dtype == np.float32


def test_float16_storage_forward():
    h = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float16)
    out = cr.sigmoid(h * 2.0 + 1) - cr.tanh(h) / 2
    assert out.dtype == np.float16
    x = np.array([0.5, -1.0, 2.0])
    expected = 1 / (1 + np.exp(-(2 * x + 1))) - np.tanh(x) / 2
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected, atol=3e-3)
    assert (h @ h).dtype == np.float16
    assert h.sum().dtype == np.float16
    assert cr.softmax(h, axis=0).dtype == np.float16


def test_grads_have_the_dtype_of_their_leaf():
    a = cr.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = f64([3.0, 4.0], requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32
    assert b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    h = cr.tensor([1.0, 2.0], dtype=cr.float16, requires_grad=True)
    (h * b).sum().backward()
    assert h.grad.dtype == np.float16


@pytest.mark.parametrize("dtype", [cr.int64, cr.int32, cr.bool_])
def test_non_float_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match="floating"):
        cr.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(TypeError):
        cr.tensor([1, 0], dtype=dtype).requires_grad_()
    with pytest.raises(TypeError):
        cr.zeros(2, dtype=dtype, requires_grad=True)


def test_casting_to_int_gives_no_gradient():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    i = x.astype(cr.int64)
    assert i.dtype == np.int64
    assert not i.requires_grad and i.grad_fn is None
    np.testing.assert_array_equal(i.numpy(), [1, 2])


# ----------------------------------------------------------------------------- errors
def test_ragged_list_is_a_value_error():
    with pytest.raises(ValueError, match="ragged"):
        cr.tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("data", [["a", "b"], "text", [object()], [1.0, None]], ids=repr)
def test_strings_and_objects_are_type_errors(data):
    with pytest.raises(TypeError, match="expected numbers or booleans") as info:
        cr.tensor(data)
    assert "dtype" in str(info.value)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as info:
        cr.ones((2, 3)) @ cr.ones((4, 5))
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)
    with pytest.raises(ValueError) as info:
        cr.matmul(cr.ones(3), cr.ones(4))
    assert "(3,)" in str(info.value) and "(4,)" in str(info.value)
    with pytest.raises(ValueError):
        cr.matmul(cr.ones(()), cr.ones(3))


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as info:
        cr.ones((2, 3)) + cr.ones((4,))
    message = str(info.value)
    assert "add" in message and "(2, 3)" in message and "(4,)" in message
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        cr.ones((2, 3)) * cr.ones((3, 2))


def test_item_and_bool_errors():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        cr.ones(2).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.ones(2))
    with pytest.raises(TypeError):
        len(cr.tensor(1.0))


# ----------------------------------------------------------------------------- creation
def test_zeros_ones_full():
    np.testing.assert_array_equal(cr.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(cr.zeros((2, 3)).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(cr.ones(4).numpy(), np.ones(4))
    assert cr.ones((2,), dtype=cr.float64).dtype == np.float64
    np.testing.assert_array_equal(cr.full((2, 2), 7.0).numpy(), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(cr.full(3, -1.0).numpy(), [-1, -1, -1])
    assert cr.zeros(()).shape == ()
    w = cr.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf


def test_arange():
    assert cr.arange(4).tolist() == [0, 1, 2, 3]
    assert cr.arange(4).dtype == np.int64
    assert cr.arange(1, 7, 2).tolist() == [1, 3, 5]
    a = cr.arange(0.0, 1.0, 0.25)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a.numpy(), [0, 0.25, 0.5, 0.75])
    assert cr.arange(3, dtype=cr.float64).dtype == np.float64


def test_rand_randn_reproducible_with_seeded_generator():
    a = cr.randn(3, 4, generator=cr.Generator(7))
    b = cr.randn((3, 4), generator=cr.Generator(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.shape == (3, 4) and a.dtype == np.float32
    expected = np.random.default_rng(7).standard_normal((3, 4), dtype=np.float32)
    np.testing.assert_array_equal(a.numpy(), expected)
    g = cr.Generator(1)
    first, second = cr.rand(5, generator=g), cr.rand(5, generator=g)
    assert not np.array_equal(first.numpy(), second.numpy())  # the stream moves on
    g.manual_seed(1)
    np.testing.assert_array_equal(cr.rand(5, generator=g).numpy(), first.numpy())
    u = cr.rand(1000, generator=cr.Generator(0), dtype=cr.float64)
    assert u.dtype == np.float64 and 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert cr.randn(2, generator=cr.Generator(0), requires_grad=True).requires_grad


def test_manual_seed_makes_global_stream_reproducible():
    cr.manual_seed(123)
    a = cr.randn(4)
    cr.manual_seed(123)
    np.testing.assert_array_equal(cr.randn(4).numpy(), a.numpy())


def test_like_functions():
    t = f64(np.arange(6.0).reshape(2, 3))
    for fn, value in [(cr.zeros_like, 0.0), (cr.ones_like, 1.0)]:
        out = fn(t)
        assert out.shape == (2, 3) and out.dtype == np.float64
        np.testing.assert_array_equal(out.numpy(), np.full((2, 3), value))
    full = cr.full_like(t, 2.5, dtype=cr.float32)
    assert full.dtype == np.float32
    np.testing.assert_array_equal(full.numpy(), np.full((2, 3), 2.5))
    r = cr.rand_like(t, generator=cr.Generator(3))
    assert r.shape == (2, 3) and r.dtype == np.float64
    n1 = cr.randn_like(t, generator=cr.Generator(3))
    n2 = cr.randn_like(t, generator=cr.Generator(3))
    np.testing.assert_array_equal(n1.numpy(), n2.numpy())
    assert cr.zeros_like(t, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- Tensor API
def test_tensor_attributes():
    data = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(data)
    assert isinstance(t._data, np.ndarray)  # the raw array; .data is a Tensor, as in PyTorch
    assert isinstance(t.data, cr.Tensor) and np.shares_memory(t.data.numpy(), t.numpy())
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.T.numpy(), data.T)
    assert t.T.shape == (3, 2)
    data[0, 0] = 100.0
    assert t.numpy()[0, 0] == 0.0  # tensor() copies


def test_is_leaf_grad_fn_and_detach():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.grad_fn is None
    y = x * 2.0
    assert not y.is_leaf
    assert y.grad_fn.name == "mul"
    assert cr.exp(x).grad_fn.name == "exp"
    assert (x @ x).grad_fn.name == "matmul"
    assert x.sum().grad_fn.name == "sum"
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d._data, y._data)  # no copy
    z = (d * x).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # d is a constant
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_conversions():
    t = cr.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), [[1.5, 2.0], [3.0, 4.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert cr.tensor([[2.5]]).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    assert float(cr.tensor(2.5)) == 2.5 and int(cr.tensor(7.0)) == 7
    c = t.astype(cr.float64)
    assert c.dtype == np.float64 and t.dtype == np.float32
    assert t.double().dtype == np.float64 and c.float().dtype == np.float32
    assert t.astype("int32").dtype == np.int32
    mixed = np.ones(2) * t  # NumPy defers to the Tensor's reflected operator
    assert isinstance(mixed, cr.Tensor)
    np.testing.assert_array_equal(mixed.numpy(), np.asarray(t))


def test_repr_shows_values_dtype_and_grad_fn():
    x = cr.tensor([1.0, 2.5], requires_grad=True)
    r = repr(x)
    assert r == "tensor([1.0000, 2.5000], requires_grad=True)"
    y = x * 2.0
    assert repr(y) == "tensor([2., 5.], grad_fn=<mul>)"
    # as PyTorch: the dtype is shown only when it is not the default float, int64 or bool
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(cr.tensor([True, False])) == "tensor([ True, False])"
    assert repr(cr.tensor([1.0], dtype=cr.float64)) == "tensor([1.], dtype=float64)"
    assert repr(cr.tensor([1], dtype=cr.int32)) == "tensor([1], dtype=int32)"
    with cr.default_dtype(cr.float64):
        assert repr(cr.tensor([1.0])) == "tensor([1.])"
        assert repr(cr.tensor([1.0], dtype=cr.float32)) == "tensor([1.], dtype=float32)"


def test_indexing_len_and_iteration():
    data = np.arange(12.0).reshape(3, 4)
    t = cr.tensor(data)
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, cr.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[1].numpy(), data[1])
    np.testing.assert_array_equal(t[1:, ::2].numpy(), data[1:, ::2])
    np.testing.assert_array_equal(t[..., -1].numpy(), data[..., -1])
    np.testing.assert_array_equal(t[[2, 0]].numpy(), data[[2, 0]])
    np.testing.assert_array_equal(t[t > 5.0].numpy(), data[data > 5.0])
    np.testing.assert_array_equal(t[cr.tensor([0, 2]), 1].numpy(), data[[0, 2], 1])
    assert t[2, 3].item() == 11.0
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    total = sum(xi * xi for xi in x)  # iteration yields differentiable elements
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 4, 6])


def test_tensor_constructor_and_as_tensor():
    a = np.ones(3)
    t = cr.Tensor(a)
    assert np.shares_memory(t._data, a)  # Tensor() wraps without copying
    assert cr.as_tensor(t) is t
    assert cr.as_tensor(t, cr.float32).dtype == np.float32
    assert cr.tensor(np.float64(1.5)).dtype == np.float64  # a NumPy scalar keeps its dtype
    assert cr.tensor(np.float32(1.5)).dtype == np.float32


def test_method_wrappers_match_numpy():
    data = np.arange(1.0, 7.0).reshape(2, 3)
    t = cr.tensor(data)
    np.testing.assert_allclose(t.mean(axis=0).numpy(), data.mean(axis=0))
    np.testing.assert_allclose(t.var(ddof=1).numpy(), data.var(ddof=1))
    np.testing.assert_allclose(
        t.std(axis=1, keepdims=True).numpy(), data.std(axis=1, keepdims=True, ddof=1)
    )
    np.testing.assert_allclose(t.logsumexp(axis=1).numpy(), np.log(np.exp(data).sum(axis=1)))
    assert t.argmax().item() == 5 and t.argmin(axis=1).tolist() == [0, 0]
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert t.transpose().shape == (3, 2) and t.transpose(1, 0).shape == (3, 2)
    assert t.permute(1, 0).shape == (3, 2) and t.swapaxes(0, 1).shape == (3, 2)
    assert t.unsqueeze(0).shape == (1, 2, 3) and t.expand_dims(-1).shape == (2, 3, 1)
    assert t.unsqueeze(0).squeeze().shape == (2, 3) and t.flatten().shape == (6,)
    assert t.broadcast_to((4, 2, 3)).shape == (4, 2, 3)
    assert (t > 3.0).any() and not (t > 6.0).any() and (t > 0.0).all()
    np.testing.assert_allclose(t.clip(2.0, 5.0).numpy(), data.clip(2.0, 5.0))
    np.testing.assert_allclose(t.matmul(t.T).numpy(), data @ data.T)


def test_no_grad_and_enable_grad_work_as_bare_decorators():
    w = cr.ones(2, requires_grad=True)

    @cr.no_grad
    def doubled(t):
        return t * 2

    @cr.enable_grad
    def tracked(t):
        return t * 2

    assert doubled(w).requires_grad is False
    with cr.no_grad():
        assert tracked(w).requires_grad is True
    assert cr.is_grad_enabled()
