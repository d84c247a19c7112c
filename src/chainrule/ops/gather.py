"""Gathering and scattering along one dim, PyTorch's ``gather``/``scatter``/``scatter_add``, and
the selections built on indexing: ``index_select`` and ``masked_fill``.

``gather`` picks ``out[i][j] = x[i][index[i][j]]`` (for ``dim=1``); its gradient is the matching
scatter-*add* (a position picked twice gets both gradients), and the scatter's gradient is a
gather: the two rules are each other's transpose.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = cr.gather(x, 1, cr.tensor([[1, 1], [0, 1]]))
>>> y.tolist()
[[2.0, 2.0], [3.0, 4.0]]
>>> y.sum().backward()
>>> x.grad.tolist()
[[0.0, 2.0], [1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import scatter_add as _scatter_add_raw
from chainrule.backend import xp
from chainrule.ops.indexing import getitem
from chainrule.ops.selection import where
from chainrule.tensor import Tensor

__all__ = ["gather", "index_add", "index_select", "masked_fill", "scatter", "scatter_add"]


def _full_index(index: Any, dim: int) -> tuple:
    """The advanced index that puts ``index`` on ``dim`` and the positions on every other dim."""
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _check(name: str, x: Any, dim: int, index: Any) -> int:
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must hold integers, got dtype {index.dtype}")
    if index.ndim != x.ndim:
        raise ValueError(
            f"{name}: index has {index.ndim} dims but the input has {x.ndim} (shape {x.shape})"
        )
    d = dim % x.ndim
    for i, (n, m) in enumerate(zip(index.shape, x.shape, strict=True)):
        if i != d and n > m:
            raise ValueError(
                f"{name}: index of shape {index.shape} is larger than input of shape "
                f"{x.shape} along dim {i}"
            )
    if index.size and (int(index.max()) >= x.shape[d] or int(index.min()) < -x.shape[d]):
        raise IndexError(f"{name}: an index is out of range for dim {dim} of size {x.shape[d]}")
    return d


@primitive("gather")
def _gather(x, dim, index):
    return x[_full_index(index, dim)]


@primitive
def put_add(g, dim, index, shape):
    """Zeros of ``shape`` with ``g`` added along ``dim`` at ``index`` (repeats add up)."""
    out = xp.zeros(shape, dtype=g.dtype)
    _scatter_add_raw(out, _full_index(index, dim), g)
    return out


_gather.defvjp(lambda F, g, out, x, dim, index: F.put_add(g, dim, index, x.shape))
put_add.defvjp(lambda F, g, out, _g, dim, index, shape: F.gather(g, dim, index))


def gather(input: Any, dim: int, index: Any) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]``.

    ``index`` has the input's number of dims and is no larger on the others, as in PyTorch.

    >>> import chainrule as cr
    >>> cr.gather(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, cr.tensor([[0], [1]])).tolist()
    [[1.0], [4.0]]
    """
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    d = _check("gather", input, dim, idx)
    return _gather(input, d, idx)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` plus ``src`` added along ``dim`` at ``index`` (repeated positions add up).

    >>> import chainrule as cr
    >>> cr.scatter_add(cr.zeros(3), 0, cr.tensor([0, 0, 2]), cr.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    d = _check("scatter_add", input, dim, idx)
    src = src[tuple(slice(0, n) for n in idx.shape)]
    return input + put_add(src, d, idx, tuple(input.shape))


@primitive("scatter")
def _scatter(x, dim, index, src):
    out = x.copy()
    out[_full_index(index, dim)] = src
    return out


def _scatter_vjp_x(F, g, out, x, dim, index, src):
    written = xp.zeros(x.shape, dtype=bool)  # overwritten positions pass no gradient to x
    written[_full_index(index, dim)] = True
    return F.where(written, 0.0, g)


_scatter.defvjp(
    _scatter_vjp_x,
    None,
    None,
    lambda F, g, out, x, dim, index, src: F.gather(g, dim, index),
)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """``input`` with the values of ``src`` (or one ``value``) written along ``dim`` at ``index``.

    Where ``index`` repeats a position, which write wins is not specified (as in PyTorch).

    >>> import chainrule as cr
    >>> cr.scatter(cr.zeros((2, 3)), 1, cr.tensor([[2], [0]]), value=1.0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if (src is None) == (value is None):
        raise TypeError("scatter needs exactly one of src and value")
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    d = _check("scatter", input, dim, idx)
    if src is None or (not isinstance(src, Tensor) and xp.ndim(src) == 0):
        src = xp.full(idx.shape, value if src is None else src, dtype=input.dtype)
    else:
        src = src[tuple(slice(0, n) for n in idx.shape)]
    return _scatter(input, d, idx, src)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The slices of ``input`` along ``dim`` at the 1-D ``index``.

    >>> import chainrule as cr
    >>> cr.index_select(cr.arange(6).reshape(2, 3), 1, cr.tensor([2, 0])).tolist()
    [[2, 0], [5, 3]]
    """
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    return getitem(input, (slice(None),) * (dim % input.ndim) + (idx,))


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` where the boolean ``mask`` is True (broadcast).

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0, 3.0])
    >>> cr.masked_fill(x, x > 1.5, 0.0).tolist()
    [1.0, 0.0, 0.0]
    """
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {m.dtype}")
    if isinstance(value, Tensor):
        value = value.astype(input.dtype)
    else:
        value = xp.asarray(value, dtype=input.dtype)
    return where(m, value, input)


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Tensor:
    """``input`` plus the slices of ``source`` (times ``alpha``) added along ``dim`` at the 1-D
    ``index`` (repeated indices add up), as PyTorch's ``index_add``.

    >>> import chainrule as cr
    >>> cr.index_add(cr.zeros((3, 2)), 0, cr.tensor([0, 0]), cr.ones((2, 2))).tolist()
    [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
    """
    idx = index._data if isinstance(index, Tensor) else xp.asarray(index)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise ValueError(
            f"index_add: index must be 1-D integers, got shape {idx.shape}, {idx.dtype}"
        )
    d = dim % input.ndim
    if source.shape[d] != idx.shape[0]:
        raise ValueError(
            f"index_add: source has {source.shape[d]} slices along dim {dim} but index has "
            f"{idx.shape[0]}"
        )
    full = xp.broadcast_to(
        idx.reshape([-1 if i == d else 1 for i in range(source.ndim)]), source.shape
    )
    if idx.size and (int(idx.max()) >= input.shape[d] or int(idx.min()) < -input.shape[d]):
        raise IndexError(
            f"index_add: an index is out of range for dim {dim} of size {input.shape[d]}"
        )
    return input + put_add(source * alpha if alpha != 1 else source, d, full, tuple(input.shape))
