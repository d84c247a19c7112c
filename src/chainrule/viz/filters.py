"""What a convolutional net learns: its first layer's filters, and the feature maps of one input.

Each filter of a first convolution layer is a learned basis function φ(x) of a small image patch;
drawn as an image, it shows what the layer looks for (edges, strokes, blobs). Its feature map is
that φ applied at every position of one input.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from chainrule.autograd import no_grad
from chainrule.backend import to_numpy
from chainrule.tensor import Tensor, as_tensor
from chainrule.viz._figure import finish, new_figure, skip_doctests_without_matplotlib

__all__ = ["feature_maps", "filters"]


def _first_conv(model: Any) -> Any:
    """The model itself if it is a Conv2d, else the first Conv2d among its modules."""
    from chainrule.nn.conv import Conv2d

    if isinstance(model, Conv2d):
        return model
    for m in model.modules():
        if isinstance(m, Conv2d):
            return m
    raise ValueError(f"no Conv2d layer found in {type(model).__name__}")


def _grid(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _show_grid(images: Any, titles: list[str], cmap: str, symmetric: bool, suptitle: str):
    rows, cols = _grid(len(images))
    fig, axes = new_figure(rows, cols, figsize=(1.7 * cols + 0.6, 1.7 * rows + 0.5))
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= len(images):
            continue
        img = images[k]
        if symmetric:  # 0 in the middle of the colour map, so the sign of a weight is its colour
            lim = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
        else:
            ax.imshow(img, cmap=cmap, interpolation="nearest")
        ax.set_title(titles[k], fontsize="small")
    fig.suptitle(suptitle)
    return fig


def filters(
    model: Any, path: str | os.PathLike | None = None, *, channel: int | None = None
) -> Any:
    """Draw the filters (weights) of the first ``Conv2d`` layer, one image per output channel.

    Parameters
    ----------
    model : Module
        A ``Conv2d`` or a model containing one (the first is drawn).
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    channel : int, optional
        The input channel to draw for multi-channel inputs (default: the mean over channels).

    Returns
    -------
    matplotlib.figure.Figure
        One image per output channel, on a diverging colour map.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> from chainrule.viz import filters
    >>> fig = filters(nn.Conv2d(1, 6, 5, generator=cr.Generator(0)))
    >>> len([ax for ax in fig.axes if ax.images])
    6
    """
    conv = _first_conv(model)
    w = to_numpy(conv.weight._data)  # (out, in/groups, kh, kw)
    w = w.mean(axis=1) if channel is None else w[:, channel]
    titles = [f"filter {k}" for k in range(len(w))]
    fig = _show_grid(w, titles, "RdBu_r", True, f"Learned filters of {conv!r}")
    return finish(fig, path)


def feature_maps(
    model: Any, x: Any, path: str | os.PathLike | None = None, *, layer: int | None = None
) -> Any:
    """Draw the feature maps of one input after a layer of a ``Sequential`` CNN.

    Parameters
    ----------
    model : Sequential
        The network.
    x : array-like or Tensor
        One input, (C, H, W) or (1, C, H, W).
    path : str or PathLike, optional
        Where to save the figure (PNG, written atomically).
    layer : int, optional
        Index of the layer whose output to draw (default: the layer after the first ``Conv2d``,
        usually its activation).

    Returns
    -------
    matplotlib.figure.Figure
        The input, then one image per channel of the chosen layer's output.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> from chainrule.viz import feature_maps
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3, generator=cr.Generator(0)), nn.ReLU())
    >>> fig = feature_maps(net, cr.randn(1, 8, 8, generator=cr.Generator(1)))
    >>> len([ax for ax in fig.axes if ax.images])
    5
    """
    t = x if isinstance(x, Tensor) else as_tensor(np.asarray(x, dtype=np.float32))
    if t.ndim == 3:
        t = t.reshape(1, *t.shape)
    if t.ndim != 4 or t.shape[0] != 1:
        raise ValueError(f"feature_maps draws one input, (C, H, W) or (1, C, H, W); got {x.shape}")
    layers = list(model)
    if layer is None:
        first = layers.index(_first_conv(model))
        layer = min(first + 1, len(layers) - 1)
    if not 0 <= layer < len(layers):
        raise ValueError(f"layer must be in [0, {len(layers) - 1}], got {layer}")
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            h = t
            for m in layers[: layer + 1]:
                h = m(h)
    finally:
        model.train(was_training)
    if h.ndim != 4:
        raise ValueError(f"layer {layer} ({layers[layer]!r}) does not output feature maps")
    maps = to_numpy(h._data)[0]
    images = [to_numpy(t._data)[0].mean(axis=0), *maps]  # the input may be larger than its maps
    titles = ["input"] + [f"map {k}" for k in range(len(maps))]
    fig = _show_grid(images, titles, "viridis", False, f"Feature maps after layer {layer}")
    return finish(fig, path)


skip_doctests_without_matplotlib(__name__, filters, feature_maps)
