"""The ``torch.nn.functional`` names that chainrule spells PyTorch's way: ``one_hot`` (int64),
``pad`` (pad widths from the last dim backwards), ``normalize``, ``silu`` and ``embedding``.

>>> import chainrule as cr
>>> from chainrule.nn import functional as F
>>> F.one_hot(cr.tensor([0, 2]), 3).tolist()
[[1, 0, 0], [0, 0, 1]]
>>> F.pad(cr.ones((1, 2)), (1, 0)).tolist()
[[0.0, 1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, ops
from chainrule.ops.norms import norm
from chainrule.tensor import Tensor

__all__ = [
    "elu",
    "embedding",
    "leaky_relu",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "silu",
    "smooth_l1_loss",
]


def _maybe_inplace(input: Any, out: Tensor, inplace: bool) -> Tensor:
    """PyTorch's ``inplace=True``: the input takes the result's values and is returned. Only
    for a tensor outside autograd: the engine records no in-place ops, so a tensor that
    requires grad gets the result as a new tensor (the same values)."""
    if inplace and isinstance(input, Tensor) and not input.requires_grad:
        input._data[...] = out._data
        return input
    return out


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(x, 0), as ``torch.nn.functional.relu`` (``inplace`` as :func:`_maybe_inplace`).

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> x = cr.tensor([-1.0, 2.0])
    >>> _ = F.relu(x, inplace=True)
    >>> x
    tensor([0., 2.])
    """
    return _maybe_inplace(input, ops.relu(input), inplace)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, else ``negative_slope``·x, as ``torch.nn.functional.leaky_relu``."""
    return _maybe_inplace(input, ops.leaky_relu(input, negative_slope), inplace)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else α(eˣ - 1), as ``torch.nn.functional.elu``."""
    return _maybe_inplace(input, ops.elu(input, alpha), inplace)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Rows of the identity for integer labels, as int64 (PyTorch's dtype); ``num_classes=-1``
    takes one more than the largest label.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.one_hot(cr.tensor([1, 0])).tolist()
    [[0, 1], [1, 0]]
    """
    if num_classes == -1:
        num_classes = int(tensor._data.max()) + 1 if tensor._data.size else 0
    return ops.one_hot(tensor, num_classes, dtype=dtypes.int64)


def pad(input: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with ``value``; ``pad`` lists (before, after) widths from the last dim backwards:
    ``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.pad(cr.ones((1, 1)), (0, 1, 1, 0), value=5.0).tolist()
    [[5.0, 5.0], [1.0, 5.0]]
    """
    if mode != "constant":
        raise NotImplementedError(f"chainrule does not implement torch F.pad mode={mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {pad} needs (before, after) pairs for at most {input.ndim} dims")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    widths = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    if any(b < 0 or a < 0 for b, a in widths):
        raise NotImplementedError("chainrule does not implement negative pad widths (cropping)")
    return ops.pad(input, tuple(widths), constant_values=value)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.normalize(cr.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    return input / ops.clamp(norm(input, p, dim, keepdim=True), min=eps)


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish).

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> round(F.silu(cr.tensor([1.0])).item(), 4)
    0.7311
    """
    return _maybe_inplace(input, input * ops.sigmoid(input), inplace)


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input`` (a lookup; the gradient adds up per row).

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.embedding(cr.tensor([[1, 0]]), cr.tensor([[0.0, 0.5], [1.0, 1.5]])).tolist()
    [[[1.0, 1.5], [0.0, 0.5]]]
    """
    idx = input._data if isinstance(input, Tensor) else ops.unwrap_index(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        raise IndexError(f"embedding: an index is out of range for {n} embeddings")
    out = weight[idx]
    if padding_idx is not None:  # the padding row gets no gradient
        out = ops.where((idx == padding_idx)[..., None], out.detach(), out)
    return out


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """PyTorch's smooth L1: ½d²/β where |d| < β, else |d| − ½β; the Huber loss divided by β.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.smooth_l1_loss(cr.tensor([0.5, 3.0]), cr.zeros(2), reduction="none", beta=2.0).tolist()
    [0.0625, 2.0]
    """
    from chainrule.nn.losses import huber_loss

    return huber_loss(input, target, reduction=reduction, delta=beta) / beta
