"""``DataLoader``: minibatches from a dataset, reshuffled every epoch from a seed.

``batch_size=1`` with ``shuffle=True`` is stochastic gradient descent as in the lecture (one
random example per step); ``batch_size="full"`` (or ``len(dataset)``) is full-batch gradient
descent; anything between is minibatch SGD.

>>> import chainrule as cr
>>> from chainrule.data import DataLoader, TensorDataset
>>> ds = TensorDataset(cr.arange(10).reshape(5, 2), cr.arange(5))
>>> loader = DataLoader(ds, batch_size=2)
>>> len(loader)
3
>>> [yb.tolist() for xb, yb in loader]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from chainrule import creation
from chainrule.backend import to_numpy, xp
from chainrule.data._utils import check_flag, resolve_generator
from chainrule.data.dataset import TensorDataset
from chainrule.tensor import Tensor, as_tensor

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over a dataset in batches, each a tuple of Tensors.

    Every ``for`` loop over the loader is one epoch: it visits each example exactly once (or all
    but the last ``len(dataset) % batch_size`` with ``drop_last``). With ``shuffle=True`` each
    epoch draws a new permutation from the loader's generator, so the order changes between
    epochs but the whole sequence of epochs repeats from the same seed.

    Parameters
    ----------
    dataset : Dataset
        A :class:`TensorDataset` (batched by indexing whole batches, no per-example Python
        loop) or any object with ``__len__`` and ``__getitem__`` (examples are fetched one by
        one and stacked field by field).
    batch_size : int or "full"
        Examples per batch, a positive int; ``"full"`` means the whole dataset as one batch
        (full-batch gradient descent). The last batch is smaller when the size does not divide
        the dataset, unless ``drop_last``. Every batch keeps the leading batch axis, also for
        ``batch_size=1``.
    shuffle : bool
        Visit the examples in a new random order each epoch (default: in order).
    drop_last : bool
        Leave out the last, smaller batch.
    seed : int, Generator or None
        Where the shuffling order comes from: an int seeds a generator of the loader's own, a
        :class:`~chainrule.Generator` is drawn from directly, and None uses chainrule's global
        generator (reseeded by ``chainrule.manual_seed``).
    collate_fn : callable, optional
        Turns the list of a batch's examples into the batch (default :func:`collate`).
    generator : Generator, optional
        PyTorch's name for a ``seed`` that is a Generator.
    num_workers, pin_memory
        Accepted for PyTorch code; batches are always made in this process (same results).

    Raises
    ------
    ValueError
        If ``batch_size`` is not a positive int or ``"full"``.
    TypeError
        If the dataset has no length, or ``seed`` is of the wrong kind.

    Notes
    -----
    Without shuffling, the batches of a TensorDataset are read-only views of its arrays (no
    copy per epoch, which keeps full-batch descent cheap); shuffled batches are fresh copies
    (slices of one copy of the rows of a few consecutive batches, up to about 1 MiB).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(cr.arange(6))
    >>> sgd = DataLoader(ds, batch_size=1, shuffle=True, seed=0)
    >>> sorted(xb.item() for (xb,) in sgd)
    [0, 1, 2, 3, 4, 5]
    >>> [xb.shape for (xb,) in DataLoader(ds, batch_size="full")]
    [(6,)]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | str = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | creation.Generator | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: creation.Generator | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            raise NotImplementedError(
                f"chainrule's DataLoader does not implement torch DataLoader "
                f"{', '.join(sorted(unsupported))}; it supports batch_size, shuffle, drop_last, "
                "collate_fn and generator"
            )
        if generator is not None:
            if seed is not None:
                raise TypeError("DataLoader: pass seed or generator, not both")
            seed = generator
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                "DataLoader needs a dataset with __len__ and __getitem__ (a Dataset), got "
                f"{type(dataset).__name__}; wrap arrays as TensorDataset(X, y)"
            )
        self.dataset = dataset
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = check_flag(shuffle, "shuffle", "DataLoader")
        self.drop_last = check_flag(drop_last, "drop_last", "DataLoader")
        self.generator = resolve_generator(seed, "DataLoader")
        self.collate_fn = collate if collate_fn is None else collate_fn

    def _resolved_batch_size(self, n: int) -> int:
        return max(n, 1) if self.batch_size == "full" else self.batch_size

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = len(self.dataset)
        if n == 0:
            return 0
        bs = self._resolved_batch_size(n)
        return n // bs if self.drop_last else math.ceil(n / bs)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        bs = self._resolved_batch_size(n)
        # drawn now, not at the first next(): one permutation per iter(), in call order
        order = self.generator.permutation(n) if self.shuffle and n > 0 else None
        stop = len(self) * bs
        if _is_plain_tensor_dataset(self.dataset) and self.collate_fn is collate:
            return self._iter_arrays(self.dataset.arrays, order, n, bs, stop)
        return self._iter_examples(order, n, bs, stop)

    GATHER_BYTES = 1 << 20  # shuffled rows copied at once: a few batches, not the dataset

    @staticmethod
    def _iter_arrays(
        arrays: tuple[Any, ...], order: Any, n: int, bs: int, stop: int
    ) -> Iterator[tuple[Tensor, ...]]:
        if order is None:  # in order: read-only views of the dataset, no copy
            for start in range(0, stop, bs):
                yield tuple(Tensor(_read_only(a[start : min(start + bs, n)])) for a in arrays)
            return
        # shuffled: the rows of several batches gathered by one copy per array (take is
        # a[index], 2-3x quicker), each batch a slice of it; for small batches the gather per
        # batch costs more than the rows it copies
        row_bytes = sum(a.itemsize * (a.size // n) for a in arrays)
        block = max(1, DataLoader.GATHER_BYTES // max(row_bytes, 1) // bs) * bs
        for first in range(0, stop, block):
            index = order[first : min(first + block, stop, n)]
            gathered = [a.take(index, axis=0) for a in arrays]
            for start in range(0, len(index), bs):
                yield tuple([Tensor(g[start : start + bs]) for g in gathered])

    def _iter_examples(
        self, order: Any, n: int, bs: int, stop: int
    ) -> Iterator[tuple[Tensor, ...]]:
        indices = range(n) if order is None else to_numpy(order).tolist()
        for start in range(0, stop, bs):
            examples = [self.dataset[i] for i in indices[start : min(start + bs, n)]]
            yield self.collate_fn(examples)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size!r}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, batches={len(self)})"
        )


def collate(examples: Sequence[Any]) -> Any:
    """Stack a list of examples into one batch, as PyTorch's ``default_collate``.

    An example is a field (a Tensor, an array or a Python number), or a tuple, list or dict of
    them, nested as deep as needed. Each field is stacked along a new first axis; tuples and
    lists give a tuple of batches, dicts a dict; a list of plain numbers inside an example is one
    field (a feature vector). Python floats become the default dtype (PyTorch
    would give float64); arrays and Tensors keep theirs.

    Parameters
    ----------
    examples : sequence
        The examples of one batch, all with the same structure.

    Returns
    -------
    Tensor, tuple or dict
        The batch, in the examples' structure.

    Examples
    --------
    >>> from chainrule.data.loader import collate
    >>> xb, yb = collate([(1.0, 0), (2.0, 1)])
    >>> xb.tolist(), xb.dtype, yb.tolist()
    ([1.0, 2.0], dtype('float32'), [0, 1])
    >>> collate([{"x": 1.0}, {"x": 2.0}])["x"].tolist()
    [1.0, 2.0]
    """
    return _collate(list(examples), "")


def _collate(values: list[Any], where: str) -> Any:
    first = values[0]
    if isinstance(first, Mapping):
        keys = list(first)
        if any(not isinstance(v, Mapping) or list(v) != keys for v in values):
            raise ValueError(f"collate: the examples' dicts{where} have different keys")
        return {k: _collate([v[k] for v in values], f"{where}[{k!r}]") for k in keys}
    if isinstance(first, (tuple, list)) and not (where and _numbers(first)):
        width = len(first)
        if any(not isinstance(v, (tuple, list)) or len(v) != width for v in values):
            lengths = sorted({len(v) if isinstance(v, (tuple, list)) else 1 for v in values})
            raise ValueError(
                f"collate: the examples{where} have different numbers of fields: {lengths}"
            )
        fields = [_collate([v[j] for v in values], f"{where}[{j}]") for j in range(width)]
        return type(first)(*fields) if hasattr(first, "_fields") else tuple(fields)
    return _stack_field(values, where or "[0]")


def _numbers(seq: Sequence[Any]) -> bool:
    """A list of plain numbers inside an example is one array-like field (a feature vector)."""
    return all(isinstance(v, numbers.Number) for v in seq)


def _stack_field(values: list[Any], where: str) -> Tensor:
    first = values[0]
    try:
        if isinstance(first, Tensor) or hasattr(first, "dtype"):
            return Tensor(
                xp.stack([v._data if isinstance(v, Tensor) else xp.asarray(v) for v in values])
            )
        return as_tensor(values)  # Python numbers: floats become the default dtype
    except ValueError as exc:
        raise ValueError(
            f"collate: field {where} of the examples cannot be stacked (different shapes?): {exc}"
        ) from None


def _read_only(view: Any) -> Any:
    """Mark a view read-only (NumPy backend), so writing into a batch cannot change the data."""
    flags = getattr(view, "flags", None)
    if flags is not None and hasattr(flags, "writeable"):
        flags.writeable = False
    return view


def _is_plain_tensor_dataset(dataset: Any) -> bool:
    """A TensorDataset whose ``__getitem__`` is not overridden, so whole batches can be indexed."""
    return (
        isinstance(dataset, TensorDataset)
        and type(dataset).__getitem__ is TensorDataset.__getitem__
    )


def _check_batch_size(batch_size: Any) -> int | str:
    if isinstance(batch_size, str):
        if batch_size == "full":
            return batch_size
    elif isinstance(batch_size, numbers.Integral) and not isinstance(batch_size, bool):
        if batch_size >= 1:
            return int(batch_size)
    raise ValueError(
        f"batch_size must be a positive int or 'full' (the whole dataset), got {batch_size!r}"
    )
