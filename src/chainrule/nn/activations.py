"""Activation layers and the one registry of activations by name.

The CLI, the estimators and the playground all look activations up here, so 'logistic' (the
scikit-learn name) and 'sigmoid' mean the same thing everywhere.

>>> from chainrule import nn
>>> nn.activation("logistic")
Sigmoid()
>>> nn.activation_names()
['elu', 'gelu', 'identity', 'leaky_relu', 'log_softmax', 'logistic', 'relu', 'sigmoid', 'silu', 'softmax', 'softplus', 'tanh']
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.layers import Identity
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "activation",
    "activation_fn",
    "activation_names",
]


class _Elementwise(Module):
    """An activation with no parameters and no settings."""

    fn: Callable[[Tensor], Tensor]

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()  # ``inplace`` is accepted for PyTorch code; the result is a new tensor
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return type(self).fn(x)

    def config(self) -> dict[str, Any]:
        return {}

    def extra_repr(self) -> str:
        return "inplace=True" if getattr(self, "inplace", False) else ""  # PyTorch's repr


class _OneSetting(Module):
    """An activation with one setting, the attribute named ``_setting`` (stored by
    ``__init__``), passed to ``fn`` as its second argument; ``config`` and the repr show it."""

    fn: Callable[[Tensor, Any], Tensor]
    _setting: str

    def __init__(self, value: Any) -> None:
        super().__init__()
        setattr(self, self._setting, value)

    def forward(self, x: Tensor) -> Tensor:
        return type(self).fn(x, getattr(self, self._setting))

    def config(self) -> dict[str, Any]:
        return {self._setting: getattr(self, self._setting)}

    def extra_repr(self) -> str:
        value = getattr(self, self._setting)
        text = (
            f"{self._setting}={value!r}" if isinstance(value, str) else f"{self._setting}={value}"
        )
        if getattr(self, "inplace", False):  # PyTorch's repr shows it only when set
            text += ", inplace=True"
        return text


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + e^-x); its derivative is at most 1/4, so deep stacks of it vanish."""

    fn = staticmethod(F.sigmoid)


class Tanh(_Elementwise):
    """tanh(x); zero-centred, derivative at most 1."""

    fn = staticmethod(F.tanh)


class ReLU(_Elementwise):
    """max(x, 0); derivative exactly 1 where active, so gradients do not vanish with depth."""

    fn = staticmethod(F.relu)


class SiLU(_Elementwise):
    """x·σ(x) (swish): smooth, non-monotonic near 0, close to ReLU for large |x|."""

    fn = staticmethod(F.silu)


class LeakyReLU(_OneSetting):
    """x for x > 0, else ``negative_slope * x``."""

    fn = staticmethod(F.leaky_relu)
    _setting = "negative_slope"

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(negative_slope)
        self.inplace = inplace


class ELU(_OneSetting):
    """x for x > 0, else ``alpha * (e^x - 1)``."""

    fn = staticmethod(F.elu)
    _setting = "alpha"

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha)
        self.inplace = inplace


class GELU(_OneSetting):
    """x·Φ(x); ``approximate="tanh"`` for the tanh form."""

    fn = staticmethod(F.gelu)
    _setting = "approximate"

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate)


class Softplus(_OneSetting):
    """ln(1 + e^(βx)) / β, a smooth ReLU."""

    fn = staticmethod(F.softplus)
    _setting = "beta"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta)
        self.threshold = threshold  # PyTorch's switch to x past βx > threshold: within float32

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(_OneSetting):
    """Probabilities along ``dim`` (without one, PyTorch's implicit choice: see
    :func:`chainrule.softmax`)."""

    _setting = "dim"

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.dim)


class LogSoftmax(Softmax):
    """Log-probabilities along ``dim``."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, axis=self.dim)


_REGISTRY: dict[str, type[Module]] = {
    "identity": Identity,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "softplus": Softplus,
    "silu": SiLU,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}


def _lookup(name: str) -> type[Module]:
    key = name.strip().lower().replace("-", "_")
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown activation {name!r}{hint} (known: {', '.join(sorted(_REGISTRY))})"
        )
    return _REGISTRY[key]


def activation(name: str, **kwargs: Any) -> Module:
    """An activation layer by name ('relu', 'tanh', 'sigmoid' or 'logistic', ...)."""
    return _lookup(name)(**kwargs)


def activation_fn(name: str, **kwargs: Any) -> Callable[[Tensor], Tensor]:
    """The activation as a function of a Tensor.

    >>> import chainrule as cr
    >>> activation_fn("relu")(cr.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return activation(name, **kwargs)


def activation_names() -> list[str]:
    """Every name the registry accepts."""
    return sorted(_REGISTRY)
