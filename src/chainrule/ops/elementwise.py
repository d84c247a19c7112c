"""Elementwise maths: exp, log, log1p, expm1, sqrt, abs, sin, cos.

>>> import chainrule as cr
>>> x = cr.tensor([0.0, 1.0], requires_grad=True)
>>> cr.exp(x).sum().backward()
>>> x.grad
tensor([1.0000, 2.7183])
"""

from __future__ import annotations

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.dtypes import as_floating


@primitive
def exp(x):
    """Elementwise e^x."""
    return xp.exp(as_floating(x))


exp.defvjp(lambda F, g, out, x: g * out)  # d e^x = e^x: reuse the output


@primitive
def log(x):
    """Elementwise natural logarithm."""
    return xp.log(as_floating(x))


log.defvjp(lambda F, g, out, x: g / x)


@primitive
def log1p(x):
    """Elementwise ln(1 + x), accurate for small x."""
    return xp.log1p(as_floating(x))


log1p.defvjp(lambda F, g, out, x: g / (1 + x))


@primitive
def expm1(x):
    """Elementwise e^x - 1, accurate for small x."""
    return xp.expm1(as_floating(x))


expm1.defvjp(lambda F, g, out, x: g * (out + 1))


@primitive
def sqrt(x):
    """Elementwise square root."""
    return xp.sqrt(as_floating(x))


sqrt.defvjp(lambda F, g, out, x: g / (2 * out))  # d√x = 1/(2√x)


@primitive
def abs(x):
    """Elementwise |x|; its gradient at 0 is 0 (the subgradient PyTorch also picks)."""
    return xp.abs(x)


abs.defvjp(lambda F, g, out, x: g * F.sign(x))


@primitive
def sin(x):
    """Elementwise sine."""
    return xp.sin(as_floating(x))


sin.defvjp(lambda F, g, out, x: g * F.cos(x))


@primitive
def cos(x):
    """Elementwise cosine."""
    return xp.cos(as_floating(x))


cos.defvjp(lambda F, g, out, x: -g * F.sin(x))
