"""The model side of a playground session: data, network, optimiser, and what the page shows.

A :class:`Trainer` has no thread and sends nothing: the session calls :meth:`Trainer.step`
and asks for messages (:meth:`~Trainer.frame`, :meth:`~Trainer.data_message`, ...) as bytes.

A frame holds the losses, accuracy and confusion matrix, the epoch, every weight (for the
links), the mean gradient norm of each layer since the last frame, and uint8 heatmaps: 24×24
per neuron and 64×64 for the output, each from one batched forward pass over a grid.

>>> from chainrule.playground.protocol import defaults, unpack
>>> t = Trainer({**defaults(), "n_points": 60})
>>> while t.epoch < 2:
...     event = t.step()
>>> header, arrays = unpack(t.frame(running=False))
>>> header["epoch"], arrays["output"].shape, arrays["neurons"].shape
(2, (64, 64), (7, 24, 24))
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.diagnostics.explain import explain_model
from chainrule.nn import losses
from chainrule.playground import export
from chainrule.playground.features import feature_matrix, grid, make_dataset, split_mask
from chainrule.playground.protocol import pack
from chainrule.train import GradientFlow, Loop, NoImprovement
from chainrule.train.head import Head
from chainrule.train.step import quiet_floats

__all__ = ["NEURON_GRID", "OUTPUT_GRID", "Trainer", "build_model"]

NEURON_GRID, OUTPUT_GRID = 24, 64
LIVE_TRAINING_KEYS = frozenset(
    {"learning_rate", "optimizer", "momentum", "regularization", "reg_rate", "batch_size"}
)
_HEAD_LINK = {"bce": "sigmoid", "ce": "softmax", "mse_pm1": "tanh_score", "mse": "identity"}
_OUTPUT_TEXT = {
    "bce": "one logit: p(class 1) = sigmoid(output)",
    "ce": "logits: class probabilities = softmax(output)",
    "mse_pm1": "tanh score: class 1 where the output is > 0",
    "mse": "the regression prediction",
}


def build_model(
    n_in: int,
    layers: list[int],
    activations: list[str],
    n_out: int,
    tanh_out: bool,
    seed: int,
    init: str = "standard",
) -> nn.Sequential:
    """The network, drawn from ``seed`` exactly as the exported ``reproduce.py`` draws it.

    ``init`` 'standard' draws each layer as its activation wants (He for ReLU-like, else
    Xavier); 'normal' draws every weight from N(0, 1), the naive choice that saturates tanh.
    """
    gen = cr.Generator(seed)
    mods: list[nn.Module] = []
    width = n_in
    for units, act in zip(layers, activations):
        scheme = "normal" if init == "normal" else export.init_for(act)
        mods.append(nn.Linear(width, units, init=scheme, generator=gen))
        mods.append(nn.activation(act))
        width = units
    scheme = "normal" if init == "normal" else "xavier_uniform"
    mods.append(nn.Linear(width, n_out, init=scheme, generator=gen))
    if tanh_out:
        mods.append(nn.Tanh())
    return nn.Sequential(*mods)


class Trainer:
    """One run: the data, the network and its optimiser, trained a mini-batch at a time.

    Parameters
    ----------
    params : dict
        Valid parameters (see :func:`chainrule.playground.protocol.apply_params`).
    custom : dict, optional
        Custom data: ``X`` (n, 2), ``y`` (n,), ``classes`` (0 for regression) and ``is_test``.
    """

    def __init__(self, params: dict[str, Any], custom: dict[str, Any] | None = None) -> None:
        self.params = params
        self.custom = custom
        self.rebuild(data=True)

    # ------------------------------------------------------------------ building
    def rebuild(self, data: bool, resplit: bool = True) -> None:
        """Redraw the network (and with ``data`` the points) from the seed; epoch 0."""
        p = self.params
        if data and p["dataset"] == "custom":
            c = self.custom
            if resplit or c["is_test"] is None:
                c["is_test"] = split_mask(len(c["X"]), p["train_ratio"], p["seed"])
            self.X, self.y, self.classes, self.is_test = c["X"], c["y"], c["classes"], c["is_test"]
        elif data:
            args = (p["dataset"], p["n_points"], p["noise"], p["seed"], p["classes"])
            self.X, self.y, self.classes = make_dataset(*args)
            self.is_test = split_mask(len(self.X), p["train_ratio"], p["seed"])
        c = self.classes
        if not c:
            self.kind = "mse"  # regression
        elif p["loss"] == "mse" and c == 2:
            self.kind = "mse_pm1"  # TensorFlow Playground's: tanh output, classes as -1 and +1
        else:
            self.kind = "bce" if c == 2 else "ce"
        self.prepare_data()
        n_out = c if self.kind == "ce" else 1
        sizes = (len(p["features"]), p["layers"], p["activations"], n_out)
        self.model = build_model(*sizes, self.kind == "mse_pm1", p["seed"], p["init"])
        self.linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self.opt = self._optimizer()
        self._shuffle = np.random.default_rng((p["seed"], 2))
        self._order, self._pos = self._shuffle.permutation(len(self.F_train)), 0
        self.epoch = self.steps = 0
        self._grad_last = np.zeros(len(self.linears))
        self._grad_steps = 0
        self._epoch_loss, self._epoch_batches = 0.0, 0
        self._data_loss = math.nan
        self.changed_during_run = False
        self.loop = self._loop()

    def _loop(self) -> Loop:
        """The training loop: the step, the divergence guard, gradient norms, the plateau rule.

        A plateau is ``patience`` epochs in a row whose loss is not below the best so far by a
        fraction ``min_delta`` of it.
        """
        p = self.params
        self.grad_flow = GradientFlow(per_epoch=False)
        plateau = NoImprovement(
            "loss",
            patience=p["patience"] or math.inf,
            delta=p["min_delta"],
            rule="min_delta",
            relative=True,
            reason="plateau",
            owner="playground",
        )
        loop = Loop(
            self.model,
            self._objective,
            self.opt,
            callbacks=[self.grad_flow],
            stoppers=[plateau],
            align=False,
        )
        with quiet_floats():
            loop.begin()
            loop.begin_epoch()
        return loop

    def prepare_data(self) -> None:
        """Feature matrices and targets (in the loss's form) of the training and test points."""
        p, y, test = self.params, self.y, self.is_test
        F = feature_matrix(self.X, p["features"])
        if self.kind == "ce":
            t = y.astype(np.int64)
        elif self.kind == "mse_pm1":
            t = (2 * y - 1).astype(np.float32)
        else:
            t = y.astype(np.float32)
        self.F_train, self.F_test, self.t_train, self.t_test = F[~test], F[test], t[~test], t[test]
        self.G_neurons = feature_matrix(grid(NEURON_GRID), p["features"])
        self.G_output = feature_matrix(grid(OUTPUT_GRID), p["features"])

    def _optimizer(self) -> optim.Optimizer:
        p = self.params
        if p["optimizer"] == "adam":
            return optim.Adam(self.model.parameters(), lr=p["learning_rate"])
        momentum = p["momentum"] if p["optimizer"] == "momentum" else 0.0
        return optim.SGD(self.model.parameters(), lr=p["learning_rate"], momentum=momentum)

    def apply_live(self, changed: set[str]) -> None:
        """Apply hyperparameters that change while training runs, without a restart."""
        p = self.params
        if changed & LIVE_TRAINING_KEYS and self.steps:
            self.changed_during_run = True
        if "optimizer" in changed:
            self.opt = self.loop.optimizer = self._optimizer()
            return
        for group in self.opt.param_groups:
            group["lr"] = p["learning_rate"]
            if "momentum" in group and p["optimizer"] == "momentum":
                group["momentum"] = p["momentum"]

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a training point (to the custom data, made from the points on show if need be)."""
        if self.params["dataset"] != "custom":
            self.custom = {
                "X": self.X,
                "y": self.y,
                "classes": self.classes,
                "is_test": self.is_test,
            }
        c = self.custom
        k = c["classes"]
        label = min(max(round(label), 0), k - 1) if k else min(max(label, -1.0), 1.0)
        c["X"] = np.vstack([c["X"], np.array([[x, y]], dtype=np.float32)])
        c["y"] = np.append(c["y"], np.float32(label)).astype(np.float32)
        c["is_test"] = np.append(c["is_test"], False)
        self.X, self.y, self.is_test = c["X"], c["y"], c["is_test"]
        self.prepare_data()  # the network trains on, now with the new point
        self._order, self._pos = self._shuffle.permutation(len(self.F_train)), 0
        self.changed_during_run = self.changed_during_run or self.steps > 0

    # ------------------------------------------------------------------ training
    def loss(self, out: cr.Tensor, target: np.ndarray) -> cr.Tensor:
        """The data loss, written exactly as in ``reproduce.py``."""
        if self.kind == "bce":
            return losses.binary_cross_entropy_with_logits(out[:, 0], target)
        if self.kind == "ce":
            return losses.cross_entropy(out, target)
        return losses.mse_loss(out[:, 0], target)

    def _objective(self, out: cr.Tensor, target: np.ndarray) -> cr.Tensor:
        """The data loss (kept for the epoch's mean) plus the regularisation penalty."""
        loss = self.loss(out, target)
        self._data_loss = loss.item()
        rate = self.params["reg_rate"]
        if self.params["regularization"] == "l1":
            loss = loss + rate * losses.l1_penalty(self.model)
        elif self.params["regularization"] == "l2":
            loss = loss + 0.5 * rate * losses.l2_penalty(self.model)
        return loss

    def step(self) -> str | None:
        """One optimiser step on the next mini-batch, as ``reproduce.py`` takes it.

        Returns None mid-epoch, 'epoch' at the end of an epoch, or why training should stop:
        'max_epochs', 'plateau' (see :meth:`_loop`) or 'diverged' (a non-finite loss: the
        weights go back to those at the start of the epoch, the last known finite ones).
        """
        p, n = self.params, len(self.F_train)
        idx = self._order[self._pos : self._pos + p["batch_size"]]
        self._pos += p["batch_size"]
        wrapped = self._pos >= n
        if wrapped:
            self._order, self._pos = self._shuffle.permutation(n), 0
        loop = self.loop
        loop.diverged = None
        with quiet_floats():
            if loop.step(cr.tensor(self.F_train[idx]), self.t_train[idx]) is None:
                return "diverged"
        self.steps += 1
        self._epoch_loss += self._data_loss
        self._epoch_batches += 1
        return self._end_epoch() if wrapped else None

    def _end_epoch(self) -> str:
        """Count the epoch; apply the stopping criteria to its mean training loss."""
        p, loop = self.params, self.loop
        self.epoch += 1
        loss = self._epoch_loss / max(self._epoch_batches, 1)
        self._epoch_loss, self._epoch_batches = 0.0, 0
        if not loop.check_weights():
            return "diverged"
        with quiet_floats():
            plateau = loop.end_epoch({"loss": loss}, record=False)
            loop.state.stop, loop.state.reason = False, None
            loop.begin_epoch()
        if p["max_epochs"] and self.epoch >= p["max_epochs"]:
            return "max_epochs"
        return "plateau" if plateau else "epoch"

    # ------------------------------------------------------------------ what the page shows
    def data_message(self) -> bytes:
        """The points, split into training and test, as a binary envelope."""
        p, test = self.params, self.is_test
        header = {
            "type": "data",
            "dataset": p["dataset"],
            "problem": p["problem"],
            "classes": self.classes,
        }
        arrays = {
            "train_x": self.X[~test],
            "train_y": self.y[~test],
            "test_x": self.X[test],
            "test_y": self.y[test],
        }
        return pack(header, arrays)

    def _activations(self, G: np.ndarray) -> list[np.ndarray]:
        """Every hidden layer's activations, then the output scores, on the points ``G``."""
        outs, v, last_hidden = [], cr.tensor(G), 2 * (len(self.linears) - 1)
        with cr.no_grad():
            for i, m in enumerate(self.model):
                v = m(v)
                if i % 2 == 1 and i < last_hidden:
                    outs.append(v._data)
        outs.append(self._score(v._data))
        return outs

    @property
    def head(self) -> Head:
        """How the network's outputs become probabilities and labels (see train.head)."""
        return Head(_HEAD_LINK[self.kind])

    def _score(self, out: np.ndarray) -> np.ndarray:
        """The output as the page shows it: in [-1, 1], or class probabilities for softmax."""
        if self.kind == "bce":
            return 2.0 * self.head.probabilities(out) - 1.0
        if self.kind == "ce":
            return self.head.probabilities(out)
        return out

    def _metrics(self, F: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The loss on ``F`` and, for classification, the confusion matrix."""
        if not len(F):
            return math.nan, None
        with cr.no_grad():
            out = self.model(cr.tensor(F))
            # a diverging network's outputs may overflow: the losses refuse NaN, show none
            loss = self.loss(out, t).item() if np.isfinite(out._data).all() else math.nan
        if not self.classes:
            return loss, None
        c = self.classes
        pred = self.head.labels(out._data)
        true = (t > 0).astype(np.int64) if self.kind == "mse_pm1" else t.astype(np.int64)
        return loss, np.bincount(true * c + pred, minlength=c * c).reshape(c, c)

    def frame(self, running: bool) -> bytes:
        """A frame (see the module notes) as a binary envelope."""
        with quiet_floats():  # a diverging network's outputs overflow: the frame shows it
            return self._frame(running)

    def _frame(self, running: bool) -> bytes:
        train_loss, train_cm = self._metrics(self.F_train, self.t_train)
        test_loss, test_cm = self._metrics(self.F_test, self.t_test)
        *hidden, out_small = self._activations(self.G_neurons)
        output = self._activations(self.G_output)[-1]
        scales = [np.nanmax(np.abs(h), axis=0) for h in hidden]
        cols = [h / np.maximum(s, 1e-9) for h, s in zip(hidden, scales)]
        cols.append(out_small * 2 - 1 if self.kind == "ce" else out_small)
        neurons = np.concatenate(cols, axis=1).T.reshape(-1, NEURON_GRID, NEURON_GRID)
        arrays = {"neurons": _u8(neurons)}
        side = (OUTPUT_GRID, OUTPUT_GRID)
        if self.kind == "ce":
            c = self.classes
            confidence = (output.max(1) - 1.0 / c) / (1.0 - 1.0 / c)
            arrays["output_class"] = output.argmax(1).astype(np.uint8).reshape(side)
            arrays["output"] = _u8(confidence * 2 - 1).reshape(side)
        else:
            arrays["output"] = _u8(output[:, 0]).reshape(side)
        arrays["weights"] = np.concatenate([m.weight._data.ravel() for m in self.linears])
        arrays["biases"] = np.concatenate([m.bias._data.ravel() for m in self.linears])
        if self.steps != self._grad_steps:  # the mean norms since the last frame
            self._grad_last, self._grad_steps = self.grad_flow.drain(), self.steps
        header = {
            "type": "frame",
            "t": time.time(),
            "epoch": self.epoch,
            "steps": self.steps,
            "running": running,
            "train_loss": _num(train_loss),
            "test_loss": _num(test_loss),
            "train_acc": _accuracy(train_cm),
            "test_acc": _accuracy(test_cm),
            "confusion": None if test_cm is None else test_cm.tolist(),
            "layer_shapes": [list(m.weight.shape) for m in self.linears],
            "grad_norms": [_num(g) for g in self._grad_last],
            "neuron_scales": [_num(s) for s in np.concatenate([[], *scales]).tolist()],
            "warning": self.loop.dead,
        }
        return pack(header, arrays)

    def explain(self, split: str, index: int) -> dict[str, Any]:
        """Backprop for one point, step by step; ``IndexError`` for a point that is not there."""
        F, t = (self.F_train, self.t_train) if split == "train" else (self.F_test, self.t_test)
        if index >= len(F):
            raise IndexError(f"explain: no {split} point {index}")
        loss = {"bce": "bce_logits", "ce": "ce"}.get(self.kind, "mse")
        report = explain_model(self.model, F[index], float(t[index]), loss)
        X = self.X[self.is_test if split == "test" else ~self.is_test]
        where = {"split": split, "index": index, "point": X[index].tolist()}
        meta = {"features": self.params["features"], "target": float(t[index])}
        return {"type": "explain", **where, **meta, **report}

    def export(self) -> bytes:
        """The trained model as a zip (see :mod:`chainrule.playground.export`), in an envelope."""
        info = {
            "epoch": self.epoch,
            "batch": -(-self._pos // self.params["batch_size"]),
            "outputs": self.classes if self.kind == "ce" else 1,
            "target": self.kind,
            "loss": "mse" if self.kind == "mse_pm1" else self.kind,
            "changed_during_run": self.changed_during_run,
            "features": self.params["features"],
            "classes": self.classes,
            "output": _OUTPUT_TEXT[self.kind],
        }
        data = (self.X, self.y, self.is_test)
        archive = export.build_export(self.model, self.params, data, self.steps, info)
        header = {"type": "export", "filename": f"chainrule-playground-{self.steps}.zip"}
        return pack(header, {"zip": np.frombuffer(archive, dtype=np.uint8)})


def _u8(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] as uint8 0 .. 255 (NaN as the middle)."""
    v = np.nan_to_num(np.clip(values, -1.0, 1.0), nan=0.0)
    return np.rint((v + 1.0) * 127.5).astype(np.uint8)


def _num(x: float) -> float | None:
    """A float for JSON: None for NaN and infinities."""
    return float(x) if math.isfinite(x) else None


def _accuracy(cm: np.ndarray | None) -> float | None:
    return None if cm is None or not cm.sum() else float(np.trace(cm) / cm.sum())
