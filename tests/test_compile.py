"""chainrule.compile: a recorded step replays to the same weights as the eager step, records
again (or falls back to eager) when the arguments change, and refuses what it cannot replay."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.compile import CompileError
from chainrule.nn.losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss

RTOL, ATOL = 1e-5, 1e-6


def _data(n: int, d: int, classes: int | None, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    if classes is None:  # 0/1 targets of shape (n, 1), for BCE on logits
        y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.float32).reshape(-1, 1)
    else:
        y = rng.integers(0, classes, n)
    return X, y


def _train(make_step, sizes, activation, loss_fn, X, y, batch, steps, compiled, opt_kw=None):
    """Train a fresh seeded model for ``steps`` steps; return (weights, losses, step)."""
    model = nn.mlp(sizes, activation, seed=0)
    opt = make_step(model, **(opt_kw or {}))

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    fn = cr.compile(step) if compiled else step
    losses = []
    order = np.random.default_rng(1).permutation(X.shape[0])
    for i in range(steps):
        start = (i * batch) % X.shape[0]
        idx = order[start : start + batch]
        losses.append(fn(cr.Tensor(X[idx]), cr.Tensor(y[idx])).item())
    return [p.numpy().copy() for p in model.parameters()], losses, fn, model


def _sgd(model, **kw):
    return optim.SGD(model.parameters(), lr=kw.pop("lr", 0.05), **kw)


def _assert_same(a, b):
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- same weights
def test_c_like_compiled_equals_eager_over_100_steps():
    # 2-16-16-1 tanh, BCE on logits, batch 1: pure SGD
    X, y = _data(64, 2, None)
    args = (_sgd, (2, 16, 16, 1), "tanh", binary_cross_entropy_with_logits, X, y, 1, 100)
    eager_w, eager_l, _, _ = _train(*args, compiled=False)
    comp_w, comp_l, fn, _ = _train(*args, compiled=True)
    _assert_same(eager_w, comp_w)
    np.testing.assert_allclose(comp_l, eager_l, rtol=RTOL, atol=ATOL)
    assert fn.stats == {"compiles": 1, "replays": 99, "eager": 0}


def test_a_like_compiled_equals_eager_over_100_steps():
    # a small 784-256-256-10 stand-in: 20-32-32-5 relu, softmax cross-entropy, batch 16
    X, y = _data(160, 20, 5)
    args = (_sgd, (20, 32, 32, 5), "relu", cross_entropy, X, y, 16, 100)
    eager_w, eager_l, _, _ = _train(*args, compiled=False)
    comp_w, comp_l, fn, _ = _train(*args, compiled=True)
    _assert_same(eager_w, comp_w)
    np.testing.assert_allclose(comp_l, eager_l, rtol=RTOL, atol=ATOL)
    assert fn.stats["compiles"] == 1 and fn.stats["replays"] == 99


@pytest.mark.parametrize("activation", ["sigmoid", "gelu", "leaky_relu"])
def test_other_activations_and_full_batch(activation):
    X, y = _data(50, 2, None)
    args = (_sgd, (2, 8, 8, 1), activation, binary_cross_entropy_with_logits, X, y, 50, 30)
    eager_w, _, _, _ = _train(*args, compiled=False)
    comp_w, _, _, _ = _train(*args, compiled=True)
    _assert_same(eager_w, comp_w)


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda m: optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True),
        lambda m: optim.SGD(m.parameters(), lr=0.05, weight_decay=0.01),
        lambda m: optim.Adam(m.parameters(), lr=0.01),
    ],
    ids=["sgd-nesterov", "sgd-decay", "adam"],
)
def test_other_optimisers_replay_through_their_own_step(make_opt):
    X, y = _data(96, 20, 5)
    args = (lambda m: make_opt(m), (20, 16, 5), "tanh", cross_entropy, X, y, 16, 40)
    eager_w, _, _, _ = _train(*args, compiled=False)
    comp_w, _, _, _ = _train(*args, compiled=True)
    _assert_same(eager_w, comp_w)


def test_grads_and_learning_rate_changes_are_seen():
    X, y = _data(32, 4, None)
    model = nn.mlp((4, 6, 1), "tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)

    @cr.compile
    def step(xb, yb):
        opt.zero_grad()
        loss = mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    xb, yb = cr.Tensor(X), cr.Tensor(y)
    step(xb, yb)
    step(xb, yb)
    assert all(p.grad is not None for p in model.parameters())
    before = [p.numpy().copy() for p in model.parameters()]
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    opt.param_groups[0]["lr"] = 0.0  # a scheduler's change is read at every replay
    step(xb, yb)
    _assert_same(before, [p.numpy() for p in model.parameters()])
    # the gradients of the last step are those of the unchanged weights
    assert not all(np.array_equal(g, p.grad.numpy()) for g, p in zip(grads, model.parameters()))


# ----------------------------------------------------------------------------- fallback
def test_shape_change_records_again_with_identical_results():
    # the last batch of an epoch is smaller: a second recording, then both are replayed
    X, y = _data(40, 20, 5)
    sizes = (20, 16, 5)

    def run(compiled):
        model = nn.mlp(sizes, "relu", seed=0)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(xb, yb):
            opt.zero_grad()
            loss = cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        fn = cr.compile(step) if compiled else step
        for _ in range(6):  # 16 + 16 + 8 rows per epoch
            for start in range(0, 40, 16):
                fn(cr.Tensor(X[start : start + 16]), cr.Tensor(y[start : start + 16]))
        return [p.numpy().copy() for p in model.parameters()], fn

    eager_w, _ = run(False)
    comp_w, fn = run(True)
    _assert_same(eager_w, comp_w)
    assert fn.stats == {"compiles": 2, "replays": 16, "eager": 0}


def test_dtype_change_records_again_and_cache_limit_falls_back_to_eager():
    w = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (cr.tanh(w * x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    fn = cr.compile(step, max_cache=2)
    ref = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    ref_opt = optim.SGD([ref], lr=0.1)

    def ref_step(x):
        ref_opt.zero_grad()
        loss = (cr.tanh(ref * x) ** 2).sum()
        loss.backward()
        ref_opt.step()
        return loss

    inputs = [
        cr.tensor([0.5, 1.0], dtype=cr.float64),
        cr.tensor([0.5, 1.0], dtype=cr.float32),  # another dtype: recorded again
        cr.tensor([0.5, 1.0], dtype=cr.float64),
        cr.tensor([[0.5, 1.0]], dtype=cr.float64),  # a third signature: cache full, eager
        cr.tensor([0.5, 1.0], dtype=cr.float32),
    ]
    for x in inputs:
        np.testing.assert_allclose(fn(x).numpy(), ref_step(x).numpy(), rtol=1e-12)
        np.testing.assert_allclose(w.numpy(), ref.numpy(), rtol=1e-12)
    assert fn.stats == {"compiles": 2, "replays": 2, "eager": 1}
    fn.reset()
    fn(inputs[0])
    assert fn.stats["compiles"] == 3


def test_no_grad_mode_is_part_of_the_signature():
    w = cr.tensor([2.0], requires_grad=True)
    fn = cr.compile(lambda x: w * x)
    assert fn(cr.ones(1)).item() == 2.0
    with cr.no_grad():
        assert fn(cr.ones(1)).item() == 2.0
    assert fn.stats["compiles"] == 2


def test_returned_structures_and_arrays_as_arguments():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)

    @cr.compile
    def step(x):  # a NumPy array argument, wrapped inside the step
        opt.zero_grad()
        y = w * cr.as_tensor(x)
        loss = y.sum()
        loss.backward()
        opt.step()
        return {"loss": loss, "parts": (y, None)}

    out = step(np.ones(2, np.float32))
    out = step(np.full(2, 2.0, np.float32))
    assert set(out) == {"loss", "parts"}
    np.testing.assert_allclose(out["parts"][0].numpy(), [1.0, 3.0])  # w after one step: [.5, 1.5]
    assert out["loss"].item() == 4.0 and out["parts"][1] is None
    np.testing.assert_allclose(w.numpy(), [-0.5, 0.5])


# ----------------------------------------------------------------------------- refusals
def _step_with(body):
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = body(w, x)
        loss.backward()
        opt.step()
        return loss

    return cr.compile(step)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda w, x: (w * x).sum() if (w * x).sum().item() > 0 else (w - x).sum(), "reading"),
        (lambda w, x: (w * x * cr.randn(2)).sum(), "outside chainrule ops"),
        (lambda w, x: (w * cr.tensor(x.numpy() * 2)).sum(), "reading"),
        (lambda w, x: (w * nn.functional.dropout(x, 0.5)).sum(), "outside chainrule ops"),
    ],
    ids=["item", "random", "numpy", "dropout"],
)
def test_unsupported_steps_raise_a_clear_error(body, message):
    fn = _step_with(body)
    with pytest.raises(CompileError, match=message):
        fn(cr.ones(2))


def test_in_place_ops_and_closures_are_refused():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def inplace(x):
        y = w * x
        with cr.no_grad():
            z = y.detach()
            z += 1
        return z

    with pytest.raises(CompileError, match="in-place"):
        cr.compile(inplace)(cr.ones(2))

    def with_closure(x):
        return opt.step(lambda: (w * x).sum())

    with pytest.raises(CompileError, match="closure"):
        cr.compile(with_closure)(cr.ones(2))

    def returns_float(x):
        return 3.5 + 0j if False else object()

    with pytest.raises(CompileError, match="returns a object"):
        cr.compile(returns_float)(cr.ones(2))
    # after a refusal nothing stays patched
    assert cr.tensor([1.5]).item() == 1.5
    from chainrule import autograd

    assert autograd._trace_hook is None


def test_bad_arguments():
    with pytest.raises(TypeError):
        cr.compile(3)
    with pytest.raises(ValueError):
        cr.compile(lambda: None, max_cache=-1)
    fn = cr.compile(max_cache=1)(lambda x: x * 2)
    assert fn(cr.ones(1)).item() == 2.0
    assert "compiled" in repr(fn) and fn.sources and "def _replay" in fn.sources[0]


# ----------------------------------------------------------------------------- on the engine
def test_a_parameter_changed_outside_an_optimiser_is_refused():
    w = cr.tensor([1.0, 2.0], requires_grad=True)

    def manual(x):
        loss = (w * x).sum()
        loss.backward()
        with cr.no_grad():
            w._data -= 0.1 * w.grad._data  # raw array code: a replay would not repeat it
        return loss

    with pytest.raises(CompileError, match="other than through an optimizer"):
        cr.compile(manual)(cr.ones(2))

    def pytorch_idiom(x):
        loss = (w * x).sum()
        loss.backward()
        with cr.no_grad():
            w.data -= 0.1 * w.grad.data  # in place on a Tensor, as in PyTorch
        return loss

    with pytest.raises(CompileError, match="in-place tensor operation"):
        cr.compile(pytorch_idiom)(cr.ones(2))


class _SignSGD(optim.Optimizer):
    """An optimiser of the test's own: compile replays its step, whatever its update is."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def _init_state(self, p, group):
        return {}

    def _update(self, p, grad, state, group):
        p._data -= group["lr"] * np.sign(grad)


def test_a_custom_optimiser_replays_its_own_update():
    X, y = _data(48, 4, None)
    args = (lambda m: _SignSGD(m.parameters(), 0.01), (4, 8, 1), "tanh", mse_loss, X, y, 8, 12)
    eager_w, eager_l, _, _ = _train(*args, compiled=False)
    comp_w, comp_l, fn, _ = _train(*args, compiled=True)
    _assert_same(eager_w, comp_w)
    np.testing.assert_allclose(comp_l, eager_l, rtol=RTOL, atol=ATOL)
    assert fn.stats["replays"] == 11
