"""PyTorch's shape ops that NumPy spells differently: ``expand``, ``repeat``, ``unflatten``,
``t``, the two-dim ``transpose``, and the checked products ``mm``/``bmm``.

``repeat`` tiles the tensor; its gradient sums the copies back: view the gradient as
(copies₀, n₀, copies₁, n₁, ...) and sum over the copy axes.

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0], requires_grad=True)
>>> x.repeat(2, 2).sum().backward()
>>> x.grad.tolist()
[4.0, 4.0]
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.ops import arithmetic, shape
from chainrule.tensor import Tensor, _shape_arg

__all__ = ["bmm", "expand", "mm", "repeat", "t", "transpose", "unflatten"]


def expand(input: Any, *sizes: Any) -> Tensor:
    """A broadcast view to ``sizes``; ``-1`` keeps a dim's size.

    >>> import chainrule as cr
    >>> cr.tensor([[1.0], [2.0]]).expand(-1, 3).tolist()
    [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    sizes = _shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor of {input.ndim} dims")
    target = tuple(
        input.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
    )
    return shape.broadcast_to(input, target)


@primitive("repeat")
def _repeat(x, reps):
    return xp.tile(x, reps)


def _repeat_vjp(F, g, out, x, reps):
    shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
    split = tuple(v for r, n in zip(reps, shape, strict=True) for v in (r, n))
    summed = F.sum(F.reshape(g, split), axis=tuple(range(0, len(split), 2)))
    return F.reshape(summed, x.shape)


_repeat.defvjp(_repeat_vjp)


def repeat(input: Any, *sizes: Any) -> Tensor:
    """The tensor tiled ``sizes`` times along each dim (PyTorch's ``repeat``, NumPy's ``tile``).

    >>> import chainrule as cr
    >>> cr.tensor([1, 2]).repeat(2).tolist()
    [1, 2, 1, 2]
    """
    reps = _shape_arg(sizes)
    if len(reps) < input.ndim:
        raise ValueError(
            f"repeat: {len(reps)} repeat counts for a tensor of {input.ndim} dims; give one per dim"
        )
    return _repeat(input, reps)


def unflatten(input: Any, dim: int, sizes: Any) -> Tensor:
    """Split ``dim`` into ``sizes`` (one may be -1).

    >>> import chainrule as cr
    >>> cr.zeros((2, 6)).unflatten(1, (2, 3)).shape
    (2, 2, 3)
    """
    d = dim % input.ndim
    sizes = tuple(sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = tuple(input.shape[d] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != input.shape[d]:
        raise ValueError(
            f"unflatten: sizes {sizes} do not multiply to dim {dim}'s size {input.shape[d]}"
        )
    return shape.reshape(input, (*input.shape[:d], *sizes, *input.shape[d + 1 :]))


def transpose(input: Any, dim0: Any = None, dim1: Any = None) -> Tensor:
    """``transpose(x, dim0, dim1)`` swaps two dims, as PyTorch. With one tuple of axes, or none,
    it permutes (reverses) them as NumPy does; PyTorch has no such call, so there is no clash.

    >>> import chainrule as cr
    >>> cr.transpose(cr.zeros((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    if isinstance(dim0, int) and isinstance(dim1, int):
        return shape.swapaxes(input, dim0, dim1)
    if dim1 is not None:
        raise TypeError(f"transpose takes two int dims, got {dim0!r} and {dim1!r}")
    return shape.transpose(input, None if dim0 is None else tuple(dim0))


def t(input: Any) -> Tensor:
    """The transpose of a matrix (a tensor of at most 2 dims).

    >>> import chainrule as cr
    >>> cr.zeros((2, 3)).t().shape
    (3, 2)
    """
    if input.ndim > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dims, got shape {tuple(input.shape)}")
    return shape.transpose(input) if input.ndim == 2 else input


def mm(input: Any, mat2: Any) -> Tensor:
    """Matrix product of two matrices (2-D only, as PyTorch's ``mm``).

    >>> import chainrule as cr
    >>> cr.mm(cr.ones((2, 3)), cr.ones((3, 1))).tolist()
    [[3.0], [3.0]]
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(
            f"mm expects two matrices, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}"
        )
    return arithmetic.matmul(input, mat2)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p).

    >>> import chainrule as cr
    >>> cr.bmm(cr.ones((4, 2, 3)), cr.ones((4, 3, 5))).shape
    (4, 2, 5)
    """
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(
            f"bmm expects (b, n, m) and (b, m, p) tensors, got shapes {tuple(input.shape)} and "
            f"{tuple(mat2.shape)}"
        )
    return arithmetic.matmul(input, mat2)
