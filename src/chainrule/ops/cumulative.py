"""Cumulative sums along one dim.

The gradient of a running sum is the running sum from the other end: ∂L/∂xᵢ = Σ_{j≥i} gⱼ,
written as total − cumsum + g so that it needs only ``sum`` and ``cumsum`` itself.

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = cr.cumsum(x, dim=0)
>>> y.tolist()
[1.0, 3.0, 6.0]
>>> y.sum().backward()
>>> x.grad.tolist()
[3.0, 2.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.ops.dims import resolve_dim
from chainrule.tensor import Tensor

__all__ = ["cumsum"]


@primitive("cumsum")
def _cumsum(x, axis):
    out = xp.cumsum(x, axis=axis)
    return out.astype(xp.int64) if x.dtype.kind in "biu" else out  # PyTorch: integers -> int64


_cumsum.defvjp(
    lambda F, g, out, x, axis: F.sum(g, axis=axis, keepdims=True) - F.cumsum(g, axis) + g
)


def cumsum(input: Any, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Tensor:
    """Running sum along ``dim`` (required, as in PyTorch).

    >>> import chainrule as cr
    >>> cr.cumsum(cr.tensor([[1, 2], [3, 4]]), dim=1).tolist()
    [[1, 3], [3, 7]]
    """
    d = resolve_dim(dim, axis, "cumsum")
    if not isinstance(d, int):
        raise TypeError(f"cumsum needs one int dim, got {d!r}")
    if dtype is not None:
        input = input.astype(dtype)
    return _cumsum(input, d)
