"""A tensor's values as PyTorch prints them, so a script prints the same text under either.

PyTorch's rules (``torch/_tensor_str.py``, default print options): floats whose finite values
are all whole print as ``1.``; others with 4 decimals (``1.5000``), or in scientific notation
(``1.0000e-05``) when the largest and smallest nonzero magnitudes differ by more than 1000, the
largest passes 1e8 or the smallest is under 1e-4. Every value is right-aligned to one width,
rows wrap at 80 characters, and more than 1000 values are summarised by their first and last 3
along each dim.

>>> import numpy as np
>>> print(format_values(np.array([[1.0, -2.5], [3.0, 4.0]], dtype=np.float32)))
[[ 1.0000, -2.5000],
        [ 3.0000,  4.0000]]
>>> format_values(np.array([1e-5, 1.0])), format_values(np.array(3.0))
('[1.0000e-05, 1.0000e+00]', '3.')
"""

from __future__ import annotations

import math
from typing import Any

import numpy

__all__ = ["format_values", "tensor_repr"]

PRECISION = 4
THRESHOLD = 1000  # more values than this are summarised
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    """One format for every value of a tensor: its mode (whole, fixed or scientific) and width."""

    def __init__(self, values: numpy.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        shown = flat[numpy.isfinite(flat) & (flat != 0)].astype(numpy.float64)
        if shown.size == 0:
            return
        magnitudes = numpy.abs(shown)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool((shown == numpy.ceil(shown)).all())
        wide = hi / lo > 1000.0 or hi > 1.0e8
        self.sci_mode = wide if self.int_mode else wide or lo < 1.0e-4
        if self.sci_mode:
            texts = [f"{v:.{PRECISION}e}" for v in shown.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in shown.tolist()]
        else:
            texts = [f"{v:.{PRECISION}f}" for v in shown.tolist()]
        self.width = max(len(t) for t in texts)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _summary(values: numpy.ndarray) -> numpy.ndarray:
    """The first and last ``EDGEITEMS`` along each long dim: what a summarised print shows."""
    for axis, n in enumerate(values.shape):
        if n > 2 * EDGEITEMS:
            keep = numpy.r_[0:EDGEITEMS, n - EDGEITEMS : n]
            values = numpy.take(values, keep, axis=axis)
    return values


def _lines(values: numpy.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    long = summarize and values.shape[0] > 2 * EDGEITEMS
    if values.ndim == 1:
        if long:
            head, tail = values[:EDGEITEMS].tolist(), values[-EDGEITEMS:].tolist()
            texts = [*map(fmt.format, head), " ...", *map(fmt.format, tail)]
        else:
            texts = [fmt.format(v) for v in values.tolist()]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        rows = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(rows) + "]"
    rows_at = range(len(values))
    if long:
        rows_at = [*range(EDGEITEMS), -1, *range(len(values) - EDGEITEMS, len(values))]
    parts = ["..." if i < 0 else _lines(values[i], indent + 1, summarize, fmt) for i in rows_at]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_values(values: numpy.ndarray, indent: int = len("tensor(")) -> str:
    """The values part of ``repr(tensor)`` (between ``tensor(`` and the dtype or grad_fn)."""
    if values.size == 0:
        return "[]"
    summarize = values.size > THRESHOLD
    fmt = _Formatter(_summary(values) if summarize else values)
    return _lines(values, indent, summarize, fmt)


def tensor_repr(values: numpy.ndarray, suffixes: list[str]) -> str:
    """``tensor(values, suffix, ...)``, a suffix going to its own line where the line would pass
    80 characters, as PyTorch places them.

    >>> import numpy as np
    >>> tensor_repr(np.array([1.0, 2.0]), ["requires_grad=True"])
    'tensor([1., 2.], requires_grad=True)'
    """
    indent = len("tensor(")
    text = "tensor(" + format_values(values, indent)
    line = len(text) - text.rfind("\n") + 1  # PyTorch's count (2 more without a newline)
    for suffix in suffixes:
        if line + len(suffix) + 2 > LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            line = indent + len(suffix)
        else:
            text += ", " + suffix
            line += len(suffix) + 2
    return text + ")"
