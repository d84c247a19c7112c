"""The training workloads of the benchmark suite, and the chainrule and scikit-learn runners.

Every workload is a float32 multi-layer perceptron trained with plain SGD on seeded synthetic
data. All systems start from the same initial weights (drawn here with NumPy, U(±1/√fan_in)
as chainrule's and PyTorch's default ``Linear`` init) and see the batches in the same order
(one permutation per epoch from ``numpy.random.default_rng(seed)``), so their losses agree.

=====  ==========================  ==========  ==================  =====  =====  ==========
key    sizes                       activation  loss                batch  steps  data
=====  ==========================  ==========  ==================  =====  =====  ==========
A      784-256-256-10              relu        softmax CE          128    400    12,800 rows
B      1024-2048-2048-10           relu        softmax CE          256    30     2,560 rows
C      2-16-16-1                   tanh        BCE on logits       1      10000  1,000 rows
D      2-16-16-1                   tanh        BCE on logits       full   1000   1,000 rows
E      64-(64 x 20)-10             sigmoid     softmax CE          64     200    3,200 rows
=====  ==========================  ==========  ==================  =====  =====  ==========

A runner is made once per (system, workload) by ``make_runner(workload, steps)`` and returns a
zero-argument callable; each call resets the weights to the initial ones, trains ``steps``
steps and returns the final training loss (a float). Only the call is timed.

This module imports nothing but NumPy at import time: each benchmark worker imports the
library it measures and nothing else.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    sizes: tuple[int, ...]
    activation: str  # 'relu' | 'tanh' | 'sigmoid' (between layers; none after the last)
    loss: str  # 'ce' (softmax cross-entropy, int labels) | 'bce' (BCE on logits, (n, 1) targets)
    batch: int  # rows per step; equal to ``n`` for full-batch descent (no shuffling then)
    steps: int  # steps of a full run
    quick_steps: int  # steps of a --quick run
    n: int  # rows of training data (a multiple of ``batch``)
    lr: float
    seed: int = 0

    @property
    def full_batch(self) -> bool:
        return self.batch == self.n

    def epochs(self, steps: int) -> int:
        per_epoch = self.n // self.batch
        if steps % per_epoch:
            raise ValueError(f"{self.key}: {steps} steps is not a whole number of epochs")
        return steps // per_epoch


WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in (
        Workload("A", "784-256-256-10 relu, CE, batch 128", (784, 256, 256, 10), "relu", "ce",
                 128, 400, 100, 12_800, 0.05),
        Workload("B", "1024-2048-2048-10 relu, CE, batch 256", (1024, 2048, 2048, 10), "relu",
                 "ce", 256, 30, 10, 2_560, 0.01),
        Workload("C", "2-16-16-1 tanh, BCE, batch 1 (SGD)", (2, 16, 16, 1), "tanh", "bce",
                 1, 10_000, 2_000, 1_000, 0.05),
        Workload("D", "2-16-16-1 tanh, BCE, full batch (GD)", (2, 16, 16, 1), "tanh", "bce",
                 1_000, 1_000, 200, 1_000, 0.5),
        Workload("E", "20 x 64 sigmoid, CE, batch 64", (64,) + (64,) * 20 + (10,), "sigmoid",
                 "ce", 64, 200, 50, 3_200, 0.1),
    )
}  # fmt: skip


# ----------------------------------------------------------------------------- data
@functools.cache  # G's labels cost a large matmul: every runner shares one copy (read-only use)
def make_data(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    """Seeded float32 inputs and targets: int64 labels (CE) or float32 (n, 1) 0/1 targets (BCE)."""
    rng = np.random.default_rng(1000 + w.seed)
    d, c = w.sizes[0], w.sizes[-1]
    X = rng.standard_normal((w.n, d), dtype=np.float32)
    if w.loss == "ce":  # a random linear teacher: learnable, every class present
        teacher = rng.standard_normal((d, c), dtype=np.float32)
        return X, np.argmax(X @ teacher, axis=1).astype(np.int64)
    # two interleaved classes in the plane: the XOR of the signs (needs the hidden layers)
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.float32).reshape(-1, 1)
    return X, y


def initial_weights(w: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias (out,)) per layer, U(±1/√fan_in), float32."""
    rng = np.random.default_rng(w.seed)
    layers = []
    for fan_in, fan_out in zip(w.sizes[:-1], w.sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        W = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        layers.append((W, b))
    return layers


def batch_orders(w: Workload, steps: int) -> list[np.ndarray | None]:
    """The row order of each epoch (None: in order, for full-batch descent)."""
    epochs = w.epochs(steps)
    if w.full_batch:
        return [None] * epochs
    rng = np.random.default_rng(2000 + w.seed)
    return [rng.permutation(w.n) for _ in range(epochs)]


# ----------------------------------------------------------------------------- chainrule
def _chainrule_model(w: Workload, init: list[tuple[np.ndarray, np.ndarray]]):
    from chainrule import nn

    model = nn.mlp(w.sizes, w.activation, seed=w.seed)
    state = {}
    for i, (W, b) in enumerate(init):
        state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = W, b
    return model, state


def _chainrule_loss(w: Workload):
    from chainrule.nn import losses

    return losses.cross_entropy if w.loss == "ce" else losses.binary_cross_entropy_with_logits


class _FixedOrderLoader:
    """A DataLoader-like iterable that replays precomputed epoch orders (shared by all systems).

    Each ``iter()`` is one epoch, as for a DataLoader: shuffled batches are fresh copies
    (``X[index]``), full batches the arrays themselves.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, batch: int, orders: list) -> None:
        from chainrule import Tensor

        self.Tensor = Tensor
        self.X, self.y, self.batch, self.orders = X, y, batch, orders
        self.epoch = 0
        self.batch_size = batch

    def __len__(self) -> int:
        return self.X.shape[0] // self.batch

    def __iter__(self):
        T = self.Tensor
        order = self.orders[self.epoch % len(self.orders)]
        self.epoch += 1
        X, y, bs = self.X, self.y, self.batch
        if order is None:
            xb, yb = T(X), T(y)
            for _ in range(0, X.shape[0], bs):
                yield xb, yb
            return
        for start in range(0, X.shape[0], bs):
            idx = order[start : start + bs]
            yield T(X[idx]), T(y[idx])


def chainrule_runner(w: Workload, steps: int, mode: str) -> Callable[[], float]:
    """mode: 'fit' (chainrule.train.fit), 'loop' (a bare eager loop) or 'compiled'."""
    import chainrule as cr
    from chainrule import optim
    from chainrule.backend import xp

    # on the backend's device once (a no-op on NumPy; on CuPy a batch is then a device gather)
    X, y = (xp.asarray(a) for a in make_data(w))
    init = initial_weights(w)
    orders = [None if o is None else xp.asarray(o) for o in batch_orders(w, steps)]
    epochs = w.epochs(steps)
    model, state = _chainrule_model(w, init)
    loss_fn = _chainrule_loss(w)

    if mode == "fit":
        from chainrule.train import fit

        batch_size = "full" if w.full_batch else w.batch

        def run() -> float:
            model.load_state_dict(state)
            opt = optim.SGD(model.parameters(), lr=w.lr)
            h = fit(model, loss_fn, opt, X, y, epochs=epochs, batch_size=batch_size,
                    shuffle=not w.full_batch, verbose=0, seed=w.seed)  # fmt: skip
            if h.epochs != epochs:
                raise RuntimeError(f"fit stopped early: {h.stopped_reason}")
            return float(h["loss"][-1])

        return run

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    opt = None
    step_fn = cr.compile(step) if mode == "compiled" else step

    def run_loop() -> float:
        nonlocal opt
        model.load_state_dict(state)
        opt = optim.SGD(model.parameters(), lr=w.lr)
        loader = _FixedOrderLoader(X, y, w.batch, orders)
        loss = None
        for _ in range(epochs):
            for xb, yb in loader:
                loss = step_fn(xb, yb)
        return float(loss.item())

    if mode == "compiled":
        # the optimiser is rebuilt each run, so the trace of a previous run must not be reused
        def run() -> float:
            step_fn.reset()
            return run_loop()

        return run
    return run_loop


# ----------------------------------------------------------------------------- scikit-learn
def sklearn_runner(w: Workload, steps: int) -> Callable[[], float]:
    """``MLPClassifier(solver='sgd')`` on float32 input, ``max_iter`` epochs of the same batches.

    Plain SGD (no momentum, no L2 penalty, constant learning rate), the same layer sizes and
    activation; its output layer is softmax for 10 classes and logistic for 2, so its loss is
    the workload's. scikit-learn draws its own initial weights and its own shuffling order.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = make_data(w)
    labels = y.ravel().astype(np.int64)
    epochs = w.epochs(steps)
    act = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}[w.activation]

    def run() -> float:
        clf = MLPClassifier(
            hidden_layer_sizes=w.sizes[1:-1],
            activation=act,
            solver="sgd",
            alpha=0.0,
            batch_size=w.batch,
            learning_rate="constant",
            learning_rate_init=w.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            max_iter=epochs,
            shuffle=not w.full_batch,
            tol=0.0,
            n_iter_no_change=epochs + 1,
            random_state=w.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, labels)
        if clf.n_iter_ != epochs:
            raise RuntimeError(f"MLPClassifier ran {clf.n_iter_} epochs, not {epochs}")
        return float(clf.loss_curve_[-1])

    return run
