"""Gradient clipping: rescale or clamp the gradients of parameters before a step.

"In place" here means that ``p.grad`` ends up holding the clipped values: each clipped
gradient's ``.data`` is *replaced* by a new array. The old gradient array is never written
into, because it may be a read-only broadcast view or shared with another parameter's
gradient; an array taken from ``p.grad._data`` before clipping keeps its values.

>>> import chainrule as cr
>>> from chainrule.nn.utils import clip_grad_norm_
>>> w = cr.zeros(2, requires_grad=True)
>>> w.grad = cr.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)   # returns the norm before clipping, a tensor
tensor(5.)
>>> w.grad
tensor([0.6000, 0.8000])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from chainrule import dtypes
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The parameters that have a gradient, each gradient tensor once."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    out: list[Tensor] = []
    seen: set[int] = set()
    for p in params:
        if p.grad is not None and id(p.grad) not in seen:
            seen.add(id(p.grad))
            out.append(p)
    return out


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of all gradients concatenated into one vector
    (``inf`` for the largest absolute value). Where it exceeds ``max_norm``, every gradient is
    multiplied by ``max_norm / (norm + 1e-6)``, as in PyTorch. Gradients that are None are
    skipped. Each clipped gradient gets a new array: see the module notes.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Tensors whose ``.grad`` to clip.
    max_norm : float
        The largest joint norm allowed.
    norm_type : float
        The p of the p-norm (default 2); ``math.inf`` for the max-norm.
    error_if_nonfinite : bool
        Raise when the norm is NaN or infinite. Otherwise the gradients are scaled as the
        formula says (a NaN norm makes them NaN), as PyTorch does.

    Returns
    -------
    Tensor
        The joint norm before clipping, a 0-d tensor in the gradients' dtype (as in PyTorch;
        0 when no parameter has a gradient).

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite``, when the norm is NaN or infinite.

    Examples
    --------
    >>> import math
    >>> import chainrule as cr
    >>> from chainrule.nn.utils import clip_grad_norm_
    >>> a, b = cr.zeros(1, requires_grad=True), cr.zeros(1, requires_grad=True)
    >>> a.grad, b.grad = cr.tensor([-2.0]), cr.tensor([1.0])
    >>> clip_grad_norm_([a, b], max_norm=1.0, norm_type=math.inf).item()
    2.0
    >>> a.grad.tolist(), b.grad.tolist()
    ([-1.0], [0.5])
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(xp.zeros((), dtype=dtypes.get_default_dtype()))
    grads = [p.grad._data for p in params]  # type: ignore[union-attr]
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        reduce = xp.max if norm_type > 0 else xp.min
        total = float(reduce(xp.asarray([float(xp.max(xp.abs(g))) for g in grads])))
    else:
        per = xp.asarray([float(xp.linalg.norm(g.ravel(), ord=norm_type)) for g in grads])
        total = float(xp.linalg.norm(per, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            "be clipped; pass error_if_nonfinite=False to scale them anyway"
        )
    coef = max_norm / (total + 1e-6) if math.isfinite(total) else max_norm / total
    if coef < 1.0 or math.isnan(coef):
        for p in params:
            p.grad._data = p.grad._data * coef  # type: ignore[union-attr]  # a new array
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``.

    Gradients that are None are skipped. Each gradient gets a new array: see the module notes.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Tensors whose ``.grad`` to clamp.
    clip_value : float
        The largest absolute value allowed (must be >= 0).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.nn.utils import clip_grad_value_
    >>> w = cr.zeros(3, requires_grad=True)
    >>> w.grad = cr.tensor([-5.0, 0.5, 2.0])
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    if clip_value < 0:
        raise ValueError(f"clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters):
        p.grad._data = xp.clip(p.grad._data, -clip_value, clip_value)  # type: ignore[union-attr]
