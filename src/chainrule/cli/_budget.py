"""Memory estimates checked before the CLI allocates: refuse with one line, not a MemoryError.

The estimates are rough upper bounds (a few copies of the data; weights, gradients and two
optimiser moments per parameter); a command is refused when one exceeds the machine's memory.

>>> mlp_bytes([2, 16, 16, 1], batch=32) < 1_000_000
True
>>> check_memory(mlp_bytes([2, 100_000, 100_000, 1], batch=32), "--hidden 100000,100000")
Traceback (most recent call last):
...
MemoryError: --hidden 100000,100000 needs about 200.1 GB of memory, more than ...
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

__all__ = ["check_memory", "data_bytes", "mlp_bytes", "physical_memory"]

_BYTES = 4  # float32
_COPIES_PER_PARAMETER = 5  # weight, gradient, two optimiser moments, the saved copy
_COPIES_OF_DATA = 4  # as generated (float64), float32, split, standardised


def physical_memory() -> int:
    """The machine's RAM in bytes (64 GiB where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 64 << 30


def mlp_bytes(sizes: Sequence[int], batch: int) -> int:
    """Parameters (with gradients and optimiser state) and one batch's activations."""
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    activations = 3 * batch * sum(sizes)
    return _BYTES * (_COPIES_PER_PARAMETER * params + activations)


def data_bytes(n_rows: int, n_columns: int) -> int:
    """A generated data set of ``n_rows`` × ``n_columns`` (the target included) and its copies."""
    return 8 * _COPIES_OF_DATA * n_rows * n_columns


def check_memory(nbytes: int, what: str) -> None:
    """MemoryError naming ``what`` when ``nbytes`` exceeds the machine's memory."""
    limit = physical_memory()
    if nbytes > limit:
        raise MemoryError(
            f"{what} needs about {nbytes / 1e9:.1f} GB of memory, more than this machine's "
            f"{limit / 1e9:.1f} GB; choose a smaller size"
        )
