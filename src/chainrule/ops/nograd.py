"""Ops whose results carry no gradient: argmax, argmin, sign, one_hot, comparisons and logic.

>>> import chainrule as cr
>>> cr.ops.one_hot(cr.tensor([0, 2]), 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

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


def _ufunc(name: str, doc: str) -> Any:
    """The op ``name`` that calls NumPy's (or CuPy's) function of that name."""
    fn = getattr(xp, name)

    def forward(*arrays):
        return fn(*arrays)

    forward.__doc__ = doc
    return nondifferentiable(forward, name=name)


equal = _ufunc("equal", "``a == b`` elementwise.")
not_equal = _ufunc("not_equal", "``a != b`` elementwise.")
less = _ufunc("less", "``a < b`` elementwise.")
less_equal = _ufunc("less_equal", "``a <= b`` elementwise.")
greater = _ufunc("greater", "``a > b`` elementwise.")
greater_equal = _ufunc("greater_equal", "``a >= b`` elementwise.")
logical_and = _ufunc("logical_and", "``a and b`` elementwise.")
logical_or = _ufunc("logical_or", "``a or b`` elementwise.")
logical_not = _ufunc("logical_not", "``not a`` elementwise.")
isfinite = _ufunc("isfinite", "True where the value is neither infinite nor NaN.")
zeros_like = _ufunc("zeros_like", "Zeros of the input's shape and dtype.")
