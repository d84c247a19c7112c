"""Gradient norms layer by layer: vanishing (or not) gradients, seen."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any

from chainrule.viz._figure import colors, finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["gradient_norms"]

_LINESTYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D")


def _is_numbers(v: Any) -> bool:
    return (
        isinstance(v, Sequence)
        and not isinstance(v, str)
        and len(v) > 0
        and all(isinstance(a, numbers.Real) for a in v)
    )


def _from_history(history: Mapping[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Per-layer weight-gradient norms at the first and last epoch of a recorded fit."""
    epochs = list(history["grad_norms"])
    if not epochs:
        raise ValueError("the history holds no gradient norms: fit with record_grad_norms=True")
    names = [n for n in epochs[0] if n.endswith("weight")] or list(epochs[0])

    def row(d: Mapping[str, float]) -> list[float]:
        return [float(d.get(n, math.nan)) for n in names]

    stages = {"first epoch": row(epochs[0])}
    if len(epochs) > 1:
        stages["last epoch"] = row(epochs[-1])
    return {"model": stages}


def _normalise(norms: Any) -> tuple[dict[str, dict[str, list[float]]], str]:
    """``{series: {stage: per-layer norms}}`` and a title suffix, from any accepted input."""
    if not isinstance(norms, Mapping):
        raise TypeError(f"norms must be a dict, got {type(norms).__name__}")
    suffix = ""
    if "grad_norms" in norms and "results" not in norms:
        return _from_history(norms), ""
    if "results" in norms:  # the dict chainrule.diagnostics.vanishing returns
        if "depth" in norms and "width" in norms:
            suffix = f" (depth {norms['depth']}, width {norms['width']})"
        norms = norms["results"]
    out: dict[str, dict[str, list[float]]] = {}
    for name, value in norms.items():
        if isinstance(value, Mapping) and value.get("overflow") and not value.get("init"):
            continue  # vanishing() found no finite norms to draw: its table says why
        if _is_numbers(value):
            out[str(name)] = {"": [float(v) for v in value]}
        elif isinstance(value, Mapping):
            stages = {str(k): [float(a) for a in v] for k, v in value.items() if _is_numbers(v)}
            if not stages:
                raise ValueError(f"norms[{name!r}] holds no list of per-layer norms")
            out[str(name)] = stages
        else:
            raise TypeError(
                f"norms[{name!r}] must be a list of per-layer norms or a dict of them "
                f"(e.g. {{'init': [...], 'trained': [...]}}), got {type(value).__name__}"
            )
    if not out:
        raise ValueError("norms is empty")
    return out, suffix


def gradient_norms(
    norms: Mapping[str, Any], path: str | os.PathLike | None = None, *, title: str | None = None
) -> Any:
    """Plot per-layer gradient norms ‖∂L/∂Wₗ‖ (log scale) for several networks or activations.

    Parameters
    ----------
    norms : dict
        One of:

        - ``{activation: [norm of layer 1, layer 2, ...]}``;
        - ``{activation: {"init": [...], "trained": [...]}}`` (one line style per stage; keys
          holding anything but a list of numbers are ignored);
        - the dict :func:`chainrule.diagnostics.vanishing` returns;
        - a :class:`~chainrule.train.History` recorded with ``record_grad_norms=True``
          (weight norms at the first and last epoch).

        Layer 1 is the one nearest the input. Zero norms (dead layers) are left out of the log
        plot.
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    title : str, optional
        The axes title.

    Returns
    -------
    matplotlib.figure.Figure
        Gradient norm per layer on a log scale, one line per network and stage.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule.viz import gradient_norms
    >>> norms = {"sigmoid": {"init": [1e-9, 1e-6, 1e-3, 0.5], "trained": [1e-8, 1e-5, 1e-2, 0.3]},
    ...          "relu": {"init": [0.6, 0.5, 0.5, 0.4], "trained": [0.3, 0.3, 0.2, 0.2]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig = gradient_norms(norms, pathlib.Path(d) / "norms.png")
    >>> fig.axes[0].get_yscale()
    'log'
    """
    series, suffix = _normalise(norms)
    fig, axes = new_figure(1, 1, figsize=(7.0, 4.5))
    ax = axes[0, 0]
    max_layers = 1
    for (name, stages), color in zip(series.items(), colors(len(series))):
        for i, (stage, values) in enumerate(stages.items()):
            layers = list(range(1, len(values) + 1))
            shown = [v if v > 0 and math.isfinite(v) else math.nan for v in values]
            max_layers = max(max_layers, len(values))
            ax.plot(
                layers,
                shown,
                color=color,
                linestyle=_LINESTYLES[i % len(_LINESTYLES)],
                marker=_MARKERS[i % len(_MARKERS)],
                markersize=4,
                label=f"{name} ({stage})" if stage else name,
            )
    ax.set_yscale("log")
    if max_layers <= 30:
        ax.set_xticks(range(1, max_layers + 1, 1 if max_layers <= 12 else 2))
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm $\\|\\partial L / \\partial W_l\\|$")
    ax.set_title(title or "Gradient norm per layer" + suffix)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, gradient_norms)
