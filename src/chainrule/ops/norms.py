"""Vector norms (``norm``) and PyTorch's name for clipping values (``clamp``).

The 2-norm is one primitive: ∂‖x‖/∂x = x / ‖x‖, taken as 0 where ‖x‖ = 0 (as PyTorch does), which
a square root of a sum of squares would turn into NaN.

>>> import chainrule as cr
>>> x = cr.tensor([3.0, 4.0], requires_grad=True)
>>> n = cr.norm(x)
>>> n.item()
5.0
>>> n.backward()
>>> x.grad.tolist()
[0.6000000238418579, 0.800000011920929]
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.ops import elementwise, reductions, selection
from chainrule.ops.dims import resolve_dim
from chainrule.ops.reductions import _expand
from chainrule.tensor import Tensor

__all__ = ["clamp", "norm"]


@primitive("norm2")
def _norm2(x, axis=None, keepdims=False):
    return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))


def _norm2_vjp(F, g, out, x, axis=None, keepdims=False):
    full = _expand(F, out, x.shape, axis, keepdims)
    scale = F.where(
        full > 0, _expand(F, g, x.shape, axis, keepdims) / F.where(full > 0, full, 1.0), 0.0
    )
    return scale * x


_norm2.defvjp(_norm2_vjp)


@primitive("normp")
def _normp(x, p=1.0, axis=None, keepdims=False):
    return xp.sum(xp.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def _normp_vjp(F, g, out, x, p=1.0, axis=None, keepdims=False):
    # ∂‖x‖_p/∂x = sign(x)·(|x| / ‖x‖_p)^(p-1), taken as 0 where x = 0 or ‖x‖_p = 0 (as PyTorch
    # does: for p < 1 the derivative at 0 is infinite, and for p < 0 one zero makes the norm 0)
    a = F.abs(x)
    full = _expand(F, out, x.shape, axis, keepdims)
    live = (a > 0) & (full > 0)
    ratio = F.where(live, a / F.where(live, full, 1.0), 1.0) ** (p - 1.0)
    return _expand(F, g, x.shape, axis, keepdims) * F.where(live, F.sign(x) * ratio, 0.0)


_normp.defvjp(_normp_vjp)


def norm(
    input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    """The ``p``-norm over ``dim`` (all elements by default): 2 (or 'fro'), 1, inf, -inf, 0 (the
    count of nonzeros) or any other number, as ``torch.norm``.

    >>> import chainrule as cr
    >>> cr.norm(cr.tensor([[3.0, -4.0]]), p=1, dim=1).tolist()
    [7.0]
    """
    if dtype is not None:
        input = input.astype(dtype)
    d = resolve_dim(dim, None, "norm")
    if p in ("fro", 2, 2.0):
        return _norm2(input, axis=d, keepdims=keepdim)
    if isinstance(p, str):
        raise NotImplementedError(f"chainrule does not implement torch.norm with p={p!r}")
    a = elementwise.abs(input)
    if math.isinf(p):
        reduce = reductions.max if p > 0 else reductions.min
        return reduce(a, axis=d, keepdims=keepdim)
    if p == 1:
        return reductions.sum(a, axis=d, keepdims=keepdim)
    if p == 0:  # PyTorch's "0-norm": how many are nonzero (its gradient is 0)
        return reductions.sum((a != 0).astype(a.dtype) + 0 * a, axis=d, keepdims=keepdim)
    return _normp(input, p=float(p), axis=d, keepdims=keepdim)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """Values limited to [min, max] (either may be None); PyTorch's name for ``clip``.

    >>> import chainrule as cr
    >>> cr.clamp(cr.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if isinstance(min, Tensor):
        min = min._data
    if isinstance(max, Tensor):
        max = max._data
    return selection.clip(input, min, max)
