"""Behaviour of ``chainrule.train``: results that can fail, not just calls that run.

Every problem is small and seeded, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import csv
import math
import re
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.nn.loss_modules import BCEWithLogitsLoss
from chainrule.nn.losses import binary_cross_entropy_with_logits as bce
from chainrule.nn.losses import cross_entropy, mse_loss
from chainrule.train import (
    Callback,
    CSVLogger,
    DivergenceWarning,
    EarlyStopping,
    GradientFlow,
    History,
    LRScheduler,
    ModelCheckpoint,
    evaluate,
    fit,
)


# ----------------------------------------------------------------------------- data helpers
def moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-moons (as scikit-learn's make_moons, random angles), shuffled."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n - n0)
    X = np.concatenate(
        [
            np.stack([np.cos(t0), np.sin(t0)], axis=1),
            np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
        ]
    )
    y = np.repeat([0.0, 1.0], [n0, n - n0])
    X = X + rng.normal(0.0, noise, X.shape)
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order].astype(np.float32)


def blobs(n: int, seed: int, sep: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at (±sep/2, ±sep/2) with unit variance, labels 0/1."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.float32)
    centres = np.where(y[:, None] == 1, sep / 2, -sep / 2)
    return (centres + rng.normal(0, 1, (n, 2))).astype(np.float32), y


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.float32)


def weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in model.state_dict().items()}


def same_weights(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class Snapshots(Callback):
    """Keeps a copy of the weights at every epoch end."""

    def __init__(self) -> None:
        self.by_epoch: dict[int, dict[str, np.ndarray]] = {}

    def on_epoch_end(self, epoch, logs):
        self.by_epoch[epoch] = weights(self.model)


# ----------------------------------------------------------------------------- learning
def test_xor_is_learned_by_sgd_with_batch_size_1():
    model = nn.mlp([2, 16, 1], activation="tanh", seed=0)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.3),
        XOR_X,
        XOR_Y,
        epochs=2000,
        batch_size=1,
        metrics=["accuracy"],
        target={"loss": 0.05},
        verbose=0,
        seed=0,
    )
    assert h.stopped_reason == "target_reached"
    assert h.epochs < 2000
    assert evaluate(model, bce, XOR_X, XOR_Y, metrics=["accuracy"])["accuracy"] == 1.0
    with cr.no_grad():
        predicted = (model(cr.tensor(XOR_X)).numpy().ravel() > 0).astype(np.float32)
    np.testing.assert_array_equal(predicted, XOR_Y)


def test_two_moons_reach_97_percent_test_accuracy():
    X, y = moons(1000, noise=0.2, seed=0)
    X_train, y_train, X_test, y_test = X[:700], y[:700], X[700:], y[700:]
    model = nn.mlp([2, 32, 32, 1], activation="relu", seed=1)
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 2
    h = fit(
        model,
        bce,
        optim.Adam(model.parameters(), lr=0.01),
        X_train,
        y_train,
        epochs=60,
        batch_size=32,
        metrics=["accuracy"],
        verbose=0,
        seed=0,
    )
    assert h.stopped_reason == "max_epochs" and h.epochs == 60
    assert h["loss"][-1] < h["loss"][0] / 3
    test_acc = evaluate(model, bce, X_test, y_test, metrics=["accuracy"])["accuracy"]
    assert test_acc >= 0.97


def test_logistic_regression_separates_a_linearly_separable_set():
    X, y = blobs(200, seed=0, sep=8.0)  # centres 8√2 apart: separable with a wide margin
    model = nn.Linear(2, 1, generator=cr.Generator(0))
    h = fit(
        model,
        BCEWithLogitsLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=50,
        batch_size=16,
        metrics=["accuracy"],
        verbose=0,
        seed=0,
    )
    assert h["accuracy"][-1] == 1.0
    assert evaluate(model, bce, X, y, metrics=["accuracy"])["accuracy"] == 1.0
    w = model.weight.numpy().ravel()
    assert w[0] > 0 and w[1] > 0  # the boundary normal points from blob 0 to blob 1


def test_multiclass_cross_entropy_accuracy_uses_argmax():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 4], [4, -2], [-4, -2]], dtype=np.float32)
    y = np.arange(300) % 3
    X = (centres[y] + rng.normal(0, 1, (300, 2))).astype(np.float32)
    model = nn.mlp([2, 16, 3], seed=0)
    h = fit(
        model,
        cross_entropy,
        optim.Adam(model.parameters(), lr=0.05),
        X,
        y,
        epochs=20,
        batch_size=32,
        validation_split=0.2,
        metrics=["accuracy", "f1", "log_loss"],
        verbose=0,
        seed=0,
    )
    assert h["val_accuracy"][-1] >= 0.95
    assert 0.9 <= h["val_f1"][-1] <= 1.0
    # log_loss of the softmax probabilities is the cross-entropy (up to its clipping at eps)
    assert h["val_log_loss"][-1] == pytest.approx(h["val_loss"][-1], rel=1e-3, abs=1e-5)


def test_regression_metrics():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)
    model = nn.Linear(3, 1, generator=cr.Generator(0))
    h = fit(
        model,
        mse_loss,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=30,
        batch_size=20,
        validation_data=(X[:50], y[:50]),
        metrics=["mse", "mae", "r2"],
        verbose=0,
        seed=0,
    )
    assert h["val_r2"][-1] > 0.999
    assert h["val_mse"][-1] == pytest.approx(h["val_loss"][-1], rel=1e-4)
    assert h["val_mae"][-1] < 0.02


# ----------------------------------------------------------------------------- stopping
def test_early_stopping_restores_the_best_weights():
    # Validation labels: 10% flipped. The val loss first falls (the model learns the 90%),
    # then rises as the model grows confident on the flipped points.
    X, y = blobs(200, seed=1, sep=3.0)
    Xv, yv = blobs(100, seed=2, sep=3.0)
    yv = yv.copy()
    yv[:10] = 1 - yv[:10]
    model = nn.mlp([2, 16, 1], activation="tanh", seed=0)
    snaps = Snapshots()
    stopper = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.02),
        X,
        y,
        epochs=300,
        batch_size=16,
        validation_data=(Xv, yv),
        callbacks=[snaps, stopper],
        verbose=0,
        seed=0,
    )
    assert h.stopped_reason == "early_stopping"
    best = h.best_epoch
    assert best == stopper.best_epoch == int(np.argmin(h["val_loss"]))
    assert 0 < best < h.epochs - 1
    assert h.epochs == best + 1 + 5  # patience epochs without improvement after the best
    assert not same_weights(snaps.by_epoch[h.epochs - 1], snaps.by_epoch[best])
    assert same_weights(weights(model), snaps.by_epoch[best])


def test_early_stopping_without_validation_data_says_what_to_do():
    model = nn.mlp([2, 1], seed=0)
    with pytest.raises(ValueError, match="validation_data"):
        fit(
            model,
            bce,
            optim.SGD(model.parameters(), lr=0.1),
            XOR_X,
            XOR_Y,
            epochs=3,
            callbacks=[EarlyStopping()],
            verbose=0,
        )


def test_tol_and_n_iter_no_change_stop_with_the_sklearn_rule():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2)).astype(np.float32)
    y = (X @ np.array([2.0, -1.0]) + 0.1 * rng.normal(size=100)).astype(np.float32)
    model = nn.Linear(2, 1, generator=cr.Generator(0))
    tol, n_iter = 1e-3, 4
    h = fit(
        model,
        mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=500,
        batch_size=10,
        tol=tol,
        n_iter_no_change=n_iter,
        verbose=0,
        seed=0,
    )
    assert h.stopped_reason == "tol"
    assert 0 < h.epochs < 500
    loss = h["loss"]
    # the last n_iter epochs each failed to beat the best before them by tol ...
    for i in range(h.epochs - n_iter, h.epochs):
        assert loss[i] > min(loss[:i]) - tol
    # ... and the epoch before them did improve (else training would have stopped earlier)
    i = h.epochs - n_iter - 1
    assert i == 0 or loss[i] <= min(loss[:i]) - tol


def test_target_metric_stops_training():
    X, y = blobs(300, seed=3, sep=4.0)
    model = nn.mlp([2, 8, 1], seed=0)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.05),
        X[:200],
        y[:200],
        epochs=500,
        batch_size=32,
        validation_data=(X[200:], y[200:]),
        metrics=["accuracy"],
        target={"val_accuracy": 0.95},
        verbose=0,
        seed=0,
    )
    assert h.stopped_reason == "target_reached"
    assert h["val_accuracy"][-1] >= 0.95
    assert all(a < 0.95 for a in h["val_accuracy"][:-1])


def test_time_limit_stops_training():
    X, y = blobs(200, seed=0)
    model = nn.mlp([2, 8, 1], seed=0)
    t0 = time.perf_counter()
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.01),
        X,
        y,
        epochs=10**6,
        batch_size=8,
        time_limit=0.3,
        verbose=0,
        seed=0,
    )
    elapsed = time.perf_counter() - t0
    assert h.stopped_reason == "time_limit"
    assert 1 <= h.epochs < 10**6
    assert elapsed < 5.0
    assert sum(h["time"]) >= 0.25


def test_divergence_guard_restores_finite_weights_and_warns():
    rng = np.random.default_rng(0)
    X = (3.0 * rng.normal(size=(64, 3))).astype(np.float32)  # unscaled inputs
    y = (X @ np.array([1.0, 2.0, 3.0])).astype(np.float32)
    model = nn.mlp([3, 8, 1], seed=0)
    snaps = Snapshots()
    with pytest.warns(DivergenceWarning, match=r"diverged in epoch \d+.*learning rate 1000"):
        h = fit(
            model,
            mse_loss,
            optim.SGD(model.parameters(), lr=1e3),
            X,
            y,
            epochs=50,
            batch_size="full",
            callbacks=[snaps],
            verbose=0,
            seed=0,
        )
    assert h.stopped_reason == "diverged"
    assert 1 <= h.epochs < 50  # a few finite (if huge) epochs, then the blow-up
    assert all(math.isfinite(v) for v in h["loss"])  # the diverged epoch is not recorded
    assert h["loss"][-1] > 1e6 * h["loss"][0]
    assert all(np.isfinite(v).all() for v in weights(model).values())
    # restored to the weights at the start of the diverging epoch: the end of the one before
    assert same_weights(weights(model), snaps.by_epoch[h.epochs - 1])


def test_divergence_guard_at_the_first_epoch_restores_the_initial_weights():
    rng = np.random.default_rng(1)
    X = (100.0 * rng.normal(size=(32, 2))).astype(np.float32)  # large inputs
    y = X.sum(axis=1).astype(np.float32)
    model = nn.mlp([2, 4, 1], seed=0)
    initial = weights(model)
    with pytest.warns(DivergenceWarning, match="epoch 0"):
        h = fit(
            model, mse_loss, optim.SGD(model.parameters(), lr=1e3), X, y, batch_size=8, verbose=0
        )
    assert h.stopped_reason == "diverged" and h.epochs == 0
    assert same_weights(weights(model), initial)


def test_keyboard_interrupt_keeps_the_weights_and_marks_the_history():
    class Interrupter(Callback):
        def on_batch_end(self, batch, logs):
            if self.state.epoch == 3 and batch == 1:
                self.at_interrupt = weights(self.model)
                raise KeyboardInterrupt

    X, y = blobs(64, seed=0)
    model = nn.mlp([2, 8, 1], seed=0)
    initial = weights(model)
    cb = Interrupter()
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=10,
        batch_size=16,
        callbacks=[cb],
        verbose=0,
        seed=0,
    )
    assert h.interrupted is True
    assert h.stopped_reason == "interrupted"
    assert h.epochs == 3  # epochs 0-2 completed; the interrupted epoch 3 is not recorded
    assert same_weights(weights(model), cb.at_interrupt)
    assert not same_weights(weights(model), initial)
    assert model.training


def test_same_seed_gives_bit_identical_weights_and_other_seeds_differ():
    X, y = moons(200, noise=0.2, seed=5)

    def run(seed: int) -> dict[str, np.ndarray]:
        model = nn.Sequential(
            nn.Linear(2, 16, generator=cr.Generator(7)),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(16, 1, generator=cr.Generator(8)),
        )
        cr.manual_seed(seed + 1000)  # the global generator must not matter
        fit(
            model,
            bce,
            optim.Adam(model.parameters(), lr=0.01),
            X,
            y,
            epochs=3,
            batch_size=16,
            verbose=0,
            seed=seed,
        )
        assert model[2].generator is None  # fit's derived generator is not left behind
        return weights(model)

    a, b, c = run(0), run(0), run(1)
    assert same_weights(a, b)
    assert not same_weights(a, c)


# ----------------------------------------------------------------------------- records
def test_csv_logger_and_history_to_csv_write_the_expected_columns(tmp_path: Path):
    X, y = blobs(80, seed=0)
    model = nn.mlp([2, 4, 1], seed=0)
    log_path = tmp_path / "logs" / "train.csv"
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=4,
        batch_size=16,
        validation_split=0.25,
        metrics=["accuracy"],
        callbacks=[CSVLogger(log_path)],
        verbose=0,
        seed=0,
    )
    expected = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    for path in (log_path, tmp_path / "history.csv"):
        if path.name == "history.csv":
            h.to_csv(path)
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == expected
        assert len(rows) == 1 + 4
        assert [int(r[0]) for r in rows[1:]] == [0, 1, 2, 3]
        for j, key in enumerate(expected[1:], start=1):
            assert [float(r[j]) for r in rows[1:]] == h[key]
    assert sorted(p.name for p in log_path.parent.iterdir()) == ["train.csv"]  # no temp files
    assert sorted(h.to_dict()) == sorted(expected[1:])
    assert "epochs=4" in repr(h) and "max_epochs" in repr(h)


def test_gradient_flow_records_one_norm_per_linear_weight_per_epoch(tmp_path: Path):
    X, y = moons(100, noise=0.1, seed=0)
    model = nn.mlp([2, 8, 8, 1], activation="sigmoid", seed=0)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=3,
        batch_size=20,
        record_grad_norms=True,
        verbose=0,
        seed=0,
    )
    assert len(h.grad_norms) == 3 and h["grad_norms"] is h.grad_norms
    for norms in h.grad_norms:
        assert list(norms) == ["0.weight", "2.weight", "4.weight"]
        assert all(math.isfinite(v) and v > 0 for v in norms.values())

    # the value is the mean over the epoch's 5 batches of ‖∂L/∂W‖: check the last epoch's
    # by hand with a callback that sees every batch
    class Norms(Callback):
        def on_epoch_begin(self, epoch, logs):
            self.seen = []

        def on_batch_end(self, batch, logs):
            self.seen.append(float(np.linalg.norm(self.model[0].weight.grad.numpy())))

    model2 = nn.mlp([2, 8, 8, 1], activation="sigmoid", seed=0)
    gf, by_hand = GradientFlow(), Norms()
    h2 = fit(
        model2,
        bce,
        optim.SGD(model2.parameters(), lr=0.1),
        X,
        y,
        epochs=3,
        batch_size=20,
        callbacks=[gf, by_hand],
        verbose=0,
        seed=0,
    )
    assert len(by_hand.seen) == 5
    assert gf.norms == h2.grad_norms == h.grad_norms
    assert h2.grad_norms[-1]["0.weight"] == pytest.approx(np.mean(by_hand.seen), rel=1e-6)
    h2.to_csv(tmp_path / "g.csv")
    header = (tmp_path / "g.csv").read_text().splitlines()[0].split(",")
    assert header[-3:] == ["grad_norm[0.weight]", "grad_norm[2.weight]", "grad_norm[4.weight]"]


def test_validation_split_holds_out_the_last_fraction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2)).astype(np.float32)
    y = (X[:, 0] - X[:, 1]).astype(np.float32)
    y[80:] += 100.0  # only the last 20 rows carry this offset
    model = nn.Linear(2, 1, generator=cr.Generator(0))
    h = fit(
        model,
        mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=2,
        batch_size=10,
        validation_split=0.2,
        verbose=0,
        seed=0,
    )
    assert h.params["n_train"] == 80 and h.params["n_val"] == 20
    assert h["loss"][-1] < 10.0  # no offset rows in training
    assert h["val_loss"][-1] == pytest.approx(evaluate(model, mse_loss, X[80:], y[80:])["loss"])
    assert h["val_loss"][-1] > 1000.0


def test_progress_falls_back_to_plain_lines_when_not_a_tty(capsys):
    X, y = blobs(40, seed=0)
    model = nn.mlp([2, 4, 1], seed=0)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=3,
        batch_size=8,
        validation_split=0.25,
        metrics=["accuracy"],
        verbose=1,
        seed=0,
    )
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3
    pattern = (
        r"epoch {}/3  loss \d+\.\d{{4}}  accuracy \d\.\d{{4}}  val_loss \d+\.\d{{4}}  "
        r"val_accuracy \d\.\d{{4}}  \d+\.\d (ms|s)"
    )
    for i, line in enumerate(lines, start=1):
        assert re.fullmatch(pattern.format(i), line), line
    assert f"{h['loss'][0]:.4f}" in lines[0]
    assert captured.err == ""

    fit(model, bce, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_plain_progress_reports_an_early_stop(capsys):
    model = nn.mlp([2, 4, 1], seed=0)
    fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        XOR_X,
        XOR_Y,
        epochs=50,
        target={"loss": 10.0},
        verbose=2,
    )
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "stopped after 1 epochs: target_reached"


# ----------------------------------------------------------------------------- plumbing
def test_scheduler_is_stepped_per_epoch_and_logged():
    X, y = blobs(40, seed=0)
    model = nn.mlp([2, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.8)
    h = fit(
        model,
        bce,
        opt,
        X,
        y,
        epochs=5,
        batch_size=8,
        scheduler=optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
        verbose=0,
    )
    assert h["lr"] == [0.8, 0.8, 0.4, 0.4, 0.2]


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    X, y = blobs(40, seed=0)
    model = nn.mlp([2, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    plateau = optim.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0)
    # a metric that never improves after the first epoch: with patience=0 every later epoch
    # is one bad epoch too many, so the lr is halved after each (PyTorch's rule)
    h = fit(
        model,
        bce,
        opt,
        X,
        y,
        epochs=4,
        batch_size=8,
        validation_split=0.25,
        metrics=[lambda y_true, out: 0.5],
        callbacks=[LRScheduler(plateau, monitor="val_<lambda>")],
        verbose=0,
    )
    assert h["lr"] == [1.0, 1.0, 0.5, 0.25]


def test_model_checkpoint_saves_the_best_epoch(tmp_path: Path):
    from chainrule.checkpoint import load

    X, y = blobs(120, seed=4)
    model = nn.mlp([2, 8, 1], seed=0)
    snaps = Snapshots()
    ck = ModelCheckpoint(tmp_path / "best", monitor="val_loss")
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.2),
        X,
        y,
        epochs=5,
        batch_size=16,
        validation_split=0.25,
        callbacks=[snaps, ck],
        verbose=0,
        seed=0,
    )
    assert ck.saved and ck.saved[-1][0] == h.best_epoch
    loaded = load(tmp_path / "best")
    assert same_weights(weights(loaded), snaps.by_epoch[h.best_epoch])


def test_a_dataloader_can_be_passed_as_x():
    X, y = blobs(64, seed=0, sep=6.0)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=0)
    model = nn.mlp([2, 1], seed=0)
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.5),
        loader,
        epochs=10,
        validation_data=loader,
        metrics=["accuracy"],
        verbose=0,
    )
    assert h.epochs == 10 and h["val_accuracy"][-1] == 1.0
    with pytest.raises(TypeError, match="y=None"):
        fit(model, bce, optim.SGD(model.parameters(), lr=0.5), loader, y, verbose=0)


def test_eval_mode_and_no_graph_during_validation():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1, generator=cr.Generator(0))

        def forward(self, x):
            seen.append((self.training, cr.is_grad_enabled()))
            return self.lin(x)

    X, y = blobs(20, seed=0)
    model = Probe()
    model.eval()
    fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=1,
        batch_size=10,
        validation_split=0.5,
        verbose=0,
    )
    assert seen == [(True, True), (False, False)]
    assert model.training is False  # put back in the mode it was in


def test_history_mapping_and_best_epoch():
    h = History()
    h.record({"loss": 0.5, "val_accuracy": 0.7})
    h.record({"loss": 0.4, "val_accuracy": 0.9})
    h.record({"loss": 0.3, "val_accuracy": 0.8})
    assert h.epochs == 3 and list(h) == ["loss", "val_accuracy"]
    assert h.best_epoch == 2  # no val_loss: the training loss decides
    h.monitor = "val_accuracy"
    assert h.best_epoch == 1
    with pytest.raises(KeyError, match="recorded: loss, val_accuracy"):
        h["val_loss"]


def test_a_real_ctrl_c_stops_after_the_batch_and_the_handler_is_restored():
    import os
    import signal

    class CtrlC(Callback):
        def on_batch_end(self, batch, logs):
            if self.state.epoch == 2 and batch == 0:
                os.kill(os.getpid(), signal.SIGINT)
                self.after_batch = weights(self.model)  # still runs: the handler only flags

    before = signal.getsignal(signal.SIGINT)
    X, y = blobs(64, seed=0)
    model = nn.mlp([2, 4, 1], seed=0)
    cb = CtrlC()
    h = fit(
        model,
        bce,
        optim.SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=10,
        batch_size=16,
        callbacks=[cb],
        verbose=0,
    )
    assert h.interrupted and h.epochs == 2
    assert same_weights(weights(model), cb.after_batch)
    assert signal.getsignal(signal.SIGINT) is before


def test_progress_uses_tqdm_on_a_terminal(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    model = nn.mlp([2, 1], seed=0)
    fit(model, bce, optim.SGD(model.parameters(), lr=0.1), XOR_X, XOR_Y, epochs=3, verbose=1)
    assert capsys.readouterr().out == ""
    assert "3/3" in term.getvalue() and "loss=" in term.getvalue()


def test_progress_without_tqdm_prints_plain_lines_even_on_a_terminal(monkeypatch, capsys):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model = nn.mlp([2, 1], seed=0)
    fit(model, bce, optim.SGD(model.parameters(), lr=0.1), XOR_X, XOR_Y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]


def test_bad_arguments_fail_clearly():
    model = nn.mlp([2, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="'val_accuracy' is not logged"):
        fit(model, bce, opt, XOR_X, XOR_Y, epochs=2, target={"val_accuracy": 0.9}, verbose=0)
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        fit(model, bce, opt, XOR_X, XOR_Y, metrics=["acuracy"], verbose=0)
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        fit(model, bce, opt, XOR_X, XOR_Y[:3], verbose=0)
    with pytest.raises(ValueError, match="not both"):
        fit(model, bce, opt, XOR_X, XOR_Y, validation_data=(XOR_X, XOR_Y), validation_split=0.5)
    h = fit(model, bce, opt, XOR_X, XOR_Y, epochs=0, verbose=0)
    assert h.epochs == 0 and h.stopped_reason == "max_epochs" and h.best_epoch is None
