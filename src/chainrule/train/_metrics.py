"""Metrics by name for :func:`~chainrule.train.fit`: from raw model outputs to a float.

A model's output may be logits (for ``binary_cross_entropy_with_logits`` or
``cross_entropy``), probabilities (a sigmoid or softmax output with ``binary_cross_entropy``)
or regression values. The loss declares which (see :mod:`chainrule.train.head`), and its
:class:`~chainrule.train.head.Head` turns outputs into what :mod:`chainrule.metrics` expects:

- class labels for 'accuracy', 'precision', 'recall' and 'f1': the argmax of each row when
  the output has several columns; for one column, a threshold at 0 for logits and at 0.5
  otherwise. Precision, recall and F1 are binary for one output column and macro-averaged
  over classes for several;
- probabilities for 'log_loss' (sigmoid or softmax of logits, exp of log-probabilities);
- the values themselves for 'mse', 'mae' and 'r2'.

For a loss that declares nothing (a lambda), outputs all inside [0, 1] are taken as
probabilities, others as logits; pass ``get_metric(name, output=...)`` to say it explicitly.

>>> import chainrule as cr
>>> acc = get_metric("accuracy", output="logits")
>>> acc(cr.tensor([0, 1, 1]).data, cr.tensor([[-2.0], [3.0], [-0.5]]).data)
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chainrule.backend import xp
from chainrule.train.head import LINKS, Head, head_for

__all__ = ["METRIC_NAMES", "get_metric", "output_kind", "resolve_metrics"]

MetricFn = Callable[[Any, Any], float]

_ALIASES = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "accuracy_score": "accuracy",
    "precision": "precision",
    "precision_score": "precision",
    "recall": "recall",
    "recall_score": "recall",
    "f1": "f1",
    "f1_score": "f1",
    "log_loss": "log_loss",
    "mse": "mse",
    "mean_squared_error": "mse",
    "mae": "mae",
    "mean_absolute_error": "mae",
    "r2": "r2",
    "r2_score": "r2",
}
METRIC_NAMES = ("accuracy", "f1", "log_loss", "mae", "mse", "precision", "r2", "recall")
"""The canonical metric names (aliases such as 'mean_squared_error' map to them)."""

_OUTPUTS = ("auto", "logits", "probabilities", "log_probabilities", "values")


_KIND_OF_LINK = {
    "sigmoid": "logits",
    "softmax": "logits",
    "log_softmax": "log_probabilities",
    "probability": "probabilities",
    "identity": "probabilities",
    "tanh_score": "values",
    "exp": "values",
    "auto": "auto",
}
_LINK_OF_KIND = {
    "auto": "auto",
    "logits": "softmax",
    "probabilities": "probability",
    "log_probabilities": "log_softmax",
    "values": "identity",
}


def output_kind(loss_fn: Any) -> str:
    """What the model outputs, as the loss declares it (see :func:`~chainrule.train.head.head_for`).

    Returns 'logits', 'log_probabilities', 'probabilities' or 'auto' (undeclared).

    >>> from chainrule.nn.losses import binary_cross_entropy_with_logits, mse_loss
    >>> output_kind(binary_cross_entropy_with_logits), output_kind(mse_loss), output_kind(abs)
    ('logits', 'probabilities', 'auto')
    """
    return _KIND_OF_LINK[head_for(loss_fn).link]


def _head(output: str | Head) -> Head:
    if isinstance(output, Head):
        return output
    if output in _LINK_OF_KIND:
        return Head(_LINK_OF_KIND[output])
    if output in LINKS:
        return Head(output)
    raise ValueError(f"output must be one of {', '.join(_OUTPUTS)}, got {output!r}")


def _true_labels(y: Any) -> Any:
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot (or soft) targets
        return xp.argmax(y, axis=1)
    y = y.reshape(-1)
    if y.dtype.kind == "f":
        y = xp.round(y).astype(xp.int64)
    return y


def _pred_labels(out: Any, head: Head) -> Any:
    labels = head.labels(out)
    return labels.reshape(-1) if labels.ndim != 2 or labels.shape[1] == 1 else labels


def _probabilities(out: Any, head: Head) -> Any:
    prob = head.probabilities(out)
    multi = out.ndim == 2 and out.shape[1] > 1
    return prob if multi else prob.reshape(-1)


def _values(y: Any, out: Any) -> tuple[Any, Any]:
    if out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    return y, out


def get_metric(name: str, output: str | Head = "auto") -> MetricFn:
    """A metric by name, as a function ``(y_true, outputs) -> float`` of backend arrays.

    Parameters
    ----------
    name : str
        'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'mse', 'mae' or 'r2' (or the
        scikit-learn names 'accuracy_score', 'mean_squared_error'...).
    output : {"auto", "logits", "probabilities", "log_probabilities", "values"} or Head
        What the model outputs (see the module notes); "auto" decides per call from the
        values. A :class:`~chainrule.train.head.Head` (or a link name) says it exactly.

    Returns
    -------
    callable
        ``fn(y_true, outputs)``, with ``fn.__name__`` the canonical name.

    Raises
    ------
    ValueError
        For an unknown name or ``output``.

    Examples
    --------
    >>> import chainrule as cr
    >>> mse = get_metric("mean_squared_error")
    >>> mse.__name__, mse(cr.tensor([1.0, 2.0]).data, cr.tensor([[1.0], [4.0]]).data)
    ('mse', 2.0)
    """
    from chainrule import metrics as M  # the metric definitions live one layer up

    key = _ALIASES.get(name.strip().lower())
    if key is None:
        raise ValueError(
            f"unknown metric {name!r} (known: {', '.join(METRIC_NAMES)}; or pass a callable "
            "metric(y_true, outputs) -> float)"
        )
    head = _head(output)

    def labels_metric(fn: Callable[..., float]) -> MetricFn:
        def metric(y_true: Any, out: Any) -> float:
            t, p = _true_labels(y_true), _pred_labels(out, head)
            if fn is M.accuracy_score:
                return fn(t, p)
            multi = out.ndim == 2 and out.shape[1] > 1
            return fn(t, p, average="macro" if multi else "binary")

        return metric

    def log_loss(y_true: Any, out: Any) -> float:
        prob = _probabilities(out, head)
        k = prob.shape[1] if prob.ndim == 2 else 2
        return M.log_loss(_true_labels(y_true), prob, labels=xp.arange(k))

    def regression(fn: Callable[[Any, Any], float]) -> MetricFn:
        def metric(y_true: Any, out: Any) -> float:
            return fn(*_values(y_true, out))

        return metric

    table: dict[str, MetricFn] = {
        "accuracy": labels_metric(M.accuracy_score),
        "precision": labels_metric(M.precision_score),
        "recall": labels_metric(M.recall_score),
        "f1": labels_metric(M.f1_score),
        "log_loss": log_loss,
        "mse": regression(M.mean_squared_error),
        "mae": regression(M.mean_absolute_error),
        "r2": regression(M.r2_score),
    }
    fn = table[key]
    fn.__name__ = fn.__qualname__ = key
    return fn


def resolve_metrics(metrics: Iterable[Any], loss_fn: Any = None) -> list[tuple[str, MetricFn]]:
    """``(name, fn)`` pairs for ``fit``'s ``metrics=`` argument.

    Names are looked up with :func:`get_metric` (the output kind read from ``loss_fn``);
    callables are used as they are, under their ``__name__``, and get the raw outputs.

    >>> [name for name, _ in resolve_metrics(["acc", "mse"])]
    ['accuracy', 'mse']
    """
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    output: str | Head = head_for(loss_fn) if loss_fn is not None else "auto"
    out: list[tuple[str, MetricFn]] = []
    seen: set[str] = set()
    for m in metrics:
        if isinstance(m, str):
            fn = get_metric(m, output)
            name = fn.__name__
        elif callable(m):
            fn = m
            name = getattr(m, "__name__", type(m).__name__)
        else:
            raise TypeError(f"a metric must be a name or a callable, got {type(m).__name__}")
        if name in ("loss", "lr", "time") or name.startswith("val_"):
            raise ValueError(f"a metric cannot be called {name!r}: the name is taken")
        if name in seen:
            raise ValueError(f"metric {name!r} is given twice")
        seen.add(name)
        out.append((name, fn))
    return out
