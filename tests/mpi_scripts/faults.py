"""Run under ``mpiexec -n N``: one rank fails (or holds other data) while the others train.

``python faults.py MODE``:

- ``raise``: rank 1 raises in epoch 2; the job must end with rank 1's message.
- ``kill``: rank 1 kills itself with SIGKILL in epoch 2; the job must end.
- ``model``: rank 1 builds a wider model; every rank must stop with an error naming rank 1.
- ``length``: rank 1 has one row less; an error naming rank 1.
- ``values``: rank 1 has other values; an error naming rank 1.
- ``loader``: each rank passes a DataLoader of its own shard, rank 1's one batch longer; an
  error naming rank 1.
- ``interrupt``: train until the launcher's Ctrl-C; rank 0 prints what it kept.
- ``time_limit``: rank 1 is slow; the ranks must agree on when the time limit runs out.
- ``diverge``: a learning rate that diverges; every rank must stop at the same batch.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

from chainrule import distributed as dist
from chainrule import nn, optim
from chainrule.nn.losses import cross_entropy
from chainrule.train import Callback, fit


class Fail(Callback):
    def __init__(self, mode: str) -> None:
        self.mode = mode

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if dist.rank() == 0 and epoch == 0:
            print("READY", flush=True)
        if self.mode == "time_limit" and dist.rank() == 1:
            time.sleep(0.05)  # rank 1's clock runs out later than rank 0's
        if dist.rank() != 1 or epoch != 2:
            return
        if self.mode == "raise":
            raise RuntimeError("boom on purpose in rank 1's callback")
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    mode = sys.argv[1]
    dist.init()
    rank = dist.rank()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    hidden = 8
    if rank == 1 and mode == "model":
        hidden = 9
    if rank == 1 and mode == "length":
        X, y = X[:-1], y[:-1]
    if rank == 1 and mode == "values":
        X = X + 1
    model = nn.mlp([4, hidden, 2], seed=0)
    if mode == "loader":
        from chainrule.data import DataLoader, TensorDataset

        shard = slice(rank * 40, rank * 40 + (44 if rank == 1 else 40))
        X = DataLoader(TensorDataset(X[shard], y[shard]), batch_size=4)
        y = None
    epochs = 100_000 if mode in ("interrupt", "time_limit") else 6
    lr = 1e12 if mode == "diverge" else 0.05
    limit = 1.5 if mode == "time_limit" else None
    h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=lr), X, y, epochs=epochs,
            batch_size=4, verbose=0, seed=0, callbacks=[Fail(mode)], time_limit=limit)  # fmt: skip
    weights = np.concatenate([np.asarray(p.data).ravel() for p in model.parameters()])
    same = all(np.array_equal(w, weights) for w in dist.comm().allgather(weights))
    print(f"RESULT stopped={h.stopped_reason} epochs={h.epochs} same={same}", flush=True)


if __name__ == "__main__":
    main()
