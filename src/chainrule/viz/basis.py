"""Networks learn their own basis functions: a 1-D regression net's hidden units, drawn."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from chainrule.backend import to_numpy
from chainrule.diagnostics.basis import hidden_units
from chainrule.tensor import Tensor
from chainrule.viz._figure import colors, finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["basis_functions"]


def basis_functions(
    model: Any,
    x_range: tuple[float, float],
    path: str | os.PathLike | None = None,
    X: Any = None,
    y: Any = None,
    *,
    n_points: int = 400,
    title: str | None = None,
) -> Any:
    """Draw what each hidden unit contributes to a 1-D regression net, and their sum.

    For ``Linear(1, H) → φ → Linear(H, 1)`` the output is f(x) = Σⱼ wⱼ φⱼ(x) + b. The left
    panel shows each scaled unit wⱼ φⱼ(x) as a thin line (and the bias b, dashed); the right
    panel shows them faded under their sum, the network's output (thick), with the data.

    Parameters
    ----------
    model : Sequential
        A net ending in ``Linear(H, 1)`` with one input (see
        :func:`chainrule.diagnostics.hidden_units`).
    x_range : (float, float)
        The interval of x to draw.
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    X, y : array-like, optional
        Data to scatter in the right panel, X of shape (n,) or (n, 1).
    n_points : int
        Points along x.
    title : str, optional
        The figure title (default: "Learned basis functions (H units)").

    Returns
    -------
    matplotlib.figure.Figure
        Left: each scaled hidden unit over x; right: their sum, the network output.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.diagnostics import fit_sine_basis
    >>> from chainrule.viz import basis_functions
    >>> model, X, y, info = fit_sine_basis(hidden=6, epochs=300, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = basis_functions(model, (-3.5, 3.5), pathlib.Path(d) / "basis.png", X=X, y=y)
    ...     (pathlib.Path(d) / "basis.png").exists()
    True
    >>> fig.axes[1].get_title()
    'Their sum: the network output'
    """
    lo, hi = (float(v) for v in x_range)
    if not hi > lo:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    if getattr(model[0], "in_features", 1) != 1:
        raise ValueError(f"basis_functions needs a model with one input, got {model[0]!r}")
    xs = np.linspace(lo, hi, n_points)
    phi, w, b = hidden_units(model, xs.astype(np.float32))
    parts = phi * w  # (n, H): unit j's contribution wⱼ φⱼ(x)
    total = parts.sum(axis=1) + b
    n_units = parts.shape[1]

    fig, axes = new_figure(1, 2, figsize=(11.0, 4.2), sharex=True)
    ax_parts, ax_sum = axes[0]
    unit_colors = colors(n_units)
    for j in range(n_units):
        label = "$w_j\\,\\phi_j(x)$, one per unit" if j == 0 else None
        ax_parts.plot(xs, parts[:, j], color=unit_colors[j], linewidth=1.0, label=label)
        ax_sum.plot(xs, parts[:, j], color=unit_colors[j], linewidth=0.8, alpha=0.35)
    ax_parts.axhline(b, color="0.3", linestyle="--", linewidth=1.0, label=f"bias b = {b:.3g}")
    ax_parts.set_title("Scaled hidden units $w_j\\,\\phi_j(x)$")
    ax_parts.set_xlabel("x")
    ax_parts.set_ylabel("contribution to f(x)")
    ax_parts.legend(loc="best", fontsize="small")
    ax_parts.grid(True, alpha=0.3)

    if X is not None and y is not None:
        xd = to_numpy(X._data if isinstance(X, Tensor) else X).reshape(-1)
        yd = to_numpy(y._data if isinstance(y, Tensor) else y).reshape(-1)
        ax_sum.scatter(xd, yd, s=10, color="0.5", alpha=0.7, label="data", zorder=2)
    ax_sum.plot(
        xs, total, color="k", linewidth=2.5, label="$f(x) = \\sum_j w_j\\,\\phi_j(x) + b$", zorder=3
    )
    ax_sum.set_title("Their sum: the network output")
    ax_sum.set_xlabel("x")
    ax_sum.set_ylabel("f(x)")
    ax_sum.legend(loc="best", fontsize="small")
    ax_sum.grid(True, alpha=0.3)
    fig.suptitle(title or f"Learned basis functions ({n_units} hidden units)")
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, basis_functions)
