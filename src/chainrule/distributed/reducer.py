"""Gradients averaged across ranks: one Allreduce per bucket per step, over a flat buffer.

The parameters are grouped, in reverse order (backward finishes the last layer first), into
buckets of at most ``bucket_bytes`` and one dtype; each bucket owns a flat buffer allocated
once. A step copies each gradient into its bucket, scaled by the rank's number of rows,
reduces the buffer in place with one ``Allreduce`` (``MPI.SUM``) and divides by the total
rows, so that ranks with unequal batches still give the gradient of the mean loss over the
global batch. The gradients become views of the reduced buffer (no copy back).

The last bucket (reduced last) also carries a few numbers every rank must agree on: the rows
of the step, the caller's numbers (the summed loss, stop requests), and whether each parameter
got a gradient anywhere (a parameter no rank has a gradient for keeps ``grad=None``, as on one
process). They are summed in the bucket's dtype: exact for counts below 2**24 in float32.

With CuPy arrays the buffer is staged through host memory (the ``mpich`` wheel is not
CUDA-aware).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from chainrule.backend import to_numpy, xp
from chainrule.tensor import Tensor

__all__ = ["BUCKET_BYTES", "GradientReducer"]

BUCKET_BYTES = 25 * 2**20  # PyTorch DDP's default bucket_cap_mb=25


class _Bucket:
    __slots__ = ("dtype", "flat", "offset", "params", "slices")

    def __init__(self, params: list[Any], dtype: Any, offset: int) -> None:
        self.params = params
        self.dtype = dtype
        self.offset = offset  # slots before the gradients (the shared numbers; last bucket only)
        self.slices = []
        start = offset
        for p in params:
            self.slices.append((start, start + int(p._data.size)))
            start += int(p._data.size)
        self.flat = xp.zeros(start, dtype=dtype)


class GradientReducer:
    """Average the gradients of ``params`` over every rank of ``comm``.

    Parameters
    ----------
    params : iterable of Parameter
        The same parameters, in the same order, on every rank.
    comm : mpi4py.MPI.Comm
    bucket_bytes : int
        The most bytes of gradients per Allreduce (a parameter larger than this gets a bucket
        of its own).
    n_extra : int
        How many numbers the caller sums over the ranks each step along with the gradients.

    Examples
    --------
    >>> from chainrule import distributed as dist, nn
    >>> reducer = GradientReducer(nn.Linear(3, 2).parameters(), dist.init())  # doctest: +SKIP
    >>> total_rows, (loss_sum,) = reducer.sync(8, [loss * 8])  # doctest: +SKIP
    """

    def __init__(
        self,
        params: Iterable[Any],
        comm: Any,
        bucket_bytes: int = BUCKET_BYTES,
        n_extra: int = 0,
    ) -> None:
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("distributed: the model has no parameters that require gradients")
        self.comm = comm
        self.n_extra = int(n_extra)
        groups: list[list[Any]] = []
        size = 0
        for p in reversed(self.params):
            nbytes = int(p._data.size) * p._data.dtype.itemsize
            if (
                not groups
                or groups[-1][0]._data.dtype != p._data.dtype
                or size + nbytes > bucket_bytes
            ):
                groups.append([])
                size = 0
            groups[-1].append(p)
            size += nbytes
        # the shared numbers: rows, the caller's, then one "has a gradient" count per parameter
        self.head = 1 + self.n_extra + len(self.params)
        last = len(groups) - 1
        self.buckets = [
            _Bucket(ps, ps[0]._data.dtype, self.head if i == last else 0)
            for i, ps in enumerate(groups)
        ]
        self.index = {id(p): i for i, p in enumerate(self.params)}
        self._requests: list[Any] = []
        self._staged: list[Any] = []

    # ------------------------------------------------------------------ one step
    def fill(self, i: int, rows: float, extra: Sequence[float] = ()) -> None:
        """Copy bucket ``i``'s gradients (times ``rows``) into its buffer."""
        bucket = self.buckets[i]
        flat = bucket.flat
        for p, (a, b) in zip(bucket.params, bucket.slices):
            g = p.grad
            if g is None:
                flat[a:b] = 0
            else:
                xp.multiply(g._data.reshape(-1), rows, out=flat[a:b])
        if i == len(self.buckets) - 1:
            if len(extra) != self.n_extra:
                raise ValueError(f"distributed: expected {self.n_extra} numbers, got {len(extra)}")
            head = [rows, *extra, *(0.0 if p.grad is None else 1.0 for p in self.params)]
            flat[: self.head] = xp.asarray(head, dtype=flat.dtype)

    def start(self, i: int) -> None:
        """Begin bucket ``i``'s Allreduce without waiting for it (``Iallreduce``)."""
        from mpi4py import MPI

        flat = self.buckets[i].flat
        host = flat if xp is _numpy() else to_numpy(flat)
        self._requests.append(self.comm.Iallreduce(MPI.IN_PLACE, host, op=MPI.SUM))
        self._staged.append((i, host))

    def progress(self) -> None:
        """Let MPI move the started Allreduces on (MPICH progresses only inside MPI calls)."""
        if self._requests:
            from mpi4py import MPI

            MPI.Request.Testall(self._requests)

    def reduce(self, i: int) -> None:
        """Bucket ``i``'s Allreduce, blocking."""
        from mpi4py import MPI

        flat = self.buckets[i].flat
        host = flat if xp is _numpy() else to_numpy(flat)
        self.comm.Allreduce(MPI.IN_PLACE, host, op=MPI.SUM)
        if host is not flat:
            flat[...] = xp.asarray(host)

    def wait(self) -> None:
        """Wait for every bucket started with :meth:`start`."""
        from mpi4py import MPI

        MPI.Request.Waitall(self._requests)
        for i, host in self._staged:
            flat = self.buckets[i].flat
            if host is not flat:
                flat[...] = xp.asarray(host)
        self._requests, self._staged = [], []

    def finish(self) -> tuple[float, list[float]]:
        """Divide by the total rows and set the averaged gradients.

        Call after every bucket is reduced. Returns the total rows and the sums of the
        caller's numbers.
        """
        head = to_numpy(self.buckets[-1].flat[: self.head]).astype(float).tolist()
        rows, extra, present = head[0], head[1 : 1 + self.n_extra], head[1 + self.n_extra :]
        scale = 1.0 / rows if rows > 0 else 0.0
        for bucket in self.buckets:
            flat = bucket.flat
            grads = flat[bucket.offset :]
            xp.multiply(grads, scale, out=grads)
            for p, (a, b) in zip(bucket.params, bucket.slices):
                if present[self.index[id(p)]] > 0:
                    p.grad = Tensor(flat[a:b].reshape(p._data.shape))
                else:
                    p.grad = None
        return rows, extra

    def sync(self, rows: float, extra: Sequence[float] = ()) -> tuple[float, list[float]]:
        """Average the gradients over the ranks, each rank weighted by its ``rows``.

        Returns the total rows of the step and the sums over the ranks of ``extra``.
        """
        for i in range(len(self.buckets)):
            self.fill(i, rows, extra)
            self.reduce(i)
        return self.finish()


def _numpy() -> Any:
    import numpy

    return numpy
