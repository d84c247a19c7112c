"""Build layers without drawing or allocating their weights, then fill them with given arrays.

Loading a checkpoint builds the model from its config and overwrites every weight, so drawing
initial weights would only waste memory and shift the global random generator (which another
thread may be drawing from). Inside :func:`no_weights`, layers get read-only placeholders of the
right shape and dtype that take no memory, and draw nothing; :func:`fill` then gives each
parameter and buffer its array. The switch is per thread.

>>> import numpy as np
>>> from chainrule import nn
>>> with no_weights():
...     layer = nn.Linear(40000, 40000)        # no 6.4 GB allocated, no random draw
>>> layer.weight.shape, is_placeholder(layer.weight.data)
((40000, 40000), True)
>>> with no_weights():
...     again = nn.Linear(2, 1)
>>> fill(again, {"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
>>> again.weight.dtype, again.bias.tolist()
(dtype('float64'), [0.5])
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from chainrule._threadlocal import thread_setting
from chainrule.backend import xp
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["array", "fill", "is_placeholder", "no_weights", "parameter", "weights_drawn"]

_local = threading.local()


@contextlib.contextmanager
def no_weights() -> Iterator[None]:
    """Inside this block (in this thread), layers are built with placeholder weights."""
    with thread_setting(_local, "off", True):
        yield


def weights_drawn() -> bool:
    """False inside :func:`no_weights`: layers should neither allocate nor draw weights."""
    return not getattr(_local, "off", None)


def _placeholder(shape: Any, dtype: Any) -> Any:
    # a zero-stride view of one element: any shape, no memory, read-only
    return xp.broadcast_to(xp.zeros((), dtype=dtype), shape)


def is_placeholder(arr: Any) -> bool:
    """True for a placeholder made inside :func:`no_weights` (a zero-stride view)."""
    arr = getattr(arr, "_data", arr)  # a Tensor's array, or an array
    return arr.size > 1 and not any(arr.strides)


def array(shape: Any, dtype: Any, value: float = 0.0) -> Any:
    """A buffer filled with ``value``, or a placeholder inside :func:`no_weights`."""
    if weights_drawn():
        return xp.full(shape, value, dtype=dtype)
    return _placeholder(shape, dtype)


def parameter(
    shape: Any, dtype: Any, value: float | None = None, regularize: bool = True
) -> Parameter:
    """A Parameter filled with ``value`` (left uninitialised if None, for a layer to draw into),
    or one holding a placeholder inside :func:`no_weights`."""
    if weights_drawn():
        data = xp.empty(shape, dtype=dtype) if value is None else xp.full(shape, value, dtype)
        return Parameter(data, regularize=regularize)
    p = Parameter(xp.zeros((), dtype=dtype), regularize=regularize)
    p._data = _placeholder(shape, dtype)  # Parameter() would copy a read-only array in full
    return p


def fill(module: Module, arrays: Mapping[str, Any]) -> None:
    """Give every parameter and buffer of ``module`` its array from ``arrays`` (by
    ``state_dict`` name), as a writable copy on the backend, keeping the array's dtype.

    Raises ``ValueError`` naming a key that is missing or whose shape differs.
    """
    for prefix, mod in module.named_modules():
        for store in (mod._parameters, mod._buffers):
            for name, current in store.items():
                if current is None:
                    continue
                key = f"{prefix}.{name}" if prefix else name
                if key not in arrays:
                    raise ValueError(f"no array given for {key!r}")
                arr = xp.array(arrays[key], copy=True)
                if tuple(arr.shape) != tuple(current.shape):
                    raise ValueError(
                        f"shape mismatch for {key!r}: given {tuple(arr.shape)}, "
                        f"model {tuple(current.shape)}"
                    )
                if isinstance(current, Parameter):
                    current._data = arr
                else:
                    store[name] = arr
