"""PyTorch's ``torch.autograd.grad``, reachable as ``chainrule.autograd.grad``.

It returns ∂outputs/∂inputs without touching any ``.grad``; with ``create_graph=True`` the result
is itself differentiable (for gradient penalties and second derivatives).

>>> import chainrule as cr
>>> from chainrule.autograd import grad
>>> x = cr.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x ** 3).sum()
>>> (g,) = grad(y, x, create_graph=True)
>>> g.tolist()
[3.0, 12.0]
>>> grad(g.sum(), x)[0].tolist()
[6.0, 12.0]
>>> x.grad is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule._missing import missing
from chainrule.autograd import _new, run_backward
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["Variable", "grad"]


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """PyTorch's legacy ``torch.autograd.Variable``: today's Tensor, a new leaf over the same
    values (old tutorials wrap inputs and weights in it).

    >>> import chainrule as cr
    >>> from chainrule.autograd import Variable
    >>> Variable(cr.ones(2), requires_grad=True)
    tensor([1., 1.], requires_grad=True)
    """
    t = Tensor(data._data if isinstance(data, Tensor) else data)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _as_list(x: Any) -> list[Any]:
    return [x] if isinstance(x, Tensor) or x is None else list(x)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (one per input).

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        What to differentiate; a non-scalar output needs its ``grad_outputs``.
    inputs : Tensor or sequence of Tensor
        The tensors to differentiate with respect to (leaves or intermediate results).
    grad_outputs : Tensor or sequence, optional
        ∂L/∂output for each output (ones for a scalar output when None).
    retain_graph : bool, optional
        Keep the graph for another backward (default: ``create_graph``).
    create_graph : bool
        Record the backward pass, so the gradients can be differentiated again.
    only_inputs : bool
        Ignored, as PyTorch (deprecated there): only ``inputs`` get gradients.
    allow_unused : bool, optional
        Return None for an input the outputs do not depend on, instead of raising.
    materialize_grads : bool
        Return zeros instead of None for unused inputs.

    Returns
    -------
    tuple of Tensor or None

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.autograd import grad
    >>> w = cr.tensor([2.0], requires_grad=True)
    >>> grad((w * w).sum(), [w])
    (tensor([4.]),)
    """
    if is_grads_batched:
        raise missing("torch.autograd.grad(is_grads_batched=True)")
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    seeds = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(seeds) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(seeds)} grad_outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} is not a tensor that requires grad")
    retain = create_graph if retain_graph is None else retain_graph
    total: list[Any] = [None] * len(ins)
    for k, (out, seed) in enumerate(zip(outs, seeds, strict=True)):
        if not out.requires_grad:
            raise RuntimeError(
                f"grad: output {k} does not require grad (no input had requires_grad=True, or "
                "it was computed under no_grad())"
            )
        if seed is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad: output {k} has shape {out.shape}; pass grad_outputs of that shape"
                )
            seed = xp.ones_like(out._data)
        else:
            seed = seed._data if isinstance(seed, Tensor) else xp.asarray(seed, dtype=out.dtype)
        if create_graph:
            seed = Tensor(seed)
        last = k == len(outs) - 1
        got = run_backward(
            out,
            seed,
            retain_graph=retain or not last,
            create_graph=create_graph,
            inputs=tuple(ins),
        )
        for i, g in enumerate(got or ()):
            if g is not None:
                total[i] = g if total[i] is None else total[i] + g
    result: list[Tensor | None] = []
    for i, (g, t) in enumerate(zip(total, ins, strict=True)):
        if g is None:
            if materialize_grads:
                result.append(Tensor(xp.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it"
                )
            result.append(None)
        else:
            result.append(g if create_graph else _new(g, False, None))
    return tuple(result)
