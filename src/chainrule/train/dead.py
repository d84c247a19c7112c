"""Dead units: when no gradient reaches the first layer, say why.

A ReLU unit whose pre-activation is ≤ 0 for every input outputs 0 and passes back a gradient of
exactly 0 (ReLU' = 0 there). When a whole layer is dead, nothing reaches the layers below it, and
the layers above it see a constant input: every gradient but the output bias's is exactly 0, and
training does nothing useful. Narrow deep ReLU nets are prone to it at initialisation (six layers of
two units are dead for most seeds).

:func:`dead_units` is the one check that ``fit``, ``vanishing`` and the playground ask after a
backward pass.

>>> import chainrule as cr
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
>>> net[0].weight.data[...] = -1.0; net[0].bias.data[...] = -1.0  # every pre-activation < 0
>>> x = cr.ones((4, 2))
>>> net(x).sum().backward()
>>> print(dead_units(net, x))  # doctest: +ELLIPSIS
The gradient of the first layer is exactly 0, ... Layer 1 (ReLU): all 2 units ...
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd import no_grad
from chainrule.backend import xp

__all__ = ["dead_units"]


def _first_layer_frozen_out(model: Any) -> bool:
    """True when the first layer with parameters got gradients and all of them are exactly 0.

    The first layer is the one a dead layer cuts off first; the output layer's bias still gets a
    gradient from the loss, so "every gradient is 0" is too strict a test.
    """
    for module in model.modules():
        grads = [p.grad for p in module.parameters(recurse=False) if p.grad is not None]
        if grads:
            return not any(bool(xp.any(g._data != 0)) for g in grads)
    return False


def _dead_layers(model: Any, inputs: Any) -> list[str]:
    """Layers of a Sequential whose every output unit is exactly 0 for every row of ``inputs``."""
    found = []
    x = inputs
    with no_grad():
        for i, layer in enumerate(model):
            x = layer(x)
            if next(iter(layer.parameters()), None) is not None:
                continue  # only activations can kill units; an affine layer's output can be 0 by chance
            out = x._data.reshape(x.shape[0], -1) if x.ndim > 1 else x._data.reshape(1, -1)
            width = out.shape[1]
            dead = int(xp.sum(xp.all(out == 0, axis=0)))
            if width and dead == width:
                found.append(
                    f"Layer {i} ({type(layer).__name__}): all {width} units output 0 for every "
                    f"one of the {out.shape[0]} inputs"
                )
    return found


def dead_units(model: Any, inputs: Any = None) -> str | None:
    """Explain why no gradient reaches the first layer, or return None when one does.

    Call it right after ``loss.backward()``.

    Parameters
    ----------
    model : Module
        The network whose parameters hold the gradients of the last backward pass.
    inputs : Tensor, optional
        The batch of that pass. With it, and a ``Sequential`` model, the message names the layers
        whose units are all dead.

    Returns
    -------
    str or None
        A short explanation for a student, or None when there is nothing to explain (the first
        layer's gradient is non-zero, or no backward pass has run).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    >>> net(cr.ones((2, 2))).sum().backward()
    >>> dead_units(net) is None
    True
    """
    if not _first_layer_frozen_out(model):
        return None
    layers: list[str] = []
    if inputs is not None and hasattr(model, "__iter__") and hasattr(inputs, "_data"):
        layers = _dead_layers(model, inputs)
    where = (
        " " + "; ".join(layers) + "."
        if layers
        else " Some layer's units are probably all dead (every one outputs 0 for every input)."
    )
    return (
        "The gradient of the first layer is exactly 0, so training cannot change it (nor any "
        "layer below a dead one)." + where + " A ReLU "
        "unit whose pre-activation is ≤ 0 for every input outputs 0 and passes back a gradient of "
        "0 (ReLU' = 0 there), so when a whole layer is dead no gradient reaches the layers below "
        "it. Try wider or fewer layers, another seed or initialisation (He), or leaky_relu."
    )
