"""Reductions: sum, mean, prod, max, min, var, std, and sum_to (the inverse of broadcasting).

``axis`` is None (all axes), an int or a tuple of ints, as in NumPy. Every rule first puts the
reduced axes back (``_expand``) so that the upstream gradient broadcasts over the input.

Ties in ``max``/``min`` split the gradient evenly among the tied elements, so the gradient of
``max([3, 3])`` is ``[0.5, 0.5]``: the average of the subgradients, symmetric in its inputs.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 5.0], [5.0, 2.0]], requires_grad=True)
>>> x.max().backward()
>>> x.grad
tensor([[0.0000, 0.5000],
        [0.5000, 0.0000]])
"""

from __future__ import annotations

import math

from chainrule.autograd import nondifferentiable, primitive
from chainrule.backend import xp

_NUMPY = xp.__name__ == "numpy"


def _axes(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    out = []
    for a in axis:
        # not max(ndim, 1): this module's ``max`` is the primitive, which shadows the builtin
        if not -ndim <= a < (ndim or 1):
            raise ValueError(f"axis {a} is out of range for an array with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def _expand(F, g, shape, axis, keepdims):
    """Reinsert the reduced axes of ``g`` (size 1) so it broadcasts against ``shape``."""
    if keepdims or axis is None:  # a full reduction gives a 0-d g, which broadcasts as it is
        return g
    axes = _axes(axis, len(shape))
    return F.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _count(shape, axis):
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in _axes(axis, len(shape)))


@primitive
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes by default)."""
    return xp.sum(x, axis=axis, keepdims=keepdims)


sum.defvjp(
    # every element counts once: g, back in x's shape
    lambda F, g, out, x, axis=None, keepdims=False: F.broadcast_to(
        _expand(F, g, x.shape, axis, keepdims), x.shape
    )
)


@primitive
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes by default)."""
    if _NUMPY and axis is None and not keepdims and x.dtype.char in "fd" and x.size:
        # what numpy.mean computes (a float sum, then / n), without its Python-level wrapper
        return xp.add.reduce(x, axis=None) / x.size
    return xp.mean(x, axis=axis, keepdims=keepdims)


mean.defvjp(
    # every element counts 1/n
    lambda F, g, out, x, axis=None, keepdims=False: F.broadcast_to(
        _expand(F, g, x.shape, axis, keepdims) / _count(x.shape, axis), x.shape
    )
)


def _sum_fast(F, g, out, x, axis=None, keepdims=False):
    # a filled array in place of the broadcast view (the rules downstream read it the same way);
    # empty + fill is 4x faster than xp.full, 8x faster than broadcast_to (Python-level functions)
    t = xp.empty(x.shape, g.dtype)
    if axis is None and not keepdims:
        t.fill(g)  # g is 0-d
    else:
        t[...] = _expand(F, g, x.shape, axis, keepdims)
    return t


def _mean_fast(F, g, out, x, axis=None, keepdims=False):
    t = xp.empty(x.shape, g.dtype)
    if axis is None and not keepdims and x.size <= 1 << 24:
        # g / n divided in double precision rounds to the same float32 as the rule's division
        # (n is exact in float32 up to 2^24), and a Python division is 50x quicker than a 0-d one
        t.fill(float(g) / x.size)
    else:
        t[...] = _expand(F, g, x.shape, axis, keepdims) / _count(x.shape, axis)
    return t


if _NUMPY:
    sum.deffast(_sum_fast)
    mean.deffast(_mean_fast)


@primitive
def prod(x, axis=None, keepdims=False):
    """Product over ``axis`` (all axes by default)."""
    return xp.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(F, g, out, x, axis=None, keepdims=False):
    # ∂(Πx)/∂xᵢ = Π_{j≠i} xⱼ. Where xᵢ ≠ 0 that is out/xᵢ; at zeros it is computed directly
    # from exclusive cumulative products, which needs no division.
    g = _expand(F, g, x.shape, axis, keepdims)
    full = _expand(F, out, x.shape, axis, keepdims)
    nonzero = x != 0
    others = F.where(nonzero, full / F.where(nonzero, x, 1.0), F.prod_others(x, axis))
    return g * others


prod.defvjp(_prod_vjp)


@nondifferentiable
def prod_others(x, axis=None):
    """Π_{j≠i} xⱼ over the reduced axes, by exclusive cumulative products from both ends.

    Treated as a constant for second derivatives (it only matters where some xᵢ is exactly 0).
    """
    axes = _axes(axis, x.ndim)
    if not axes:
        return xp.ones_like(x)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    moved = xp.transpose(x, rest + axes)
    flat = moved.reshape((*moved.shape[: len(rest)], -1))
    ones = xp.ones((*flat.shape[:-1], 1), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], axis=-1), -1), -1), -1)
    inverse = tuple(int(i) for i in xp.argsort(xp.asarray(rest + axes)))
    return xp.transpose((left * right).reshape(moved.shape), inverse)


def _extremum_vjp(F, g, out, x, axis=None, keepdims=False):
    # ties share the gradient equally
    hit = x == _expand(F, out, x.shape, axis, keepdims)
    count = F.sum(hit, axis=axis, keepdims=True)
    return _expand(F, g, x.shape, axis, keepdims) * hit / count


@primitive
def max(x, axis=None, keepdims=False):
    """Largest value over ``axis``; tied maxima share the gradient evenly."""
    return xp.max(x, axis=axis, keepdims=keepdims)


max.defvjp(_extremum_vjp)


@primitive
def min(x, axis=None, keepdims=False):
    """Smallest value over ``axis``; tied minima share the gradient evenly."""
    return xp.min(x, axis=axis, keepdims=keepdims)


min.defvjp(_extremum_vjp)


@primitive
def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with NumPy's ``ddof`` (0: the population variance)."""
    return xp.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _var_vjp(F, g, out, x, axis=None, ddof=0, keepdims=False):
    centred = x - F.mean(x, axis=axis, keepdims=True)
    return _expand(F, g, x.shape, axis, keepdims) * centred * (2.0 / (_count(x.shape, axis) - ddof))


var.defvjp(_var_vjp)


@primitive
def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis`` with NumPy's ``ddof``."""
    return xp.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _std_vjp(F, g, out, x, axis=None, ddof=0, keepdims=False):
    # σ = √var, so ∂σ/∂x = ∂var/∂x / (2σ); where σ = 0 every x equals μ, so the gradient is 0
    spread = out > 0
    g_var = F.where(spread, g / (2.0 * F.where(spread, out, 1.0)), 0.0)
    return _var_vjp(F, g_var, None, x, axis, ddof, keepdims)


std.defvjp(_std_vjp)


@primitive
def sum_to(x, shape):
    """Sum ``x`` down to ``shape``, undoing broadcasting (the engine's one place for it)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    return xp.sum(x, axis=axes, keepdims=True).reshape(shape)


sum_to.defvjp(lambda F, g, out, x, shape: F.broadcast_to(g, x.shape))
