"""Activation functions and their derivatives, the derivatives computed by chainrule's autodiff."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule import dtypes
from chainrule.backend import to_numpy, xp
from chainrule.functional import grad
from chainrule.nn.activations import activation_fn
from chainrule.tensor import Tensor
from chainrule.viz._figure import colors, finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["DEFAULT_ACTIVATIONS", "activations"]

DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus")
"""The elementwise activations drawn by default (aliases and vector functions left out)."""

_NOT_ELEMENTWISE = ("softmax", "log_softmax")


def _curves(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """φ(x) and φ′(x); φ′ is the gradient of Σ φ(xᵢ), which is φ′(xᵢ) elementwise."""
    if name.strip().lower().replace("-", "_") in _NOT_ELEMENTWISE:
        raise ValueError(f"{name!r} is not elementwise: it has a Jacobian, not a derivative curve")
    fn = activation_fn(name)
    xt = Tensor(xp.asarray(x, dtype=dtypes.float64))
    values = to_numpy(fn(xt)._data)
    slope = to_numpy(grad(lambda t: fn(t).sum())(xt)._data)
    return values, slope


def activations(
    names: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
    x_range: tuple[float, float] = (-4, 4),
    *,
    n_points: int = 401,
    title: str | None = None,
) -> Any:
    """A grid of activation functions φ(x), each with its derivative φ′(x).

    The derivative is not a formula typed in: it is ``chainrule.grad`` of Σᵢ φ(xᵢ), the same
    backward rules training uses. Each panel notes max |φ′|: the 1/4 of the sigmoid is why deep
    sigmoid nets' gradients vanish (see :func:`chainrule.diagnostics.vanishing`).

    Parameters
    ----------
    names : sequence of str, optional
        Activation names from :func:`chainrule.nn.activation_names` (default
        :data:`DEFAULT_ACTIVATIONS`: sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus).
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    x_range : (float, float)
        The interval of x.
    n_points : int
        Points along x.
    title : str, optional
        The figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per activation: the function and its derivative.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.viz import activations
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = activations(["sigmoid", "relu"], pathlib.Path(d) / "act.png")
    >>> [ax.get_title() for ax in fig.axes]
    ['sigmoid', 'relu']
    """
    chosen = list(DEFAULT_ACTIVATIONS if names is None else names)
    if not chosen:
        raise ValueError("names is empty: give at least one activation name")
    lo, hi = (float(v) for v in x_range)
    if not hi > lo:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    x = np.linspace(lo, hi, n_points)
    curves = [_curves(name, x) for name in chosen]  # fail on a bad name before drawing

    ncols = min(4, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.4 * ncols, 2.9 * nrows))
    c_fn, c_grad = colors(2)
    for k, (name, (values, slope)) in enumerate(zip(chosen, curves)):
        ax = axes[k // ncols, k % ncols]
        ax.axhline(0.0, color="0.6", linewidth=0.6)
        ax.axvline(0.0, color="0.6", linewidth=0.6)
        ax.plot(x, values, color=c_fn, linewidth=2.0, label="$\\phi(x)$")
        ax.plot(x, slope, color=c_grad, linewidth=1.5, linestyle="--", label="$\\phi'(x)$")
        peak = float(np.max(np.abs(slope)))
        ax.text(
            0.03,
            0.96,
            f"max |φ′| = {peak:.3g}",
            transform=ax.transAxes,
            va="top",
            fontsize="small",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_ylabel("$\\phi(x)$, $\\phi'(x)$")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    for k in range(len(chosen), nrows * ncols):
        axes[k // ncols, k % ncols].remove()
    fig.suptitle(title or "Activations and their derivatives (by autodiff)")
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, activations)
