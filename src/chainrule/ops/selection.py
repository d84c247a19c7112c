"""Comparison and selection: clip, maximum, minimum, where.

Where two candidates tie (``maximum(a, b)`` with a == b), the gradient is split evenly between them,
the same convention as ``max``/``min`` reductions.

>>> import chainrule as cr
>>> a = cr.tensor([1.0, 2.0], requires_grad=True)
>>> cr.maximum(a, cr.tensor([1.0, 0.0])).sum().backward()
>>> a.grad
tensor([0.5000, 1.0000])
"""

from __future__ import annotations

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.dtypes import float64, promote_result  # PyTorch's int/float promotion
from chainrule.tensor import Tensor


@primitive
def clip(x, min=None, max=None):
    """Limit values to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    bound = max if getattr(max, "dtype", None) is float64 or min is None else min
    return promote_result(xp.clip(x, min, max), x, bound)


def _clip_vjp(F, g, out, x, min=None, max=None):
    # the gradient passes where x is inside the bounds (bounds included, as in PyTorch)
    inside = True
    if min is not None:
        inside = inside & (x >= min)
    if max is not None:
        inside = inside & (x <= max)
    return g * inside


clip.defvjp(_clip_vjp)


@primitive
def maximum(a, b):
    """Elementwise larger of ``a`` and ``b``; ties share the gradient equally."""
    return promote_result(xp.maximum(a, b), a, b)


maximum.defvjp(
    lambda F, g, out, a, b: F.where(a == b, g * 0.5, g * (a > b)),
    lambda F, g, out, a, b: F.where(a == b, g * 0.5, g * (b > a)),
)


@primitive
def minimum(a, b):
    """Elementwise smaller of ``a`` and ``b``; ties share the gradient equally."""
    return promote_result(xp.minimum(a, b), a, b)


minimum.defvjp(
    lambda F, g, out, a, b: F.where(a == b, g * 0.5, g * (a < b)),
    lambda F, g, out, a, b: F.where(a == b, g * 0.5, g * (b < a)),
)


@primitive
def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (with broadcasting)."""
    if isinstance(condition, bool):  # a rule may pass a Python bool; CuPy wants an array
        condition = xp.asarray(condition)
    return promote_result(xp.where(condition, a, b), a, b)


where.defvjp(
    None,  # the condition is boolean: no gradient
    lambda F, g, out, c, a, b: F.where(c, g, 0.0),
    lambda F, g, out, c, a, b: F.where(c, 0.0, g),
)

_where3 = where  # the op; ``where`` below adds PyTorch's one-argument form


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other``; with the condition alone, the
    indices where it holds, one int64 tensor per dim (PyTorch's ``nonzero(as_tuple=True)``).

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, -2.0], [3.0, 0.0]])
    >>> cr.where(x > 0, x, 0.0).tolist()
    [[1.0, 0.0], [3.0, 0.0]]
    >>> [t.tolist() for t in cr.where(x > 0)]
    [[0, 1], [0, 0]]
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return _where3(condition, input, other)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim, as PyTorch's ``nonzero``.

    >>> import chainrule as cr
    >>> cr.nonzero(cr.tensor([[0, 2], [3, 0]])).tolist()
    [[0, 1], [1, 0]]
    """
    data = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if data.ndim == 0 and not as_tuple:  # PyTorch: one row per hit, no columns
        return Tensor(xp.zeros((int(bool(data)), 0), dtype=xp.int64))
    idx = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
    if as_tuple:
        return tuple(Tensor(i.astype(xp.int64)) for i in idx)
    return Tensor(xp.stack(idx, axis=1).astype(xp.int64))
