"""Floor division ``//`` and remainder ``%``, with Python's (and PyTorch's) signs: the remainder
takes the divisor's sign.

``remainder(a, b) = a − b·⌊a/b⌋``: ∂/∂a = 1 and ∂/∂b = −⌊a/b⌋ (the floor is piecewise constant).
``floor_divide`` is piecewise constant, so it carries no gradient.

>>> import chainrule as cr
>>> (cr.tensor([7, -7]) // 2).tolist(), (cr.tensor([7, -7]) % 3).tolist()
([3, -4], [1, 2])
"""

from __future__ import annotations

from chainrule.autograd import nondifferentiable, primitive
from chainrule.backend import xp
from chainrule.dtypes import promote_result

__all__ = ["ceil", "floor", "floor_divide", "remainder", "round"]


@nondifferentiable
def floor_divide(a, b):
    """Elementwise ⌊a / b⌋ (integers stay integers)."""
    return promote_result(xp.floor_divide(a, b), a, b)


@primitive
def remainder(a, b):
    """Elementwise ``a mod b`` with the sign of ``b``."""
    return promote_result(xp.remainder(a, b), a, b)


remainder.defvjp(
    lambda F, g, out, a, b: g,
    lambda F, g, out, a, b: -g * F.floor_divide(a, b),
)


@nondifferentiable
def floor(x):
    """Elementwise ⌊x⌋ (piecewise constant: no gradient)."""
    return xp.floor(x)


@nondifferentiable
def ceil(x):
    """Elementwise ⌈x⌉ (piecewise constant: no gradient)."""
    return xp.ceil(x)


@nondifferentiable
def round(x, decimals=0):
    """Elementwise rounding, halves to even as PyTorch (piecewise constant: no gradient)."""
    return xp.round(x, decimals)
