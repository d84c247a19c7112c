"""``Subset`` and ``random_split``: views of a dataset by index, as in PyTorch.

>>> import chainrule as cr
>>> from chainrule.data import TensorDataset, random_split
>>> train, val = random_split(TensorDataset(cr.arange(10)), [0.8, 0.2], generator=cr.Generator(0))
>>> len(train), len(val)
(8, 2)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from chainrule import creation
from chainrule.backend import to_numpy
from chainrule.data._utils import resolve_generator
from chainrule.data.dataset import Dataset

__all__ = ["Subset", "random_split"]


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    >>> from chainrule.data import Subset, TensorDataset
    >>> import chainrule as cr
    >>> part = Subset(TensorDataset(cr.arange(5) * 10), [4, 0])
    >>> [part[i][0].item() for i in range(len(part))]
    [40, 0]
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in to_numpy(getattr(indices, "_data", indices)).reshape(-1)]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({type(self.dataset).__name__}, {len(self)} examples)"


def _lengths(lengths: Sequence[float], n: int) -> list[int]:
    """Counts for ``lengths`` given as counts or as fractions summing to 1 (PyTorch's rule:
    floor each fraction, then hand the remainder out one by one from the first)."""
    if all(isinstance(v, numbers.Integral) for v in lengths):
        counts = [int(v) for v in lengths]
    elif math.isclose(sum(lengths), 1.0, abs_tol=1e-9) and all(0 <= v <= 1 for v in lengths):
        counts = [math.floor(n * v) for v in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(
            f"random_split: lengths {list(lengths)} are neither counts nor fractions summing to 1"
        )
    if any(c < 0 for c in counts) or sum(counts) != n:
        raise ValueError(f"random_split: lengths {list(lengths)} do not add up to the {n} examples")
    return counts


def random_split(
    dataset: Any, lengths: Sequence[float], generator: creation.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` parts of ``lengths``
    (counts, or fractions that sum to 1). The order differs from PyTorch's own random stream.

    >>> import chainrule as cr
    >>> from chainrule.data import TensorDataset, random_split
    >>> a, b = random_split(TensorDataset(cr.arange(5)), [3, 2], generator=cr.Generator(1))
    >>> sorted(a.indices + b.indices)
    [0, 1, 2, 3, 4]
    """
    n = len(dataset)
    counts = _lengths(lengths, n)
    order = to_numpy(resolve_generator(generator, "random_split").permutation(n)).tolist()
    parts, start = [], 0
    for c in counts:
        parts.append(Subset(dataset, order[start : start + c]))
        start += c
    return parts
