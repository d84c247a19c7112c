"""Shape ops: reshape, flatten, transpose/permute, swapaxes, expand_dims/unsqueeze, squeeze,
broadcast_to, pad and astype. Their gradients only move numbers back to where they came from.

>>> import chainrule as cr
>>> x = cr.ones((2, 3), requires_grad=True)
>>> cr.transpose(x).shape, cr.expand_dims(x, 0).shape, cr.flatten(x).shape
((3, 2), (1, 2, 3), (6,))
"""

from __future__ import annotations

from chainrule import dtypes
from chainrule.autograd import primitive, register
from chainrule.backend import xp
from chainrule.tensor import Tensor


@primitive
def reshape(x, shape):
    """The same values in a new shape (one entry may be -1)."""
    return x.reshape(shape)  # the method: xp.reshape adds a Python-level wrapper around it


reshape.defvjp(lambda F, g, out, x, shape: F.reshape(g, x.shape))


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge axes ``start_dim`` to ``end_dim`` into one, as ``torch.flatten``."""
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start = start_dim % len(shape)
    end = end_dim % len(shape)
    merged = 1
    for n in shape[start : end + 1]:
        merged *= n
    return reshape(x, (*shape[:start], merged, *shape[end + 1 :]))


@primitive
def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None), as ``numpy.transpose``."""
    return xp.transpose(x, axes)


def _transpose_vjp(F, g, out, x, axes=None):
    if axes is None:
        return F.transpose(g)
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return F.transpose(g, tuple(inverse))


transpose.defvjp(_transpose_vjp)


def permute(x, *dims):
    """PyTorch's name for :func:`transpose` with explicit axes."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return transpose(x, tuple(dims))


@primitive
def swapaxes(x, axis1, axis2):
    """Exchange two axes."""
    return xp.swapaxes(x, axis1, axis2)


swapaxes.defvjp(lambda F, g, out, x, axis1, axis2: F.swapaxes(g, axis1, axis2))


@primitive
def expand_dims(x, axis):
    """Insert a new axis of size 1 at ``axis``."""
    return xp.expand_dims(x, axis)


expand_dims.defvjp(lambda F, g, out, x, axis: F.reshape(g, x.shape))

unsqueeze = expand_dims


@primitive
def squeeze(x, axis=None):
    """Remove axes of size 1 (all of them, or those in ``axis``)."""
    return xp.squeeze(x, axis=axis)


squeeze.defvjp(lambda F, g, out, x, axis=None: F.reshape(g, x.shape))


@primitive
def broadcast_to(x, shape):
    """A read-only broadcast view of ``x`` in ``shape``."""
    return xp.broadcast_to(x, shape)


broadcast_to.defvjp(lambda F, g, out, x, shape: g)  # the engine sums it back to x's shape


@primitive
def pad(x, pad_width, constant_values=0):
    """Pad with a constant, with ``numpy.pad``'s ``pad_width``."""
    return xp.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _before(pad_width, ndim):
    """The padding before each axis, from any of numpy.pad's spellings of ``pad_width``."""
    if isinstance(pad_width, int):
        return [pad_width] * ndim
    pw = list(pad_width)
    if all(isinstance(p, int) for p in pw):  # (before, after) or (both,) for every axis
        return [pw[0]] * ndim
    if len(pw) == 1:
        return [int(pw[0][0])] * ndim
    return [int(p[0]) for p in pw]


def _pad_vjp(F, g, out, x, pad_width, constant_values=0):
    # the gradient of padding is the slice that cuts the padding off again
    starts = _before(pad_width, x.ndim)
    return g[tuple(slice(lo, lo + n) for lo, n in zip(starts, x.shape))]


pad.defvjp(_pad_vjp)


@primitive("astype")
def _astype(x, dtype):
    """A copy in ``dtype``; the gradient is cast back to the input's dtype."""
    return x.astype(dtype)


_astype.defvjp(lambda F, g, out, x, dtype: F.astype(g, x.dtype))


def astype(x, dtype):
    """A copy in ``dtype``: differentiable between floating dtypes; an integer or boolean result
    carries no gradient (it could never hold one)."""
    if isinstance(x, Tensor) and not dtypes.is_floating(dtype):
        x = x.detach()
    return _astype(x, dtype)


register("flatten", flatten, flatten)
