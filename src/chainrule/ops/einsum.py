"""``einsum``: sums of products over named indices, one primitive.

The gradient for one operand is itself an einsum: the upstream gradient (indexed like the output)
times every other operand, summed down to that operand's indices. An index that only that operand
has was summed away in the forward, so its gradient is broadcast back along it.

>>> import chainrule as cr
>>> a = cr.tensor([[1.0, 2.0]], requires_grad=True)
>>> b = cr.tensor([[3.0], [4.0]])
>>> y = cr.einsum("ij,jk->ik", a, b)
>>> y.tolist()
[[11.0]]
>>> y.sum().backward()
>>> a.grad.tolist()
[[3.0, 4.0]]
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["einsum"]


def _parse(equation: str, n: int) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError(
            "chainrule's einsum does not implement '...' (ellipsis) subscripts"
        )
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != n:
        raise ValueError(f"einsum: {equation!r} names {len(ins)} operands but {n} were given")
    if not arrow:  # implicit output: the indices used once, in alphabetical order
        counts = Counter("".join(ins))
        rhs = "".join(sorted(c for c, k in counts.items() if k == 1))
    return ins, rhs


@primitive("einsum")
def _einsum(*operands, equation):
    return xp.einsum(equation, *operands)


def _einsum_vjp(F, g, out, *operands, equation):
    ins, rhs = _parse(equation, len(operands))
    grads = []
    for i, a in enumerate(operands):
        sub = ins[i]
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                f"einsum: no gradient for a repeated index within one operand ({sub!r})"
            )
        others = [s for j, s in enumerate(ins) if j != i]
        available = set(rhs).union(*others)
        keep = "".join(c for c in sub if c in available)
        eq = ",".join([rhs, *others]) + "->" + keep
        r = F.einsum(g, *(o for j, o in enumerate(operands) if j != i), equation=eq)
        if keep != sub:  # indices summed away by this operand alone: broadcast back
            r = F.reshape(
                r, tuple(n if c in keep else 1 for c, n in zip(sub, a.shape, strict=True))
            )
            r = F.broadcast_to(r, a.shape)
        grads.append(r)
    return grads


_einsum.defvjp_all(_einsum_vjp)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum`` (operands as arguments or one list).

    >>> import chainrule as cr
    >>> cr.einsum("bi,bi->b", cr.ones((2, 3)), cr.ones((2, 3))).tolist()
    [3.0, 3.0]
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, rhs = _parse(equation, len(operands))
    return _einsum(*operands, equation=",".join(ins) + "->" + rhs)
