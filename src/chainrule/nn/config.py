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

import inspect
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


MAX_DEPTH = 64
"""How deeply Sequentials may nest in a config (deeper is refused, not a RecursionError)."""

_NOT_CONFIG = frozenset({"self", "generator", "init"})
"""Constructor arguments that no config holds (random sources; initial weights are loaded)."""


def from_config(config: dict[str, Any], _depth: int = 0) -> Module:
    """Rebuild a model from :func:`to_config`'s output (its weights are then freshly drawn;
    build inside :func:`chainrule.nn.deferred.no_weights` to draw nothing).

    Raises ``ValueError`` naming an unknown layer type, an unknown or ill-typed argument, or a
    malformed entry; every problem in a config, whatever it is, comes out as a ValueError.
    """
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer config must be a dict with a 'type', got {_short(config)}")
    if _depth > MAX_DEPTH:
        raise ValueError(f"the model config nests Sequentials deeper than {MAX_DEPTH} levels")
    kind = config["type"]
    if kind == "Sequential":
        layer_list = config.get("layers", [])
        if not isinstance(layer_list, list):
            raise ValueError(
                f"Sequential config: 'layers' must be a list, got {_short(layer_list)}"
            )
        subs = [from_config(c, _depth + 1) for c in layer_list]
        names = config.get("names") or [str(i) for i in range(len(subs))]
        if not isinstance(names, list) or len(names) != len(subs):
            raise ValueError("Sequential config: 'names' and 'layers' differ in length")
        seq = layers.Sequential()
        for n, m in zip(names, subs):
            if (
                not isinstance(n, (str, int))
                or not str(n)
                or "." in str(n)
                or str(n) in seq._modules
            ):
                raise ValueError(f"Sequential config: bad or repeated layer name {_short(n)}")
            seq.add_module(str(n), m)
        return seq
    if not isinstance(kind, str) or kind not in _TYPES:
        raise ValueError(f"unknown layer type {_short(kind)} (known: {', '.join(layer_types())})")
    kwargs = config.get("config", {})
    if not isinstance(kwargs, dict):
        raise ValueError(f"the config of {kind} must be a dict, got {_short(kwargs)}")
    allowed = [p for p in inspect.signature(_TYPES[kind]).parameters if p not in _NOT_CONFIG]
    unknown = sorted(str(k) for k in kwargs if k not in allowed)
    if unknown:
        raise ValueError(
            f"the config of {kind} has unknown key(s) {unknown} (allowed: {', '.join(allowed)})"
        )
    try:
        return _TYPES[kind](**kwargs)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"bad arguments for {kind}: {exc}") from None


def _short(value: Any) -> str:
    """``repr`` cut to a readable length (configs can be hostile)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
