"""The data of each rank: a strided split of one epoch order shared by every rank.

Every rank draws the same permutation of the rows for an epoch (the same generator, the same
seed) and takes positions ``rank, rank + N, rank + 2N, ...`` of it, as PyTorch's
``DistributedSampler`` does. Batch ``k`` of rank ``r`` (``b`` rows) is then positions
``k·N·b + r, k·N·b + r + N, ...``: the ``N`` ranks' batches ``k`` together are exactly batch
``k`` of one process at batch ``N·b``, and one epoch visits every row once.

>>> import chainrule as cr
>>> from chainrule.distributed import DistributedSampler, ShardedLoader
>>> [list(DistributedSampler(10, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
[[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
>>> loader = ShardedLoader((cr.arange(8),), batch_size=2, num_replicas=2, rank=1, shuffle=False)
>>> [xb.tolist() for (xb,) in loader]
[[1, 3], [5, 7]]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

from chainrule import creation
from chainrule.backend import to_numpy, xp
from chainrule.data._utils import check_flag
from chainrule.tensor import Tensor

__all__ = ["DistributedSampler", "ShardedLoader"]


def _check_rank(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    if num_replicas is None or rank is None:
        from chainrule.distributed import world as comm

        num_replicas = comm.world_size() if num_replicas is None else num_replicas
        rank = comm.rank() if rank is None else rank
    if not isinstance(num_replicas, numbers.Integral) or num_replicas < 1:
        raise ValueError(f"num_replicas must be an int >= 1, got {num_replicas!r}")
    if not isinstance(rank, numbers.Integral) or not 0 <= rank < num_replicas:
        raise ValueError(f"rank must be in [0, {num_replicas}), got {rank!r}")
    return int(num_replicas), int(rank)


class DistributedSampler:
    """The row indices of one rank for the current epoch (strided, see the module notes).

    Parameters
    ----------
    n : int
        Rows in the data set (the same on every rank).
    num_replicas, rank : int, optional
        The world size and this process's rank (default: from MPI).
    shuffle : bool
        A new order each epoch, the same on every rank.
    seed : int
        Seeds the order. Epoch ``e``'s order is the ``e + 1``-th permutation drawn from
        ``chainrule.Generator(seed)``, the order a ``DataLoader(..., shuffle=True, seed=seed)``
        visits in its epoch ``e``; so one process sees the same rows as the ranks together.

    Examples
    --------
    >>> s = DistributedSampler(6, num_replicas=2, rank=0, seed=0)
    >>> s.set_epoch(1)
    >>> len(s), sorted(list(s) + list(DistributedSampler(6, 2, 1, seed=0).at_epoch(1)))
    (3, [0, 1, 2, 3, 4, 5])
    """

    def __init__(
        self,
        n: int,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        if not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"DistributedSampler: n must be an int >= 0, got {n!r}")
        self.n = int(n)
        self.num_replicas, self.rank = _check_rank(num_replicas, rank)
        self.shuffle = check_flag(shuffle, "shuffle", "DistributedSampler")
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            raise TypeError(f"DistributedSampler: seed must be an int, got {seed!r}")
        self.seed = int(seed)
        self.epoch = 0
        self._gen = creation.Generator(self.seed)
        self._drawn = 0  # epochs drawn from _gen so far

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration visit epoch ``epoch``'s order."""
        if not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"set_epoch: epoch must be an int >= 0, got {epoch!r}")
        self.epoch = int(epoch)

    def order(self) -> Any:
        """The whole epoch's order of rows (every rank's), a host int array."""
        if not self.shuffle:
            return xp.arange(self.n)
        if self._drawn > self.epoch:  # an earlier epoch again: replay the stream from the seed
            self._gen, self._drawn = creation.Generator(self.seed), 0
        while self._drawn < self.epoch:
            self._gen.permutation(self.n)
            self._drawn += 1
        self._drawn += 1
        return self._gen.permutation(self.n)

    def at_epoch(self, epoch: int) -> Iterator[int]:
        """Iterate this rank's rows of epoch ``epoch`` (sets the epoch)."""
        self.set_epoch(epoch)
        return iter(self)

    def indices(self) -> Any:
        """This rank's rows of the current epoch, an int array."""
        return self.order()[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(to_numpy(self.indices()).tolist())

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.num_replicas))


class ShardedLoader:
    """This rank's batches of a TensorDataset's arrays, one epoch per ``for`` loop.

    Every rank yields the same number of batches, ``ceil(n / (N·batch_size))``, so their steps
    pair up in the gradient Allreduce; in the last one a rank may get fewer rows than the
    others, or none (a batch with 0 rows, which the training loop skips).

    Parameters
    ----------
    arrays : sequence of arrays or Tensors
        The fields (inputs, targets), each with one row per example.
    batch_size : int or "full"
        Rows per rank per step. ``"full"``: the whole data set per step across the ranks
        (``ceil(n / N)`` rows each), gradient descent.
    num_replicas, rank : int, optional
        Default: from MPI.
    shuffle : bool
    seed : int
        As for :class:`DistributedSampler`.

    Examples
    --------
    >>> import chainrule as cr
    >>> ld = ShardedLoader((cr.arange(5),), batch_size=2, num_replicas=2, rank=1, shuffle=False)
    >>> len(ld), [xb.tolist() for (xb,) in ld]
    (2, [[1, 3], []])
    """

    def __init__(
        self,
        arrays: Sequence[Any],
        batch_size: int | str,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        from chainrule.data.loader import _check_batch_size

        self.arrays = tuple(a._data if isinstance(a, Tensor) else xp.asarray(a) for a in arrays)
        rows = {int(a.shape[0]) for a in self.arrays}
        if len(rows) != 1:
            raise ValueError(f"ShardedLoader: the arrays have different numbers of rows: {rows}")
        self.n = rows.pop()
        self.sampler = DistributedSampler(self.n, num_replicas, rank, shuffle, seed)
        size = _check_batch_size(batch_size)
        world = self.sampler.num_replicas
        self.batch_size = max(1, math.ceil(self.n / world)) if size == "full" else int(size)
        self._next_epoch = 0

    def __len__(self) -> int:
        return math.ceil(self.n / (self.sampler.num_replicas * self.batch_size))

    def set_epoch(self, epoch: int) -> None:
        """Make the next ``for`` loop visit epoch ``epoch`` (default: the one after the last)."""
        self.sampler.set_epoch(epoch)
        self._next_epoch = int(epoch)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        self.sampler.set_epoch(self._next_epoch)
        self._next_epoch += 1
        mine = self.sampler.indices()
        b = self.batch_size
        for k in range(len(self)):
            index = mine[k * b : (k + 1) * b]
            yield tuple(Tensor(a[index]) for a in self.arrays)
