"""Convolutional layers: Conv1d, Conv2d, pooling, BatchNorm2d and Dropout2d, as in PyTorch.

A convolution layer is a Linear layer applied to every patch of the image with the same weights:
each of its ``out_channels`` filters is a learned basis function φ(x) of a small neighbourhood,
slid over the whole input. Parameter names, shapes and default initialisation are PyTorch's, so
a state dict moves between the two libraries by name.

>>> import chainrule as cr
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, generator=cr.Generator(0)), nn.ReLU(),
...                     nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
>>> net(cr.zeros((3, 1, 8, 8))).shape
(3, 10)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import dtypes
from chainrule.creation import Generator
from chainrule.nn import deferred, init
from chainrule.nn import functional as F
from chainrule.nn.layers import BatchNorm1d, Dropout
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout2d",
    "MaxPool2d",
]


def _tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    out = (value,) * n if isinstance(value, int) else tuple(value)
    if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
        raise TypeError(f"{name} must be an int or a {n}-tuple of ints, got {value!r}")
    return out


class _ConvNd(Module):
    """What Conv1d and Conv2d share: checked sizes, PyTorch's weight layout and initialisation."""

    spatial = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        generator: Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name} needs a positive int {arg}, got {v!r}")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name} needs a positive int groups, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both "
                f"be divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(f"chainrule's {name} implements padding_mode='zeros' only")
        n = self.spatial
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n, "padding")
        self.dilation = _tuple(dilation, n, "dilation")
        self.padding_mode = padding_mode
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = deferred.parameter(shape, dt)
        self.bias = deferred.parameter(out_channels, dt, 0.0, False) if bias else None
        if deferred.weights_drawn():  # not while a checkpoint builds the model to load into
            self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        """PyTorch's default: weight and bias from U(−1/√fan_in, 1/√fan_in).

        fan_in = in_channels/groups · (kernel area): the inputs each output sums over.
        """
        bound = 1.0 / math.sqrt(self.weight.shape[1] * math.prod(self.kernel_size))
        init.uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator)

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.bias is not None,
            "dtype": str(self.weight.dtype),
        }

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ("valid", (0,) * self.spatial):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W): weight (out, in/groups, kh, kw), bias (out,).

    Examples
    --------
    >>> import chainrule as cr
    >>> conv = Conv2d(3, 8, 3, padding=1, generator=cr.Generator(0))
    >>> conv.weight.shape, conv(cr.ones((2, 3, 5, 5))).shape
    ((8, 3, 3, 3), (2, 8, 5, 5))
    """

    spatial = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): weight (out, in/groups, k), bias (out,).

    Examples
    --------
    >>> import chainrule as cr
    >>> Conv1d(2, 4, 3, generator=cr.Generator(0))(cr.ones((5, 2, 10))).shape
    (5, 4, 8)
    """

    spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class _Pool2d(Module):
    """Pooling layers keep their arguments as given (PyTorch's reprs and configs do too)."""

    def __init__(self, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool) -> None:
        super().__init__()
        if ceil_mode:
            raise NotImplementedError(
                f"chainrule's {type(self).__name__} does not implement ceil_mode=True"
            )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def config(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._config_keys}

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest value of each window (``stride`` defaults to ``kernel_size``).

    >>> import chainrule as cr
    >>> MaxPool2d(2)(cr.ones((1, 3, 8, 8))).shape
    (1, 3, 4, 4)
    """

    _config_keys = ("kernel_size", "stride", "padding", "dilation")

    def extra_repr(self) -> str:  # PyTorch's repr: also dilation and ceil_mode
        return f"{super().extra_repr()}, dilation={self.dilation}, ceil_mode=False"

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        return F.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation,
            return_indices=self.return_indices,
        )  # fmt: skip


class AvgPool2d(_Pool2d):
    """The mean of each window (``stride`` defaults to ``kernel_size``).

    >>> import chainrule as cr
    >>> AvgPool2d(3, stride=2, padding=1)(cr.ones((1, 3, 8, 8))).shape
    (1, 3, 4, 4)
    """

    _config_keys = ("kernel_size", "stride", "padding", "count_include_pad", "divisor_override")

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding,
            count_include_pad=self.count_include_pad, divisor_override=self.divisor_override,
        )  # fmt: skip


class AdaptiveAvgPool2d(Module):
    """Average into a fixed ``output_size`` whatever the input's size (PyTorch's bins).

    >>> import chainrule as cr
    >>> AdaptiveAvgPool2d((2, 3))(cr.ones((1, 4, 7, 9))).shape
    (1, 4, 2, 3)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def config(self) -> dict[str, Any]:
        size = self.output_size
        return {"output_size": size if isinstance(size, int) else list(size)}

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation per channel of (N, C, H, W), over the batch and both spatial axes.

    >>> import chainrule as cr
    >>> y = BatchNorm2d(3)(cr.randn(4, 3, 5, 5, generator=cr.Generator(0)))
    >>> [round(float(v), 4) for v in y.numpy().mean(axis=(0, 2, 3))]
    [0.0, 0.0, 0.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}) expects (N, {self.num_features}, H, W) input, "
                f"got {x.shape}"
            )
        return self._normalize(x)


class Dropout2d(Dropout):
    """Zero whole channels with probability ``p`` in training (identity in eval mode)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout2d(x, self.p, self.training, self.generator)
