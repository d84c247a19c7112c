"""Neural-network building blocks: modules, layers, activations, losses and initialisation.

>>> import chainrule as cr
>>> from chainrule import nn
>>> model = nn.mlp([2, 16, 1], activation="tanh", seed=0)
>>> model
Sequential(
  (0): Linear(in_features=2, out_features=16, bias=True)
  (1): Tanh()
  (2): Linear(in_features=16, out_features=1, bias=True)
)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from chainrule._missing import module_getattr as _module_getattr
from chainrule.creation import Generator
from chainrule.nn import activations, functional, init, utils
from chainrule.nn.activations import *  # noqa: F403 - re-exports activations.__all__
from chainrule.nn.activations import activation as _activation
from chainrule.nn.config import from_config, layer_types, to_config
from chainrule.nn.containers import ModuleDict, ModuleList, ParameterList
from chainrule.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dropout2d,
    MaxPool2d,
)
from chainrule.nn.embedding import Embedding
from chainrule.nn.layers import (
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    Sequential,
)
from chainrule.nn.loss_modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.nn.torch_modules import CosineSimilarity, Hardtanh, KLDivLoss, LogSigmoid, ReLU6


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    output_activation: str | None = None,
    *,
    init: str | None = None,
    seed: int | None = None,
    generator: Generator | None = None,
    dtype: object = None,
) -> Sequential:
    """A multi-layer perceptron ``sizes[0] -> ... -> sizes[-1]``, reproducible from ``seed``.

    ``activation`` goes between layers; ``output_activation`` (e.g. 'sigmoid') after the last.
    """
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {list(sizes)}")
    gen = generator if generator is not None else Generator(seed)
    layers: list[Module] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(fan_in, fan_out, init=init, generator=gen, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
    if output_activation is not None:
        layers.append(_activation(output_activation))
    return Sequential(*layers)


__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterList",
    "Sequential",
    "SmoothL1Loss",
    "from_config",
    "functional",
    "init",
    "layer_types",
    "mlp",
    "to_config",
    "utils",
]
__all__ += activations.__all__

__all__ += ["CosineSimilarity", "Hardtanh", "KLDivLoss", "LogSigmoid", "ReLU6"]

__getattr__ = _module_getattr("torch.nn", __all__)  # other nn names: NotImplementedError
