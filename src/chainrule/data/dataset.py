"""Datasets: anything with a length that can be indexed, and ``TensorDataset`` for arrays.

>>> import chainrule as cr
>>> from chainrule.data import TensorDataset
>>> ds = TensorDataset(cr.randn(5, 2, generator=cr.Generator(0)), cr.arange(5))
>>> len(ds)
5
>>> x, y = ds[[0, 3]]
>>> x.shape, y.tolist()
((2, 2), [0, 3])
"""

from __future__ import annotations

import abc
import numbers
from typing import Any

from chainrule.backend import ndarray, xp
from chainrule.data._utils import to_array
from chainrule.tensor import Tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset(abc.ABC):
    """A collection of examples: ``len(ds)`` of them, the ``i``-th one as ``ds[i]``.

    Subclass it and define ``__len__`` and ``__getitem__``; ``__getitem__`` returns one example,
    usually a tuple such as ``(features, target)``. :class:`DataLoader` batches any Dataset by
    stacking the examples it picks; :class:`TensorDataset` is batched faster, a whole batch at a
    time.

    Examples
    --------
    >>> from chainrule.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self) -> int:
    ...         return 4
    ...
    ...     def __getitem__(self, i: int) -> tuple[float, float]:
    ...         return float(i), float(i * i)
    >>> ds = Squares()
    >>> len(ds), ds[3]
    (4, (3.0, 9.0))
    """

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of examples."""

    @abc.abstractmethod
    def __getitem__(self, index: Any) -> Any:
        """The example at ``index``."""


class TensorDataset(Dataset):
    """Examples stored as rows of arrays that share their first dimension.

    Parameters
    ----------
    *arrays : array-like or Tensor
        One or more arrays (features, targets, ...) with the same length along axis 0. They are
        stored as backend arrays, without a copy where they already are arrays (a Tensor's array
        is used as it is). Lists follow chainrule's dtype rules: Python floats become the
        default dtype (float32), integers stay int64.

    Attributes
    ----------
    arrays : tuple of arrays
        The stored arrays.

    Raises
    ------
    ValueError
        If no array is given, one is 0-d, or their first dimensions differ.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((3, 2)), [0, 1, 1])
    >>> x, y = ds[1]
    >>> x.shape, y.item()
    ((2,), 1)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        stored = tuple(to_array(a, "TensorDataset") for a in arrays)
        for i, a in enumerate(stored):
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {i} is 0-d; each array needs a first dimension "
                    "that indexes the examples"
                )
        if len({a.shape[0] for a in stored}) > 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in stored)
            raise ValueError(
                "TensorDataset: all arrays need the same first dimension (the number of "
                f"examples), got shapes {shapes}"
            )
        self.arrays = stored

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        """The example(s) at ``index``: an int, a slice, an index array or a boolean mask.

        An int gives one example (each array loses its first axis); an index array gives a
        batch, one row per index.
        """
        if isinstance(index, Tensor):
            index = index._data
        elif isinstance(index, (list, tuple)):
            index = xp.asarray(index)
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"index {index} is out of range for a dataset of {n} examples")
            index = int(index)
        elif isinstance(index, ndarray) and index.dtype.kind not in "biu":
            raise IndexError(
                f"TensorDataset: an index array must hold integers or booleans, got {index.dtype}"
            )
        # ``a[i, ...]`` keeps an int index a 0-d array (``a[i]`` would give a NumPy scalar)
        return tuple(Tensor(a[index, ...]) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"
