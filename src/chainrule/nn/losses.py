"""Loss functions, in PyTorch's functional form: ``loss(input, target, ...)``.

Every loss takes ``reduction`` ('mean', 'sum' or 'none') and ``sample_weight``, a weight per
sample of shape (N,) that multiplies each sample's loss before the reduction. With sample
weights, 'mean' is the *weighted* mean, Σ sᵢ·lᵢ / Σ sᵢ, so weights of all ones change nothing.
Where a sample holds several loss elements (a (N, k) input to an elementwise loss, or the
(N, d1, ...) positions of a cross-entropy), sᵢ applies to each of them and the denominator counts
each of them: Σ sᵢ·lᵢⱼ / (k·Σ sᵢ).

The cross-entropies are fused primitives (one forward, one VJP rule each), stable for logits of
any size:

- :func:`binary_cross_entropy_with_logits` is the negative log-likelihood of logistic regression,
  f(x) = σ(wᵀx + b): max(z, 0) - z·y + log(1 + e^-|z|), with gradient σ(z) - y.
- :func:`cross_entropy` is -log softmax(z)[y], with gradient softmax(z) - onehot(y).

>>> import chainrule as cr
>>> z = cr.tensor([1e4, -1e4, 0.0], requires_grad=True)
>>> loss = binary_cross_entropy_with_logits(z, [1.0, 1.0, 0.0], reduction="none")
>>> loss.tolist()   # the middle logit is 10,000 on the wrong side
[0.0, 10000.0, 0.6931471824645996]
>>> loss.sum().backward()
>>> z.grad.tolist()   # σ(z) - y
[0.0, -1.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainrule import ops
from chainrule.autograd import nondifferentiable, primitive
from chainrule.backend import xp
from chainrule.ops.logprob import _shifted
from chainrule.tensor import Tensor, as_tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "mse_loss",
    "nll_loss",
]

REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch clamps log(p) in binary_cross_entropy at -100
_GRAD_EPS = 1e-12  # and divides its gradient by max(p(1-p), 1e-12)


# ----------------------------------------------------------------------------- checks
def _fmt(value: Any) -> str:
    """A number as it should read in an error message: 2.0, 0.5, 3, nan."""
    v = value.item() if hasattr(value, "item") else value
    return repr(float(v)) if isinstance(v, float) else str(v)


def _first(mask: Any) -> tuple[int, ...]:
    """Index of the first True in ``mask``."""
    if mask.ndim == 0:
        return ()
    flat = int(xp.argmax(mask.reshape(-1)))
    index = []
    for n in reversed(mask.shape):  # unravel in Python: CuPy's unravel_index refuses an int
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def check_reduction(name: str, reduction: Any) -> None:
    """Raise ``ValueError`` unless ``reduction`` is 'mean', 'sum' or 'none'.

    >>> check_reduction("mse_loss", "avg")
    Traceback (most recent call last):
    ...
    ValueError: mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'
    """
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def check_label_smoothing(name: str, label_smoothing: Any) -> float:
    """``label_smoothing`` as a float in [0, 1], or ``ValueError``."""
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return eps


def check_delta(name: str, delta: Any) -> float:
    """Huber's ``delta`` as a positive float, or ``ValueError``."""
    d = float(delta)
    if not d > 0:
        raise ValueError(f"{name}: delta must be positive, got {delta!r}")
    return d


def _check_nan(name: str, what: str, data: Any) -> None:
    if data.dtype.kind == "f":
        bad = xp.isnan(data)
        if bad.any():
            raise ValueError(f"{name}: {what} contains NaN (first at index {_first(bad)})")


def _check_unit_interval(name: str, what: str, data: Any, hint: str = "") -> None:
    if not data.size or (xp.min(data) >= 0 and xp.max(data) <= 1):
        return
    bad = (data < 0) | (data > 1)
    if bad.any():
        i = _first(bad)
        raise ValueError(
            f"{name}: {what} must lie in [0, 1], found {_fmt(data[i])} at index {i}{hint}"
        )


def _check_distribution(name: str, data: Any, axis: int) -> None:
    """ValueError unless every probability target sums to 1 over the class axis (to within
    the rounding of its dtype, at least 1e-3)."""
    if not data.size:
        return
    tol = max(1e-3, 10 * float(xp.finfo(data.dtype).eps))
    off = xp.abs(xp.sum(data.astype(xp.float64), axis=axis) - 1.0) > tol
    if off.any():
        i = _first(off)
        total = float(xp.sum(data.astype(xp.float64), axis=axis)[i])
        which = "the target" if not i else f"target {i[0] if len(i) == 1 else i}"
        raise ValueError(
            f"{name}: probability targets must sum to 1 over the classes (axis {axis}); "
            f"{which} sums to {total:.6g} (pass class indices, or normalise the targets)"
        )


def _input(name: str, input: Any) -> Tensor:
    """The input as a floating-point Tensor without NaN."""
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    _check_nan(name, "input", x._data)
    return x


def _like(t: Tensor, dtype: Any) -> Tensor:
    """``t`` in ``dtype`` (differentiably, if it requires grad)."""
    return t if t.dtype == dtype else ops.astype(t, dtype)


def _same_shape_target(name: str, x: Tensor, target: Any, binary: bool) -> Tensor:
    """A target of the input's shape and dtype, checked for NaN (and, if binary, [0, 1])."""
    y = as_tensor(target)
    if y.shape != x.shape:
        raise ValueError(
            f"{name}: target has shape {y.shape} but input has shape {x.shape}; they must match"
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{name}: target must be numeric, got dtype {y.dtype}")
    _check_nan(name, "target", y._data)
    if binary:
        _check_unit_interval(
            name, "target", y._data, " (binary labels are 0 or 1, soft labels in between)"
        )
    return _like(y, x.dtype)


def _elementwise_weight(name: str, what: str, weight: Any, x: Tensor) -> Tensor:
    """A weight that broadcasts to the input's shape without enlarging it."""
    w = _like(as_tensor(weight), x.dtype)
    try:
        shape = xp.broadcast_shapes(w.shape, x.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(
            f"{name}: {what} of shape {w.shape} does not broadcast to the input's shape {x.shape}"
        )
    _check_nan(name, what, w._data)
    return w


def _sample_weight(name: str, sample_weight: Any, loss_shape: tuple, dtype: Any) -> Tensor | None:
    """``sample_weight`` checked against (N,) and shaped to broadcast over the loss elements."""
    if sample_weight is None:
        return None
    s = _like(as_tensor(sample_weight), dtype)
    expected = loss_shape[:1]
    if s.shape != expected and not (not loss_shape and s.size == 1):
        raise ValueError(
            f"{name}: sample_weight has shape {s.shape} but the batch needs one weight per "
            f"sample, shape {expected}"
        )
    _check_nan(name, "sample_weight", s._data)
    negative = s._data < 0
    if negative.any():
        i = _first(negative)
        raise ValueError(
            f"{name}: sample_weight must be non-negative, found {_fmt(s._data[i])} at index {i}"
        )
    return ops.reshape(s, (s.size,) + (1,) * (len(loss_shape) - 1) if loss_shape else ())


def _reduce(
    name: str, loss: Tensor, reduction: str, sample: Tensor | None = None, mass: Any = None
) -> Tensor:
    """Apply the sample weights, then reduce.

    ``mass`` (a constant array shaped like ``loss``, or None for ones) is each element's share of
    the denominator of 'mean': the class weight of its target, as PyTorch's weighted mean.
    """
    if sample is not None:
        loss = loss * sample
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if sample is None and mass is None:
        if loss.size == 0:
            raise ValueError(f"{name}: the 'mean' of an empty batch is undefined")
        return loss.mean()
    if sample is None:
        total: Any = float(mass.sum())
    elif mass is None:
        total = sample.sum() * (loss.size // max(sample.size, 1))
    else:
        total = (sample * mass).sum()
    if float(total) == 0.0:
        raise ValueError(
            f"{name}: the weights of this batch sum to 0, so its weighted 'mean' is undefined; "
            "use reduction='sum' or give some sample a positive weight"
        )
    return loss.sum() / total


# ----------------------------------------------------------------------------- BCE on probabilities
def _clamped_log_raw(x: Any) -> Any:
    # log(max(x, smallest subnormal)) never sees 0, so it never warns; then PyTorch's -100 floor
    tiny = xp.finfo(x.dtype).smallest_subnormal
    return xp.maximum(xp.log(xp.maximum(x, tiny)), _LOG_FLOOR)


@primitive("log_clamped")
def _log_clamped(x):
    """max(log x, -100) elementwise, finite at x = 0 (binary_cross_entropy's logarithm)."""
    return _clamped_log_raw(x)


def _log_clamped_vjp(F, g, out, x):
    # d/dx log x = 1/x above the floor, 0 below it (where the floor is flat)
    above = out > _LOG_FLOOR
    return F.where(above, g / F.where(above, x, 1.0), 0.0)


_log_clamped.defvjp(_log_clamped_vjp)


@primitive("binary_cross_entropy")
def _binary_cross_entropy(p, y):
    """-(y·log p + (1-y)·log(1-p)) elementwise, each log clamped at -100."""
    return -(y * _clamped_log_raw(p)) - (1 - y) * _clamped_log_raw(1 - p)  # no -0.0 at p = y


_binary_cross_entropy.defvjp(
    # ∂l/∂p = (p - y) / (p(1 - p)); PyTorch's form, finite at p ∈ {0, 1}
    lambda F, g, out, p, y: g * (p - y) / F.maximum(p * (1 - p), _GRAD_EPS),
    # ∂l/∂y = log(1 - p) - log p (the clamped logs)
    lambda F, g, out, p, y: g * (F.log_clamped(1 - p) - F.log_clamped(p)),
)


def binary_cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    sample_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and labels ``target``.

    l = -w·(y·log p + (1 - y)·log(1 - p)), each log clamped at -100 as in PyTorch, so p = 0 or
    1 gives a finite loss (100 per wrong element) and a finite gradient. Prefer
    :func:`binary_cross_entropy_with_logits` on logits: it is exact where σ(z) rounds to 0 or 1.

    Parameters
    ----------
    input : Tensor
        Probabilities in [0, 1], any shape.
    target : Tensor or array-like
        Same shape; 0/1 labels or soft labels in [0, 1]. Differentiable.
    weight : Tensor, optional
        Elementwise rescaling, broadcast to the input's shape ('mean' still divides by the number
        of elements, as in PyTorch).
    reduction : {'mean', 'sum', 'none'}
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean (see the module notes).

    Returns
    -------
    Tensor
        A scalar, or the elementwise losses for ``reduction='none'``.

    Raises
    ------
    ValueError
        For a bad ``reduction``, mismatched shapes, NaN, or input/target values outside [0, 1].

    Examples
    --------
    >>> import chainrule as cr
    >>> p = cr.tensor([0.9, 0.2, 0.0])
    >>> [round(v, 4) for v in binary_cross_entropy(p, [1, 0, 1], reduction="none").tolist()]
    [0.1054, 0.2231, 100.0]
    """
    name = "binary_cross_entropy"
    check_reduction(name, reduction)
    x = _input(name, input)
    _check_unit_interval(
        name,
        "input",
        x._data,
        " (it holds probabilities; use binary_cross_entropy_with_logits for logits)",
    )
    y = _same_shape_target(name, x, target, binary=True)
    loss = _binary_cross_entropy(x, y)
    if weight is not None:
        loss = loss * _elementwise_weight(name, "weight", weight, x)
    return _reduce(name, loss, reduction, _sample_weight(name, sample_weight, x.shape, x.dtype))


# ----------------------------------------------------------------------------- BCE on logits
@primitive("binary_cross_entropy_with_logits")
def _binary_cross_entropy_with_logits(z, y, pos_weight=None):
    """Elementwise -[pw·y·log σ(z) + (1-y)·log(1-σ(z))], stable for any |z|.

    With softplus(-z) = max(-z, 0) + log1p(e^-|z|) = -log σ(z), nothing is exponentiated but
    e^-|z| ≤ 1, so neither overflow nor a warning can occur.
    """
    tail = xp.log1p(xp.exp(-xp.abs(z)))
    if pos_weight is None:
        return xp.maximum(z, 0) - z * y + tail
    # = (1 - y)·z + (1 + (pw - 1)·y)·softplus(-z)
    return (1 - y) * z + (1 + (pos_weight - 1) * y) * (xp.maximum(-z, 0) + tail)


def _bcel_vjp_z(F, g, out, z, y, pos_weight=None):
    if pos_weight is None:
        return g * (F.sigmoid(z) - y)  # the logistic-regression gradient σ(z) - y
    # ∂l/∂z = (1 + (pw - 1)·y)·σ(z) - pw·y
    return g * ((1 + (pos_weight - 1) * y) * F.sigmoid(z) - pos_weight * y)


def _bcel_vjp_y(F, g, out, z, y, pos_weight=None):
    if pos_weight is None:
        return -g * z  # ∂l/∂y = -z
    return g * ((pos_weight - 1) * F.softplus(-z) - z)  # -z + (pw - 1)·softplus(-z)


def _bcel_vjp_pos_weight(F, g, out, z, y, pos_weight=None):
    return g * y * F.softplus(-z)  # ∂l/∂pw = y·softplus(-z) = -y·log σ(z)


_binary_cross_entropy_with_logits.defvjp(_bcel_vjp_z, _bcel_vjp_y, _bcel_vjp_pos_weight)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    *,
    reduction: str = "mean",
    sample_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy on logits: the negative log-likelihood of logistic regression.

    For f(x) = σ(z), z = wᵀx + b, and a label y ∈ {0, 1},
    l = -[y·log σ(z) + (1 - y)·log(1 - σ(z))] = max(z, 0) - z·y + log(1 + e^-|z|), computed in
    that form so that logits of any size (±1e4 included) give exact, finite values with no
    overflow warning. Its gradient is σ(z) - y. One fused primitive.

    Parameters
    ----------
    input : Tensor
        Logits, any shape.
    target : Tensor or array-like
        Same shape; 0/1 labels or soft labels in [0, 1]. Differentiable (∂l/∂y = -z).
    weight : Tensor, optional
        Elementwise rescaling, broadcast to the input's shape.
    pos_weight : Tensor, optional
        Weight of the positive term, broadcast along the last axis (one per class for
        multi-label): l = -[pw·y·log σ(z) + (1 - y)·log(1 - σ(z))]. Differentiable.
    reduction : {'mean', 'sum', 'none'}
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a bad ``reduction``, mismatched shapes, NaN, or targets outside [0, 1].

    Examples
    --------
    >>> import chainrule as cr
    >>> z = cr.tensor([2.0, -1.0], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(z, [1.0, 0.0])
    >>> round(loss.item(), 4)
    0.2201
    >>> loss.backward()
    >>> [round(v, 4) for v in z.grad.tolist()]   # (σ(z) - y) / 2
    [-0.0596, 0.1345]
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(name, reduction)
    x = _input(name, input)
    y = _same_shape_target(name, x, target, binary=True)
    pw = None if pos_weight is None else _elementwise_weight(name, "pos_weight", pos_weight, x)
    loss = _binary_cross_entropy_with_logits(x, y, pw)
    if weight is not None:
        loss = loss * _elementwise_weight(name, "weight", weight, x)
    return _reduce(name, loss, reduction, _sample_weight(name, sample_weight, x.shape, x.dtype))


# ----------------------------------------------------------------------------- class losses
@nondifferentiable("class_targets")
def _class_targets(labels, num_classes, weight, label_smoothing, dtype):
    """The target distribution q of cross_entropy's index form, one row per sample.

    q = (1 - ε)·w_y·onehot(y) + (ε / C)·w: the loss is -Σ_c q_c·log p_c.
    """
    m = labels.shape[0]
    q = xp.zeros((m, num_classes), dtype=dtype)
    hit = 1.0 - label_smoothing
    q[xp.arange(m), labels] = hit if weight is None else hit * weight[labels]
    if label_smoothing:
        q += (label_smoothing / num_classes) * (1.0 if weight is None else weight)
    return q


@primitive("softmax_cross_entropy")
def _softmax_cross_entropy(logits, labels, weight=None, label_smoothing=0.0):
    """Per-row -Σ_c q_c·log softmax(z)_c for integer labels (see ``class_targets``).

    ``logits`` is (M, C) and ``labels`` (M,). Computed as logsumexp(z) - z_y on the max-shifted
    logits, without forming the (M, C) log-probabilities unless label smoothing needs them.
    """
    z, _ = _shifted(logits, -1)
    lse = xp.log(xp.sum(xp.exp(z), axis=-1))
    out = lse - z[xp.arange(z.shape[0]), labels]
    if weight is not None:
        out = out * weight[labels]
    if label_smoothing:
        c = z.shape[-1]
        # Σ_c w_c·(lse - z_c) / C, with w = 1 when there are no class weights
        if weight is None:
            smooth = lse - xp.mean(z, axis=-1)
        else:
            smooth = (lse * xp.sum(weight) - z @ weight) / c
        out = (1 - label_smoothing) * out + label_smoothing * smooth
    return out


def _softmax_cross_entropy_vjp(F, g, out, logits, labels, weight=None, label_smoothing=0.0):
    # ∂l/∂z = softmax(z)·Σq - q; Σq = 1 for plain one-hot targets, giving softmax(z) - onehot(y)
    return F.softmax_cross_entropy_grad(
        logits, g, labels, out, weight=weight, label_smoothing=label_smoothing
    )


_softmax_cross_entropy.defvjp(_softmax_cross_entropy_vjp)


@primitive("softmax_cross_entropy_grad")
def _softmax_cross_entropy_grad(logits, g, labels, loss, weight=None, label_smoothing=0.0):
    """(softmax(z)·Σq - q)·g: the VJP of ``softmax_cross_entropy``, built in one buffer.

    A primitive of its own, so the first-order backward makes one (M, C) array in place (no
    one-hot matrix, no scatter), while its own VJPs below keep second derivatives exact. ``loss``
    is the forward's output, only a shortcut: for plain targets logsumexp(z) = loss + z_y, so
    softmax(z) = exp(z - loss - z_y) needs neither a max nor a sum over each row (the same
    precision as log_softmax's own backward, exp of its output).
    """
    rows = xp.arange(logits.shape[0])
    if weight is None and not label_smoothing:
        p = logits - (loss + logits[rows, labels])[:, None]  # z - logsumexp(z) <= 0
        xp.exp(p, out=p)
        # loss + z_y can round away from logsumexp(z) at huge logits (|z| ≳ 1e7 in float32), and
        # then a row no longer sums to 1: recompute just those rows with the max shift
        # (the row sums as one matrix-vector product: a sum along a short last axis is slow)
        off = xp.abs(xp.matmul(p, xp.ones(p.shape[-1], p.dtype)) - 1.0) > 1e-3
        if off.any():
            z, _ = _shifted(logits[off], -1)
            xp.exp(z, out=z)
            p[off] = z / xp.sum(z, axis=-1, keepdims=True)
        p[rows, labels] -= 1.0
        p *= g[:, None]
        return p
    p, _ = _shifted(logits, -1)  # a fresh array: safe to work on in place
    xp.exp(p, out=p)
    p /= xp.sum(p, axis=-1, keepdims=True)
    hit = 1.0 - label_smoothing if weight is None else (1.0 - label_smoothing) * weight[labels]
    mass = hit + label_smoothing * (1.0 if weight is None else xp.mean(weight))  # Σ_c q_c
    p *= mass[:, None] if weight is not None else mass
    if label_smoothing:
        p -= (label_smoothing / p.shape[-1]) * (1.0 if weight is None else weight)
    p[rows, labels] -= hit
    p *= g[:, None]
    return p


def _sce_grad_vjp_logits(F, v, out, logits, g, labels, loss, weight=None, label_smoothing=0.0):
    # the output is softmax(z)·(g·Σq) + const: the softmax VJP p ⊙ (u - Σ u·p), u = v·g·Σq
    q = F.class_targets(labels, logits.shape[-1], weight, label_smoothing, logits.dtype)
    u = v * F.expand_dims(g, -1) * F.sum(q, axis=-1, keepdims=True)
    p = F.softmax(logits, axis=-1)
    return p * (u - F.sum(u * p, axis=-1, keepdims=True))


def _sce_grad_vjp_g(F, v, out, logits, g, labels, loss, weight=None, label_smoothing=0.0):
    # the output is linear in g: Σ_c v ⊙ (softmax(z)·Σq - q)
    q = F.class_targets(labels, logits.shape[-1], weight, label_smoothing, logits.dtype)
    d = F.softmax(logits, axis=-1) * F.sum(q, axis=-1, keepdims=True) - q
    return F.sum(v * d, axis=-1)


# ``loss`` is only a shortcut for logsumexp, already counted in the logits' rule: no gradient
_softmax_cross_entropy_grad.defvjp(
    _sce_grad_vjp_logits, _sce_grad_vjp_g, None, lambda F, v, out, *args, **kwargs: None
)


@primitive("soft_target_cross_entropy")
def _soft_target_cross_entropy(logits, target):
    """Per-row -Σ_c t_c·log softmax(z)_c for a target distribution ``t`` (both (M, C))."""
    z, _ = _shifted(logits, -1)
    log_p = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))
    return -xp.sum(target * log_p, axis=-1)


_soft_target_cross_entropy.defvjp(
    # ∂l/∂z = softmax(z)·Σt - t
    lambda F, g, out, z, t: (
        (F.softmax(z, axis=-1) * F.sum(t, axis=-1, keepdims=True) - t) * F.expand_dims(g, -1)
    ),
    # ∂l/∂t = -log softmax(z)
    lambda F, g, out, z, t: -F.log_softmax(z, axis=-1) * F.expand_dims(g, -1),
)


@primitive("take_class")
def _take_class(x, labels):
    """x[i, labels[i]] for each row i of a (M, C) array: a gather whose positions never repeat."""
    return x[xp.arange(x.shape[0]), labels]


@primitive("put_class")
def _put_class(g, labels, num_classes):
    """Zeros of shape (M, C) with g[i] at [i, labels[i]]: the VJP of ``take_class``."""
    out = xp.zeros((g.shape[0], num_classes), dtype=g.dtype)
    out[xp.arange(g.shape[0]), labels] = g
    return out


_take_class.defvjp(lambda F, g, out, x, labels: F.put_class(g, labels, x.shape[-1]))
_put_class.defvjp(lambda F, g, out, _g, labels, num_classes: F.take_class(g, labels))


def _class_axis(name: str, x: Tensor, axis: int) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got a 0-d tensor")
    if x.ndim == 1:
        return 0  # a single sample of C scores
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for an input of shape {x.shape}")
    return axis % x.ndim


def _classes_last(t: Tensor, axis: int) -> Tensor:
    """``t`` as a (M, C) matrix, one row per sample (and position), classes along the rows."""
    if t.ndim == 2 and axis == 1:
        return t  # already one row per sample: no reshape op in the graph
    if axis != t.ndim - 1:
        order = (*(i for i in range(t.ndim) if i != axis), axis)
        t = ops.transpose(t, order)
    return ops.reshape(t, (-1, t.shape[-1]))


def _class_weight(name: str, weight: Any, num_classes: int, dtype: Any) -> Any:
    """Class weights as a constant array of shape (C,), or None."""
    if weight is None:
        return None
    w = as_tensor(weight)._data
    if w.shape != (num_classes,):
        raise ValueError(
            f"{name}: weight has shape {w.shape} but must have one entry per class, "
            f"shape ({num_classes},)"
        )
    _check_nan(name, "weight", w)
    return w.astype(dtype, copy=False)


def _labels(name: str, t: Tensor, num_classes: int) -> Any:
    """Class indices as an int64 array, checked to be whole numbers in [0, C)."""
    data = t._data
    if data.dtype.kind == "f":
        _check_nan(name, "target", data)
        frac = data != xp.floor(data)
        if frac.any():
            i = _first(frac)
            raise ValueError(
                f"{name}: target holds {_fmt(data[i])} at index {i}, but class indices must be "
                "whole numbers (give class probabilities the input's shape instead)"
            )
    elif data.dtype.kind not in "biu":
        raise TypeError(f"{name}: target must hold class indices, got dtype {data.dtype}")
    if data.size and (xp.min(data) < 0 or xp.max(data) >= num_classes):
        bad = (data < 0) | (data >= num_classes)
        i = _first(bad)
        raise ValueError(
            f"{name}: target holds class index {_fmt(data[i])} at index {i}, but input has "
            f"{num_classes} classes (valid indices are 0 to {num_classes - 1})"
        )
    return data.astype(xp.int64, copy=False)


def _drop_ignored(t: Tensor, ignore_index: int) -> tuple[Tensor, Any]:
    """Targets with ``ignore_index`` replaced by class 0, and the mask of the kept ones (None
    when nothing is ignored, the usual case, which then costs one comparison)."""
    kept = t._data != ignore_index
    if kept.all():
        return t, None
    return Tensor(xp.where(kept, t._data, 0)), kept


def _mask_ignored(per: Tensor, mass: Any, kept: Any) -> tuple[Tensor, Any]:
    """Zero the ignored targets' losses and their share of the 'mean' denominator."""
    if kept is None:
        return per, mass
    keep = kept.astype(per.dtype)
    return per * keep, keep if mass is None else mass * keep


def _target_kind(
    name: str, x: Tensor, axis: int, target: Any, allow_probs: bool
) -> tuple[Tensor, bool]:
    """The target as a Tensor, and whether it holds class probabilities (else indices)."""
    t = as_tensor(target)
    index_shape = x.shape[:axis] + x.shape[axis + 1 :]
    if t.shape == index_shape:
        return t, False
    if allow_probs and t.shape == x.shape:
        return t, True
    also = f" or class probabilities of shape {x.shape}" if allow_probs else ""
    raise ValueError(
        f"{name}: target has shape {t.shape} but input of shape {x.shape} needs class indices "
        f"of shape {index_shape}{also}"
    )


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    axis: int = 1,
    sample_weight: Any = None,
    ignore_index: int = -100,
) -> Tensor:
    """Cross-entropy between logits and class targets: -log softmax(z)[y], averaged.

    Fused with the softmax, so it is stable for logits of any size and its gradient is simply
    softmax(z) - onehot(y) (scaled by the weights below).

    Parameters
    ----------
    input : Tensor
        Logits of shape (N, C), (C,) for one sample, or (N, C, d1, ...) with classes on ``axis``.
    target : Tensor or array-like
        Either class indices of the input's shape without the class axis ((N,), () or
        (N, d1, ...)), integers or whole floats, or class probabilities of the input's shape
        (floating, differentiable).
    weight : Tensor, optional
        Class weights, shape (C,). With class indices, each sample's loss is scaled by the weight
        of its class and 'mean' divides by the sum of those weights (PyTorch's weighted mean);
        with probabilities, l = -Σ_c w_c·t_c·log p_c and 'mean' divides by N.
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float
        ε in [0, 1]: the target becomes (1 - ε)·target + ε/C, as in PyTorch.
    axis : int
        The class axis of an input with two or more dimensions (default 1, as in PyTorch).
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights. 'mean' divides by Σ sᵢ (times the class weight of each
        target, when ``weight`` is given with class indices).
    ignore_index : int
        Targets equal to it add nothing to the loss or its gradient, and 'mean' leaves them out
        of the denominator (default -100, as in PyTorch).

    Returns
    -------
    Tensor
        A scalar, or the per-sample losses of the target's shape for ``reduction='none'``.

    Raises
    ------
    ValueError
        For a bad ``reduction``, a target of the wrong shape, a class index outside [0, C),
        a fractional class index, NaN, or probabilities outside [0, 1] or not summing to 1.

    Examples
    --------
    >>> import chainrule as cr
    >>> z = cr.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = cross_entropy(z, [0, 2])
    >>> round(loss.item(), 4)
    0.6342
    >>> loss.backward()
    >>> [round(v, 4) for v in z.grad[0].tolist()]   # (softmax(z) - onehot(y)) / N
    [-0.0781, 0.0571, 0.021]
    """
    name = "cross_entropy"
    check_reduction(name, reduction)
    eps = check_label_smoothing(name, label_smoothing)
    x = _input(name, input)
    ax = _class_axis(name, x, axis)
    c = x.shape[ax]
    w = _class_weight(name, weight, c, x.dtype)
    t, probs = _target_kind(name, x, ax, target, allow_probs=True)
    logits = _classes_last(x, ax)
    if probs:
        _check_nan(name, "target", t._data)
        _check_unit_interval(name, "target probabilities", t._data)
        _check_distribution(name, t._data, ax)
        q = _classes_last(_like(t, x.dtype), ax)
        if eps:
            q = q * (1 - eps) + eps / c
        if w is not None:
            q = q * w
        per = ops.reshape(_soft_target_cross_entropy(logits, q), t.shape[:ax] + t.shape[ax + 1 :])
        mass = None
    else:
        t, kept = _drop_ignored(t, ignore_index)
        labels = _labels(name, t, c)
        per = _softmax_cross_entropy(logits, labels.reshape(-1), weight=w, label_smoothing=eps)
        if per.shape != labels.shape:
            per = ops.reshape(per, labels.shape)
        mass = None if w is None else w[labels]
        per, mass = _mask_ignored(per, mass, kept)
    sample = _sample_weight(name, sample_weight, per.shape, x.dtype)
    return _reduce(name, per, reduction, sample, mass)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    axis: int = 1,
    sample_weight: Any = None,
    ignore_index: int = -100,
) -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities: -input[i, y_i].

    ``nll_loss(log_softmax(z, axis=1), y)`` equals ``cross_entropy(z, y)``, which is faster and
    fused.

    Parameters
    ----------
    input : Tensor
        Log-probabilities of shape (N, C), (C,), or (N, C, d1, ...) with classes on ``axis``.
    target : Tensor or array-like
        Class indices of the input's shape without the class axis.
    weight : Tensor, optional
        Class weights (C,); 'mean' divides by the sum of the weights of the targets.
    reduction : {'mean', 'sum', 'none'}
    axis : int
        The class axis (default 1).
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean.
    ignore_index : int
        Targets equal to it add nothing to the loss or its gradient, and 'mean' leaves them out
        of the denominator (default -100, as in PyTorch).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        For a bad ``reduction``, a target of the wrong shape, a bad class index, or NaN.

    Examples
    --------
    >>> import chainrule as cr
    >>> logp = cr.log(cr.tensor([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    >>> round(nll_loss(logp, [0, 1]).item(), 4)   # -(ln 0.5 + ln 0.8) / 2
    0.4581
    """
    name = "nll_loss"
    check_reduction(name, reduction)
    x = _input(name, input)
    ax = _class_axis(name, x, axis)
    c = x.shape[ax]
    w = _class_weight(name, weight, c, x.dtype)
    t, _ = _target_kind(name, x, ax, target, allow_probs=False)
    t, kept = _drop_ignored(t, ignore_index)
    labels = _labels(name, t, c)
    flat = labels.reshape(-1)
    picked = _take_class(_classes_last(x, ax), flat)
    if w is not None:
        picked = picked * w[flat]
    per = ops.reshape(-picked, labels.shape)
    mass = None if w is None else w[labels]
    per, mass = _mask_ignored(per, mass, kept)
    sample = _sample_weight(name, sample_weight, per.shape, x.dtype)
    return _reduce(name, per, reduction, sample, mass)


# ----------------------------------------------------------------------------- regression
def _regression(name: str, input: Any, target: Any, reduction: str) -> tuple[Tensor, Tensor]:
    check_reduction(name, reduction)
    x = _input(name, input)
    return x, _same_shape_target(name, x, target, binary=False)


def mse_loss(
    input: Any, target: Any, *, reduction: str = "mean", sample_weight: Any = None
) -> Tensor:
    """Squared error (x - y)², averaged: the Gaussian negative log-likelihood up to constants.

    Parameters
    ----------
    input, target : Tensor
        The same shape; both differentiable.
    reduction : {'mean', 'sum', 'none'}
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import chainrule as cr
    >>> mse_loss(cr.tensor([1.0, 2.0]), [0.0, 4.0]).item()
    2.5
    """
    name = "mse_loss"
    x, y = _regression(name, input, target, reduction)
    d = x - y
    return _reduce(name, d * d, reduction, _sample_weight(name, sample_weight, x.shape, x.dtype))


def l1_loss(
    input: Any, target: Any, *, reduction: str = "mean", sample_weight: Any = None
) -> Tensor:
    """Absolute error |x - y|, averaged; its gradient at x = y is 0, as in PyTorch.

    Parameters
    ----------
    input, target : Tensor
        The same shape; both differentiable.
    reduction : {'mean', 'sum', 'none'}
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import chainrule as cr
    >>> l1_loss(cr.tensor([1.0, 2.0]), [0.0, 4.0]).item()
    1.5
    """
    name = "l1_loss"
    x, y = _regression(name, input, target, reduction)
    loss = ops.abs(x - y)
    return _reduce(name, loss, reduction, _sample_weight(name, sample_weight, x.shape, x.dtype))


def huber_loss(
    input: Any,
    target: Any,
    *,
    reduction: str = "mean",
    delta: float = 1.0,
    sample_weight: Any = None,
) -> Tensor:
    """Huber loss: ½d² where |d| < δ, else δ·(|d| - ½δ), with d = x - y.

    Quadratic near the target and linear far from it, so outliers pull with a bounded gradient
    (at most δ).

    Parameters
    ----------
    input, target : Tensor
        The same shape; both differentiable.
    reduction : {'mean', 'sum', 'none'}
    delta : float
        Where the quadratic part turns linear; positive.
    sample_weight : Tensor, optional
        Shape (N,): per-sample weights; 'mean' becomes the weighted mean.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import chainrule as cr
    >>> huber_loss(cr.tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").tolist()
    [0.125, 2.5]
    """
    name = "huber_loss"
    d_max = check_delta(name, delta)
    x, y = _regression(name, input, target, reduction)
    d = x - y
    a = ops.abs(d)
    loss = ops.where(a < d_max, 0.5 * d * d, d_max * (a - 0.5 * d_max))
    return _reduce(name, loss, reduction, _sample_weight(name, sample_weight, x.shape, x.dtype))


# ----------------------------------------------------------------------------- penalties
def _regularized(parameters: Any) -> Iterable[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif hasattr(parameters, "parameters") and callable(parameters.parameters):
        parameters = parameters.parameters()  # a Module
    return (p for p in parameters if getattr(p, "regularize", True))


def _penalty(parameters: Any, term: Any) -> Tensor:
    total = None
    for p in _regularized(parameters):
        t = term(p).sum()
        total = t if total is None else total + t
    return total if total is not None else as_tensor(0.0)


def l1_penalty(parameters: Any) -> Tensor:
    """Σ|w| over the parameters whose ``regularize`` is True (weights, not biases, by default).

    Add ``λ·l1_penalty(model.parameters())`` to a loss for L1 regularisation (the lasso), which
    pushes weights to exactly 0. Accepts an iterable of tensors, a single tensor, or an object with
    a ``parameters()`` method; a tensor without a ``regularize`` attribute counts.

    Examples
    --------
    >>> from chainrule.nn import Parameter
    >>> w, b = Parameter([[1.0, -2.0]]), Parameter([5.0], regularize=False)
    >>> l1_penalty([w, b]).item()
    3.0
    """
    return _penalty(parameters, ops.abs)


def l2_penalty(parameters: Any) -> Tensor:
    """Σw² over the parameters whose ``regularize`` is True (weights, not biases, by default).

    Adding ``(λ/2)·l2_penalty(model.parameters())`` to a loss adds λ·w to each gradient: weight
    decay (ridge regression). Accepts what :func:`l1_penalty` accepts.

    Examples
    --------
    >>> from chainrule.nn import Parameter
    >>> w, b = Parameter([[1.0, -2.0]]), Parameter([5.0], regularize=False)
    >>> l2_penalty([w, b]).item()
    5.0
    """
    return _penalty(parameters, lambda p: p * p)
