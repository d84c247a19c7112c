"""Learning curves: the training and validation loss per epoch, and any metrics beside them."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

from chainrule.viz._figure import colors, finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["loss_curves"]

_NOT_METRICS = ("loss", "lr", "time", "grad_norms", "epoch")


def _column(history: Mapping[str, Any], key: str) -> list[float] | None:
    """``history[key]`` as floats (NaN where missing), or None when absent or not numeric."""
    if key not in history:
        return None
    try:
        values = list(history[key])
    except (KeyError, TypeError):
        return None
    if not values or not all(isinstance(v, numbers.Real) for v in values):
        return None
    return [float(v) for v in values]


def _metric_names(history: Mapping[str, Any]) -> list[str]:
    """Metrics logged besides the loss ("accuracy" for "accuracy" and/or "val_accuracy")."""
    names: dict[str, None] = {}
    for key in history:
        base = key[4:] if key.startswith("val_") else key
        if base in _NOT_METRICS or _column(history, key) is None:
            continue
        names[base] = None
    return list(names)


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _plot(ax: Any, values: list[float], **kwargs: Any) -> None:
    """One line over 0-based epochs; a single epoch is drawn as a marker so it shows."""
    epochs = list(range(len(values)))
    marker = "o" if len(_finite(values)) == 1 else None
    ax.plot(epochs, values, marker=marker, **kwargs)


def loss_curves(
    history: Mapping[str, Any], path: str | os.PathLike | None = None, *, title: str | None = None
) -> Any:
    """Plot the training and validation loss per epoch, and the metrics in a second panel.

    The loss axis is logarithmic when every recorded loss is positive, so the slow late decrease
    stays visible. When the history holds a best epoch (:attr:`History.best_epoch
    <chainrule.train.History.best_epoch>`) it is marked with a dotted line.

    Parameters
    ----------
    history : History or mapping of lists
        What :func:`chainrule.train.fit` returns, or any dict with a ``"loss"`` list and
        optionally ``"val_loss"`` and metrics (``"accuracy"``, ``"val_accuracy"``, ...); NaN
        entries are gaps. ``"lr"``, ``"time"`` and ``"grad_norms"`` are not plotted.
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    title : str, optional
        The figure title (default "Learning curves").

    Returns
    -------
    matplotlib.figure.Figure
        Loss (and each metric) per epoch, validation dashed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.viz import loss_curves
    >>> h = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.45],
    ...      "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.5, 0.75, 0.85]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = loss_curves(h, pathlib.Path(d) / "loss.png")
    ...     (pathlib.Path(d) / "loss.png").read_bytes()[:4]
    b'\\x89PNG'
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'metric']
    """
    if not isinstance(history, Mapping):
        raise TypeError(
            f"history must be a History or a dict of lists, got {type(history).__name__}"
        )
    loss = _column(history, "loss")
    val_loss = _column(history, "val_loss")
    if loss is None and val_loss is None:
        known = ", ".join(map(str, history)) or "nothing"
        raise ValueError(f"the history has no 'loss' or 'val_loss' list to plot (it has: {known})")
    metrics = _metric_names(history)
    fig, axes = new_figure(1, 2 if metrics else 1)
    ax = axes[0, 0]
    c_train, c_val = colors(2)
    if loss is not None:
        _plot(ax, loss, color=c_train, label="training loss")
    if val_loss is not None:
        _plot(ax, val_loss, color=c_val, linestyle="--", label="validation loss")
    recorded = _finite((loss or []) + (val_loss or []))
    if recorded and min(recorded) > 0:
        ax.set_yscale("log")
    best = getattr(history, "best_epoch", None)
    if isinstance(best, int):
        ax.axvline(best, color="0.4", linestyle=":", linewidth=1, label=f"best epoch ({best})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()

    if metrics:
        ax_m = axes[0, 1]
        for name, color in zip(metrics, colors(len(metrics))):
            train_col = _column(history, name)
            val_col = _column(history, "val_" + name)
            if train_col is not None:
                _plot(ax_m, train_col, color=color, label=f"training {name}")
            if val_col is not None:
                _plot(ax_m, val_col, color=color, linestyle="--", label=f"validation {name}")
        ax_m.set_xlabel("epoch")
        ax_m.set_ylabel("metric")
        ax_m.set_title("Metrics")
        ax_m.grid(True, alpha=0.3)
        ax_m.legend()
    fig.suptitle(title or "Learning curves")
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, loss_curves)
