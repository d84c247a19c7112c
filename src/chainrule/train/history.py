"""``History``: what :func:`~chainrule.train.fit` records, one entry per epoch.

>>> from chainrule.train import History
>>> h = History()
>>> h.record({"loss": 0.9, "val_loss": 1.0, "lr": 0.1, "time": 0.01})
>>> h.record({"loss": 0.5, "val_loss": 0.7, "lr": 0.1, "time": 0.01})
>>> h.epochs, h["val_loss"], h.best_epoch
(2, [1.0, 0.7], 1)
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from collections.abc import Iterator, Mapping
from typing import Any

from chainrule._atomic import atomic_write_text

__all__ = ["STOP_REASONS", "History", "atomic_write_text", "higher_is_better"]

STOP_REASONS = (
    "max_epochs",
    "tol",
    "early_stopping",
    "target_reached",
    "time_limit",
    "diverged",
    "interrupted",
)
"""Every value :attr:`History.stopped_reason` can take (besides None before training ends)."""

_HIGHER_IS_BETTER = ("accuracy", "acc", "precision", "recall", "f1", "r2", "auc", "score")


def higher_is_better(name: str) -> bool:
    """Whether a logged quantity improves upwards, judged from its name.

    Accuracies, precision, recall, F1, R² and scores go up; losses and errors go down.

    >>> higher_is_better("val_accuracy"), higher_is_better("val_loss"), higher_is_better("mse")
    (True, False, False)
    """
    base = name[4:] if name.startswith("val_") else name
    base = base.lower()
    if "loss" in base or "error" in base or base in ("mse", "mae", "rmse"):
        return False
    return any(base == k or base.endswith("_" + k) or base.startswith(k) for k in _HIGHER_IS_BETTER)


class History(Mapping[str, list]):
    """Per-epoch records of one training run, as returned by :func:`~chainrule.train.fit`.

    It reads like a dict of lists, one value per completed epoch: ``history["loss"]``,
    ``history["val_loss"]``, each metric (``"accuracy"``, ``"val_accuracy"``, ...), ``"lr"``
    (the learning rate of the first parameter group during the epoch) and ``"time"`` (wall
    seconds of the epoch: training and validation). With ``record_grad_norms`` (or a
    :class:`~chainrule.train.GradientFlow` callback), ``history["grad_norms"]`` holds one dict
    per epoch, parameter name → mean gradient norm.

    Epoch indices are 0-based, like list indices: ``history["val_loss"][history.best_epoch]``.
    As a Mapping, ``len(history)`` counts the recorded keys; :attr:`epochs` counts epochs.

    Attributes
    ----------
    stopped_reason : str or None
        Why training ended: one of ``"max_epochs"``, ``"tol"``, ``"early_stopping"``,
        ``"target_reached"``, ``"time_limit"``, ``"diverged"``, ``"interrupted"``.
    monitor : str or None
        The quantity :attr:`best_epoch` ranks epochs by (None: ``"val_loss"`` when recorded,
        else ``"loss"``). :func:`fit` sets it to the monitor of an ``EarlyStopping`` callback.
    mode : {"auto", "min", "max"}
        Whether lower or higher values of ``monitor`` are better ("auto": from the name).
    grad_norms : list of dict
        Per-epoch gradient norms by parameter name (empty unless recorded).
    params : dict
        The settings of the run (``epochs``, ``batch_size``, ``n_train``, ``n_val``,
        ``seed``, ``metrics``), filled in by :func:`fit`.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.grad_norms: list[dict[str, float]] = []
        self.stopped_reason: str | None = None
        self.monitor: str | None = None
        self.mode: str = "auto"
        self.params: dict[str, Any] = {}

    # ------------------------------------------------------------------ recording
    def record(self, logs: Mapping[str, Any]) -> None:
        """Append one epoch's values (a key first seen late is padded with NaN before).

        >>> h = History()
        >>> h.record({"loss": 1.0})
        >>> h.record({"loss": 0.5, "val_loss": 0.6})
        >>> h["val_loss"]
        [nan, 0.6]
        """
        columns = self.history
        if columns.keys() == logs.keys():  # the usual case: the same keys as every epoch before
            for key, value in logs.items():
                if type(value) is not float and isinstance(value, numbers.Real):
                    value = float(value)
                columns[key].append(value)
            return
        n = self.epochs
        for key, value in logs.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [math.nan] * n
            if type(value) is not float and isinstance(value, numbers.Real):
                value = float(value)
            column.append(value)
        if len(columns) != len(logs):  # some recorded key is missing this epoch
            for column in columns.values():
                if len(column) == n:
                    column.append(math.nan)

    # ------------------------------------------------------------------ mapping protocol
    def __getitem__(self, key: str) -> list[Any]:
        if key == "grad_norms" and key not in self.history:
            return self.grad_norms
        try:
            return self.history[key]
        except KeyError:
            known = ", ".join(self.keys()) or "nothing yet"
            raise KeyError(f"{key!r} was not recorded (recorded: {known})") from None

    def __iter__(self) -> Iterator[str]:
        yield from self.history
        if self.grad_norms and "grad_norms" not in self.history:
            yield "grad_norms"

    def __len__(self) -> int:
        return len(self.history) + bool(self.grad_norms and "grad_norms" not in self.history)

    # ------------------------------------------------------------------ summaries
    @property
    def epochs(self) -> int:
        """How many epochs were completed and recorded."""
        return max(map(len, self.history.values()), default=0)

    @property
    def interrupted(self) -> bool:
        """True when training was stopped by a KeyboardInterrupt (Ctrl-C)."""
        return self.stopped_reason == "interrupted"

    def _monitor(self) -> tuple[str | None, bool]:
        key = self.monitor
        if key is None or key not in self.history:
            key = "val_loss" if "val_loss" in self.history else "loss"
        if key not in self.history:
            return None, False
        maximize = higher_is_better(key) if self.mode == "auto" else self.mode == "max"
        return key, maximize

    @property
    def best_epoch(self) -> int | None:
        """The 0-based epoch with the best value of :attr:`monitor` (None before any epoch).

        NaN values never count as best; ties go to the earliest epoch.
        """
        key, maximize = self._monitor()
        if key is None:
            return None
        best, best_i = None, None
        for i, v in enumerate(self.history[key]):
            if not isinstance(v, float) or math.isnan(v):
                continue
            if best is None or (v > best if maximize else v < best):
                best, best_i = v, i
        return best_i

    def to_dict(self) -> dict[str, list[Any]]:
        """A plain dict of lists (copies): the per-epoch columns, ``"grad_norms"`` included.

        >>> h = History()
        >>> h.record({"loss": 1.0})
        >>> h.to_dict()
        {'loss': [1.0]}
        """
        out = {k: list(v) for k, v in self.history.items()}
        if self.grad_norms:
            out["grad_norms"] = [dict(d) for d in self.grad_norms]
        return out

    def columns(self) -> list[str]:
        """The CSV columns: ``epoch``, the scalar entries, then ``grad_norm[<name>]`` ones.

        >>> h = History()
        >>> h.record({"loss": 1.0, "lr": 0.1})
        >>> h.columns()
        ['epoch', 'loss', 'lr']
        """
        cols = ["epoch", *(k for k in self.history if k != "grad_norms")]
        names: dict[str, None] = {}
        for d in self.grad_norms:
            names.update(dict.fromkeys(d))
        cols += [f"grad_norm[{n}]" for n in names]
        return cols

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch to ``path``, atomically (temporary file + rename).

        The first column is the 0-based ``epoch``; then every scalar column (``loss``,
        metrics, ``val_*``, ``lr``, ``time``); then, when gradient norms were recorded, one
        ``grad_norm[<parameter name>]`` column each.

        >>> import tempfile, pathlib
        >>> h = History()
        >>> h.record({"loss": 0.5, "lr": 0.1, "time": 0.25})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     h.to_csv(pathlib.Path(d) / "h.csv")
        ...     print((pathlib.Path(d) / "h.csv").read_text().strip())
        epoch,loss,lr,time
        0,0.5,0.1,0.25
        """
        atomic_write_text(path, self.to_csv_text())

    def to_csv_text(self) -> str:
        """The CSV that :meth:`to_csv` writes, as a string."""
        cols = self.columns()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        scalar = [k for k in self.history if k != "grad_norms"]
        grad_names = [c[len("grad_norm[") : -1] for c in cols if c.startswith("grad_norm[")]
        for i in range(self.epochs):
            row: list[Any] = [i]
            row += [_cell(self.history[k][i]) for k in scalar]
            norms = self.grad_norms[i] if i < len(self.grad_norms) else {}
            row += [_cell(norms.get(n, math.nan)) for n in grad_names]
            writer.writerow(row)
        return buf.getvalue()

    def __repr__(self) -> str:
        parts = [f"epochs={self.epochs}", f"stopped_reason={self.stopped_reason!r}"]
        best = self.best_epoch
        if best is not None:
            parts.append(f"best_epoch={best}")
        for key in ("loss", "val_loss"):
            col = self.history.get(key)
            if col:
                parts.append(f"{key}: {col[0]:.4g} -> {col[-1]:.4g}")
        return f"History({', '.join(parts)})"


def _cell(value: Any) -> Any:
    """A CSV cell: floats with full precision (repr), everything else as str()."""
    if isinstance(value, float):
        return repr(value)
    return value
