"""``train_test_split``: hold out part of the data, optionally keeping class proportions.

>>> import chainrule as cr
>>> from chainrule.data import train_test_split
>>> X, y = cr.arange(20).reshape(10, 2), cr.arange(10)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
>>> X_train.shape, X_test.shape, y_test.shape
((7, 2), (3, 2), (3,))
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from chainrule import creation
from chainrule.backend import xp
from chainrule.data._utils import check_flag, resolve_generator, to_array
from chainrule.tensor import Tensor

__all__ = ["train_test_split"]


def train_test_split(
    *arrays: Any,
    test_size: float | int = 0.25,
    shuffle: bool = True,
    stratify: Any = None,
    seed: int | creation.Generator | None = None,
) -> list[Any]:
    """Split arrays into random train and test parts, in scikit-learn's order.

    Parameters
    ----------
    *arrays : array-like or Tensor
        One or more arrays with the same length along axis 0, split along it with the same
        indices. Tensors come back as Tensors (indexed with chainrule's differentiable
        indexing); everything else comes back as backend arrays (lists following chainrule's
        dtype rules, so Python floats become the default dtype).
    test_size : float or int
        A float in (0, 1) is the fraction held out, rounded up to whole examples as in
        scikit-learn; an int is the number of test examples. Both parts must end up non-empty.
    shuffle : bool
        Shuffle before splitting. Without shuffling the test part is the last ``n_test``
        examples, in order.
    stratify : array-like or Tensor, optional
        Class labels, one per example: each class is split in the proportion of ``test_size``
        (its test count is within one example of the exact share, and the counts add up to the
        test size). Needs ``shuffle=True``, at least 2 examples in each class, and room for at
        least one example per class in each part.
    seed : int, Generator or None
        Source of the shuffle: an int seeds a fresh generator, a Generator is drawn from, None
        uses chainrule's global generator.

    Returns
    -------
    list
        ``[a_train, a_test, b_train, b_test, ...]``: two entries per input array, train first.

    Raises
    ------
    ValueError
        If no array is given, the lengths differ, ``test_size`` leaves a part empty or is out
        of range, or ``stratify`` does not fit (see above).

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.data import train_test_split
    >>> y = np.array([0] * 6 + [1] * 4)
    >>> y_train, y_test = train_test_split(y, test_size=0.5, stratify=y, seed=1)
    >>> int((y_test == 1).sum()), int((y_train == 1).sum())
    (2, 2)
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    shuffle = check_flag(shuffle, "shuffle", "train_test_split")
    data = [
        a if isinstance(a, Tensor) else to_array(a, "train_test_split", allow_any_dtype=True)
        for a in arrays
    ]
    for i, a in enumerate(data):
        if a.ndim == 0:
            raise ValueError(f"train_test_split: array {i} is 0-d; it needs a first dimension")
    lengths = [a.shape[0] for a in data]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"train_test_split: the arrays have different lengths (first dimensions): {lengths}"
        )
    n = lengths[0]
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 examples to split, got {n}")
    n_test = _n_test(test_size, n)

    if stratify is not None:
        if not shuffle:
            raise ValueError(
                "train_test_split: stratify needs shuffle=True (a stratified split is random)"
            )
        labels = _labels(stratify, n)
        gen = resolve_generator(seed, "train_test_split")
        train_idx, test_idx = _stratified_indices(labels, n_test, gen)
    elif shuffle:
        perm = resolve_generator(seed, "train_test_split").permutation(n)
        train_idx, test_idx = perm[n_test:], perm[:n_test]
    else:
        train_idx, test_idx = slice(0, n - n_test), slice(n - n_test, n)

    out: list[Any] = []
    for a in data:
        out.extend((a[train_idx], a[test_idx]))
    return out


def _n_test(test_size: Any, n: int) -> int:
    """The number of test examples, with errors that say what went wrong."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise ValueError(f"test_size must be a float in (0, 1) or an int count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(
                f"test_size={n_test} must be between 1 and {n - 1} for {n} examples "
                "(both parts need at least one example)"
            )
        return n_test
    if not 0.0 < test_size < 1.0:
        raise ValueError(
            f"test_size={test_size} as a fraction must lie strictly between 0 and 1 "
            "(pass an int for a count of examples)"
        )
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(
            f"test_size={test_size} of {n} examples leaves no training examples "
            f"({n_test} test, {n - n_test} train)"
        )
    return n_test


def _labels(stratify: Any, n: int) -> Any:
    labels = to_array(stratify, "train_test_split", allow_any_dtype=True)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"train_test_split: stratify needs one label per example, shape ({n},), got "
            f"shape {tuple(labels.shape)}"
        )
    return labels


def _stratified_indices(labels: Any, n_test: int, gen: creation.Generator) -> tuple[Any, Any]:
    """Train and test indices holding each class in proportion, without a per-class loop."""
    n = labels.shape[0]
    classes, inverse = xp.unique(labels, return_inverse=True)
    inverse = inverse.reshape(-1)
    k = classes.shape[0]
    counts = xp.bincount(inverse, minlength=k)
    smallest = int(counts.min())
    if smallest < 2:
        rare = classes[counts == smallest][0].item()
        raise ValueError(
            f"train_test_split: class {rare!r} of stratify has only {smallest} example; "
            "every class needs at least 2 to appear on both sides"
        )
    n_train = n - n_test
    if n_test < k or n_train < k:
        raise ValueError(
            f"train_test_split: with {k} classes both parts need at least {k} examples, got "
            f"{n_train} train and {n_test} test; change test_size"
        )
    # Largest-remainder rounding of each class's exact share counts*n_test/n (integer maths):
    # floors first, then one more for the classes with the largest remainders (random ties).
    share, remainder = xp.divmod(counts * n_test, n)
    missing = n_test - int(share.sum())
    if missing:
        ties = gen.uniform((k,), dtype="float64")
        share[xp.lexsort((ties, -remainder))[:missing]] += 1

    # Group a random permutation by class (stable, so each class stays in random order); the
    # first share[c] examples of class c go to the test part.
    perm = gen.permutation(n)
    grouped = perm[xp.argsort(inverse[perm], kind="stable")]
    starts = xp.cumsum(counts) - counts
    rank = xp.arange(n) - xp.repeat(starts, counts)
    is_test = xp.empty(n, dtype=bool)
    is_test[grouped] = rank < xp.repeat(share, counts)
    in_test = is_test[perm]  # back in permutation order, so both parts come out shuffled
    return perm[~in_test], perm[in_test]
