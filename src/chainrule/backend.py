"""The one place where array maths meets an array library.

Every op calls ``xp`` (NumPy by default) instead of ``numpy`` directly, so the same code runs on
CuPy when ``CHAINRULE_BACKEND=cupy`` is set before ``import chainrule``. The few things the two
libraries spell differently (scatter-add, erf, moving arrays to the host) are shims here.

>>> from chainrule.backend import xp, scatter_add
>>> out = xp.zeros(3)
>>> scatter_add(out, xp.asarray([0, 0, 2]), xp.asarray([1.0, 2.0, 5.0]))
>>> out.tolist()
[3.0, 0.0, 5.0]
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

import numpy

NAME = os.environ.get("CHAINRULE_BACKEND", "numpy").strip().lower() or "numpy"

if NAME == "numpy":
    xp = numpy
elif NAME == "cupy":  # pragma: no cover - needs a GPU
    import cupy as xp  # type: ignore[no-redef]
else:
    raise ValueError(f"CHAINRULE_BACKEND must be 'numpy' or 'cupy', got {NAME!r}")

ndarray = xp.ndarray


def scatter_add(out: Any, index: Any, values: Any) -> None:
    """Add ``values`` into ``out[index]`` in place; repeated indices add up (unlike ``out[i] += v``)."""
    if xp is numpy:
        numpy.add.at(out, index, values)
    else:  # pragma: no cover - needs a GPU
        import cupyx

        cupyx.scatter_add(out, index, values)


def to_numpy(a: Any) -> numpy.ndarray:
    """Return ``a`` as a host NumPy array (a no-op on the NumPy backend).

    >>> to_numpy(xp.ones(2)).tolist()
    [1.0, 1.0]
    """
    if xp is numpy:
        return numpy.asarray(a)
    return xp.asnumpy(a)  # pragma: no cover - needs a GPU


# True inside quiet_floats (per thread and context, as NumPy's own error state)
QUIET = contextvars.ContextVar("chainrule_quiet_floats", default=False)


@contextlib.contextmanager
def quiet_floats() -> Iterator[None]:
    """No NumPy overflow/invalid/divide warnings inside: training's guards report non-finite values.

    Ops may rely on it: inside, :data:`QUIET` is True, and the sigmoid, whose e^-x overflows on
    purpose, skips entering an ``errstate`` of its own (a measurable cost on every call).

    >>> with quiet_floats():
    ...     float(xp.exp(xp.float32(1000.0))), QUIET.get()
    (inf, True)
    >>> QUIET.get()
    False
    """
    errstate = getattr(xp, "errstate", None)
    if errstate is None:  # pragma: no cover - CuPy does not warn
        yield
        return
    token = QUIET.set(True)
    try:
        with errstate(over="ignore", invalid="ignore", divide="ignore"):
            yield
    finally:
        QUIET.reset(token)


def default_rng(seed: Any = None) -> numpy.random.Generator:
    """A NumPy random generator, on the host, whatever the backend.

    Random numbers are drawn on the host and moved to the device with ``xp.asarray``, so one
    seed gives the same weights, shuffles and dropout masks on NumPy and on CuPy (their own
    generators produce different streams); the draws are a small part of any training step.
    """
    return numpy.random.default_rng(seed)


# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, used only when scipy is not installed.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf_approx(x: Any) -> Any:
    s = xp.sign(x)
    a = xp.abs(x)
    t = 1.0 / (1.0 + _AS_P * a)
    poly = t * (_AS_A[0] + t * (_AS_A[1] + t * (_AS_A[2] + t * (_AS_A[3] + t * _AS_A[4]))))
    return (s * (1.0 - poly * xp.exp(-a * a))).astype(x.dtype, copy=False)


_erf_impl = None


def erf(x: Any) -> Any:
    """The error function, elementwise: scipy's (exact) when installed, else a 1.5e-7 approximation.

    >>> round(float(erf(xp.asarray(1.0))), 6)
    0.842701
    """
    global _erf_impl
    if _erf_impl is None:
        try:
            if xp is numpy:
                from scipy.special import erf as impl
            else:  # pragma: no cover - needs a GPU
                from cupyx.scipy.special import erf as impl
        except ImportError:
            impl = _erf_approx
        _erf_impl = impl
    return _erf_impl(x)
