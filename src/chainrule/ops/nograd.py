"""Ops whose results carry no gradient: argmax, argmin, sign, one_hot, comparisons and logic.

>>> import chainrule as cr
>>> cr.one_hot(cr.tensor([0, 2]), 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from chainrule import dtypes
from chainrule.autograd import nondifferentiable
from chainrule.backend import xp


@nondifferentiable
def argmax(x, axis=None, keepdims=False):
    """Index of the largest value over ``axis`` (the first, on ties)."""
    return xp.argmax(x, axis=axis, keepdims=keepdims)


@nondifferentiable
def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value over ``axis`` (the first, on ties)."""
    return xp.argmin(x, axis=axis, keepdims=keepdims)


@nondifferentiable
def sign(x):
    """-1, 0 or 1 elementwise."""
    return xp.sign(x)


@nondifferentiable
def one_hot(labels, num_classes, dtype=None):
    """Rows of the identity matrix picked by integer ``labels``.

    Raises ``ValueError`` naming the first label outside ``[0, num_classes)``.
    """
    labels = xp.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer labels, got dtype {labels.dtype}")
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        raise ValueError(
            f"one_hot: label {int(labels[bad].reshape(-1)[0])} is outside [0, {num_classes})"
        )
    eye = xp.eye(num_classes, dtype=dtype or dtypes.get_default_dtype())
    return eye[labels]


@nondifferentiable
def equal(a, b):
    return xp.equal(a, b)


@nondifferentiable
def not_equal(a, b):
    return xp.not_equal(a, b)


@nondifferentiable
def less(a, b):
    return xp.less(a, b)


@nondifferentiable
def less_equal(a, b):
    return xp.less_equal(a, b)


@nondifferentiable
def greater(a, b):
    return xp.greater(a, b)


@nondifferentiable
def greater_equal(a, b):
    return xp.greater_equal(a, b)


@nondifferentiable
def logical_and(a, b):
    return xp.logical_and(a, b)


@nondifferentiable
def logical_or(a, b):
    return xp.logical_or(a, b)


@nondifferentiable
def logical_not(a):
    return xp.logical_not(a)


@nondifferentiable
def isfinite(x):
    return xp.isfinite(x)


@nondifferentiable
def zeros_like(x):
    return xp.zeros_like(x)
