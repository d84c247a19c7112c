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
    "cosine_similarity",
    "elu",
    "embedding",
    "hardtanh",
    "kl_div",
    "leaky_relu",
    "logsigmoid",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu6",
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


def _floating(x: Any) -> Tensor:
    """An integer or bool tensor in the default dtype, as PyTorch promotes one beside a float."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x if x.dtype.kind == "f" else x.to(dtypes.get_default_dtype())


def hardtanh(
    input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Values clipped to [min_val, max_val], as ``torch.nn.functional.hardtanh``.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.hardtanh(cr.tensor([-3.0, 0.5, 2.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    out = ops.clamp(input, min_val, max_val)
    if out.dtype != input.dtype:  # PyTorch: an integer input keeps its dtype
        out = out.to(input.dtype)
    return _maybe_inplace(input, out, inplace)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6), as ``torch.nn.functional.relu6``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input: Any) -> Tensor:
    """log σ(x) = -softplus(-x), stable for any x, as ``torch.nn.functional.logsigmoid``.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> round(F.logsigmoid(cr.tensor([-100.0])).item(), 3)
    -100.0
    """
    return -ops.softplus(-input)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1·x2 / max(‖x1‖·‖x2‖, eps) along ``dim``, as ``torch.nn.functional.cosine_similarity``.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> F.cosine_similarity(cr.tensor([[1.0, 0.0]]), cr.tensor([[1.0, 1.0]])).tolist()
    [0.7071067690849304]
    """
    x1, x2 = _floating(x1), _floating(x2)
    dot = ops.sum(x1 * x2, dim=dim)
    norms = norm(x1, dim=dim) * norm(x2, dim=dim)
    return dot / ops.clamp(norms, min=eps)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target ‖ input) pointwise, ``input`` as log-probabilities, as
    ``torch.nn.functional.kl_div``: target·(log target - input), 0 where target is 0;
    ``reduction`` is 'mean' (over every element, PyTorch's default), 'batchmean' (the sum over
    the batch size: the true KL divergence), 'sum' or 'none'.

    >>> import chainrule as cr
    >>> from chainrule.nn import functional as F
    >>> p = cr.tensor([[0.5, 0.5]])
    >>> F.kl_div(cr.log(p), p, reduction="batchmean").item()
    0.0
    """
    if not log_target:
        t = target._data if isinstance(target, Tensor) else target
        if (t < 0).any():  # PyTorch gives nan here; a probability is never negative
            raise ValueError(f"kl_div: target probabilities must be >= 0, found {t[t < 0].min()}")
    if log_target:
        pointwise = ops.exp(target) * (target - input)
    else:
        t = target if isinstance(target, Tensor) else Tensor(target)
        safe = ops.where(t > 0, t, 1.0)  # 0·log 0 = 0, with no log(0) computed
        pointwise = ops.where(t > 0, t * (ops.log(safe) - input), 0.0)
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return ops.sum(pointwise)
    if reduction == "mean":
        return ops.mean(pointwise)
    if reduction == "batchmean":
        return ops.sum(pointwise) / (input.shape[0] if input.ndim else 1)
    raise ValueError(
        f"kl_div: reduction must be 'none', 'mean', 'batchmean' or 'sum', got {reduction!r}"
    )
