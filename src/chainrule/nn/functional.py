"""Functional forms of the layers: ``linear`` (fused), ``dropout``, ``batch_norm``, ``layer_norm``,
the activations, and the losses.

>>> import chainrule as cr
>>> from chainrule.nn import functional as F
>>> x = cr.ones((4, 3))
>>> F.linear(x, cr.ones((2, 3)), cr.tensor([0.0, 1.0])).tolist()[0]
[3.0, 4.0]
"""

from __future__ import annotations

from typing import Any

from chainrule._missing import module_getattr
from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.creation import Generator, default_generator
from chainrule.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from chainrule.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    fold,
    gelu,
    log_softmax,
    max_pool2d,
    mean,
    sigmoid,
    softmax,
    sqrt,
    tanh,
    unfold,
)
from chainrule.ops import softplus as _softplus
from chainrule.ops.reductions import var  # NumPy's ddof=0: normalisation's biased variance
from chainrule.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "fold",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
    "unfold",
]

# PyTorch's spellings of one_hot (int64), pad (last dim first), normalize, silu, embedding,
# and the activations that take PyTorch's ``inplace``
from chainrule.nn.torch_functional import (
    cosine_similarity,
    elu,
    embedding,
    hardtanh,
    kl_div,
    leaky_relu,
    logsigmoid,
    normalize,
    one_hot,
    pad,
    relu,
    relu6,
    silu,
    smooth_l1_loss,
)

__all__ += ["embedding", "normalize", "one_hot", "pad", "silu", "smooth_l1_loss"]
__all__ += ["cosine_similarity", "hardtanh", "kl_div", "logsigmoid", "relu6"]


@primitive
def linear(x, weight, bias=None):
    """``x @ weightᵀ + bias`` in one op: a matmul plus an in-place bias add.

    ``weight`` has shape (out_features, in_features), as in PyTorch.
    """
    try:
        out = xp.matmul(x, weight.T)
    except ValueError:  # explain the mismatch only when there is one: the check costs time
        if x.ndim and weight.ndim and x.shape[-1] != weight.shape[-1]:
            raise ValueError(
                f"input has {x.shape[-1]} features (shape {x.shape}) but the weight of shape "
                f"{weight.shape} expects {weight.shape[-1]}"
            ) from None
        raise
    if bias is not None:
        out += bias  # the matmul result is fresh, so adding in place is safe
    return out


def _rows(F, a):
    """Fold leading batch axes so every sample is a row."""
    return F.reshape(a, (-1, a.shape[-1])) if a.ndim != 2 else a


linear.defvjp(
    lambda F, g, out, x, w, b=None: F.matmul(g, w),  # ∂L/∂x = ∂L/∂y · W
    lambda F, g, out, x, w, b=None: F.matmul(F.transpose(_rows(F, g)), _rows(F, x)),  # Σ gᵀx
    lambda F, g, out, x, w, b=None: F.sum(_rows(F, g), axis=0),  # Σ over the rows of g
)

_ONES: dict[tuple[int, str], Any] = {}


def _ones(n: int, dtype: Any) -> Any:
    """A cached, read-only vector of ``n`` ones of ``dtype``."""
    key = (n, dtype.char)  # a dtype's own hash is computed afresh on every call: 10x slower
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) >= 64:
            _ONES.clear()
        v = xp.ones(n, dtype=dtype)
        if hasattr(v.flags, "writeable"):
            v.flags.writeable = False
        _ONES[key] = v
    return v


def _weight_fast(F, g, out, x, w, b=None):
    if g.ndim == 2 and x.ndim == 2:
        return xp.matmul(g.T, x)
    return F.matmul(F.transpose(_rows(F, g)), _rows(F, x))


def _bias_fast(F, g, out, x, w, b=None):
    # the row sum as the product onesᵀ·g: one BLAS call, 2-10x faster than g.sum(0), whose
    # reduction along the first axis of a narrow array is slow (measured 21 µs against 1.7 µs
    # for a 1000×16 float32 g)
    rows = g if g.ndim == 2 else _rows(F, g)
    if rows.shape[0] == 1:  # one row (batch size 1): the sum is that row
        return rows[0]
    return xp.matmul(_ones(rows.shape[0], rows.dtype), rows)


# fast: the array calls themselves, without the matmul op's checks
linear.deffast(lambda F, g, out, x, w, b=None: xp.matmul(g, w), _weight_fast, _bias_fast)


def softplus(x: Tensor, beta: float = 1.0) -> Tensor:
    """ln(1 + e^(βx)) / β, stable for any input."""
    if beta == 1.0:
        return _softplus(x)
    return _softplus(x * beta) / beta


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: Generator | None = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (inverted dropout).

    The identity when not ``training`` or when ``p`` is 0.
    """
    return _dropout(x, p, training, generator, x.shape)


def dropout2d(
    x: Tensor, p: float = 0.5, training: bool = True, generator: Generator | None = None
) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (scaled by 1/(1-p)).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularises little; dropping a whole channel does (PyTorch's ``dropout2d``).

    >>> import chainrule as cr
    >>> y = dropout2d(cr.ones((2, 8, 3, 3)), 0.5, generator=cr.Generator(0))
    >>> sorted(set(y.numpy().reshape(16, 9).std(axis=1).tolist()))  # each channel all 0 or all 2
    [0.0]
    """
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects (N, C, H, W) or (C, H, W) input, got {x.shape}")
    return _dropout(x, p, training, generator, (*x.shape[:-2], 1, 1))


def check_dropout_p(p: float) -> float:
    """``p`` if it is a dropout probability, in [0, 1] as PyTorch allows, else a ValueError."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    return p


def _dropout(x: Tensor, p: float, training: bool, generator: Any, mask_shape: tuple) -> Tensor:
    """Inverted dropout with one keep/drop draw per entry of ``mask_shape`` (broadcast over x)."""
    check_dropout_p(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:  # everything dropped, as PyTorch: zeros, and a zero gradient
        return x * 0
    gen = generator if generator is not None else default_generator
    keep = gen.uniform(mask_shape, dtype=x.dtype) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


def batch_norm(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each feature (axis 1) over the batch and any length or spatial axes.

    In training, batch statistics are used and the running arrays are updated in place
    (the running variance is the unbiased one, as in PyTorch).
    """
    axes = (0, *range(2, x.ndim))  # every axis but the channels: (N,), (N, L) or (N, H, W)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mu = mean(x, axis=axes, keepdims=True)
        v = var(x, axis=axes, keepdims=True)
        if running_mean is not None:
            n = x.size // x.shape[1]
            unbiased = v._data.reshape(-1) * (n / max(n - 1, 1))
            running_mean *= 1 - momentum
            running_mean += momentum * mu._data.reshape(-1)
            running_var *= 1 - momentum
            running_var += momentum * unbiased
    else:
        mu = Tensor(running_mean.reshape(shape))
        v = Tensor(running_var.reshape(shape))
    out = (x - mu) / sqrt(v + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(
    x: Tensor,
    normalized_shape: tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample."""
    normalized_shape = tuple(normalized_shape)
    if tuple(x.shape[-len(normalized_shape) :]) != normalized_shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end in {normalized_shape}")
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mu = mean(x, axis=axes, keepdims=True)
    v = var(x, axis=axes, keepdims=True)
    out = (x - mu) / sqrt(v + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


__getattr__ = module_getattr("torch.nn.functional", __all__)  # others: NotImplementedError
