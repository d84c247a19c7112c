"""Read a numeric CSV file into ``(X, y, info)`` with the standard library and NumPy only.

Feature columns must be numeric; the target column may be numeric or categorical (strings), and
a categorical target is encoded as ints ``0..k-1`` with the encoding kept in ``info.classes``.
Every problem is a ``ValueError`` that names the line and the column.

>>> import pathlib, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "pets.csv"
>>> _ = path.write_text("weight,height,kind\\n4.0,25,cat\\n30.5,60,dog\\n3.5,23,cat\\n")
>>> X, y, info = load_csv(path, target="kind")
>>> X.tolist(), y.tolist(), info.classes
([[4.0, 25.0], [30.5, 60.0], [3.5, 23.0]], [0, 1, 0], ('cat', 'dog'))
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import difflib
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.datasets._common import _float_dtype, _regular_file
from chainrule.datasets.info import DatasetInfo

__all__ = [
    "DELIMITERS",
    "MAX_AUTO_CLASSES",
    "MAX_COLUMNS",
    "MISSING_VALUES",
    "load_csv",
    "sniff_delimiter",
]

MISSING_VALUES = frozenset({"", "nan", "-nan", "na", "n/a", "#n/a", "<na>", "null", "none"})
"""Cell texts read as a missing value (compared after stripping and lower-casing)."""

MAX_AUTO_CLASSES = 20
"""With ``task="auto"``, an all-integer numeric target with at most this many distinct values is
a classification target; anything else numeric is regression."""


MAX_COLUMNS = 100_000
"""The most columns a CSV file may have; a wider header is refused before any row is read."""

DELIMITERS = (",", ";", "\t", "|")
"""The field separators :func:`sniff_delimiter` chooses from."""

_SNIFF_BYTES = 1 << 20


def sniff_delimiter(path: str | os.PathLike[str]) -> str:
    """The field separator of a CSV file: whichever of :data:`DELIMITERS` its first non-blank
    line holds most often (outside quotes), ``","`` when it holds none.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "eu.csv"
    ...     _ = p.write_text('a;"b,c";y\\n1,5;2;0\\n')
    ...     sniff_delimiter(p)
    ';'
    """
    p = _regular_file(path, "CSV file")
    with p.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        line = ""
        while not line.strip():
            line = f.readline(_SNIFF_BYTES)
            if not line:
                return ","
    outside = "".join(line.split('"')[::2])  # drop quoted text: fields may hold separators
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier: ',' first
    return best if counts[best] else ","


def _to_float(cells: np.ndarray) -> tuple[np.ndarray | None, int | None]:
    """Parse a column of strings: (values, None), or (None, index of the first bad cell)."""
    try:
        return cells.astype(np.float64), None
    except ValueError:
        pass
    out = np.empty(len(cells))
    for i, s in enumerate(cells.tolist()):
        try:
            out[i] = float(s)
        except ValueError:
            return None, i
    return out, None


def _read_rows(
    path: Path, delimiter: str, header: bool
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header names, data rows and the line number of each row; blank lines are skipped."""
    names: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
        for row in _checked(reader, path):
            if len(row) <= 1 and not "".join(row).strip():
                continue
            if names is None:
                if len(row) > MAX_COLUMNS:
                    raise ValueError(
                        f"{path}, line {reader.line_num}: {len(row):,} columns; at most "
                        f"{MAX_COLUMNS:,} are supported"
                    )
                if header:
                    names = [c.strip() or f"column_{i}" for i, c in enumerate(row)]
                    header_line = reader.line_num
                    continue
                names = [f"column_{i}" for i in range(len(row))]
                header_line = None
            if len(row) != len(names):
                where = "the header" if header_line else "the first row"
                raise ValueError(
                    f"{path}, line {reader.line_num}: expected {len(names)} fields (as in "
                    f"{where}), got {len(row)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    if names is None:
        raise ValueError(f"{path} is empty: no header and no data rows")
    if not rows:
        raise ValueError(f"{path} has a header (line {header_line}) but no data rows")
    dupes = sorted(n for n, count in Counter(names).items() if count > 1)
    if dupes:
        raise ValueError(f"{path}: duplicate column names in the header: {', '.join(dupes)}")
    return names, rows, lines


def _checked(reader: Any, path: Path) -> Any:
    """The reader's rows, its errors (a field over the size limit, a NUL byte...) as a
    ValueError naming the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            why = f"a field is longer than {limit:,} characters" if "larger" in str(exc) else exc
            raise ValueError(f"{path}, line {reader.line_num}: {why}; is it a CSV file?") from None
        yield row


def _target_index(path: Path, names: list[str], target: str | int) -> int:
    if isinstance(target, bool) or not isinstance(target, (str, int)):
        raise TypeError(f"target must be a column name or index, got {type(target).__name__}")
    if isinstance(target, int):
        if not -len(names) <= target < len(names):
            raise ValueError(
                f"target column index {target} is out of range for {path}, which has "
                f"{len(names)} columns: {', '.join(names)}"
            )
        return target % len(names)
    if target in names:
        return names.index(target)
    close = difflib.get_close_matches(target, names, n=3)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"target column {target!r} not found in {path}; the columns are: {', '.join(names)}.{hint}"
    )


def load_csv(
    path: str | os.PathLike[str],
    target: str | int | None = None,
    *,
    delimiter: str | None = ",",
    header: bool = True,
    nan: str = "error",
    task: str = "auto",
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray | None, DatasetInfo]:
    """Load a CSV file of numeric features and an optional target column.

    Parameters
    ----------
    path : str or path-like
        The file (UTF-8; a byte-order mark is ignored). Blank lines are skipped.
    target : str, int or None
        The target column, by name or index. ``None``: every column is a feature and ``y`` is
        ``None``.
    delimiter : str or None
        The field separator; ``None`` detects it (see :func:`sniff_delimiter`).
    header : bool
        Whether the first non-blank line holds the column names. Without a header the columns
        are named ``column_0``, ``column_1``, ...
    nan : {"error", "drop", "keep"}
        What to do with missing cells (empty, ``nan``, ``NA``, ``N/A``, ``null``, ...; see
        :data:`MISSING_VALUES`): raise naming the first one's line and column, drop the rows
        that have one, or keep them as NaN (a missing class label cannot be kept).
    task : {"auto", "classification", "regression"}
        What the target is. ``"auto"``: a non-numeric target, or an all-integer one with at most
        :data:`MAX_AUTO_CLASSES` distinct values, is classification; other numeric targets are
        regression.
    dtype : dtype, optional
        Floating dtype of ``X`` (and of ``y`` for regression); default float32.

    Returns
    -------
    X : numpy.ndarray, shape (n_rows, n_features)
    y : numpy.ndarray or None
        int64 codes ``0..k-1`` for classification (``info.classes[y]`` are the labels as read,
        sorted), floats for regression, ``None`` without a target.
    info : DatasetInfo
        ``feature_names``, ``target`` (the column's name), ``task``, ``classes`` and
        ``target_names`` (the classes as strings).

    Raises
    ------
    FileNotFoundError
        The file does not exist (the message gives the path).
    ValueError
        An empty file, a header without data, an unknown target column (the message lists the
        columns), a row with the wrong number of fields, a non-numeric feature cell, a missing
        cell with ``nan="error"``, or an infinite value; the message gives the line number and
        the column name.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "data.csv"
    >>> _ = path.write_text("x1,x2,y\\n0.5,1,3\\n,2,1\\n1.5,3,1\\n2.5,4,3\\n")
    >>> X, y, info = load_csv(path, target="y", nan="drop")
    >>> X.tolist(), y.tolist(), info.classes, info.task
    ([[0.5, 1.0], [1.5, 3.0], [2.5, 4.0]], [1, 0, 1], (1, 3), 'classification')
    >>> tmp.cleanup()
    """
    if nan not in ("error", "drop", "keep"):
        raise ValueError(f"nan must be 'error', 'drop' or 'keep', got {nan!r}")
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    dt = _float_dtype(dtype)
    path = _regular_file(path, "CSV file")  # before opening: /dev/zero or a FIFO never ends
    if delimiter is None:
        delimiter = sniff_delimiter(path)
    names, rows, lines = _read_rows(path, delimiter, header)
    cells = np.char.strip(np.array(rows, dtype=str).reshape(len(rows), len(names)))
    missing = np.isin(np.char.lower(cells), list(MISSING_VALUES))
    line_no = np.asarray(lines)
    t = None if target is None else _target_index(path, names, target)
    feat = [j for j in range(len(names)) if j != t]
    if not feat:
        seps = "".join(d for d in DELIMITERS if d != delimiter and d in names[0])
        hint = f"; is it separated by {seps[0]!r}? pass delimiter={seps[0]!r}" if seps else ""
        raise ValueError(
            f"{path}: no feature columns found: its only column is the target {names[t]!r}{hint}"
        )

    def where(i: int, j: int) -> str:
        return f"{path}, line {line_no[i]}, column {names[j]!r}"

    # Parse the feature columns (missing cells become NaN for now).
    X = np.empty((len(rows), len(feat)))
    for c, j in enumerate(feat):
        values, bad = _to_float(np.where(missing[:, j], "nan", cells[:, j]))
        if values is None:
            raise ValueError(
                f"{where(bad, j)}: {str(cells[bad, j])!r} is not a number; feature columns must be "
                "numeric (encode categorical features as numbers first)"
            )
        X[:, c] = values

    # Parse the target: numeric if every present cell is a number, else categorical.
    y_num = y_cat = None
    if t is not None:
        y_num, bad = _to_float(np.where(missing[:, t], "nan", cells[:, t]))
        if y_num is None:
            if task == "regression":
                raise ValueError(
                    f"{where(bad, t)}: {str(cells[bad, t])!r} is not a number, but task='regression' "
                    "needs a numeric target"
                )
            y_cat = cells[:, t]

    used = [*feat] if t is None else [*feat, t]
    numeric = np.column_stack([X, y_num]) if y_num is not None else X
    inf = np.isinf(numeric)
    if inf.any():
        i, c = np.argwhere(inf)[0]
        raise ValueError(f"{where(i, used[c])}: infinite value {str(cells[i, used[c]])!r}")

    gone = missing[:, used]
    if gone.any():
        if nan == "error":
            i, c = np.argwhere(gone)[0]
            raise ValueError(
                f"{where(i, used[c])}: missing value ({str(cells[i, used[c]])!r}); pass nan='drop' "
                "to drop rows with missing values or nan='keep' to keep them as NaN"
            )
        if nan == "drop":
            keep = ~gone.any(axis=1)
            if not keep.any():
                raise ValueError(f"{path}: every row has a missing value; nothing left to load")
            X, missing, line_no = X[keep], missing[keep], line_no[keep]
            y_num = None if y_num is None else y_num[keep]
            y_cat = None if y_cat is None else y_cat[keep]

    big = np.abs(X) > np.finfo(dt).max
    if big.any():
        i, c = np.argwhere(big)[0]
        raise ValueError(f"{where(i, feat[c])}: value too large for {dt}")
    X_out = X.astype(dt)
    feature_names = tuple(names[j] for j in feat)
    if t is None:
        info = DatasetInfo(path.stem, feature_names, (), f"{len(X_out)} rows from {path}.")
        return X_out, None, info

    if y_cat is None:
        assert y_num is not None
        present = y_num[~np.isnan(y_num)]
        integral = bool(np.all(present == np.round(present)))
        n_unique = len(np.unique(present))
        if task == "auto":
            task = "classification" if integral and n_unique <= MAX_AUTO_CLASSES else "regression"
    else:
        task = "classification"

    if task == "regression":
        big = np.abs(y_num) > np.finfo(dt).max
        if big.any():
            raise ValueError(f"{where(int(np.argmax(big)), t)}: value too large for {dt}")
        y = y_num.astype(dt)
        classes: tuple[Any, ...] | None = None
        target_names: tuple[str, ...] = ()
    else:
        if missing[:, t].any():
            i = int(np.argmax(missing[:, t]))
            raise ValueError(
                f"{where(i, t)}: missing class label; a missing label cannot be kept as NaN in "
                "integer labels, pass nan='drop'"
            )
        if y_cat is not None:
            uniq, y = np.unique(y_cat, return_inverse=True)
            classes = tuple(str(c) for c in uniq)
        else:
            uniq, y = np.unique(y_num, return_inverse=True)
            integral = bool(np.all(uniq == np.round(uniq)))
            classes = tuple(int(c) if integral else float(c) for c in uniq)
        y = y.astype(np.int64).reshape(-1)
        target_names = tuple(str(c) for c in classes)

    what = f"{len(classes)} classes" if classes is not None else "regression"
    description = (
        f"{len(X_out)} rows from {path}: {len(feat)} numeric features, target {names[t]!r} "
        f"({what})."
    )
    info = DatasetInfo(path.stem, feature_names, target_names, description, names[t], task, classes)
    return X_out, y, info
