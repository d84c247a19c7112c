"""Log-probabilities: logsumexp, softmax and log_softmax, stable for logits of any size.

Each subtracts the (detached) maximum before exponentiating, so nothing overflows, and each
backward reuses the forward's output: softmax' needs only the probabilities.

>>> import chainrule as cr
>>> z = cr.tensor([1e4, 0.0], requires_grad=True)
>>> cr.logsumexp(z)
tensor(10000., grad_fn=<logsumexp>)
>>> cr.log_softmax(z, axis=0).tolist()
[0.0, -10000.0]
"""

from __future__ import annotations

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.dtypes import as_floating
from chainrule.ops.reductions import _expand


def _shifted(x, axis):
    """x - max(x): the max is a constant shift, so it needs no gradient; -inf rows stay finite."""
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return x - m, m


@primitive
def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, computed as m + log Σ exp(x - m)."""
    x = as_floating(x)
    z, m = _shifted(x, axis)
    out = xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


# ∂ logsumexp/∂x = softmax(x). Not exp(x - out): out is rounded at its own scale (ulp(1e4) is 1e-3
# in float32), and that error would come back as a relative error of the probabilities.
logsumexp.defvjp(
    lambda F, g, out, x, axis=None, keepdims=False: (
        _expand(F, g, x.shape, axis, keepdims) * F.softmax(x, axis=axis)
    )
)


@primitive
def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``."""
    z, _ = _shifted(x, axis)
    e = xp.exp(z)
    return e / xp.sum(e, axis=axis, keepdims=True)


# VJP of softmax: p ⊙ (g - Σ g·p), the Jacobian diag(p) - p pᵀ applied without forming it
softmax.defvjp(lambda F, g, out, x, axis=-1: out * (g - F.sum(g * out, axis=axis, keepdims=True)))


@primitive
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``: log-probabilities from logits."""
    z, _ = _shifted(x, axis)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


log_softmax.defvjp(
    lambda F, g, out, x, axis=-1: g - F.exp(out) * F.sum(g, axis=axis, keepdims=True)
)
