"""Tests of chainrule.optim: optimisers, schedulers, clipping, state dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.nn import Parameter
from chainrule.optim import lr_scheduler

# ----------------------------------------------------------------------------- helpers

# (name, factory, keyword arguments for torch's class of the same name)
OPTIMIZERS = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), ("SGD", {"lr": 0.1})),
    "sgd_wd": (
        lambda p: optim.SGD(p, lr=0.1, weight_decay=0.1),
        ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ),
    "sgd_momentum": (
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.05),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.05}),
    ),
    "sgd_nesterov": (
        lambda p: optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True),
        ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    ),
    "adam": (lambda p: optim.Adam(p, lr=0.05), ("Adam", {"lr": 0.05})),
    "adam_wd_amsgrad": (
        lambda p: optim.Adam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
        ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ),
    "adamw": (
        lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
        ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ),
    "adamw_amsgrad": (
        lambda p: optim.AdamW(p, lr=0.05, amsgrad=True),
        ("AdamW", {"lr": 0.05, "amsgrad": True}),
    ),
    "rmsprop": (lambda p: optim.RMSprop(p, lr=0.01), ("RMSprop", {"lr": 0.01})),
    "rmsprop_centered_momentum": (
        lambda p: optim.RMSprop(
            p, lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5, centered=True
        ),
        (
            "RMSprop",
            {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "momentum": 0.5, "centered": True},
        ),
    ),
    "adagrad": (lambda p: optim.Adagrad(p, lr=0.1), ("Adagrad", {"lr": 0.1})),
    "adagrad_decay": (
        lambda p: optim.Adagrad(
            p, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5
        ),
        (
            "Adagrad",
            {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
        ),
    ),
}


def _random_grads(rng: np.random.Generator, shapes: list[tuple], steps: int) -> list[list]:
    return [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]


# ----------------------------------------------------------------------------- least squares
@pytest.fixture(scope="module")
def least_squares():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.standard_normal(50)
    A = np.hstack([X, np.ones((50, 1))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    return cr.tensor(X), cr.tensor(y), solution


LEAST_SQUARES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.2), None, 200),
    "sgd_momentum": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9), None, 300),
    "sgd_nesterov": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True), None, 300),
    "adam": (lambda p: optim.Adam(p, lr=0.05), None, 1000),
    "adam_amsgrad": (lambda p: optim.Adam(p, lr=0.05, amsgrad=True), None, 1000),
    "adamw": (lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.0), None, 1000),
    # fixed-lr RMSprop hovers at a distance ~lr from the optimum: anneal it
    "rmsprop": (
        lambda p: optim.RMSprop(p, lr=0.05),
        lambda o: optim.ExponentialLR(o, gamma=0.995),
        1000,
    ),
    "rmsprop_centered_momentum": (
        lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
        lambda o: optim.ExponentialLR(o, gamma=0.995),
        1000,
    ),
    "adagrad": (lambda p: optim.Adagrad(p, lr=0.5), None, 500),
}


@pytest.mark.parametrize("name", list(LEAST_SQUARES))
def test_least_squares_reaches_lstsq_solution(least_squares, name):
    X, y, solution = least_squares
    make, make_sched, steps = LEAST_SQUARES[name]
    w = Parameter(np.zeros(3))
    b = Parameter(np.zeros(1), regularize=False)
    opt = make([w, b])
    sched = make_sched(opt) if make_sched else None
    for _ in range(steps):
        opt.zero_grad()
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    assert w.dtype == np.float64
    found = np.concatenate([w.numpy(), b.numpy()])
    np.testing.assert_allclose(found, solution, rtol=0, atol=1e-4)


# ----------------------------------------------------------------------------- hand-computed steps
def test_sgd_momentum_nesterov_by_hand():
    # g = 2w on w = 1: step 1 buf = g; step 2 buf = μ buf + g
    w = cr.tensor([1.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    w.grad = cr.tensor([2.0], dtype="float64")
    opt.step()  # buf = 2, step = 2 + 0.5·2 = 3
    assert w.item() == pytest.approx(0.7, abs=1e-15)
    w.grad = cr.tensor([1.0], dtype="float64")
    opt.step()  # buf = 0.5·2 + 1 = 2, step = 1 + 0.5·2 = 2
    assert w.item() == pytest.approx(0.5, abs=1e-15)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.0])


def test_adam_first_steps_by_hand():
    w = cr.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    opt = optim.Adam([w], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    g1, g2 = np.array([0.5, -1.0]), np.array([0.25, 3.0])
    expected = w.numpy().copy()
    m = v = np.zeros(2)
    for t, g in enumerate([g1, g2], start=1):
        w.grad = cr.tensor(g)
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)
    assert opt.state[w]["step"] == 2


def test_adamw_decay_is_decoupled():
    w = cr.tensor([2.0], dtype="float64", requires_grad=True)
    w.grad = cr.tensor([0.0], dtype="float64")
    optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    assert w.item() == pytest.approx(2.0 * (1 - 0.05), abs=1e-15)
    # coupled decay in Adam goes through the normalisation: a first step of lr·sign
    v = cr.tensor([2.0], dtype="float64", requires_grad=True)
    v.grad = cr.tensor([0.0], dtype="float64")
    optim.Adam([v], lr=0.1, weight_decay=0.5).step()
    assert v.item() == pytest.approx(1.9, abs=1e-7)


def test_adagrad_lr_decay_by_hand():
    w = cr.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optim.Adagrad([w], lr=1.0, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    w.grad = cr.tensor([1.0], dtype="float64")
    opt.step()  # s = 2, clr = 1
    w.grad = cr.tensor([2.0], dtype="float64")
    opt.step()  # s = 6, clr = 1 / 1.5
    assert w.item() == pytest.approx(-1 / math.sqrt(2) - (2 / 1.5) / math.sqrt(6), abs=1e-14)


def _reference(cls: str, kw: dict, params: list, grads: list) -> list:
    """PyTorch's documented algorithms, written plainly in NumPy (float64, all decayed)."""
    lr, wd = kw["lr"], kw.get("weight_decay", 0.0 if cls != "AdamW" else 1e-2)
    params = [x.copy() for x in params]
    state = [{} for _ in params]
    for t, gs in enumerate(grads, start=1):
        for x, g, st in zip(params, gs, state):
            if cls == "AdamW":
                x *= 1 - lr * wd
            else:
                g = g + wd * x
            if cls == "SGD":
                mu, tau = kw.get("momentum", 0.0), kw.get("dampening", 0.0)
                if mu:
                    st["b"] = g.copy() if t == 1 else mu * st["b"] + (1 - tau) * g
                    g = g + mu * st["b"] if kw.get("nesterov") else st["b"]
                x -= lr * g
            elif cls in ("Adam", "AdamW"):
                b1, b2 = kw.get("betas", (0.9, 0.999))
                st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
                st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
                v = st["v"]
                if kw.get("amsgrad"):
                    v = st["vmax"] = np.maximum(st.get("vmax", 0), v)
                mhat, vhat = st["m"] / (1 - b1**t), v / (1 - b2**t)
                x -= lr * mhat / (np.sqrt(vhat) + 1e-8)
            elif cls == "RMSprop":
                a, mu = kw.get("alpha", 0.99), kw.get("momentum", 0.0)
                st["v"] = a * st.get("v", 0) + (1 - a) * g * g
                v = st["v"]
                if kw.get("centered"):
                    st["gbar"] = a * st.get("gbar", 0) + (1 - a) * g
                    v = v - st["gbar"] ** 2
                step = g / (np.sqrt(v) + 1e-8)
                if mu:
                    st["b"] = mu * st.get("b", 0) + step
                    step = st["b"]
                x -= lr * step
            elif cls == "Adagrad":
                st["s"] = st.get("s", kw.get("initial_accumulator_value", 0.0)) + g * g
                clr = lr / (1 + (t - 1) * kw.get("lr_decay", 0.0))
                x -= clr * g / (np.sqrt(st["s"]) + 1e-10)
    return params


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_match_reference_equations(name):
    make, (cls, kwargs) = OPTIMIZERS[name]
    rng = np.random.default_rng(4)
    shapes = [(3, 4), (4,)]
    start = [rng.standard_normal(s) for s in shapes]
    grads = _random_grads(rng, shapes, 20)
    ours = [cr.tensor(x, requires_grad=True) for x in start]
    opt = make(ours)
    for gs in grads:
        for p, g in zip(ours, gs):
            p.grad = cr.tensor(g)
        opt.step()
    expected = _reference(cls, kwargs, start, grads)
    for p, x0, e in zip(ours, start, expected):
        assert not np.allclose(p.numpy(), x0)  # it did move
        np.testing.assert_allclose(p.numpy(), e, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- in place, dtypes
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_updates_in_place_and_never_writes_grads(name):
    make = OPTIMIZERS[name][0]
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    q = Parameter(np.full((2, 3), 2.0, dtype=np.float32))
    data_p, data_q = p._data, q._data
    shared = np.broadcast_to(np.array([0.5, -1.0, 2.0], dtype=np.float32), (2, 3))
    assert not shared.flags.writeable  # a read-only broadcast view, as the engine may give
    p.grad = cr.Tensor(shared)
    q.grad = cr.Tensor(shared)  # the very same array on two parameters
    opt = make([p, q])
    for _ in range(3):
        opt.step()
    assert p._data is data_p and q._data is data_q
    np.testing.assert_array_equal(shared, np.broadcast_to([0.5, -1.0, 2.0], (2, 3)))
    assert p.dtype == np.float32 and q.dtype == np.float32
    assert not np.array_equal(p.numpy(), np.ones((2, 3)))
    for st in opt.state.values():
        for value in st.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, name


def test_none_grad_is_skipped():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0], requires_grad=True)
    a.grad = cr.tensor([1.0, 1.0])
    opt = optim.Adam([a, b], lr=0.1)
    opt.step()
    assert b.tolist() == [3.0]
    assert b not in opt.state and a in opt.state
    np.testing.assert_allclose(a.numpy(), [0.9, 1.9], rtol=1e-6)


def test_zero_grad_and_closure():
    w = cr.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)
    (w * 3).sum().backward()
    old = w.grad._data
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0] and old.tolist() == [3.0]
    opt.zero_grad()
    assert w.grad is None

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with cr.no_grad():  # the closure records its graph anyway
        loss = opt.step(closure)
    assert float(loss) == 4.0 and w.tolist() == [1.0]


def test_param_groups_options():
    a = cr.zeros(2, requires_grad=True)
    b = cr.zeros(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1)
    a.grad = cr.ones(2)
    b.grad = cr.ones(2)
    opt.step()
    np.testing.assert_allclose(a.numpy(), [-0.1, -0.1], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-1.0, -1.0], rtol=1e-6)
    assert "lr: 0.1" in repr(opt) and "Parameter Group 1" in repr(opt)


def test_invalid_arguments():
    w = cr.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([w], lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.AdamW([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([cr.tensor([1, 2])], lr=0.1)
    w.grad = cr.zeros(3)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        optim.SGD([w], lr=0.1).step()


# ----------------------------------------------------------------------------- weight decay
@pytest.mark.parametrize(
    "make",
    [
        lambda p, **kw: optim.SGD(p, lr=0.1, weight_decay=0.5, **kw),
        lambda p, **kw: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.5, **kw),
        lambda p, **kw: optim.Adam(p, lr=0.1, weight_decay=0.5, **kw),
        lambda p, **kw: optim.AdamW(p, lr=0.1, weight_decay=0.5, **kw),
        lambda p, **kw: optim.RMSprop(p, lr=0.1, weight_decay=0.5, **kw),
        lambda p, **kw: optim.Adagrad(p, lr=0.1, weight_decay=0.5, **kw),
    ],
    ids=["sgd", "sgd_momentum", "adam", "adamw", "rmsprop", "adagrad"],
)
def test_weight_decay_applies_to_every_parameter_and_param_groups_opt_out(make):
    # PyTorch: weight_decay decays every parameter given; nn.utils.param_groups leaves biases out
    def setup():
        w = Parameter(np.ones(2))
        b = Parameter(np.ones(2), regularize=False)
        plain = cr.tensor(np.ones(2), requires_grad=True)
        for p in (w, b, plain):
            p.grad = cr.zeros(2, dtype="float64")  # only the decay can move anything
        return w, b, plain

    w, b, plain = setup()
    opt = make([w, b, plain])
    opt.step()
    opt.step()
    assert np.all(w.numpy() < 1.0) and np.all(plain.numpy() < 1.0)
    np.testing.assert_array_equal(b.numpy(), w.numpy())

    w, b, plain = setup()
    groups = cr.nn.utils.param_groups([w, b, plain], weight_decay=0.5)
    assert [len(g["params"]) for g in groups] == [2, 1]
    make(groups).step()
    assert np.all(w.numpy() < 1.0)
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])


# ----------------------------------------------------------------------------- state dicts
def _train(opt, params, grads, target):
    for g in grads:
        for p, gi, t in zip(params, g, target):
            p.grad = cr.tensor(p._data - t + gi)
        opt.step()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_round_trip_is_bit_exact(name):
    make = OPTIMIZERS[name][0]
    rng = np.random.default_rng(1)
    shapes = [(3, 2), (2,)]
    start = [rng.standard_normal(s) for s in shapes]
    target = [rng.standard_normal(s) for s in shapes]
    grads = _random_grads(rng, shapes, 10)

    a = [cr.tensor(x, requires_grad=True) for x in start]
    opt_a = make(a)
    sched_a = lr_scheduler.StepLR(opt_a, step_size=2, gamma=0.7)
    for k in range(5):
        _train(opt_a, a, grads[k : k + 1], target)
        sched_a.step()
    saved_values = [p.numpy().copy() for p in a]
    saved = opt_a.state_dict()
    saved_sched = sched_a.state_dict()
    for k in range(5, 10):  # keeps going: the saved dict must not change
        _train(opt_a, a, grads[k : k + 1], target)
        sched_a.step()

    b = [cr.tensor(x, requires_grad=True) for x in saved_values]
    opt_b = make(b)
    sched_b = lr_scheduler.StepLR(opt_b, step_size=2, gamma=0.7)
    opt_b.load_state_dict(saved)
    sched_b.load_state_dict(saved_sched)
    for k in range(5, 10):
        _train(opt_b, b, grads[k : k + 1], target)
        sched_b.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    assert opt_a.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"]
    assert sched_a.get_last_lr() == sched_b.get_last_lr()


def test_state_dict_format_and_float32():
    w = Parameter(np.ones(3, dtype=np.float32))
    b = Parameter(np.ones(1, dtype=np.float32), regularize=False)
    opt = optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    w.grad = cr.ones(3)
    opt.step()  # b has no grad: no state
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    # float64 arrays (e.g. from a file) are cast to the parameter's dtype
    sd["state"][0] = {k: np.asarray(v, dtype=np.float64) for k, v in sd["state"][0].items()}
    sd["state"][0]["step"] = 1
    other = optim.Adam([{"params": [w]}, {"params": [b]}], lr=0.1)
    other.load_state_dict(sd)
    assert other.state[w]["exp_avg"].dtype == np.float32
    assert other.param_groups[1]["lr"] == 0.5
    assert other.state[w]["exp_avg"] is not opt.state[w]["exp_avg"]


def test_load_state_dict_mismatches_are_value_errors():
    w = cr.zeros(3, requires_grad=True)
    b = cr.zeros(2, requires_grad=True)
    opt = optim.Adam([w, b], lr=0.1)
    w.grad, b.grad = cr.ones(3), cr.ones(2)
    opt.step()
    sd = opt.state_dict()
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in opt.state[w].items()}

    two = optim.Adam([{"params": [w]}, {"params": [b]}])
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        opt.load_state_dict(two.state_dict())
    with pytest.raises(ValueError, match="1 parameter groups, the optimizer has 2"):
        two.load_state_dict(sd)
    with pytest.raises(ValueError, match="group 0: the loaded state dict has 2 parameters, the op"):
        optim.Adam([w]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 1 has shape \(2,\).*\(4,\)"):
        optim.Adam([w, cr.zeros(4, requires_grad=True)]).load_state_dict(sd)
    with pytest.raises(ValueError, match="expects"):
        optim.Adam([w, b], amsgrad=False).load_state_dict(
            optim.SGD([w, b], lr=0.1, momentum=0.9).state_dict()
            | {"state": {0: {"momentum_buffer": np.zeros(3)}}}
        )
    with pytest.raises(ValueError, match="max_exp_avg_sq"):
        optim.Adam([w, b], amsgrad=True).load_state_dict(
            {**sd, "param_groups": [{**sd["param_groups"][0], "amsgrad": True}]}
        )
    with pytest.raises(ValueError, match="parameter 7"):
        optim.Adam([w, b]).load_state_dict({**sd, "state": {7: sd["state"][0]}})
    with pytest.raises(ValueError, match="not an optimizer state dict"):
        opt.load_state_dict({"state": {}})
    # a failed load changes nothing
    bad = {**sd, "state": {0: sd["state"][0], 1: {**sd["state"][1], "exp_avg": np.zeros(5)}}}
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)
    for k, v in before.items():
        np.testing.assert_array_equal(opt.state[w][k], v)


# ----------------------------------------------------------------------------- clipping
def test_clip_grad_norm_scales_to_max_norm_without_mutating():
    a = cr.zeros(2, requires_grad=True)
    b = cr.zeros(1, requires_grad=True)
    c = cr.zeros(1, requires_grad=True)  # no grad: skipped
    a.grad = cr.tensor([3.0, 4.0])
    b.grad = cr.tensor([12.0])
    alias_a, alias_b = a.grad._data, b.grad._data
    total = optim.clip_grad_norm_([a, b, c], max_norm=6.5)
    assert float(total) == pytest.approx(13.0, rel=1e-6)
    clipped = math.sqrt(float((a.grad._data**2).sum() + (b.grad._data**2).sum()))
    assert clipped == pytest.approx(6.5, rel=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), [1.5, 2.0], rtol=1e-5)
    assert alias_a.tolist() == [3.0, 4.0] and alias_b.tolist() == [12.0]
    assert a.grad._data is not alias_a and c.grad is None
    # below the limit: untouched
    assert float(optim.clip_grad_norm_([a, b], max_norm=100.0)) == pytest.approx(6.5, rel=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), [1.5, 2.0], rtol=1e-5)


def test_clip_grad_norm_other_norms_shared_and_readonly_grads():
    p = cr.zeros((2, 2), requires_grad=True)
    q = cr.zeros((2, 2), requires_grad=True)
    view = np.broadcast_to(np.array([-4.0, 2.0], dtype=np.float32), (2, 2))
    p.grad = cr.Tensor(view)
    q.grad = p.grad  # one gradient tensor on two parameters: scaled once, counted once
    assert float(optim.clip_grad_norm_([p, q], max_norm=2.0, norm_type=math.inf)) == 4.0
    np.testing.assert_allclose(p.grad.numpy(), [[-2.0, 1.0], [-2.0, 1.0]], rtol=1e-6)
    assert q.grad is p.grad
    assert view.tolist() == [[-4.0, 2.0], [-4.0, 2.0]]

    r = cr.zeros(3, requires_grad=True)
    r.grad = cr.tensor([1.0, -2.0, 3.0])
    assert float(optim.clip_grad_norm_(r, max_norm=3.0, norm_type=1)) == pytest.approx(6.0)
    np.testing.assert_allclose(r.grad.numpy(), [0.5, -1.0, 1.5], rtol=1e-6)
    assert float(optim.clip_grad_norm_([cr.zeros(1, requires_grad=True)], 1.0)) == 0.0


def test_clip_grad_norm_nonfinite():
    p = cr.zeros(2, requires_grad=True)
    p.grad = cr.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert p.grad._data[1] == 1.0


def test_clip_grad_value():
    p = cr.zeros(3, requires_grad=True)
    view = np.broadcast_to(np.float32(5.0), (3,))
    p.grad = cr.Tensor(view)
    q = cr.zeros(2, requires_grad=True)
    q.grad = cr.tensor([-3.0, 0.25])
    alias = q.grad._data
    optim.clip_grad_value_([p, q, cr.zeros(1, requires_grad=True)], 1.0)
    assert p.grad.tolist() == [1.0, 1.0, 1.0]
    assert q.grad.tolist() == [-1.0, 0.25]
    assert alias.tolist() == [-3.0, 0.25] and view.tolist() == [5.0, 5.0, 5.0]
    with pytest.raises(ValueError):
        optim.clip_grad_value_([p], -1.0)


# ----------------------------------------------------------------------------- schedulers
def _sgd(*lrs):
    return optim.SGD([{"params": [cr.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs], 0.0)


def _lrs(opt, sched, n, group=0):
    out = [opt.param_groups[group]["lr"]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(opt.param_groups[group]["lr"])
    assert sched.get_last_lr()[group] == out[-1]
    return out


def test_step_and_exponential_lr():
    opt = _sgd(1.0, 0.5)
    sched = optim.StepLR(opt, step_size=2, gamma=0.1)
    np.testing.assert_allclose(_lrs(opt, sched, 5), [1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-12)
    assert sched.get_last_lr()[1] == pytest.approx(0.005)
    opt = _sgd(2.0)
    np.testing.assert_allclose(
        _lrs(opt, optim.ExponentialLR(opt, gamma=0.5), 4), [2, 1, 0.5, 0.25, 0.125]
    )


def test_cosine_annealing_lr():
    opt = _sgd(1.1)
    got = _lrs(opt, optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1), 6)
    c = math.cos(math.pi / 4) / 2
    expected = [1.1, 0.6 + c, 0.6, 0.6 - c, 0.1, 0.6 - c, 0.6]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_inverse_scaling_lr_matches_sklearn_formula():
    opt = _sgd(0.3)
    got = _lrs(opt, optim.InverseScalingLR(opt, power_t=0.25), 4)
    # scikit-learn: learning_rate_init / pow(t, power_t), t = 1, 2, ...
    np.testing.assert_allclose(got, [0.3 / t**0.25 for t in range(1, 6)], rtol=1e-12)
    assert got[1] == pytest.approx(0.3 / 2**0.25)


def test_linear_warmup_alone_and_wrapping():
    opt = _sgd(1.0)
    np.testing.assert_allclose(
        _lrs(opt, optim.LinearWarmup(opt, 4, start_factor=0.2), 6),
        [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0],
        rtol=1e-12,
    )
    opt = _sgd(1.0, 2.0)
    after = optim.StepLR(opt, step_size=2, gamma=0.5)
    sched = optim.LinearWarmup(opt, 3, start_factor=0.4, after=after)
    np.testing.assert_allclose(
        _lrs(opt, sched, 8), [0.4, 0.6, 0.8, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25], rtol=1e-12
    )
    assert sched.get_last_lr()[1] == pytest.approx(0.5)
    # state dict round trip, nested scheduler included
    sd = sched.state_dict()
    opt2 = _sgd(1.0, 2.0)
    sched2 = optim.LinearWarmup(opt2, 3, start_factor=0.4, after=optim.StepLR(opt2, 2, 0.5))
    sched2.load_state_dict(sd)
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.125, 0.25]
    with pytest.raises(TypeError):
        optim.LinearWarmup(opt, 3, after=optim.ReduceLROnPlateau(opt))
    with pytest.raises(ValueError, match="same optimizer"):
        optim.LinearWarmup(opt, 3, after=optim.StepLR(_sgd(1.0), 2))


def test_scheduled_lr_is_used_by_the_optimizer():
    w = cr.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = cr.ones(1)
        opt.step()
        sched.step()
    assert w.item() == pytest.approx(-(1 + 0.5 + 0.25))


def test_scheduler_state_dict_round_trip():
    opt = _sgd(1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(3):
        sched.step()
    opt2 = _sgd(1.0)
    sched2 = optim.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(sched.state_dict())
    opt2.load_state_dict(opt.state_dict())
    for _ in range(4):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_reduce_lr_on_plateau_patience_cooldown_min_lr():
    opt = _sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    lrs = []
    for metric in [5.0, 4.0, 4.0, 4.0, 4.0, 3.0]:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    # three bad steps in a row (more than patience=2) before the first reduction
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]

    opt = _sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=0, cooldown=2, min_lr=0.3)
    lrs = []
    for _ in range(8):
        sched.step(1.0)
        lrs.append(opt.param_groups[0]["lr"])
    # reduce, 2 cooldown steps, reduce (floored at min_lr), then stuck at min_lr
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]


def test_reduce_lr_on_plateau_threshold_and_max_mode():
    opt = _sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=1, threshold=0.1)
    for metric in [1.0, 1.05, 1.08]:  # +5%, +8% are within the 10% threshold: not better
        sched.step(metric)
    assert sched.best == 1.0 and opt.param_groups[0]["lr"] == pytest.approx(0.1)

    opt = _sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, patience=0, threshold=0.5, threshold_mode="abs")
    sched.step(cr.tensor(2.0))
    sched.step(1.6)  # not 0.5 lower
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    sched.step(1.0)  # 1.0 lower than the best, 2.0
    assert sched.best == 1.0 and sched.num_bad_epochs == 0
    sd = sched.state_dict()
    other = optim.ReduceLROnPlateau(_sgd(1.0), patience=0)
    other.load_state_dict(sd)
    assert other.best == 1.0 and other.threshold_mode == "abs"
    with pytest.raises(ValueError, match="factor"):
        optim.ReduceLROnPlateau(opt, factor=1.0)


def test_lr_scheduler_module_exports():
    import chainrule.optim.lr_scheduler as mod

    assert mod.StepLR is optim.StepLR and optim.lr_scheduler is mod
    for name in optim.__all__:
        assert hasattr(optim, name)


# ----------------------------------------------------------------------------- against PyTorch
def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; comparison skipped")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_match_torch(name):
    torch = _torch()
    make, (cls, kwargs) = OPTIMIZERS[name]
    rng = np.random.default_rng(2)
    shapes = [(3, 4), (4,)]
    start = [rng.standard_normal(s) for s in shapes]
    grads = _random_grads(rng, shapes, 20)
    ours = [cr.tensor(x, requires_grad=True) for x in start]
    theirs = [torch.tensor(x, requires_grad=True) for x in start]
    opt = make(ours)
    topt = getattr(torch.optim, cls)(theirs, **kwargs)
    for step, g in enumerate(grads):
        for p, tp, gi in zip(ours, theirs, g):
            p.grad = cr.tensor(gi)
            tp.grad = torch.from_numpy(gi.copy())
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(
                p.numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"step {step}"
            )


def _torch_schedulers(torch, opt):
    S = torch.optim.lr_scheduler
    return {
        "step": lambda: S.StepLR(opt, step_size=3, gamma=0.5),
        "exponential": lambda: S.ExponentialLR(opt, gamma=0.9),
        "cosine": lambda: S.CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
        "invscaling": lambda: S.LambdaLR(opt, lambda t: 1.0 / (t + 1) ** 0.5),
        "warmup": lambda: S.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=5),
        "warmup_cosine": lambda: S.SequentialLR(
            opt,
            [S.LinearLR(opt, start_factor=0.2, total_iters=5), S.CosineAnnealingLR(opt, T_max=8)],
            milestones=[5],
        ),
    }


OUR_SCHEDULERS = {
    "step": lambda o: optim.StepLR(o, step_size=3, gamma=0.5),
    "exponential": lambda o: optim.ExponentialLR(o, gamma=0.9),
    "cosine": lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "invscaling": lambda o: optim.InverseScalingLR(o, power_t=0.5),
    "warmup": lambda o: optim.LinearWarmup(o, 5, start_factor=0.2),
    "warmup_cosine": lambda o: optim.LinearWarmup(
        o, 5, start_factor=0.2, after=optim.CosineAnnealingLR(o, T_max=8)
    ),
}


@pytest.mark.parametrize("name", list(OUR_SCHEDULERS))
def test_schedulers_match_torch(name):
    torch = _torch()
    opt = _sgd(0.5)
    ours = _lrs(opt, OUR_SCHEDULERS[name](opt), 20)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    tsched = _torch_schedulers(torch, topt)[name]()
    theirs = [topt.param_groups[0]["lr"]]
    for _ in range(20):
        topt.step()
        tsched.step()
        theirs.append(topt.param_groups[0]["lr"])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.05},
        {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = _torch()
    rng = np.random.default_rng(3)
    metrics = np.round(rng.uniform(0, 1, 30), 2).tolist()
    opt = _sgd(0.5)
    sched = optim.ReduceLROnPlateau(opt, **kwargs)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for m in metrics:
        sched.step(m)
        topt.step()
        tsched.step(m)
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)
