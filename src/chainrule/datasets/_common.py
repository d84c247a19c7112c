"""Helpers shared by the dataset modules: seeds, argument checks, dtypes.

>>> _rng(0).integers(0, 10, 3).tolist() == _rng(0).integers(0, 10, 3).tolist()
True
"""

from __future__ import annotations

import math
import numbers
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import creation, dtypes

SeedLike = int | np.random.Generator | creation.Generator | None
"""What ``seed=`` accepts: an int, a NumPy ``Generator``, a chainrule ``Generator``, or ``None``."""


def _rng(seed: SeedLike) -> np.random.Generator:
    """A NumPy generator from ``seed``.

    ``None`` draws from chainrule's global generator, so ``chainrule.manual_seed(0)`` makes every
    later call repeatable; an int starts a fresh stream; a generator is used (and advanced) as is.
    """
    if seed is None:
        seed = creation.default_generator
    if isinstance(seed, creation.Generator):
        rng = seed.rng
        if isinstance(rng, np.random.Generator):
            return rng
        # A CuPy generator: datasets are host data, so seed a NumPy stream from one draw.
        return np.random.default_rng(int(seed.integers(0, 2**62, (1,))[0]))  # pragma: no cover
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator, a chainrule.Generator or None, "
        f"got {type(seed).__name__}"
    )


def _float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a floating NumPy dtype; ``None`` is chainrule's default (float32)."""
    dt = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dt}")
    return dt


def _regular_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a Path once it is known to be a regular file, checked before opening it:
    reading a device such as /dev/zero never ends, and opening a FIFO blocks.

    Raises FileNotFoundError for a missing path and for one that is not a regular file (a
    folder, device, FIFO or socket), naming the path.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist") from None
    except OSError as exc:
        raise OSError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise FileNotFoundError(f"{what} {str(p)!r} is not a file but a directory")
    if not stat.S_ISREG(mode):
        raise FileNotFoundError(
            f"{what} {str(p)!r} is not a file but a device, FIFO or socket; give a regular file"
        )
    return p


def _check_n(n_samples: Any, name: str = "n_samples", minimum: int = 1) -> int:
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool):
        raise TypeError(f"{name} must be an int, got {type(n_samples).__name__}")
    if n_samples < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n_samples}")
    return int(n_samples)


def _check_nonneg(value: Any, name: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _check_range(low: float, high: float) -> tuple[float, float]:
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ValueError(f"need finite low < high, got low={low}, high={high}")
    return low, high


def _split(n: int, k: int) -> np.ndarray:
    """Sizes of ``k`` groups that add up to ``n``, the first ``n % k`` one larger."""
    return np.full(k, n // k, dtype=np.int64) + (np.arange(k) < n % k)


def _ramp(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group index and position-within-group (0, 1, ...) of every sample, vectorised."""
    group = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(int(counts.sum())) - starts[group]
