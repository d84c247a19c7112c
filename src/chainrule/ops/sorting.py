"""Sorting: ``sort``, ``argsort`` and ``topk``, as PyTorch's, with ``(values, indices)`` named tuples.

The values are a :func:`~chainrule.gather` of the input at the sorted indices, so their gradient
flows back to the positions they came from.

>>> import chainrule as cr
>>> cr.topk(cr.tensor([1.0, 4.0, 2.0, 3.0]), 2)
topk(values=tensor([4., 3.]), indices=tensor([1, 3]))
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from chainrule.autograd import nondifferentiable
from chainrule.backend import xp
from chainrule.ops.gather import gather
from chainrule.ops.indexing import getitem
from chainrule.tensor import Tensor

__all__ = ["argsort", "sort", "topk"]

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


@nondifferentiable("argsort")
def _argsort(x, axis=-1, descending=False):
    if descending:  # stable on -x keeps tied values in their original order, as PyTorch does
        key = ~x if x.dtype == bool else -x
        return xp.argsort(key, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis, kind="stable")


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort ``input`` along ``dim`` (ties keep their order).

    >>> import chainrule as cr
    >>> cr.argsort(cr.tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    if input.ndim == 0:  # PyTorch: a 0-d index, as sort's
        return Tensor(xp.zeros((), dtype=xp.int64))
    return _argsort(input, axis=dim, descending=descending)


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """``(values, indices)`` sorted along ``dim``; ties keep their order.

    >>> import chainrule as cr
    >>> cr.sort(cr.tensor([3.0, 1.0, 2.0]), descending=True).values.tolist()
    [3.0, 2.0, 1.0]
    """
    if input.ndim == 0:
        return SortResult(input, Tensor(xp.zeros((), dtype=xp.int64)))
    indices = argsort(input, dim, descending)
    return SortResult(gather(input, dim, indices), indices)


def topk(
    input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> TopkResult:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest first.

    >>> import chainrule as cr
    >>> cr.topk(cr.tensor([[1.0, 5.0, 3.0]]), 2, largest=False).indices.tolist()
    [[0, 2]]
    """
    n = input.shape[dim]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for dim {dim} of size {n}")
    values, indices = sort(input, dim, descending=largest)
    pick = (slice(None),) * (dim % input.ndim) + (slice(0, k),)
    return TopkResult(getitem(values, pick), getitem(indices, pick))
