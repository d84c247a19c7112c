"""PyTorch's ``torch.autograd.functional``: ``jacobian``, ``hessian``, ``vjp`` and ``jvp`` called
with the inputs (``jacobian(f, x)``), beside chainrule's JAX-style transforms (``jacobian(f)(x)``)
that compute them.

>>> import chainrule as cr
>>> from chainrule.autograd.functional import hessian, jacobian
>>> jacobian(lambda x: x * x, cr.tensor([1.0, 2.0])).tolist()
[[2.0, 0.0], [0.0, 4.0]]
>>> hessian(lambda x: (x ** 3).sum(), cr.tensor([1.0, 2.0])).tolist()
[[6.0, 0.0], [0.0, 12.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import functional as _f
from chainrule.tensor import Tensor

__all__ = ["hessian", "jacobian", "jvp", "vjp"]


def _unpack(inputs: Any, create_graph: bool, name: str) -> tuple[tuple[Any, ...], bool]:
    """The inputs as a tuple, and whether a single Tensor was given; ``create_graph`` refused."""
    if create_graph:
        raise NotImplementedError(
            f"chainrule does not implement torch.autograd.functional.{name}(create_graph=True); "
            "nest chainrule.grad/jacobian transforms instead"
        )
    if isinstance(inputs, Tensor):
        return (inputs,), True
    return tuple(inputs), False


def jacobian(
    func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
    vectorize: bool = False, strategy: str = "reverse-mode",
) -> Any:  # fmt: skip
    """∂func/∂inputs, of shape ``output.shape + input.shape`` (a tuple for a tuple of inputs)."""
    args, single = _unpack(inputs, create_graph, "jacobian")
    nums = 0 if single else tuple(range(len(args)))
    return _f.jacobian(func, nums)(*args)


def hessian(
    func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
    vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode",
) -> Any:  # fmt: skip
    """The second derivatives of a scalar ``func``, of shape ``input.shape + input.shape``."""
    args, single = _unpack(inputs, create_graph, "hessian")
    if not single:
        raise NotImplementedError(
            "chainrule does not implement torch.autograd.functional.hessian for several inputs"
        )
    return _f.hessian(func)(*args)


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> Any:
    """``(func(inputs), vᵀ·∂func/∂inputs)``; ``v`` may be left out for a scalar output."""
    args, single = _unpack(inputs, create_graph, "vjp")
    out, back = _f.vjp(func, *args)
    grads = back(v if v is not None else Tensor(out._data * 0 + 1))
    return out, grads[0] if single else grads


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> Any:
    """``(func(inputs), ∂func/∂inputs·v)``; ``v`` may be left out for a one-element input."""
    args, single = _unpack(inputs, create_graph, "jvp")
    if v is None:
        v = tuple(Tensor(a._data * 0 + 1) for a in args)
    tangents = (v,) if single else tuple(v)
    return _f.jvp(func, args, tangents)
