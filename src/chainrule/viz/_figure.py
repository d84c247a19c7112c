"""What every plot shares: a figure that touches no global state, atomic saving, colours.

Figures are built as ``matplotlib.figure.Figure`` with an Agg canvas attached, never through
``pyplot``: no backend is switched (``matplotlib.use`` is never called), no figure is registered
with a global figure manager, so a plot made here changes nothing in a notebook or an
application that also uses matplotlib, and nothing leaks when figures are made in a loop.

matplotlib is imported inside the functions, so ``import chainrule.viz`` works without it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

from chainrule._atomic import atomic_open

__all__ = ["DPI", "colors", "finish", "new_figure", "require_matplotlib", "save_figure"]

DPI = 100
"""Resolution of saved images: small files, sharp enough for a screen or a slide."""

INSTALL_HINT = "chainrule.viz needs matplotlib: pip install 'chainrule[viz]' (matplotlib>=3.7)"


def require_matplotlib() -> Any:
    """Import matplotlib, or raise an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(INSTALL_HINT) from e
    return matplotlib


def new_figure(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None, **kwargs: Any
) -> tuple[Any, Any]:
    """A Figure with an Agg canvas and a grid of axes: ``(fig, axes)``.

    ``axes`` is a NumPy array of shape (nrows, ncols) (``squeeze=False``), so callers index it
    the same way whatever the grid.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if figsize is None:
        figsize = (4.8 * ncols, 3.8 * nrows)
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def colors(n: int) -> list[Any]:
    """``n`` distinct colours: tab10 up to 10, then evenly spaced over a perceptual map."""
    require_matplotlib()
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n)]
    cmap = colormaps["viridis"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = DPI) -> Path:
    """Save ``fig`` to ``path`` atomically: write a temporary file beside it, then rename.

    A reader (a web page polling the image, another process) never sees a half-written file,
    and a failure leaves any old file intact. The format is PNG, or the one the file's suffix
    names if matplotlib writes it (``.svg``, ``.pdf``, ...). Missing folders are created.

    Returns the path written.
    """
    target = Path(path)
    fmt = target.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot save a figure as {target.name!r}: unknown format {fmt!r} "
            f"(use one of {', '.join(sorted(supported))})"
        )
    with atomic_open(target, "wb") as f:
        fig.savefig(f, format=fmt, dpi=dpi)
    return target


def finish(fig: Any, path: str | os.PathLike | None, dpi: int = DPI) -> Any:
    """Save ``fig`` when ``path`` is given; return it either way."""
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def skip_doctests_without_matplotlib(module_name: str, *objects: Any) -> None:
    """Mark the examples of ``objects`` (and the module) skipped when matplotlib is missing.

    Doctest runners then skip instead of failing; ``find_spec`` looks for the package without
    importing it.
    """
    if importlib.util.find_spec("matplotlib") is not None:
        return
    for obj in (sys.modules[module_name], *objects):  # pragma: no cover - environment
        if obj.__doc__:
            obj.__doc__ = re.sub(r"^(\s*>>> .*)$", r"\1  # doctest: +SKIP", obj.__doc__, flags=re.M)
