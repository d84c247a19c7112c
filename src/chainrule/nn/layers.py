"""Layers: Linear, Sequential, Identity, Flatten, Dropout, BatchNorm1d, LayerNorm.

Each built-in layer can describe itself with ``config()`` (JSON-ready constructor arguments), which
is how checkpoints rebuild a model without running user code.

>>> import chainrule as cr
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 16, generator=cr.Generator(0)), nn.Tanh(),
...                     nn.Linear(16, 1, generator=cr.Generator(1)))
>>> net(cr.zeros((5, 2))).shape
(5, 1)
>>> net
Sequential(
  (0): Linear(in_features=2, out_features=16, bias=True)
  (1): Tanh()
  (2): Linear(in_features=16, out_features=1, bias=True)
)
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from chainrule import dtypes
from chainrule.creation import Generator
from chainrule.nn import deferred, init
from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops import flatten
from chainrule.tensor import Tensor

__all__ = ["BatchNorm1d", "Dropout", "Flatten", "Identity", "LayerNorm", "Linear", "Sequential"]


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch.

    Default initialisation, as PyTorch's: W and b drawn from U(−1/√fan_in, 1/√fan_in). It keeps
    the variance of each output near 1/3 of the input's whatever the width, and it lets a
    chainrule model and a PyTorch one start from the same distribution so their results can be
    compared. For deep ReLU nets prefer ``init="kaiming_uniform"``; for tanh and sigmoid,
    ``"xavier_uniform"`` (biases then start at 0).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Whether to learn an additive bias (not weight-decayed by default).
    init : str, optional
        A name from :func:`chainrule.nn.init.get` for the weight; biases then start at zero.
    generator : Generator, optional
        The source of the random initial weights (the global generator if None).
    dtype : dtype, optional
        float32 by default.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | None = None,
        generator: Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            _check_size(value, name, "Linear")
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got ({in_features}, {out_features})")
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"Linear: generator must be a chainrule Generator, got {type(generator).__name__}"
            )
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.init_name = init
        self.weight = deferred.parameter((self.out_features, self.in_features), dt)
        self.bias = deferred.parameter(self.out_features, dt, 0.0, False) if bias else None
        if deferred.weights_drawn():
            self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        """Draw fresh initial weights."""
        if self.init_name is None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.weight, -bound, bound, generator)
            if self.bias is not None:
                init.uniform_(self.bias, -bound, bound, generator)
            return
        init_fn = init.get(self.init_name)
        if init_fn in (init.zeros_, init.ones_):
            init_fn(self.weight)
        else:
            init_fn(self.weight, generator=generator)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if not x.shape:  # F.linear reads x.shape[-1]
            raise ValueError(
                f"Linear(in_features={self.in_features}) needs input of shape (..., "
                f"{self.in_features}), got a scalar of shape {tuple(x.shape)}"
            )
        return F.linear(x, self.weight, self.bias)

    def config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": str(self.weight.dtype),
        }

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _check_size(value: Any, name: str, layer: str) -> None:
    """TypeError naming ``name`` unless ``value`` is an integer (not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, numbers.Integral)):
        raise TypeError(f"{layer}: {name} must be an integer, got {type(value).__name__} {value!r}")


class Sequential(Module):
    """Modules applied one after another: the stack of layers of a feed-forward network."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential takes Modules, item {i} is {type(m).__name__}")
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]


class Identity(Module):
    """Returns its input: a placeholder layer."""

    def forward(self, x: Any) -> Any:
        return x

    def config(self) -> dict[str, Any]:
        return {}


class Flatten(Module):
    """Merge axes ``start_dim``..``end_dim`` (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def config(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Randomly zero a fraction ``p`` of activations in training (identity in eval mode)."""

    def __init__(
        self, p: float = 0.5, inplace: bool = False, generator: Generator | None = None
    ) -> None:  # ``inplace`` is accepted for PyTorch code; the result is a new tensor
        super().__init__()
        self.p = F.check_dropout_p(p)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"  # PyTorch's repr (the result is always a new tensor)


def _dtype_of(layer: Module) -> str | None:
    """The dtype of a layer's first parameter or buffer (None when it holds no array)."""
    for p in layer.parameters():
        return str(p.dtype)
    for _, b in layer.named_buffers():
        if b is not None:
            return str(b.dtype)
    return None


def _scale_and_shift(
    shape: Any, dt: Any, affine: bool
) -> tuple[Parameter | None, Parameter | None]:
    """A normalisation layer's weight (ones) and bias (zeros), neither weight-decayed; both
    None without ``affine``."""
    if not affine:
        return None, None
    weight = deferred.parameter(shape, dt, 1.0, regularize=False)
    bias = deferred.parameter(shape, dt, 0.0, regularize=False)
    return weight, bias


class BatchNorm1d(Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs, with running statistics for eval."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_size(num_features, "num_features", "BatchNorm1d")
        if num_features <= 0:
            raise ValueError(f"BatchNorm1d needs num_features > 0, got {num_features}")
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight, self.bias = _scale_and_shift(num_features, dt, affine)
        if track_running_stats:
            self.register_buffer("running_mean", deferred.array(num_features, dt, 0.0))
            self.register_buffer("running_var", deferred.array(num_features, dt, 1.0))
            # PyTorch's counter of training batches, so state dicts have the same keys
            self.register_buffer("num_batches_tracked", deferred.array((), dtypes.int64, 0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects (N, {self.num_features}) or "
                f"(N, {self.num_features}, L) input, got {x.shape}"
            )
        return self._normalize(x)

    def _normalize(self, x: Tensor) -> Tensor:
        """Batch statistics in training (or without running ones), running statistics in eval."""
        use_batch = self.training or not self.track_running_stats
        if use_batch and x.size // x.shape[1] < 2:
            raise ValueError(
                f"{type(self).__name__} needs more than one value per channel in training, "
                f"got input of shape {x.shape}"
            )
        if self.training and self.track_running_stats:
            self._buffers["num_batches_tracked"] += 1
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=use_batch,
            momentum=self.momentum,
            eps=self.eps,
        )

    def config(self) -> dict[str, Any]:
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "dtype": _dtype_of(self),
        }

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.affine}, track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    """Normalise each sample over its last axes, then scale and shift."""

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        for n in shape:
            _check_size(n, "normalized_shape", "LayerNorm")
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight, self.bias = _scale_and_shift(shape, dt, elementwise_affine)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def config(self) -> dict[str, Any]:
        return {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            "dtype": _dtype_of(self),
        }

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.elementwise_affine}"
        )
