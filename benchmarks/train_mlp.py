"""Training throughput of ``chainrule.train.fit`` against a hand-written NumPy loop.

What is timed
-------------
Both sides train the same 784-256-256-10 ReLU network (float32) with plain SGD (lr 0.05,
batch 128, a new random order every epoch, softmax cross-entropy on 10 classes) on the same
seeded synthetic data: ``--samples`` standard-normal inputs labelled by a random linear teacher.
Both start from the same initial weights (chainrule's default ``Linear`` init,
U(±1/√fan_in), copied into the NumPy arrays).

chainrule
    ``chainrule.train.fit(model, cross_entropy, SGD(...), X, y, epochs=E, batch_size=128,
    verbose=0, seed=...)``: the public loop, with everything it does per batch (DataLoader
    batch, ``zero_grad``, forward, loss, ``backward``, ``step``, the loss read back as a float
    for the History and the divergence guard) and per epoch (the weight snapshot, the
    finiteness check, the History record).
numpy
    The minimal loop written by hand: permutation, fancy-indexed batch, three matmul+bias
    layers, a stable softmax, the cross-entropy gradient, the backward matmuls and in-place
    SGD updates. No framework, no checks.

Measurement: ``--rounds`` rounds; each round trains a fresh copy of the initial weights with
each implementation for ``--epochs`` epochs, the two interleaved (alternating which goes first),
with the garbage collector off during a run. ``--loop`` adds a third side, the same chainrule
training as a bare ``for xb, yb in loader`` loop without ``fit``, which separates what ``fit``
costs from what the engine costs. Reported: the median samples/s of each side over
rounds and the ratio chainrule/NumPy (1.0 would mean no framework overhead at all). The final
training losses of both are printed as a check that they did the same work.

Usage::

    python benchmarks/train_mlp.py            # 10,240 samples x 2 epochs x 5 rounds (~30 s)
    python benchmarks/train_mlp.py --quick    # a few seconds, noisier
    python benchmarks/train_mlp.py --threads 0   # BLAS's own thread count
    python benchmarks/train_mlp.py --loop        # also a chainrule loop without fit

BLAS runs on one thread by default: on a shared machine a multi-threaded BLAS that competes
for cores makes single runs vary many-fold, which hides the framework overhead being measured.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

try:
    import chainrule as cr
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import chainrule as cr

from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.nn.losses import cross_entropy
from chainrule.train import fit

SIZES = (784, 256, 256, 10)
LR = 0.05
BATCH = 128


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal inputs, labels from a random linear teacher (learnable, 10 classes)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1]), dtype=np.float32)
    return X, np.argmax(X @ teacher, axis=1).astype(np.int64)


def initial_weights(seed: int) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in nn.mlp(SIZES, "relu", seed=seed).state_dict().items()}


def run_chainrule(init: dict, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> float:
    """Train with fit; return the last epoch's mean training loss."""
    model = nn.mlp(SIZES, "relu", seed=0)
    model.load_state_dict(init)
    opt = optim.SGD(model.parameters(), lr=LR)
    h = fit(model, cross_entropy, opt, X, y, epochs=epochs, batch_size=BATCH, verbose=0, seed=seed)
    assert h.epochs == epochs, h
    return h["loss"][-1]


def run_loop(init: dict, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> float:
    """The same chainrule training as a bare hand-written loop over a DataLoader (no fit)."""
    model = nn.mlp(SIZES, "relu", seed=0)
    model.load_state_dict(init)
    opt = optim.SGD(model.parameters(), lr=LR)
    loader = DataLoader(TensorDataset(X, y), batch_size=BATCH, shuffle=True, seed=seed)
    mean_loss = float("nan")
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        mean_loss = total / X.shape[0]
    return mean_loss


def run_numpy(init: dict, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> float:
    """The same training written by hand; return the last epoch's mean training loss."""
    W1, b1 = init["0.weight"].copy(), init["0.bias"].copy()
    W2, b2 = init["2.weight"].copy(), init["2.bias"].copy()
    W3, b3 = init["4.weight"].copy(), init["4.bias"].copy()
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    lr = np.float32(LR)
    mean_loss = float("nan")
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            xb, yb = X[idx], y[idx]
            m = xb.shape[0]
            rows = np.arange(m)
            h1 = xb @ W1.T
            h1 += b1
            a1 = np.maximum(h1, 0)
            h2 = a1 @ W2.T
            h2 += b2
            a2 = np.maximum(h2, 0)
            z = a2 @ W3.T
            z += b3
            z -= z.max(axis=1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(axis=1, keepdims=True)
            total += float(-np.log(p[rows, yb]).mean()) * m
            g = p
            g[rows, yb] -= 1.0
            g /= np.float32(m)
            gW3, gb3 = g.T @ a2, g.sum(axis=0)
            g2 = g @ W3
            g2 *= h2 > 0
            gW2, gb2 = g2.T @ a1, g2.sum(axis=0)
            g1 = g2 @ W2
            g1 *= h1 > 0
            gW1, gb1 = g1.T @ xb, g1.sum(axis=0)
            for w, gw in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
                w -= lr * gw
        mean_loss = total / n
    return mean_loss


def timed(fn, *args) -> tuple[float, float]:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        loss = fn(*args)
        return time.perf_counter() - t0, loss
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=10_240)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: stable on a shared machine; 0 leaves BLAS's default)",
    )
    parser.add_argument(
        "--loop",
        action="store_true",
        help="also time a bare chainrule loop without fit, to separate fit's cost from the engine's",
    )
    parser.add_argument("--quick", action="store_true", help="2,048 samples, 1 epoch, 3 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.epochs, args.rounds = 2048, 1, 3
    with _blas_threads(args.threads) as threads:
        _run(args, threads)


@contextlib.contextmanager
def _blas_threads(n: int) -> Iterator[str]:
    """Limit BLAS to ``n`` threads with threadpoolctl (when installed)."""
    if n <= 0:
        yield "BLAS default"
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield "BLAS default (threadpoolctl not installed)"
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield f"{n} BLAS thread{'s' if n > 1 else ''}"


def _run(args: argparse.Namespace, threads: str) -> None:

    X, y = make_data(args.samples, args.seed)
    init = initial_weights(args.seed)
    work = args.samples * args.epochs
    print(
        f"784-256-256-10 ReLU, float32, SGD lr={LR}, batch {BATCH}: {args.samples} samples x "
        f"{args.epochs} epochs, {args.rounds} rounds (interleaved)"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"chainrule {cr.__version__}, {threads}"
    )
    # warm-up: imports, first-touch allocations
    run_chainrule(init, X[: BATCH * 2], y[: BATCH * 2], 1, args.seed)
    run_numpy(init, X[: BATCH * 2], y[: BATCH * 2], 1, args.seed)

    runners = {"chainrule": run_chainrule, "numpy": run_numpy}
    if args.loop:
        runners["loop"] = run_loop
    rates: dict[str, list[float]] = {name: [] for name in runners}
    losses: dict[str, float] = {}
    names = list(runners)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        line = []
        for name in order:
            seconds, loss = timed(runners[name], init, X, y, args.epochs, args.seed)
            rates[name].append(work / seconds)
            losses[name] = loss
            line.append(f"{name} {work / seconds:7.0f}")
        print(f"round {r + 1} (samples/s): " + "   ".join(line))

    med = {k: statistics.median(v) for k, v in rates.items()}
    labels = {
        "chainrule": "chainrule (fit)",
        "loop": "chainrule (hand loop)",
        "numpy": "numpy (by hand)",
    }
    print()
    print(f"{'':22s} {'median samples/s':>17s} {'final loss':>11s}")
    for name in names:
        print(f"{labels[name]:22s} {med[name]:17.0f} {losses[name]:11.4f}")
    print(f"ratio chainrule/numpy: {med['chainrule'] / med['numpy']:.3f}")
    if args.loop:
        print(f"ratio fit/hand loop:   {med['chainrule'] / med['loop']:.3f}")


if __name__ == "__main__":
    main()
