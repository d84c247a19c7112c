"""Run under ``mpiexec -n N``: N ranks at batch b against one process at batch N·b.

Each rank starts from different weights (its own seed: the broadcast must fix that), trains
with ``fit(distributed=True)`` in float64, then rank 0 trains the same model alone at batch
N·b from rank 0's initial weights. Prints one JSON line from rank 0.
"""

from __future__ import annotations

import json
import sys

import numpy as np

import chainrule as cr
from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.nn.losses import cross_entropy
from chainrule.train import fit

B = 8  # rows per rank per step
EPOCHS = 9
N_ROWS = 194  # not a multiple of N·B: the last step is partial (for N=4, two ranks get no rows)

OPTIMIZERS = {
    "sgd_momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "adam": lambda ps: optim.Adam(ps, lr=0.01),
}


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N_ROWS, 5))
    return X, (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1)


def weights(model: nn.Module) -> np.ndarray:
    return np.concatenate([np.asarray(p.data).ravel() for p in model.parameters()])


class Shared(nn.Module):
    """A layer called twice in one forward pass, and a parameter no loss reaches."""

    def __init__(self) -> None:
        super().__init__()
        gen = cr.Generator(0)
        self.a = nn.Linear(5, 5, generator=gen, dtype=cr.float64)
        self.b = nn.Linear(5, 3, generator=gen, dtype=cr.float64)
        self.unused = nn.Linear(2, 2, generator=gen, dtype=cr.float64)

    def forward(self, x):
        return self.b(self.a(self.a(x).tanh()).tanh())


def overlap_vs_sync(world) -> float:
    """The gradients of one step, reduced during backward (small buckets) and after it."""
    from chainrule.distributed import GradientReducer
    from chainrule.distributed.overlap import OverlappedReducer

    X, y = data()
    r = world.Get_rank()
    rows = slice(r * 5, r * 5 + 3 + r)  # unequal rows per rank
    n = rows.stop - rows.start
    worst = 0.0
    for make in (lambda: nn.mlp([5, 16, 16, 3], "tanh", seed=0, dtype=cr.float64), Shared):
        grads = []
        for kind in (GradientReducer, OverlappedReducer):
            model = make()
            reducer = kind(model.parameters(), world, bucket_bytes=8 * 20, n_extra=1)
            assert len(reducer.buckets) > 2
            if kind is GradientReducer:
                loss = cross_entropy(model(cr.tensor(X[rows])), cr.tensor(y[rows]))
                loss.backward()
                reducer.sync(n, [loss.item() * n])
            else:
                with reducer.step(model, n):
                    loss = cross_entropy(model(cr.tensor(X[rows])), cr.tensor(y[rows]))
                    reducer.extra = [loss.item() * n]
                    loss.backward()
                assert reducer.early > 0
            grads.append([None if p.grad is None else np.asarray(p.grad.data).copy()
                          for p in model.parameters()])  # fmt: skip
        for g_sync, g_over in zip(*grads):
            assert (g_sync is None) == (g_over is None)
            if g_sync is not None:
                worst = max(worst, float(np.abs(g_sync - g_over).max()))
        if make is Shared:
            assert grads[1][-1] is None and grads[1][0] is not None  # unused: no gradient
    return worst


def main() -> None:
    world = dist.init()
    rank, size = world.Get_rank(), world.Get_size()
    X, y = data()
    report = {"size": size}
    for name, make in OPTIMIZERS.items():
        start = nn.mlp([5, 16, 16, 3], "tanh", seed=rank, dtype=cr.float64)  # differs per rank
        initial = {k: np.array(v, copy=True) for k, v in start.state_dict().items()}
        model = start
        h = fit(model, cross_entropy, make(model.parameters()), X, y, epochs=EPOCHS, batch_size=B,
                metrics=["accuracy"], verbose=0, seed=3, distributed=True)  # fmt: skip
        w = weights(model)
        every = world.allgather(w)
        initial0 = world.bcast(initial, root=0)
        steps = EPOCHS * -(-N_ROWS // (size * B))
        if rank == 0:
            alone = nn.mlp([5, 16, 16, 3], "tanh", seed=99, dtype=cr.float64)
            alone.load_state_dict(initial0)
            h1 = fit(alone, cross_entropy, make(alone.parameters()), X, y, epochs=EPOCHS,
                     batch_size=size * B, metrics=["accuracy"], verbose=0, seed=3,
                     distributed=False)  # fmt: skip
            report[name] = {
                "steps": steps,
                "max_diff_vs_one_process": float(np.abs(w - weights(alone)).max()),
                "max_diff_between_ranks": float(max(np.abs(v - w).max() for v in every)),
                "loss_diff": float(abs(h["loss"][-1] - h1["loss"][-1])),
                "accuracy_diff": float(abs(h["accuracy"][-1] - h1["accuracy"][-1])),
                "moved": float(np.abs(w - weights(nn.mlp([5, 16, 16, 3], "tanh", seed=0,
                                                        dtype=cr.float64))).max()),
            }  # fmt: skip
    report["overlap_max_grad_diff"] = overlap_vs_sync(world)
    if rank == 0:
        print("RESULT " + json.dumps(report), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
