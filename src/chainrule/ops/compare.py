"""PyTorch's comparison names: ``eq``/``ne``/``lt``/``le``/``gt``/``ge`` are elementwise (boolean
tensors), ``equal`` is one bool (same shape and values), ``allclose`` one bool, ``isclose``,
``isnan``, ``isinf`` elementwise.

>>> import chainrule as cr
>>> a = cr.tensor([1.0, 2.0])
>>> cr.eq(a, cr.tensor([1.0, 3.0])).tolist(), cr.equal(a, a)
([True, False], True)
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd import nondifferentiable
from chainrule.backend import xp
from chainrule.ops import nograd
from chainrule.tensor import Tensor

__all__ = [
    "all",
    "allclose",
    "any",
    "eq",
    "equal",
    "ge",
    "gt",
    "isclose",
    "isinf",
    "isnan",
    "le",
    "lt",
    "ne",
]

eq = nograd.equal
ne = nograd.not_equal
lt = nograd.less
le = nograd.less_equal
gt = nograd.greater
ge = nograd.greater_equal


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and the same values (one bool, as PyTorch).

    >>> import chainrule as cr
    >>> cr.equal(cr.tensor([1, 2]), cr.tensor([1, 2])), cr.equal(cr.ones(2), cr.ones(3))
    (True, False)
    """
    a, b = _raw(input), _raw(other)
    return a.shape == b.shape and bool(xp.all(a == b))


@nondifferentiable
def isnan(x):
    """Elementwise: is the value NaN?"""
    return xp.isnan(x)


@nondifferentiable
def isinf(x):
    """Elementwise: is the value +inf or -inf?"""
    return xp.isinf(x)


@nondifferentiable("isclose")
def _isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    return xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def isclose(
    input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|input − other| ≤ atol + rtol·|other|``.

    >>> import chainrule as cr
    >>> cr.isclose(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.1])).tolist()
    [True, False]
    """
    return _isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(
    input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """True when every element is close (see :func:`isclose`).

    >>> import chainrule as cr
    >>> cr.allclose(cr.tensor([1.0]), cr.tensor([1.0 + 1e-7]))
    True
    """
    return bool(xp.all(isclose(input, other, rtol, atol, equal_nan)._data))


@nondifferentiable("any")
def _any(x, axis=None, keepdims=False):
    return xp.any(x, axis=axis, keepdims=keepdims)


@nondifferentiable("all")
def _all(x, axis=None, keepdims=False):
    return xp.all(x, axis=axis, keepdims=keepdims)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (along ``dim``) is true, as a boolean tensor.

    >>> import chainrule as cr
    >>> cr.any(cr.tensor([[0, 1], [0, 0]]), dim=1).tolist()
    [True, False]
    """
    return _any(input, axis=dim, keepdims=keepdim)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is true, as a boolean tensor.

    >>> import chainrule as cr
    >>> bool(cr.all(cr.tensor([1.0, 2.0]) > 0))
    True
    """
    return _all(input, axis=dim, keepdims=keepdim)
