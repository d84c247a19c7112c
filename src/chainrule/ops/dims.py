"""PyTorch's signatures for the reductions and axis-wise ops: ``dim=``/``keepdim=``, with NumPy's
``axis=``/``keepdims=`` kept as aliases, and PyTorch's defaults and return types.

- ``max(x, dim)``/``min(x, dim)`` give a ``(values, indices)`` named tuple; ``max(x)`` a tensor;
  ``max(x, y)`` with a tensor ``y`` is ``maximum``.
- ``var``/``std`` default to the unbiased estimate (``correction=1``); ``ddof=`` still works.
- ``split(x, size)`` cuts pieces of ``size`` (PyTorch), not ``size`` pieces (NumPy).

The primitives in :mod:`chainrule.ops.reductions` keep NumPy's signature: the VJP rules call those.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 5.0], [4.0, 2.0]])
>>> cr.max(x, dim=1)
max(values=tensor([5., 4.]), indices=tensor([1, 0]))
>>> x.var(dim=0).tolist(), x.var(dim=0, correction=0).tolist()
([4.5, 4.5], [2.25, 2.25])
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from chainrule.ops import joining, logprob, nograd, reductions, selection, shape
from chainrule.ops.gather import gather
from chainrule.ops.indexing import getitem
from chainrule.tensor import Tensor

__all__ = [
    "amax", "amin", "argmax", "argmin", "cat", "chunk", "concatenate", "log_softmax",
    "logsumexp", "max", "mean", "min", "prod", "softmax", "split", "squeeze", "stack", "std", "sum",
    "unsqueeze", "var",
]  # fmt: skip

# PyTorch's torch.return_types.max / .min
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def resolve_dim(dim: Any, axis: Any, name: str) -> Any:
    """``dim`` or its NumPy alias ``axis`` (not both), with a list turned into a tuple."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{name}() got both dim={dim!r} and axis={axis!r}; pass one")
        dim = axis
    return tuple(dim) if isinstance(dim, list) else dim


def sum(
    input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
    axis: Any = None, keepdims: bool = False,
) -> Tensor:  # fmt: skip
    """Sum over ``dim`` (all dimensions by default).

    >>> import chainrule as cr
    >>> cr.sum(cr.ones((2, 3)), dim=1).tolist()
    [3.0, 3.0]
    """
    if dim is None and axis is None and dtype is None and not (keepdim or keepdims):
        return reductions.sum(input)  # the common full sum: no argument handling
    if dtype is not None:
        input = input.astype(dtype)
    return reductions.sum(input, axis=resolve_dim(dim, axis, "sum"), keepdims=keepdim or keepdims)


def mean(
    input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
    axis: Any = None, keepdims: bool = False,
) -> Tensor:  # fmt: skip
    """Mean over ``dim`` (all dimensions by default).

    >>> import chainrule as cr
    >>> cr.mean(cr.tensor([[1.0, 3.0]]), dim=-1, keepdim=True).tolist()
    [[2.0]]
    """
    if dim is None and axis is None and dtype is None and not (keepdim or keepdims):
        return reductions.mean(input)  # the common full mean (a loss): no argument handling
    if dtype is not None:
        input = input.astype(dtype)
    d = resolve_dim(dim, axis, "mean")
    return reductions.mean(input, axis=d, keepdims=keepdim or keepdims)


def prod(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Product over ``dim`` (all dimensions by default).

    >>> import chainrule as cr
    >>> cr.prod(cr.tensor([2.0, 3.0])).item()
    6.0
    """
    d = resolve_dim(dim, axis, "prod")
    return reductions.prod(input, axis=d, keepdims=keepdim or keepdims)


def _extremum(name, reduce, index, result, pair, input, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor):  # max(x, y): elementwise, as PyTorch's overload
        return pair(input, dim)
    dim = resolve_dim(dim, axis, name)
    keep = keepdim or keepdims
    if dim is None:
        return reduce(input, axis=None, keepdims=keep)
    if not isinstance(dim, int):
        raise TypeError(f"{name}(x, dim) needs one int dim, got {dim!r}; use amax/amin for several")
    indices = index(input, axis=dim, keepdims=True)
    # the gradient goes to the one element the index names, as in PyTorch
    values = gather(input, dim, indices)
    if not keep:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return result(values, indices)


def max(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Any:
    """The largest value (a tensor), or with ``dim`` a ``(values, indices)`` named tuple.

    ``max(x)`` splits the gradient evenly among tied maxima; ``max(x, dim)`` gives it to the
    element ``indices`` names (the first). ``max(x, other_tensor)`` is :func:`maximum`.

    >>> import chainrule as cr
    >>> values, indices = cr.max(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=0)
    >>> values.tolist(), indices.tolist()
    ([7.0, 3.0], [1, 0])
    """
    return _extremum(
        "max", reductions.max, nograd.argmax, MaxResult, selection.maximum,
        input, dim, keepdim, axis, keepdims,
    )  # fmt: skip


def min(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Any:
    """The smallest value (a tensor), or with ``dim`` a ``(values, indices)`` named tuple.

    >>> import chainrule as cr
    >>> cr.min(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=1).indices.tolist()
    [0, 1]
    """
    return _extremum(
        "min", reductions.min, nograd.argmin, MinResult, selection.minimum,
        input, dim, keepdim, axis, keepdims,
    )  # fmt: skip


def amax(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Largest values over one or more dims (ties share the gradient evenly).

    >>> import chainrule as cr
    >>> cr.amax(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=(0, 1)).item()
    7.0
    """
    d = resolve_dim(dim, axis, "amax")
    return reductions.max(input, axis=d, keepdims=keepdim or keepdims)


def amin(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Smallest values over one or more dims (ties share the gradient evenly).

    >>> import chainrule as cr
    >>> cr.amin(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=1).tolist()
    [1.0, 2.0]
    """
    d = resolve_dim(dim, axis, "amin")
    return reductions.min(input, axis=d, keepdims=keepdim or keepdims)


def _correction(name: str, unbiased: Any, correction: Any, ddof: Any) -> Any:
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{name}(): pass only one of unbiased, correction and ddof")
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if not given else given[0]


def _spread_args(name, input, dim, unbiased, keepdim, correction, ddof, axis, keepdims):
    if isinstance(dim, bool):  # var(x, False): the old (input, unbiased) overload
        dim, unbiased = None, dim
    d = resolve_dim(dim, axis, name)
    n = math.prod(input.shape) if d is None else _count(input.shape, d)
    c = _correction(name, unbiased, correction, ddof)
    return d, c, keepdim or keepdims, n


def _count(shape: tuple, d: Any) -> int:
    dims = (d,) if isinstance(d, int) else d
    return math.prod(shape[i] for i in dims)


def var(
    input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
    correction: Any = None, ddof: Any = None, axis: Any = None, keepdims: bool = False,
) -> Tensor:  # fmt: skip
    """Variance over ``dim``, unbiased by default (``correction=1``: divide by n - 1), as in
    PyTorch. ``correction=0`` (or ``unbiased=False``, or NumPy's ``ddof=0``) divides by n.

    >>> import chainrule as cr
    >>> cr.var(cr.tensor([1.0, 2.0, 3.0, 4.0])).item()
    1.6666666269302368
    """
    d, c, keep, _ = _spread_args(
        "var", input, dim, unbiased, keepdim, correction, ddof, axis, keepdims
    )
    return reductions.var(input, axis=d, ddof=c, keepdims=keep)


def std(
    input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
    correction: Any = None, ddof: Any = None, axis: Any = None, keepdims: bool = False,
) -> Tensor:  # fmt: skip
    """Standard deviation over ``dim``, unbiased by default (``correction=1``), as in PyTorch.

    >>> import chainrule as cr
    >>> round(cr.std(cr.tensor([1.0, 2.0, 3.0, 4.0]), correction=0).item(), 4)
    1.118
    """
    d, c, keep, _ = _spread_args(
        "std", input, dim, unbiased, keepdim, correction, ddof, axis, keepdims
    )
    return reductions.std(input, axis=d, ddof=c, keepdims=keep)


def argmax(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Index of the largest value (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as cr
    >>> cr.argmax(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=1).tolist()
    [1, 0]
    """
    d = resolve_dim(dim, axis, "argmax")
    return nograd.argmax(input, axis=d, keepdims=keepdim or keepdims)


def argmin(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """Index of the smallest value (of the flattened tensor when ``dim`` is None).

    >>> import chainrule as cr
    >>> cr.argmin(cr.tensor([[1.0, 3.0], [7.0, 2.0]]), dim=0).tolist()
    [0, 1]
    """
    d = resolve_dim(dim, axis, "argmin")
    return nograd.argmin(input, axis=d, keepdims=keepdim or keepdims)


def logsumexp(
    input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool = False
) -> Tensor:
    """log Σ exp(x) over ``dim``, computed stably.

    >>> import chainrule as cr
    >>> round(cr.logsumexp(cr.zeros(4), dim=0).item(), 4)
    1.3863
    """
    d = resolve_dim(dim, axis, "logsumexp")
    return logprob.logsumexp(input, axis=d, keepdims=keepdim or keepdims)


def _implicit_softmax_dim(input: Any, name: str) -> int:
    """PyTorch's legacy dim for softmax called without one (F.softmax(x), nn.Softmax())."""
    import warnings

    ndim = getattr(input, "ndim", 0)
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        f"dim={dim} as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return dim


def softmax(input: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Softmax along ``dim``; without one, PyTorch's implicit choice (0 for 0-, 1- and 3-D
    input, else 1) with its deprecation warning.

    >>> import chainrule as cr
    >>> cr.softmax(cr.zeros((1, 2)), dim=1).tolist()
    [[0.5, 0.5]]
    """
    d = resolve_dim(dim, axis, "softmax")
    if dtype is not None:
        input = input.astype(dtype)
    return logprob.softmax(input, axis=_implicit_softmax_dim(input, "softmax") if d is None else d)


def log_softmax(input: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Log-softmax along ``dim`` (without one, as :func:`softmax`), stable for any logits.

    >>> import chainrule as cr
    >>> round(cr.log_softmax(cr.zeros(2), dim=0)[0].item(), 4)
    -0.6931
    """
    d = resolve_dim(dim, axis, "log_softmax")
    if dtype is not None:
        input = input.astype(dtype)
    return logprob.log_softmax(
        input, axis=_implicit_softmax_dim(input, "log_softmax") if d is None else d
    )


def cat(tensors: Sequence[Any], dim: Any = None, *, axis: Any = None) -> Tensor:
    """Join tensors along an existing ``dim``.

    >>> import chainrule as cr
    >>> cr.cat([cr.zeros((1, 2)), cr.ones((1, 2))], dim=0).shape
    (2, 2)
    """
    d = resolve_dim(dim, axis, "cat")
    return joining.concatenate(tensors, axis=0 if d is None else d)


concatenate = concat = cat


def stack(tensors: Sequence[Any], dim: Any = None, *, axis: Any = None) -> Tensor:
    """Join tensors along a new ``dim``.

    >>> import chainrule as cr
    >>> cr.stack([cr.zeros(2), cr.ones(2)], dim=1).shape
    (2, 2)
    """
    d = resolve_dim(dim, axis, "stack")
    return joining.stack(tensors, axis=0 if d is None else d)


def _slices(x: Any, dim: int, sizes: list[int]) -> tuple[Tensor, ...]:
    dim = dim % x.ndim
    lead = (slice(None),) * dim
    out, start = [], 0
    for size in sizes:
        out.append(getitem(x, (*lead, slice(start, start + size))))
        start += size
    return tuple(out)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size_or_sections`` along ``dim``, as in PyTorch: an int is the size of
    each piece (the last may be smaller), a list gives every piece's size.

    >>> import chainrule as cr
    >>> [p.tolist() for p in cr.split(cr.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: the piece size must be positive, got {size}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} add up to {builtins.sum(sizes)}, but dim {dim} has {n}"
            )
    return _slices(tensor, dim, sizes)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces along ``dim`` of ⌈n / chunks⌉ each (fewer where n is small), as PyTorch.

    >>> import chainrule as cr
    >>> [p.shape for p in cr.chunk(cr.zeros((5, 2)), 2)]
    [(3, 2), (2, 2)]
    """
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = input.shape[dim]
    return split(input, builtins.max(math.ceil(n / chunks), 1), dim)


def unsqueeze(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """A new dim of size 1 at ``dim``.

    >>> import chainrule as cr
    >>> cr.unsqueeze(cr.zeros(3), dim=0).shape
    (1, 3)
    """
    return shape.expand_dims(input, resolve_dim(dim, axis, "unsqueeze"))


def squeeze(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Drop dims of size 1 (all of them, or ``dim``; a ``dim`` whose size is not 1 stays, as in
    PyTorch).

    >>> import chainrule as cr
    >>> cr.squeeze(cr.zeros((1, 3)), dim=1).shape, cr.squeeze(cr.zeros((1, 3))).shape
    ((1, 3), (3,))
    """
    d = resolve_dim(dim, axis, "squeeze")
    if isinstance(d, int) and input.ndim and input.shape[d] != 1:
        return input
    if isinstance(d, tuple):
        d = tuple(i for i in d if input.shape[i] == 1)
    return shape.squeeze(input, d)
