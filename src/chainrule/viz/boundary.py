"""Decision boundaries of a classifier on 2-D inputs: what the network has carved the plane into."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd import no_grad
from chainrule.backend import to_numpy
from chainrule.nn.module import Module
from chainrule.tensor import Tensor
from chainrule.train.head import Head, head_of_model
from chainrule.viz._figure import colors, finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["decision_boundary"]

_BINARY_CMAP = "RdBu_r"  # class 0 blue, class 1 red; white where P = 1/2


def _host(a: Any) -> np.ndarray:
    return to_numpy(a._data if isinstance(a, Tensor) else a)


def _model_probabilities(model: Module, grid: np.ndarray) -> np.ndarray:
    params = list(model.parameters())
    dtype = params[0].dtype if params else np.float32
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(Tensor(grid.astype(dtype)))
    finally:
        model.train(was_training)
    out = _host(out).reshape(len(grid), -1).astype(np.float64)
    return head_of_model(model).probabilities(out)


def _probabilities(source: Any, grid: np.ndarray) -> np.ndarray:
    """P(class) on the grid as an (n, C) array (C = 1 means P(y=1) of a binary problem)."""
    if isinstance(source, Module):
        return _model_probabilities(source, grid)
    if hasattr(source, "predict_proba"):
        out = _host(source.predict_proba(grid)).reshape(len(grid), -1)
        return out.astype(np.float64)
    if callable(source):
        out = _host(source(grid)).reshape(len(grid), -1).astype(np.float64)
        return Head("auto").probabilities(out)
    raise TypeError(
        "decision_boundary needs a Module, an estimator with predict_proba, or a function of X "
        f"returning probabilities; got {type(source).__name__}"
    )


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, tuple]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, (lo[0], hi[0], lo[1], hi[1])


def decision_boundary(
    predict_proba_fn_or_model: Module | Callable[[Any], Any] | Any,
    X: Any,
    y: Any,
    path: str | os.PathLike | None = None,
    resolution: int = 200,
    *,
    class_names: list[str] | None = None,
    title: str | None = None,
) -> Any:
    """Plot a classifier's class probabilities over the plane, with the data on top.

    Binary problems show a filled contour of P(y=1) (blue for class 0, red for class 1, white at
    ½) and the boundary P = ½ as a black line. Multiclass problems colour each point of the plane
    by its most probable class, shaded by the confidence max P(class): pale where the network is
    unsure.

    Parameters
    ----------
    predict_proba_fn_or_model : Module, estimator or callable
        - a :class:`~chainrule.nn.Module` taking (n, 2) inputs: its outputs are taken as logits
          (one column: sigmoid; several: softmax) unless the model ends in ``Sigmoid``,
          ``Softmax`` or ``LogSoftmax``; it runs in eval mode without recording gradients;
        - an object with ``predict_proba`` (a scikit-learn-style estimator);
        - a function of an (n, 2) NumPy array returning probabilities, (n,), (n, 1) = P(y=1) or
          (n, C) (values outside [0, 1] are taken as logits).
    X : array-like or Tensor, shape (n, 2)
        The data, drawn as points; it also sets the plotted region (its range plus 10%).
    y : array-like or Tensor, shape (n,)
        Class labels, 0..C-1 (other labels are matched to the probability columns in sorted
        order).
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    resolution : int
        Grid points per axis (the model sees ``resolution²`` inputs, in one batch).
    class_names : list of str, optional
        Legend names of the classes (default "class <label>").
    title : str, optional
        The axes title (default "Decision boundary").

    Returns
    -------
    matplotlib.figure.Figure
        The class probabilities over the plane, with the data points on top.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule import nn, datasets
    >>> from chainrule.viz import decision_boundary
    >>> X, y = datasets.moons(100, noise=0.1, seed=0)
    >>> model = nn.mlp([2, 8, 1], activation="tanh", seed=0)   # untrained: a smooth boundary
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = decision_boundary(model, X, y, pathlib.Path(d) / "moons.png", resolution=50)
    ...     (pathlib.Path(d) / "moons.png").stat().st_size > 0
    True
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('$x_1$', '$x_2$')
    """
    Xh = _host(X)
    yh = _host(y).reshape(-1)
    if Xh.ndim != 2 or Xh.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D inputs, X of shape (n, 2); got {Xh.shape}")
    if len(yh) != len(Xh):
        raise ValueError(f"X has {len(Xh)} rows but y has {len(yh)} labels")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    Xh = Xh.astype(Xh.dtype if Xh.dtype.kind == "f" else np.float32)

    xx, yy, extent = _grid(Xh, resolution)
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(Xh.dtype)
    proba = _probabilities(predict_proba_fn_or_model, grid)
    n_cols = proba.shape[1]
    labels = np.unique(yh)
    n_classes = 2 if n_cols <= 2 else n_cols
    if len(labels) > n_classes:
        raise ValueError(
            f"y has {len(labels)} classes but the model gives probabilities for {n_classes}"
        )
    whole = yh.dtype.kind in "iub" or (
        yh.dtype.kind == "f" and bool(np.all(labels == np.round(labels)))
    )
    integer_labels = whole and labels.min() >= 0 and labels.max() < n_classes
    column = {lab: (int(lab) if integer_labels else i) for i, lab in enumerate(labels)}
    shown = [int(lab) if whole else lab for lab in labels]
    names = class_names or [f"class {lab}" for lab in shown]
    if len(names) != len(labels):
        raise ValueError(f"{len(names)} class_names for {len(labels)} classes")

    fig, axes = new_figure(1, 1, figsize=(6.0, 5.0))
    ax = axes[0, 0]
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.lines import Line2D

    if n_cols <= 2:  # binary: P(y=1)
        p1 = (proba[:, -1] if n_cols == 2 else proba[:, 0]).reshape(xx.shape)
        cmap = colormaps[_BINARY_CMAP]
        filled = ax.contourf(xx, yy, p1, levels=np.linspace(0.0, 1.0, 21), cmap=cmap, alpha=0.6)
        fig.colorbar(filled, ax=ax, label="P(y = 1)")
        handles = []
        if p1.min() < 0.5 < p1.max():
            ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.5)
            handles.append(Line2D([], [], color="k", linewidth=1.5, label="P(y = 1) = ½"))
        point_colors = [cmap(0.0), cmap(1.0)]
    else:  # multiclass: the most probable class, shaded by confidence
        point_colors = colors(n_cols)
        winner = proba.argmax(axis=1)
        confidence = proba.max(axis=1)
        strength = np.clip((confidence - 1.0 / n_cols) / (1.0 - 1.0 / n_cols), 0.0, 1.0)
        base = np.array([point_colors[k][:3] for k in winner])
        shade = 0.2 + 0.6 * strength[:, None]
        rgb = (1.0 - shade) * 1.0 + shade * base
        ax.imshow(
            rgb.reshape(*xx.shape, 3),
            extent=extent,
            origin="lower",
            aspect="auto",
            interpolation="nearest",
        )
        ax.contour(
            xx,
            yy,
            winner.reshape(xx.shape),
            levels=np.arange(n_cols) + 0.5,
            colors="k",
            linewidths=0.8,
        )
        greys = LinearSegmentedColormap.from_list("confidence", ["white", "0.25"])
        fig.colorbar(
            ScalarMappable(Normalize(1.0 / n_cols, 1.0), greys), ax=ax, label="max P(class)"
        )
        handles = [Line2D([], [], color="k", linewidth=0.8, label="boundary")]

    for lab, name in zip(labels, names):
        k = column[lab]
        mask = yh == lab
        ax.scatter(
            Xh[mask, 0],
            Xh[mask, 1],
            s=18,
            color=point_colors[k % len(point_colors)],
            edgecolors="k",
            linewidths=0.5,
            label=name,
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "Decision boundary")
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *handles], loc="best", framealpha=0.9)
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, decision_boundary)
