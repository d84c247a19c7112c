"""``parameters_to_vector`` / ``vector_to_parameters``: all parameters as one flat vector.

>>> import chainrule as cr
>>> from chainrule import nn
>>> layer = nn.Linear(2, 1)
>>> v = nn.utils.parameters_to_vector(layer.parameters())
>>> v.shape
(3,)
>>> nn.utils.vector_to_parameters(cr.zeros(3), layer.parameters())
>>> layer.weight.tolist(), layer.bias.tolist()
([[0.0, 0.0]], [0.0])
"""

from __future__ import annotations

from collections.abc import Iterable

from chainrule import ops
from chainrule.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined, in order (differentiable, as PyTorch's)."""
    return ops.cat([ops.reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' values, in order."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D Tensor, got {vec!r}")
    start = 0
    for p in parameters:
        n = p._data.size
        if start + n > vec._data.size:
            raise ValueError(
                f"vector_to_parameters: the vector has {vec._data.size} values, too few"
            )
        p._data[...] = vec._data[start : start + n].reshape(p._data.shape)
        start += n
    if start != vec._data.size:
        raise ValueError(f"vector_to_parameters: {vec._data.size} values for {start} parameters")
