"""What a loader knows about its data besides the arrays: :class:`DatasetInfo`.

>>> info = DatasetInfo("toy", ("a", "b"), ("no", "yes"), "A toy.", classes=("no", "yes"))
>>> info.decode([1, 0, 1]).tolist()
['yes', 'no', 'yes']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """Names and a short description that travel with ``(X, y)``.

    Parameters
    ----------
    name : str
        The data set's name (a CSV file's stem).
    feature_names : tuple of str
        One name per column of ``X``.
    target_names : tuple of str
        Class names in label order for classification (``target_names[y]``), empty for
        regression or when there is no target.
    description : str
        One short paragraph.
    target : str or None
        The name of the target variable (the CSV column), ``None`` when there is none.
    task : {"classification", "regression"} or None
        What ``y`` is for; ``None`` when there is no target.
    classes : tuple or None
        The original label values in code order, so that ``classes[y[i]]`` is the label of row
        ``i`` (strings for a categorical CSV column, ints for an integer one). ``None`` for
        regression.

    Examples
    --------
    >>> info = DatasetInfo("t", ("x",), ("cat", "dog"), classes=("cat", "dog"))
    >>> info.n_features, info.n_classes
    (1, 2)
    """

    name: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] = ()
    description: str = ""
    target: str | None = None
    task: str | None = None
    classes: tuple[Any, ...] | None = None

    @property
    def n_features(self) -> int:
        """The number of columns of ``X``."""
        return len(self.feature_names)

    @property
    def n_classes(self) -> int | None:
        """The number of classes, or ``None`` when the target is not categorical."""
        return None if self.classes is None else len(self.classes)

    def decode(self, y: Any) -> np.ndarray:
        """Map integer class codes (labels or predictions) back to the original labels.

        Parameters
        ----------
        y : array_like of int
            Codes in ``range(n_classes)``.

        Returns
        -------
        numpy.ndarray
            ``classes[y]``, elementwise.

        Examples
        --------
        >>> DatasetInfo("t", ("x",), classes=(3, 5, 9)).decode([2, 0]).tolist()
        [9, 3]
        """
        if self.classes is None:
            raise ValueError(f"data set {self.name!r} has no class encoding to decode")
        codes = np.asarray(y)
        if codes.size and (codes.dtype.kind not in "iu" or codes.min() < 0):
            raise ValueError("decode expects non-negative integer class codes")
        if codes.size and codes.max() >= len(self.classes):
            raise ValueError(
                f"class code {int(codes.max())} out of range for {len(self.classes)} classes"
            )
        return np.asarray(self.classes)[codes]
