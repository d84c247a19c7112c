"""The training core: one Loop, one stopper family, the weight snapshot, and where they are used
(fit, the estimators' stopping rules, the playground trainer), plus hyperparameter and data
validation at the points where they enter."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.nn.losses import binary_cross_entropy_with_logits, mse_loss
from chainrule.train import (
    Callback,
    DeadUnitsWarning,
    DivergenceWarning,
    EarlyStopping,
    GradientFlow,
    Loop,
    NoImprovement,
    Target,
    TimeLimit,
    fit,
)
from chainrule.train.snapshot import WeightSnapshot


# ----------------------------------------------------------------------------- stoppers
@pytest.mark.parametrize(
    ("kwargs", "values", "stops"),
    [
        # ours: stop when the count reaches patience; an epoch improves by at least delta
        ({"patience": 2, "delta": 0.1}, [1.0, 0.9, 0.85, 0.84], [False, False, False, True]),
        # scikit-learn's strict ">": one epoch more
        ({"patience": 2, "delta": 0.1, "strict": True}, [1.0, 0.95, 0.9, 0.89], [0, 0, 0, 1]),
        # Keras' min_delta: improving needs more than delta, and only improvements move the best
        ({"patience": 1, "delta": 0.1, "rule": "min_delta"}, [1.0, 0.9, 0.85], [0, 1, 0]),
        # relative: 10% of the best
        (
            {"patience": 1, "delta": 0.1, "rule": "min_delta", "relative": True},
            [10, 8.5, 8],
            [0, 0, 1],
        ),
        # patience 0 stops at the first epoch that does not improve
        ({"patience": 0, "rule": "min_delta"}, [1.0, 0.5, 0.6], [0, 0, 1]),
    ],
)
def test_no_improvement_variants(kwargs, values, stops):
    rule = NoImprovement("loss", **kwargs)
    assert [rule.update(v) for v in values] == [bool(s) for s in stops]


def test_no_improvement_best_tracking_differs_between_rules():
    tol = NoImprovement("loss", patience=5, delta=0.5)
    keras = NoImprovement("loss", patience=5, delta=0.5, rule="min_delta")
    for v in (1.0, 0.8):
        tol.update(v), keras.update(v)
    assert tol.best == 0.8 and tol.count == 1  # any new best is the best; the count grows
    assert keras.best == 1.0 and keras.count == 1  # 0.8 is no improvement by more than 0.5


def test_no_improvement_maximises_scores_and_handles_nan_like_its_origin():
    score = NoImprovement("val_accuracy", patience=1, delta=0.01, strict=True)
    assert score.maximize
    values = (0.5, 0.505, 0.7, 0.69, 0.69)
    assert [score.update(v) for v in values] == [False, False, False, False, True]
    sk = NoImprovement("val_score", patience=1, mode="max", strict=True)
    sk.update(float("nan"))  # scikit-learn: a NaN resets the count and is never the best
    assert sk.best is None and sk.count == 0
    keras = NoImprovement("loss", patience=3, rule="min_delta")
    keras.update(float("nan"))
    assert keras.best is None and keras.count == 1


def test_no_improvement_refuses_bad_options():
    with pytest.raises(ValueError, match="rule must be one of"):
        NoImprovement(rule="sometimes")
    with pytest.raises(ValueError, match="patience must be >= 0"):
        NoImprovement(patience=-1)
    with pytest.raises(ValueError, match="mode must be"):
        NoImprovement(mode="up")
    with pytest.raises(ValueError, match="'val_loss' is not logged"):
        NoImprovement("val_loss").update_logs({"loss": 1.0})


def test_target_and_time_limit():
    t = Target({"accuracy": 0.9, "loss": 0.1})
    assert not t.update_logs({"accuracy": 0.95, "loss": 0.2})
    assert t.update_logs({"accuracy": 0.9, "loss": 0.1})
    with pytest.raises(ValueError, match="time_limit must be > 0"):
        TimeLimit(0)
    limit = TimeLimit(1e-9)
    limit.start()
    assert limit.expired()


def test_early_stopping_is_the_min_delta_rule():
    es = EarlyStopping(monitor="loss", patience=2, min_delta=0.1)
    assert es.rule.rule == "min_delta" and es.rule.reason == "early_stopping"
    es.set_context(None, None, None)
    for epoch, v in enumerate([1.0, 0.95, 0.5, 0.45, 0.44]):
        es.on_epoch_end(epoch, {"loss": v})
    assert (es.best, es.best_epoch, es.wait, es.stopped_epoch) == (0.5, 2, 2, 4)


# ----------------------------------------------------------------------------- snapshot
def test_weight_snapshot_restores_in_place_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(3, 4, generator=cr.Generator(0)), nn.BatchNorm1d(4))
    model(cr.randn(8, 3, generator=cr.Generator(1)))  # moves the running statistics
    snap = WeightSnapshot(model)
    snap.save()
    weight = model[0].weight._data
    before = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    weight[...] = np.nan
    model(cr.randn(8, 3, generator=cr.Generator(2)))
    assert not snap.check(keep=False)
    snap.restore()
    assert model[0].weight._data is weight  # in place: views of the parameters stay valid
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])


# ----------------------------------------------------------------------------- the Loop
def _data(n=32, seed=0):
    g = cr.Generator(seed)
    X = cr.randn(n, 2, generator=g)
    y = (X[:, 0] * X[:, 1] > 0).float()
    return X, y


def test_loop_steps_like_the_hand_written_loop():
    X, y = _data()
    a = nn.mlp([2, 8, 1], seed=0)
    b = nn.mlp([2, 8, 1], seed=0)
    oa = optim.SGD(a.parameters(), lr=0.1, momentum=0.9)
    ob = optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    loop = Loop(a, binary_cross_entropy_with_logits, oa)
    loop.begin()
    loop.begin_epoch()
    for i in range(0, 32, 8):
        value = loop.step(X[i : i + 8], y[i : i + 8])
        ob.zero_grad()
        loss = binary_cross_entropy_with_logits(b(X[i : i + 8]), y[i : i + 8].reshape(-1, 1))
        loss.backward()
        ob.step()
        assert value == loss.item()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    assert loop.steps == 4 and loop.epoch_loss() == pytest.approx(loop.total / 32)


def test_loop_reports_a_nan_loss_as_divergence_and_restores_the_epoch_start():
    model = nn.Linear(1, 1, generator=cr.Generator(0))
    loop = Loop(model, mse_loss, optim.SGD(model.parameters(), lr=1e30))
    loop.begin()
    loop.begin_epoch()
    start = model.weight.numpy().copy()
    X, y = cr.tensor([[1e20], [2e20]]), cr.tensor([[1.0], [2.0]])
    with np.errstate(all="ignore"):
        results = [loop.step(X, y) for _ in range(3)]
    assert results[-1] is None and loop.diverged is not None
    np.testing.assert_array_equal(model.weight.numpy(), start)


def test_loop_check_dead_finds_a_dead_relu_layer_after_the_first_backward():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net[0].weight.data[...] = -1.0
    net[0].bias.data[...] = -1.0
    loop = Loop(net, mse_loss, optim.SGD(net.parameters(), lr=0.1))
    loop.begin()
    loop.begin_epoch()
    loop.step(cr.ones((4, 2)), cr.ones((4, 1)))
    assert loop.dead is not None and "Layer 1 (ReLU)" in loop.dead


def test_fit_warns_about_dead_units_once():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net[0].weight.data[...] = -1.0
    net[0].bias.data[...] = -1.0
    X = cr.ones((8, 2))
    with pytest.warns(DeadUnitsWarning, match="exactly 0") as caught:
        fit(net, mse_loss, optim.SGD(net.parameters(), lr=0.1), X, cr.ones(8), epochs=3,
            batch_size=4, verbose=0)  # fmt: skip
    assert sum(w.category is DeadUnitsWarning for w in caught) == 1


def test_touches_weights_declares_what_the_guard_may_reuse():
    class Shrink(Callback):
        def on_epoch_end(self, epoch, logs):
            for p in self.model.parameters():
                p.data *= 0.5

    class Quiet(Callback):
        touches_weights = False

        def on_epoch_end(self, epoch, logs):
            pass

    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert Loop(model, mse_loss, opt, callbacks=[Quiet(), GradientFlow(), EarlyStopping()]).keep
    assert not Loop(model, mse_loss, opt, callbacks=[Shrink()]).keep
    assert all(not c.touches_weights for c in (GradientFlow(), EarlyStopping()))


def test_fit_divergence_after_a_weight_changing_callback_restores_its_weights():
    class Blow(Callback):  # touches the weights (the default): the guard must not reuse its copy
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                self.model.weight.data[...] = np.inf

    X, y = _data()
    model = nn.Linear(2, 1, generator=cr.Generator(0))
    with pytest.warns(DivergenceWarning):
        h = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.01), X, y, epochs=5,
                batch_size=8, callbacks=[Blow()], verbose=0)  # fmt: skip
    assert h.stopped_reason == "diverged" and h.epochs == 2
    assert bool(cr.isfinite(model.weight).all())


# ----------------------------------------------------------------------------- data checks
@pytest.mark.parametrize("where", ["X", "y"])
def test_fit_names_nan_in_the_data_instead_of_blaming_the_learning_rate(where):
    X = np.ones((6, 3), dtype=np.float32)
    y = np.ones(6, dtype=np.float32)
    if where == "X":
        X[4, 2] = np.nan
        match = r"fit: X holds nan at row 4, column 2"
    else:
        y[3] = np.inf
        match = r"fit: y holds inf at row 3"
    model = nn.Linear(3, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DivergenceWarning: the data is named first
        with pytest.raises(ValueError, match=match):
            fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), X, y, verbose=0)


def test_fit_checks_validation_data_too():
    model = nn.Linear(1, 1)
    Xv = np.array([[1.0], [np.inf]], dtype=np.float32)
    with pytest.raises(ValueError, match="X_val holds inf at row 1, column 0"):
        fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), [[0.0]], [0.0],
            validation_data=(Xv, [0.0, 1.0]), verbose=0)  # fmt: skip


# ----------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: optim.SGD(p, lr=float("nan")), ValueError, r"learning rate \(lr\): nan"),
        (lambda p: optim.SGD(p, lr=float("inf")), ValueError, r"learning rate \(lr\): inf"),
        (lambda p: optim.Adam(p, lr="0.1"), TypeError, r"learning rate \(lr\): '0.1'.*str"),
        (lambda p: optim.Adam(p, betas=(0.9, "x")), TypeError, r"invalid betas: 'x'"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=None), TypeError, r"invalid momentum"),
        (lambda p: optim.RMSprop(p, lr=0.1, eps=float("nan")), ValueError, r"invalid eps: nan"),
        (lambda p: optim.SGD(p, lr=True), TypeError, r"must be a number, got bool"),
    ],
)
def test_optimizers_validate_hyperparameters_where_they_enter(make, error, match):
    with pytest.raises(error, match=match):
        make([cr.zeros(2, requires_grad=True)])


def test_optimizer_state_dict_with_a_bad_lr_is_refused_at_load():
    w = cr.zeros(2, requires_grad=True)
    sd = optim.SGD([w], lr=0.1).state_dict()
    sd["param_groups"][0]["lr"] = "x"
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter group 0 .*learning rate \(lr\): 'x'"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1  # nothing changed


def test_checkpoint_with_a_bad_lr_is_refused_at_load(tmp_path):
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    cr.save(model, tmp_path / "ck", optimizer=opt)
    config = tmp_path / "ck" / "config.json"
    data = json.loads(config.read_text())
    data["optimizer"]["param_groups"][0]["lr"] = "x"
    config.write_text(json.dumps(data))
    with pytest.raises((TypeError, ValueError), match=r"lr"):
        cr.load(
            tmp_path / "ck", model=nn.Linear(2, 1), optimizer=optim.SGD(model.parameters(), lr=1.0)
        )


# ----------------------------------------------------------------------------- playground
def test_playground_trainer_reports_divergence_and_stays_alive():
    from chainrule.playground.protocol import defaults, unpack
    from chainrule.playground.trainer import Trainer

    params = {**defaults(), "n_points": 100, "learning_rate": 10.0, "seed": 1}
    t = Trainer({**params, "layers": [8] * 6, "activations": ["relu"] * 6})
    events = [t.step() for _ in range(200)]
    assert "diverged" in events
    weights = np.concatenate([m.weight.data.ravel() for m in t.linears])
    assert np.isfinite(weights).all()  # the last finite weights
    header, _ = unpack(t.frame(running=False))  # frames still build
    assert header["type"] == "frame"
    t.params["learning_rate"] = 0.01
    t.apply_live({"learning_rate"})
    assert all(t.step() != "diverged" for _ in range(20))  # and training goes on


def test_playground_frame_carries_the_dead_unit_warning():
    from chainrule.playground.protocol import defaults, unpack
    from chainrule.playground.trainer import Trainer

    t = Trainer({**defaults(), "n_points": 60, "layers": [2] * 6, "activations": ["relu"] * 6,
                 "seed": 1})  # fmt: skip
    t.step()
    header, _ = unpack(t.frame(running=False))
    assert header["warning"] is not None and "exactly 0" in header["warning"]
    alive = Trainer({**defaults(), "n_points": 60})
    alive.step()
    assert unpack(alive.frame(running=False))[0]["warning"] is None


def test_playground_plateau_is_the_relative_min_delta_rule():
    from chainrule.playground.protocol import defaults
    from chainrule.playground.trainer import Trainer

    t = Trainer({**defaults(), "n_points": 60, "patience": 2, "min_delta": 0.5, "seed": 6})
    rule = t.loop.stoppers[0]
    assert (rule.rule, rule.relative, rule.delta, rule.patience) == ("min_delta", True, 0.5, 2)
    events = []
    while len(events) < 50 and "plateau" not in events:
        event = t.step()
        if event is not None:
            events.append(event)
    assert events[-1] == "plateau" and math.isfinite(rule.best)


# ----------------------------------------------------------------------------- compile
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fit_compiled_gives_the_eager_weights(momentum):
    from chainrule.optim.lr_scheduler import StepLR

    X, y = _data(40)
    weights = []
    for compile in (False, True):
        model = nn.mlp([2, 8, 1], "tanh", seed=0)
        opt = optim.SGD(model.parameters(), lr=0.5, momentum=momentum)
        h = fit(model, binary_cross_entropy_with_logits, opt, X, y, epochs=4, batch_size=8,
                scheduler=StepLR(opt, 2, 0.1), metrics=["accuracy"], verbose=0, seed=0,
                compile=compile)  # fmt: skip
        weights.append([p.numpy().copy() for p in model.parameters()])
        assert h.epochs == 4
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_fit_compile_falls_back_to_eager_for_a_step_it_cannot_replay():
    from chainrule.train.step import compilable

    X, y = _data(40)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert not compilable(model, opt)
    h = fit(
        model,
        binary_cross_entropy_with_logits,
        opt,
        X,
        y,
        epochs=3,
        batch_size=8,
        verbose=0,
        seed=0,
        compile=True,
    )  # fmt: skip (Dropout draws masks: eager)
    assert h.epochs == 3 and all(math.isfinite(v) for v in h["loss"])


def test_fit_compiles_by_default_only_the_layers_checked_for_it():
    from chainrule.train.step import compilable

    class Doubler(nn.Module):  # unknown to the check: might keep state outside ops
        def forward(self, x):
            return x * 2

    net = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.1), nn.LayerNorm(4), nn.Linear(4, 1))
    sgd = optim.SGD(net.parameters(), lr=0.1)
    assert compilable(net, sgd)
    assert not compilable(nn.Sequential(net, Doubler()), sgd)
    assert not compilable(net, optim.Adam(net.parameters()))
    assert not compilable(nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4)), sgd)
