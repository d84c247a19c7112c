"""Metrics for classification and regression, matching scikit-learn's definitions.

Inputs are arrays, lists or Tensors (a Tensor's values are used; no gradient flows); results
are Python floats, except :func:`confusion_matrix` (an int array) and per-class scores with
``average=None``. Everything is vectorised: class counts come from ``bincount`` over label
indices, never from a Python loop over examples or classes.

>>> import chainrule as cr
>>> from chainrule import metrics
>>> y_true, y_pred = [0, 1, 1, 0, 1], cr.tensor([0, 1, 0, 0, 1])
>>> metrics.accuracy_score(y_true, y_pred)
0.8
>>> metrics.f1_score(y_true, y_pred)
0.8
>>> metrics.confusion_matrix(y_true, y_pred).tolist()
[[2, 0], [1, 2]]
"""

from __future__ import annotations

import numbers
from typing import Any

from chainrule import dtypes
from chainrule.backend import ndarray, xp
from chainrule.tensor import Tensor

__all__ = [
    "accuracy",
    "accuracy_score",
    "confusion_matrix",
    "f1_score",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_score",
    "r2_score",
    "recall_score",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


# --------------------------------------------------------------------------- classification
def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """The fraction of predictions equal to the true label.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,)
        True and predicted class labels (ints, bools or strings).

    Returns
    -------
    float
        ``mean(y_true == y_pred)``, in [0, 1].

    Raises
    ------
    ValueError
        If the lengths differ, an input is empty or not 1-D, or holds non-integer floats.

    Examples
    --------
    >>> from chainrule.metrics import accuracy_score
    >>> accuracy_score([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    """
    t, p = _label_pair(y_true, y_pred)
    return float(xp.mean(t == p))


accuracy = accuracy_score
"""Alias of :func:`accuracy_score`."""


def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: Any = None,
    zero_division: float = 0.0,
) -> Any:
    """Precision ``tp / (tp + fp)``: of the examples predicted as a class, the share that are.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,)
        True and predicted class labels.
    average : {'binary', 'micro', 'macro', 'weighted'} or None
        ``'binary'``: the score of class ``pos_label`` only (at most two labels allowed).
        ``'micro'``: from the counts pooled over classes. ``'macro'``: the unweighted mean of
        the per-class scores. ``'weighted'``: their mean weighted by support (true count).
        None: the per-class scores as an array.
    pos_label : label
        The positive class for ``average='binary'`` (ignored otherwise).
    labels : array-like, optional
        The classes to score and their order (default: every label in ``y_true`` or
        ``y_pred``, sorted). Not used with ``average='binary'``.
    zero_division : float
        The score of a class whose denominator is zero (0.0, 1.0 or NaN; NaN scores are left
        out of averages).

    Returns
    -------
    float, or array with ``average=None``

    Raises
    ------
    ValueError
        For length mismatches, an unknown ``average``, more than two labels with
        ``average='binary'``, or a ``pos_label`` that is not among the labels.

    Examples
    --------
    >>> from chainrule.metrics import precision_score
    >>> precision_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    >>> precision_score([0, 1, 2, 2], [0, 2, 2, 2], average="macro")
    0.555556
    """
    return _prf(y_true, y_pred, average, pos_label, labels, zero_division, "precision")[0]


def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: Any = None,
    zero_division: float = 0.0,
) -> Any:
    """Recall ``tp / (tp + fn)``: of the examples of a class, the share predicted as it.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,)
        True and predicted class labels.
    average : {'binary', 'micro', 'macro', 'weighted'} or None
        How per-class scores are combined; see :func:`precision_score`.
    pos_label : label
        The positive class for ``average='binary'``.
    labels : array-like, optional
        The classes to score and their order.
    zero_division : float
        The score of a class that has no true examples.

    Returns
    -------
    float, or array with ``average=None``

    Raises
    ------
    ValueError
        As :func:`precision_score`.

    Examples
    --------
    >>> from chainrule.metrics import recall_score
    >>> recall_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> recall_score([0, 1, 2, 2], [0, 2, 2, 2], average=None).tolist()
    [1.0, 0.0, 1.0]
    """
    return _prf(y_true, y_pred, average, pos_label, labels, zero_division, "recall")[1]


def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: Any = None,
    zero_division: float = 0.0,
) -> Any:
    """F1, the harmonic mean of precision and recall: ``2 tp / (2 tp + fp + fn)``.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,)
        True and predicted class labels.
    average : {'binary', 'micro', 'macro', 'weighted'} or None
        How per-class scores are combined; see :func:`precision_score`.
    pos_label : label
        The positive class for ``average='binary'``.
    labels : array-like, optional
        The classes to score and their order.
    zero_division : float
        The score of a class that is neither present nor predicted.

    Returns
    -------
    float, or array with ``average=None``

    Raises
    ------
    ValueError
        As :func:`precision_score`.

    Examples
    --------
    >>> from chainrule.metrics import f1_score
    >>> f1_score(["cat", "dog", "dog"], ["cat", "dog", "cat"], pos_label="dog")
    0.6666666666666666
    >>> f1_score([0, 1, 2, 2], [0, 2, 2, 2], average="weighted")
    0.65
    """
    return _prf(y_true, y_pred, average, pos_label, labels, zero_division, "f1")[2]


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None) -> Any:
    """Counts of (true, predicted) label pairs: entry ``[i, j]`` counts true ``i`` predicted ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,)
        True and predicted class labels.
    labels : array-like, optional
        The classes, in the order of the rows and columns (default: every label in ``y_true``
        or ``y_pred``, sorted). Examples whose true or predicted label is not listed are left
        out.

    Returns
    -------
    array of int64, shape (k, k)
        Rows are true labels, columns predicted ones.

    Raises
    ------
    ValueError
        For length mismatches, or ``labels`` that are empty, not 1-D or repeated.

    Examples
    --------
    >>> from chainrule.metrics import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]).tolist()
    [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    >>> confusion_matrix(["a", "b", "b"], ["b", "b", "b"], labels=["b", "a"]).tolist()
    [[2, 0], [1, 0]]
    """
    t, p = _label_pair(y_true, y_pred)
    if labels is None:
        classes = _union(t, p)
        ti, pi = xp.searchsorted(classes, t), xp.searchsorted(classes, p)
    else:
        classes = _check_labels(labels, t)
        ti, t_ok = _lookup(classes, t)
        pi, p_ok = _lookup(classes, p)
        keep = t_ok & p_ok
        ti, pi = ti[keep], pi[keep]
    k = classes.shape[0]
    return xp.bincount(ti * k + pi, minlength=k * k).reshape(k, k).astype(dtypes.int64)


def log_loss(y_true: Any, y_prob: Any, *, labels: Any = None) -> float:
    """Cross-entropy of predicted probabilities: ``-mean(log p[i, y_i])``.

    Parameters
    ----------
    y_true : array-like or Tensor, shape (n,)
        True class labels.
    y_prob : array-like or Tensor, shape (n, k) or (n,)
        Predicted probabilities, one column per class in sorted label order; a 1-D array is
        the probability of the larger of two labels. Values are clipped to
        ``[eps, 1 - eps]`` (``eps`` of ``y_prob``'s float dtype) so that a confident miss gives
        a large but finite loss. Rows are used as given, not renormalised.
    labels : array-like, optional
        All class labels (default: those in ``y_true``); needed when ``y_true`` misses a class.

    Returns
    -------
    float
        The mean negative log-likelihood, accumulated in float64.

    Raises
    ------
    ValueError
        For length mismatches, probabilities outside [0, 1] (or NaN), fewer than two classes,
        a column count that does not match the classes, or true labels outside ``labels``.

    Examples
    --------
    >>> from chainrule.metrics import log_loss
    >>> log_loss([1, 0], [0.8, 0.4])   # -(log 0.8 + log 0.6) / 2
    0.366985
    >>> log_loss(["a", "b"], [[0.9, 0.1], [0.5, 0.5]])
    0.399254
    """
    t = _labels_1d(y_true, "y_true")
    prob = _array(y_prob, "y_prob")
    if prob.dtype.kind not in "biuf":
        raise ValueError(f"log_loss: y_prob must be numeric probabilities, got {prob.dtype}")
    if not dtypes.is_floating(prob.dtype):
        prob = prob.astype(dtypes.float64)
    if prob.ndim == 2 and prob.shape[1] == 1:
        prob = prob[:, 0]
    if prob.ndim not in (1, 2):
        raise ValueError(f"log_loss: y_prob must be 1-D or 2-D, got shape {tuple(prob.shape)}")
    _check_lengths(t, prob, "y_prob")
    if not bool(xp.all((prob >= 0) & (prob <= 1))):
        raise ValueError(
            "log_loss: y_prob must hold probabilities in [0, 1] (apply softmax or sigmoid to "
            f"logits first); found values from {float(xp.min(prob))} to {float(xp.max(prob))}"
        )
    if labels is None:
        classes = xp.unique(t)
    else:
        classes = xp.unique(_array(labels, "labels").reshape(-1))
        _check_kinds(classes, t, "labels", "y_true")
        missing = ~_lookup(classes, t)[1]
        if bool(missing.any()):
            raise ValueError(
                f"log_loss: y_true holds labels not in `labels`: {xp.unique(t[missing]).tolist()}"
            )
    k = classes.shape[0]
    if k < 2:
        raise ValueError(
            f"log_loss needs at least two classes, found {classes.tolist()}; pass every class "
            "through labels=..."
        )
    if prob.ndim == 1:
        if k != 2:
            raise ValueError(
                f"log_loss: a 1-D y_prob means two classes, but there are {k}: {classes.tolist()}"
            )
        prob = xp.stack([1 - prob, prob], axis=1)
    if prob.shape[1] != k:
        raise ValueError(
            f"log_loss: y_prob has {prob.shape[1]} columns but there are {k} classes "
            f"{classes.tolist()}; pass labels=... if y_true misses some"
        )
    eps = float(xp.finfo(prob.dtype).eps)
    picked = prob[xp.arange(t.shape[0]), xp.searchsorted(classes, t)]
    picked = xp.clip(picked, eps, 1 - eps).astype(dtypes.float64)
    return float(-xp.mean(xp.log(picked)))


# --------------------------------------------------------------------------- regression
def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """The mean of the squared errors ``(y_true - y_pred)²`` (averaged over outputs too).

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,) or (n, m)
        Targets and predictions; (n,) and (n, 1) are interchangeable.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For mismatched lengths or output counts, empty, non-numeric or non-finite input.

    Examples
    --------
    >>> from chainrule.metrics import mean_squared_error
    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    """
    t, p = _regression_pair(y_true, y_pred)
    return float(xp.mean((t - p) ** 2))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """The mean of the absolute errors ``|y_true - y_pred|`` (averaged over outputs too).

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,) or (n, m)
        Targets and predictions.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`mean_squared_error`.

    Examples
    --------
    >>> from chainrule.metrics import mean_absolute_error
    >>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.5
    """
    t, p = _regression_pair(y_true, y_pred)
    return float(xp.mean(xp.abs(t - p)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """The coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs.

    1 is a perfect fit, 0 is no better than predicting the mean, and it can be negative. As in
    scikit-learn, a constant target scores 1 if predicted exactly and 0 otherwise.

    Parameters
    ----------
    y_true, y_pred : array-like or Tensor, shape (n,) or (n, m)
        Targets and predictions, at least two examples.

    Returns
    -------
    float
        The unweighted mean of the per-output scores.

    Raises
    ------
    ValueError
        As :func:`mean_squared_error`, or fewer than two examples.

    Examples
    --------
    >>> from chainrule.metrics import r2_score
    >>> r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.948608
    """
    t, p = _regression_pair(y_true, y_pred)
    if t.shape[0] < 2:
        raise ValueError("r2_score is undefined for fewer than two examples")
    ss_res = xp.sum((t - p) ** 2, axis=0)
    ss_tot = xp.sum((t - xp.mean(t, axis=0)) ** 2, axis=0)
    defined = ss_tot != 0
    scores = xp.where(ss_res == 0, 1.0, 0.0)  # the constant-target cases
    scores[defined] = 1 - ss_res[defined] / ss_tot[defined]
    return float(xp.mean(scores))


# --------------------------------------------------------------------------- helpers
def _array(x: Any, name: str) -> Any:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, ndarray):
        return x
    try:
        return xp.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} cannot be read as an array: {exc}") from None


def _labels_1d(y: Any, name: str) -> Any:
    a = _array(y, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        hint = "; for scores or probabilities pass y.argmax(axis=1)" if a.ndim == 2 else ""
        raise ValueError(f"{name} must be 1-D class labels, got shape {tuple(a.shape)}{hint}")
    if a.dtype.kind == "f":
        fractional = a != xp.round(a)  # NaN counts as fractional
        if bool(fractional.any()):
            raise ValueError(
                f"{name} holds non-integer floats such as {float(a[fractional][0])}; "
                "classification metrics need class labels (threshold or argmax scores first)"
            )
    return a


def _check_lengths(t: Any, p: Any, p_name: str) -> None:
    if t.shape[0] != p.shape[0]:
        raise ValueError(
            f"y_true has {t.shape[0]} examples but {p_name} has {p.shape[0]}; they must match"
        )
    if t.shape[0] == 0:
        raise ValueError("the inputs are empty; metrics need at least one example")


def _check_kinds(a: Any, b: Any, a_name: str, b_name: str) -> None:
    if (a.dtype.kind in "US") != (b.dtype.kind in "US"):
        raise ValueError(
            f"{a_name} ({a.dtype}) and {b_name} ({b.dtype}) mix string and numeric labels"
        )


def _label_pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    t = _labels_1d(y_true, "y_true")
    p = _labels_1d(y_pred, "y_pred")
    _check_lengths(t, p, "y_pred")
    _check_kinds(t, p, "y_true", "y_pred")
    return t, p


def _regression_pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Both as float64 arrays of shape (n, m), with matching n and m."""
    pair = []
    for y, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        a = _array(y, name)
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2:
            raise ValueError(f"{name} must be 1-D or 2-D, got shape {tuple(a.shape)}")
        a = a.astype(dtypes.float64, copy=False)
        if not bool(xp.isfinite(a).all()):
            raise ValueError(f"{name} holds NaN or inf")
        pair.append(a)
    t, p = pair
    _check_lengths(t, p, "y_pred")
    if t.shape[1] != p.shape[1]:
        raise ValueError(f"y_true has {t.shape[1]} outputs (columns) but y_pred has {p.shape[1]}")
    return t, p


def _union(*arrays: Any) -> Any:
    """The sorted distinct labels of all ``arrays``."""
    return xp.unique(xp.concatenate([a.reshape(-1) for a in arrays]))


def _lookup(classes: Any, y: Any) -> tuple[Any, Any]:
    """Position of each ``y`` in ``classes`` (any order) and whether it is there at all."""
    order = xp.argsort(classes, kind="stable")
    ordered = classes[order]
    pos = xp.minimum(xp.searchsorted(ordered, y), classes.shape[0] - 1)
    return order[pos], ordered[pos] == y


def _check_labels(labels: Any, y: Any) -> Any:
    classes = _array(labels, "labels")
    if classes.ndim != 1 or classes.shape[0] == 0:
        raise ValueError(f"labels must be a non-empty 1-D list, got shape {tuple(classes.shape)}")
    _check_kinds(classes, y, "labels", "y_true")
    if xp.unique(classes).shape[0] != classes.shape[0]:
        raise ValueError(f"labels must not repeat, got {classes.tolist()}")
    return classes


def _divide(num: Any, den: Any, zero_division: float) -> Any:
    """``num / den`` in float64, with ``zero_division`` where ``den == 0``."""
    zero = den == 0
    out = num.astype(dtypes.float64) / xp.where(zero, 1, den)
    return xp.where(zero, zero_division, out)


def _nanaverage(scores: Any, weights: Any = None) -> float:
    keep = ~xp.isnan(scores)
    if not bool(keep.any()):
        return float("nan")
    scores = scores[keep]
    if weights is not None:
        weights = weights[keep].astype(dtypes.float64)
        total = float(weights.sum())
        if total != 0:
            return float(xp.sum(scores * weights) / total)
    return float(xp.mean(scores))


def _prf(
    y_true: Any,
    y_pred: Any,
    average: str | None,
    pos_label: Any,
    labels: Any,
    zero_division: float,
    name: str,
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 (per class, or averaged)."""
    if average not in _AVERAGES:
        raise ValueError(
            f"{name}: average must be 'binary', 'micro', 'macro', 'weighted' or None, "
            f"got {average!r}"
        )
    if not isinstance(zero_division, numbers.Real) or isinstance(zero_division, bool):
        raise ValueError(f"{name}: zero_division must be 0.0, 1.0 or nan, got {zero_division!r}")
    t, p = _label_pair(y_true, y_pred)
    present = _union(t, p)
    if average == "binary":
        found = present.tolist()
        if len(found) > 2:
            raise ValueError(
                f"{name}: average='binary' needs at most two labels, found {len(found)} "
                f"({found[:10]}); pass average='macro', 'micro', 'weighted' or None"
            )
        if pos_label not in found:
            if len(found) == 2:
                raise ValueError(
                    f"{name}: pos_label={pos_label!r} is not one of the labels {found}"
                )
            tp = pred_sum = true_sum = xp.zeros(1, dtype=dtypes.int64)
        else:
            t_pos, p_pos = t == pos_label, p == pos_label
            tp = xp.sum(t_pos & p_pos, keepdims=True)
            pred_sum = xp.sum(p_pos, keepdims=True)
            true_sum = xp.sum(t_pos, keepdims=True)
    else:
        if labels is None:
            classes = present
        else:
            wanted = _check_labels(labels, t)
            classes = _union(wanted, present)
        k = classes.shape[0]
        ti, pi = xp.searchsorted(classes, t), xp.searchsorted(classes, p)
        tp = xp.bincount(ti[ti == pi], minlength=k)
        pred_sum = xp.bincount(pi, minlength=k)
        true_sum = xp.bincount(ti, minlength=k)
        if labels is not None:
            pick = xp.searchsorted(classes, wanted)
            tp, pred_sum, true_sum = tp[pick], pred_sum[pick], true_sum[pick]
        if average == "micro":
            tp, pred_sum, true_sum = (xp.sum(c, keepdims=True) for c in (tp, pred_sum, true_sum))
    precision = _divide(tp, pred_sum, zero_division)
    recall = _divide(tp, true_sum, zero_division)
    f1 = _divide(2 * tp, true_sum + pred_sum, zero_division)
    if average is None:
        return precision, recall, f1
    weights = true_sum if average == "weighted" else None
    return tuple(_nanaverage(s, weights) for s in (precision, recall, f1))  # type: ignore[return-value]
