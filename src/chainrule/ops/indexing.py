"""Indexing: ``x[index]`` with slices, integer arrays and boolean masks.

The gradient of a gather is a scatter: ∂L/∂x is zero except at the picked positions, and a
position picked twice receives both gradients (a scatter-*add*, not an assignment).

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x[[0, 0, 2]].sum().backward()
>>> x.grad
tensor([2., 0., 1.])
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import scatter_add, xp
from chainrule.tensor import Tensor


def unwrap_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _unique_positions(index: Any) -> bool:
    """True when no position can be picked twice: ints, slices, None, Ellipsis and masks only."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(p, (int, slice))
        or p is None
        or p is Ellipsis
        or (hasattr(p, "dtype") and p.dtype == bool)
        for p in parts
    )


@primitive("getitem")
def _getitem(x, index):
    return x[index]


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``: NumPy's basic and advanced indexing."""
    return _getitem(x, unwrap_index(index))


_getitem.defvjp(lambda F, g, out, x, index: F.index_add(g, index, x.shape))


@primitive
def index_add(g, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated positions add up)."""
    out = xp.zeros(shape, dtype=g.dtype)
    if _unique_positions(index):
        out[index] = g
    else:
        scatter_add(out, index, g)
    return out


index_add.defvjp(lambda F, g, out, _g, index, shape: F.getitem(g, index))
