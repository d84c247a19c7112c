"""What the training loop does differently when N ranks train one model together.

:class:`DataParallel` is the loop's one contact with MPI. At the start it checks that every
rank holds the same model and data and broadcasts rank 0's weights; each step it averages the
gradients (:class:`~chainrule.distributed.GradientReducer`) and lets the ranks agree on the
step's loss and on stopping; at the end of an epoch it averages the metrics. Every decision
the loop takes (divergence, Ctrl-C, time limit, early stopping) is taken on numbers that are
equal on every rank, so the ranks never part ways in a collective.

>>> from chainrule import distributed as dist
>>> dist.DataParallel.wanted(None)   # one process, not under mpiexec
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chainrule.backend import to_numpy, xp
from chainrule.distributed import world as _comm
from chainrule.distributed.reducer import BUCKET_BYTES, GradientReducer
from chainrule.distributed.sampler import ShardedLoader

__all__ = ["DataParallel"]


class _Agreed:
    """The loop's Ctrl-C flag as the ranks agreed on it at the last exchange.

    A rank's own flag (set by its signal handler at any moment, even during an Allreduce)
    travels with the next exchange; every rank stops at the same step.
    """

    def __init__(self, local: Any) -> None:
        self.local = local
        self.requested = False


class DataParallel:
    """Data-parallel training of ``model`` over the ranks of ``comm``.

    Parameters
    ----------
    model : Module
        The same architecture on every rank; rank 0's weights and buffers are broadcast.
    comm : mpi4py.MPI.Comm, optional
        Default: ``MPI.COMM_WORLD`` (started by :func:`~chainrule.distributed.init`).
    bucket_bytes : int
        The most bytes of gradients per Allreduce.

    Raises
    ------
    ValueError
        If a rank's model differs from rank 0's (the message names the rank and parameter).

    Examples
    --------
    >>> from chainrule import distributed as dist, nn
    >>> dp = dist.DataParallel(nn.Linear(3, 1))  # doctest: +SKIP
    >>> loader = dp.loader((X, y), batch_size=32, shuffle=True, seed=0)  # doctest: +SKIP
    """

    def __init__(self, model: Any, comm: Any = None, bucket_bytes: int = BUCKET_BYTES) -> None:
        self.comm = _comm.init() if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.is_main = self.rank == 0
        check_same_model(model, self.comm)
        broadcast_model(model, self.comm)
        self.model = model
        self.reducer = GradientReducer(model.parameters(), self.comm, bucket_bytes, n_extra=3)
        self.interrupts = _Agreed(None)
        self.late = False  # the time limit ran out on some rank, as of the last exchange

    @staticmethod
    def wanted(distributed: bool | None) -> bool:
        """Whether ``fit(distributed=...)`` trains on several ranks.

        None: when launched under ``mpiexec`` with more than one rank. True on one process is
        allowed (a world of one).
        """
        if distributed is None:
            return _comm.launched_world_size() > 1
        if not isinstance(distributed, bool):
            raise TypeError(f"fit: distributed must be True, False or None, got {distributed!r}")
        return distributed

    # ------------------------------------------------------------------ start
    def shared_seed(self, seed: int | None) -> int:
        """``seed``, or (None) a seed drawn on rank 0 from the global generator, on every rank."""
        if seed is None:
            from chainrule.creation import default_generator

            seed = int(default_generator.integers(0, 2**62, (1,))[0]) if self.is_main else 0
            seed = self.comm.bcast(seed, root=0)
        return int(seed)

    def loader(
        self, arrays: Sequence[Any], batch_size: int | str, shuffle: bool, seed: int | None
    ) -> ShardedLoader:
        """This rank's batches of ``arrays`` (see :class:`ShardedLoader`), after checking
        that every rank holds the same data."""
        check_same_data(arrays, self.comm)
        return ShardedLoader(
            arrays, batch_size, self.size, self.rank, shuffle, self.shared_seed(seed)
        )

    def check_batches(self, loader: Any) -> None:
        """A rank's own DataLoader: every rank must have as many batches per epoch."""
        try:
            mine = len(loader)
        except TypeError:
            mine = -1
        _same(self.comm, mine, "batches per epoch in its DataLoader")

    def agreed(self, interrupts: Any) -> _Agreed:
        """Wrap the loop's Ctrl-C flag: its ``requested`` becomes the ranks' agreed value.

        Stop requests (Ctrl-C, the time limit) set on any rank hold on every rank from the
        next exchange on; callbacks see the same logs on every rank, so they decide alike.
        """
        self.interrupts = _Agreed(interrupts)
        return self.interrupts

    def _flags(self, late: bool) -> list[float]:
        local = self.interrupts.local
        return [float(bool(local is not None and local.requested)), float(late)]

    def _agree(self, flags: Sequence[float]) -> None:
        self.interrupts.requested = flags[0] > 0
        self.late = flags[1] > 0

    def callbacks(self, cbs: Sequence[Any]) -> list[Any]:
        """The callbacks this rank runs: those that declare ``main_rank_only`` (they write files
        or print) run on rank 0 only."""
        if self.is_main:
            return list(cbs)
        return [c for c in cbs if not getattr(c, "main_rank_only", False)]

    # ------------------------------------------------------------------ each step
    def step(self, loss_sum: float, rows: int, late: bool) -> tuple[float, int]:
        """Average the gradients; agree on the step's loss and the stop requests.

        Parameters
        ----------
        loss_sum : float
            This rank's mean loss times its rows (0 for an empty batch; NaN if it diverged).
        rows : int
            This rank's rows in the step.
        late : bool
            Whether the time limit has run out on this rank.

        Returns
        -------
        (float, int)
            The mean loss over the global batch and its rows. ``self.late`` and the wrapped
            Ctrl-C flag now hold the agreed stop requests.
        """
        total, sums = self.reducer.sync(rows, [loss_sum, *self._flags(late)])
        self._agree(sums[1:])
        return (sums[0] / total if total > 0 else math.nan), int(total)

    # ------------------------------------------------------------------ each epoch
    def end_epoch(
        self, metrics: Sequence[tuple[str, Any]], collected: Any, late: bool
    ) -> dict[str, float]:
        """The training metrics averaged over the ranks; agree on the stop requests.

        ``collected`` holds this rank's outputs and targets of the epoch (the loop's
        collector, or None without metrics). Each rank computes the metrics on its own rows;
        their mean weighted by rows is exact for means over rows (accuracy, mse, mae,
        log_loss) and an approximation for the others (r2, precision, recall, f1). One
        Allreduce of a few numbers.
        """
        from mpi4py import MPI

        keys = [name for name, _ in metrics]
        outs = collected.outs if collected is not None else []
        rows = sum(int(o.shape[0]) for o in outs)
        logs = collected.compute(metrics) if outs else {}
        weighted = (float(logs[k]) * rows if rows else 0.0 for k in keys)
        buf = _host([rows, *weighted, *self._flags(late)])
        self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        self.sync_buffers()
        total = buf[0]
        self._agree(buf[1 + len(keys) :])
        return {k: float(buf[1 + i] / total) if total else math.nan for i, k in enumerate(keys)}

    def sync_buffers(self) -> None:
        """Rank 0's buffers (BatchNorm's running statistics, seen on rank 0's rows only) on
        every rank, as PyTorch's DDP does; called at the end of each epoch."""
        _bcast_buffers(self.model, self.comm)


# ----------------------------------------------------------------------------- checks
def _signature(model: Any) -> list[tuple[str, tuple[int, ...], str]]:
    params = [(n, tuple(p.shape), str(p._data.dtype)) for n, p in model.named_parameters()]
    return params + [(n, tuple(b.shape), str(b.dtype)) for n, b in model.named_buffers()]


def check_same_model(model: Any, comm: Any) -> None:
    """Raise ValueError, on every rank, naming the first rank whose model differs from rank 0's.

    Compares parameter and buffer names, shapes and dtypes (not values: those are broadcast).
    """
    sigs = comm.allgather(_signature(model))
    ref = sigs[0]
    for r, sig in enumerate(sigs[1:], start=1):
        if sig == ref:
            continue
        for a, b in zip(ref, sig):
            if a != b:
                raise ValueError(
                    f"distributed: the model on rank {r} differs from rank 0's: rank 0 has "
                    f"{a[0]} {a[1]} {a[2]}, rank {r} has {b[0]} {b[1]} {b[2]}"
                )
        raise ValueError(
            f"distributed: the model on rank {r} has {len(sig)} parameters and buffers, "
            f"rank 0's has {len(ref)}"
        )


def check_same_data(arrays: Sequence[Any], comm: Any) -> None:
    """Raise ValueError naming the rank whose data has another length or other values."""
    n = int(arrays[0].shape[0])
    _same(comm, n, "training rows")
    # a cheap fingerprint: ranks that loaded different files (or shuffled differently) differ
    mine = tuple(f"{float(to_numpy(xp.sum(a, dtype=xp.float64))):.6g}" for a in arrays)  # NaN==NaN
    sums = comm.allgather(mine)
    for r, v in enumerate(sums):
        if v != sums[0]:
            raise ValueError(
                f"distributed: the data on rank {r} differ from rank 0's (sums of inputs and "
                f"targets {v} against {sums[0]}); every rank must pass the same data"
            )


def _same(comm: Any, mine: Any, what: str) -> None:
    values = comm.allgather(mine)
    for r, v in enumerate(values):
        if v != values[0]:
            raise ValueError(
                f"distributed: rank {r} has {v} {what}, but rank 0 has {values[0]}; every rank "
                "must have the same"
            )


def broadcast_model(model: Any, comm: Any) -> None:
    """Copy rank 0's parameters and buffers into every rank's model, in place."""
    for p in model.parameters():
        p._data[...] = _bcast_array(comm, p._data)
    _bcast_buffers(model, comm)


def _bcast_buffers(model: Any, comm: Any) -> None:
    for _, mod in model.named_modules():
        for name, b in list(mod._buffers.items()):
            if b is not None:
                mod._buffers[name] = _bcast_array(comm, b)


def _bcast_array(comm: Any, a: Any) -> Any:
    host = to_numpy(a)
    host = host.copy() if not host.flags.c_contiguous or not host.flags.writeable else host
    comm.Bcast(host, root=0)
    return xp.asarray(host)


def _host(values: Sequence[float]) -> Any:
    import numpy

    return numpy.asarray(values, dtype=numpy.float64)
