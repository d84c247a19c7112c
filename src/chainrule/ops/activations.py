"""Activations: tanh, sigmoid, relu, leaky_relu, elu, softplus, gelu.

The notes' point about depth shows in the rules: sigmoid' = σ(1-σ) ≤ 1/4 and tanh' = 1 - tanh² ≤ 1,
so a product of many of them shrinks, while relu' is exactly 1 wherever the unit is active.

>>> import chainrule as cr
>>> x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> cr.relu(x).sum().backward()
>>> x.grad   # the gradient at 0 is 0, as in PyTorch
tensor([0., 0., 1.])
"""

from __future__ import annotations

import math

from chainrule.autograd import primitive
from chainrule.backend import QUIET, erf, xp
from chainrule.dtypes import as_floating


@primitive
def tanh(x):
    """Elementwise hyperbolic tangent (of an integer input in the default float dtype)."""
    return xp.tanh(as_floating(x))


tanh.defvjp(lambda F, g, out, x: g * (1 - out * out))  # tanh' = 1 - tanh²


def _tanh_fast(F, g, out, x):
    # the rule's arithmetic in one fresh array, in place (a 0-d result would be a NumPy scalar)
    if not out.ndim:
        return g * (1 - out * out)
    t = xp.multiply(out, out)
    xp.subtract(1, t, out=t)
    t *= g
    return t


tanh.deffast(_tanh_fast)

_errstate = getattr(xp, "errstate", None)  # CuPy has none (and never warns)


@primitive
def sigmoid(x):
    """The logistic function σ(x) = 1 / (1 + e^-x), exact in both tails for any |x|."""
    x = as_floating(x)
    if _errstate is None or x.ndim == 0 or x.dtype.kind != "f":
        # e^-|x| never overflows; picking the form per sign keeps the tails' relative precision
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1, e) / (1 + e)
    # 1 / (1 + e^-x) in one array: for x below about -88 (float32) e^-x overflows to inf, as
    # intended, giving exactly 0 (so the overflow is not reported); elsewhere the division
    # keeps the relative precision of both tails. 3x faster than the form above.
    t = xp.negative(x)
    if QUIET.get():  # inside quiet_floats (training): overflow is ignored already
        xp.exp(t, out=t)
    else:
        with _errstate(over="ignore"):
            xp.exp(t, out=t)
    t += 1
    xp.reciprocal(t, out=t)
    return t


sigmoid.defvjp(lambda F, g, out, x: g * (out * (1 - out)))  # σ' = σ(1 - σ)


def _sigmoid_fast(F, g, out, x):
    # the rule's arithmetic in one fresh array, in place
    if not out.ndim:
        return g * (out * (1 - out))
    t = xp.subtract(1, out)
    t *= out
    t *= g
    return t


sigmoid.deffast(_sigmoid_fast)


@primitive
def relu(x):
    """max(x, 0) elementwise."""
    return xp.maximum(x, 0)


relu.defvjp(lambda F, g, out, x: g * (x > 0))  # 1 where active, 0 elsewhere (and at 0)


@primitive
def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else ``negative_slope * x``."""
    return xp.where(x > 0, x, x * negative_slope)


leaky_relu.defvjp(lambda F, g, out, x, negative_slope=0.01: F.where(x > 0, g, g * negative_slope))


@primitive
def elu(x, alpha=1.0):
    """x where x > 0, else ``alpha * (e^x - 1)``."""
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


elu.defvjp(lambda F, g, out, x, alpha=1.0: F.where(x > 0, g, g * (out + alpha)))


@primitive
def softplus(x):
    """ln(1 + e^x), stable for any |x|: max(x, 0) + ln(1 + e^-|x|)."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


softplus.defvjp(lambda F, g, out, x: g * F.sigmoid(x))  # softplus' = σ


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@primitive
def gelu(x, approximate="none"):
    """Gaussian error linear unit x·Φ(x); ``approximate="tanh"`` gives the tanh form.

    ``"none"`` uses erf from scipy when it is installed and otherwise an approximation within
    1.5e-7 of it.
    """
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + erf(x * _INV_SQRT_2))


def _gelu_vjp(F, g, out, x, approximate="none"):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = F.tanh(inner)
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
    # d/dx x·Φ(x) = Φ(x) + x·φ(x); Φ(x) = out / x is unsafe at 0, so use Φ from gelu itself
    pdf = F.exp(-0.5 * x * x) * _INV_SQRT_2PI
    cdf = F.gelu_cdf(x)
    return g * (cdf + x * pdf)


gelu.defvjp(_gelu_vjp)


@primitive
def gelu_cdf(x):
    """Φ(x), the standard normal CDF (used by gelu's gradient)."""
    return 0.5 * (1 + erf(x * _INV_SQRT_2))


gelu_cdf.defvjp(lambda F, g, out, x: g * F.exp(-0.5 * x * x) * _INV_SQRT_2PI)
