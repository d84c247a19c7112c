"""Describe a model as JSON-ready data and rebuild it, without pickle and without user code.

>>> import chainrule as cr
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
>>> cfg = nn.to_config(net)
>>> cfg["layers"][1]
{'type': 'ReLU', 'config': {}}
>>> nn.from_config(cfg)
Sequential(
  (0): Linear(in_features=2, out_features=4, bias=True)
  (1): ReLU()
  (2): Linear(in_features=4, out_features=1, bias=True)
)
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import activations, conv, layers
from chainrule.nn.module import Module

__all__ = ["from_config", "layer_types", "to_config"]

_TYPES: dict[str, type[Module]] = {
    cls.__name__: cls
    for cls in (
        layers.Linear,
        layers.Identity,
        layers.Flatten,
        layers.Dropout,
        layers.BatchNorm1d,
        layers.LayerNorm,
        conv.Conv1d,
        conv.Conv2d,
        conv.MaxPool2d,
        conv.AvgPool2d,
        conv.AdaptiveAvgPool2d,
        conv.BatchNorm2d,
        conv.Dropout2d,
        activations.Sigmoid,
        activations.Tanh,
        activations.ReLU,
        activations.LeakyReLU,
        activations.ELU,
        activations.GELU,
        activations.Softplus,
        activations.Softmax,
        activations.LogSoftmax,
    )
}


def layer_types() -> list[str]:
    """The layer types a config can name."""
    return sorted([*_TYPES, "Sequential"])


def to_config(module: Module) -> dict[str, Any]:
    """A JSON-ready description of a built-in layer or a Sequential of them."""
    if type(module) is layers.Sequential:  # a subclass may have its own forward: not describable
        return {
            "type": "Sequential",
            "names": list(module._modules),
            "layers": [to_config(m) for m in module],
        }
    name = type(module).__name__
    if _TYPES.get(name) is not type(module) or not hasattr(module, "config"):
        raise TypeError(
            f"{name} is not a built-in layer, so it cannot be described by a config; save its "
            "state_dict and rebuild the model in your own code"
        )
    return {"type": name, "config": module.config()}


def from_config(config: dict[str, Any]) -> Module:
    """Rebuild a model from :func:`to_config`'s output (its weights are then freshly drawn).

    Raises ``ValueError`` naming an unknown layer type or a malformed entry.
    """
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer config must be a dict with a 'type', got {config!r}")
    kind = config["type"]
    if kind == "Sequential":
        subs = [from_config(c) for c in config.get("layers", [])]
        names = config.get("names") or [str(i) for i in range(len(subs))]
        if len(names) != len(subs):
            raise ValueError("Sequential config: 'names' and 'layers' differ in length")
        seq = layers.Sequential()
        for n, m in zip(names, subs):
            seq.add_module(str(n), m)
        return seq
    if kind not in _TYPES:
        raise ValueError(f"unknown layer type {kind!r} (known: {', '.join(layer_types())})")
    kwargs = config.get("config", {})
    if not isinstance(kwargs, dict):
        raise ValueError(f"the config of {kind} must be a dict, got {kwargs!r}")
    try:
        return _TYPES[kind](**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad arguments for {kind}: {exc}") from None
