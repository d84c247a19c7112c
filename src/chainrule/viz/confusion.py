"""Confusion matrices as annotated heatmaps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.backend import to_numpy
from chainrule.tensor import Tensor
from chainrule.viz._figure import finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["confusion_matrix"]

_NORMALIZE = {False: None, None: None, True: "true", "true": "true", "pred": "pred", "all": "all"}


def _normalized(cm: np.ndarray, how: str) -> np.ndarray:
    """Rows ("true"), columns ("pred") or everything ("all") scaled to sum to 1 (0 where empty)."""
    if how == "true":
        totals = cm.sum(axis=1, keepdims=True)
    elif how == "pred":
        totals = cm.sum(axis=0, keepdims=True)
    else:
        totals = np.full((1, 1), cm.sum())
    totals = np.broadcast_to(totals, cm.shape)
    out = np.zeros(cm.shape, dtype=np.float64)
    np.divide(cm, totals, out=out, where=totals != 0)
    return out


def confusion_matrix(
    cm: Any,
    labels: Sequence[Any] | None = None,
    path: str | os.PathLike | None = None,
    normalize: bool | str = False,
    *,
    title: str | None = None,
) -> Any:
    """Draw a confusion matrix as a heatmap with each cell's value written in it.

    Parameters
    ----------
    cm : array-like or Tensor, shape (k, k)
        Counts: entry [i, j] counts examples of true class i predicted as j (the layout of
        :func:`chainrule.metrics.confusion_matrix` and scikit-learn's).
    labels : sequence, optional
        Class names for the rows and columns (default 0..k-1).
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    normalize : bool or {"true", "pred", "all"}
        False: raw counts. True or "true": each row divided by its total, so the diagonal is
        each class's recall; "pred": columns (precision); "all": the whole matrix. Empty rows
        or columns show 0.
    title : str, optional
        The axes title (default "Confusion matrix", with the normalisation noted).

    Returns
    -------
    matplotlib.figure.Figure
        A heat map of the matrix with each cell labelled.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.metrics import confusion_matrix as counts
    >>> from chainrule.viz import confusion_matrix
    >>> cm = counts([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = confusion_matrix(cm, ["cat", "dog", "owl"], pathlib.Path(d) / "cm.png",
    ...                            normalize=True)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('predicted label', 'true label')
    """
    m = to_numpy(cm._data if isinstance(cm, Tensor) else cm)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"cm must be a square (k, k) matrix, got shape {m.shape}")
    if normalize not in _NORMALIZE:
        raise ValueError(
            f"normalize must be False, True, 'true', 'pred' or 'all', got {normalize!r}"
        )
    how = _NORMALIZE[normalize]
    k = m.shape[0]
    names = [str(v) for v in (labels if labels is not None else range(k))]
    if len(names) != k:
        raise ValueError(f"{len(names)} labels for a {k}x{k} matrix")
    shown = _normalized(m.astype(np.float64), how) if how else m.astype(np.float64)
    integral = how is None and bool(np.all(shown == np.round(shown)))

    side = max(4.0, 0.6 * k + 2.5)
    fig, axes = new_figure(1, 1, figsize=(side + 1.0, side))
    ax = axes[0, 0]
    vmax = 1.0 if how else max(float(shown.max()), 1.0)
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
    fig.colorbar(image, ax=ax, label="fraction" if how else "count")
    if k <= 30:
        fontsize = "medium" if k <= 10 else "x-small"
        for i in range(k):
            for j in range(k):
                v = shown[i, j]
                text = f"{int(v)}" if integral else f"{v:.2f}"
                color = "white" if v > 0.6 * vmax else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=fontsize)
    rotate = max(map(len, names)) > 3
    ax.set_xticks(range(k), names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    note = {"true": " (rows normalised)", "pred": " (columns normalised)", "all": " (normalised)"}
    ax.set_title(title or "Confusion matrix" + (note[how] if how else ""))
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, confusion_matrix)
