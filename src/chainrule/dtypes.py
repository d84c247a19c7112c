"""Floating-point defaults: float32 unless told otherwise, as in PyTorch.

>>> import chainrule as cr
>>> cr.get_default_dtype()
dtype('float32')
>>> with cr.default_dtype(cr.float64):
...     cr.tensor([1.0]).dtype
dtype('float64')
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy

from chainrule._threadlocal import thread_setting

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

_FLOATS = (float16, float32, float64)
_default = float32  # the process-wide default (set_default_dtype)
_local = threading.local()  # a thread's own default, inside default_dtype(...) blocks


def as_dtype(dtype: Any) -> numpy.dtype:
    """Turn ``'float32'``, ``numpy.float32`` or a dtype into a ``numpy.dtype``, with a clear error."""
    try:
        return numpy.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"not a dtype: {dtype!r}") from exc


def is_floating(dtype: Any) -> bool:
    """True for float16, float32 and float64, the dtypes that can carry gradients."""
    return numpy.dtype(dtype).kind == "f"


def get_default_dtype() -> numpy.dtype:
    """The dtype given to new floating tensors (float32 unless changed): this thread's
    :func:`default_dtype` block if it is in one, else the process-wide default."""
    return getattr(_local, "dtype", None) or _default


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new floating tensors: float16, float32 or float64.

    >>> import chainrule as cr
    >>> cr.set_default_dtype("float64"); cr.zeros(1).dtype
    dtype('float64')
    >>> cr.set_default_dtype("float32")
    """
    global _default
    _default = _floating(dtype)


def _floating(dtype: Any) -> numpy.dtype:
    dt = as_dtype(dtype)
    if dt not in _FLOATS:
        raise TypeError(f"the default dtype must be float16, float32 or float64, got {dt}")
    return dt


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Use ``dtype`` as the default inside a ``with`` block, in this thread only: layers and
    tensors built meanwhile by other threads keep theirs.

    >>> import threading
    >>> import chainrule as cr
    >>> seen = []
    >>> with cr.default_dtype(cr.float64):
    ...     t = threading.Thread(target=lambda: seen.append(cr.zeros(1).dtype))
    ...     t.start(); t.join()
    ...     cr.zeros(1).dtype, seen[0]
    (dtype('float64'), dtype('float32'))
    """
    with thread_setting(_local, "dtype", _floating(dtype)):
        yield


# PyTorch's names for the same dtypes, so ``torch.long`` and ``x.to(torch.float)`` read the same.
long = int64
int = int32  # PyTorch's name: torch.int is int32
float = float32  # torch.float is float32
double = float64
half = float16
bool = bool_
uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")

_F64 = float64


def as_floating(x: Any) -> Any:
    """PyTorch's rule for float-valued ops (exp, log, sqrt, sin, tanh, sigmoid, ...): an integer
    or bool input is computed in the default dtype, where NumPy would give float64 or float16.

    >>> import numpy as np
    >>> np.exp(as_floating(np.arange(3))).dtype
    dtype('float32')
    """
    return x if x.dtype.kind in "fc" else x.astype(get_default_dtype())


def promote_result(out: Any, a: Any, b: Any) -> Any:
    """Cast a NumPy result to PyTorch's dtype where the two rules differ.

    NumPy gives float64 for ``int_array * 0.5``, ``int_array / int_array`` and
    ``int64_array + float32_array``; PyTorch gives the default dtype (or the float operand's own
    dtype). So a float64 result that no float64 operand asked for becomes the default dtype.

    >>> import numpy as np
    >>> promote_result(np.arange(3) * 0.5, np.arange(3), 0.5).dtype
    dtype('float32')
    """
    # ``is``: comparing a dtype with ``==`` to None is True for float64 (numpy.dtype(None))
    if (
        out.dtype is not _F64
        or getattr(a, "dtype", None) is _F64
        or getattr(b, "dtype", None) is _F64
    ):
        return out
    for x in (a, b):  # a float operand keeps its own dtype (float16 stays float16)
        dt = getattr(x, "dtype", None)
        if dt is not None and dt.kind == "f":
            return out.astype(dt)
    return out.astype(get_default_dtype())
