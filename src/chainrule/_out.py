"""PyTorch's ``out=`` keyword: an op writes its result into a tensor the caller gives.

The engine's ops do not take ``out=`` themselves; when one is called with it, the op runs
without it and the result is copied into ``out`` (resized when its shape differs, as PyTorch
does). As in PyTorch, ``out=`` records no gradient, so it is refused while an input requires one.

>>> import chainrule as cr
>>> y = cr.zeros(2)
>>> _ = cr.matmul(cr.eye(2), cr.tensor([1.0, 2.0]), out=y)
>>> y
tensor([1., 2.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["write_out"]


def write_out(op: Callable[..., Any], name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Call ``op(*args, **kwargs)`` without its ``out=`` and copy the result into ``out``."""
    from chainrule import autograd
    from chainrule.tensor import Tensor

    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out= must be a Tensor, got {type(out).__name__}")
    if autograd.is_grad_enabled() and any(
        isinstance(a, Tensor) and a.requires_grad for a in (*args, out)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad"
        )
    result = op(*args, **kwargs)._data
    if result.shape == out._data.shape:
        out._data[...] = result
    else:
        out._data = result.astype(out._data.dtype, copy=True)
    return out
