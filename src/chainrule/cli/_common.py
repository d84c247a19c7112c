"""What the subcommands share: argument types, data loading, run directories, scoring.

Errors meant for the user are ordinary ``ValueError``/``FileNotFoundError``/... exceptions with a
one-line message; :func:`chainrule.cli.main.main` prints them as ``chainrule: error: ...``.

>>> parse_sizes("16,16", "--hidden")
[16, 16]
>>> parse_floats("0.5,-1", "--x")
[0.5, -1.0]
>>> positive_float("0.01")
0.01
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import math
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import _atomic
from chainrule._atomic import atomic_write_text
from chainrule.autograd import no_grad
from chainrule.backend import to_numpy, xp
from chainrule.cli._run_config import check_model_outputs, check_run_metadata
from chainrule.tensor import Tensor
from chainrule.train.head import head_for

__all__ = [
    "RUN_FILES",
    "Data",
    "ModelSpec",
    "add_command",
    "add_nan_option",
    "atomic_write_text",
    "batch_size",
    "check_columns",
    "check_finite",
    "check_replaceable",
    "csv_header",
    "encode_targets",
    "forward",
    "fraction",
    "is_path",
    "load_data",
    "load_run",
    "loss_function",
    "parse_floats",
    "parse_names",
    "parse_sizes",
    "positive_float",
    "positive_int",
    "predict_arrays",
    "publish_dir",
    "require_matplotlib",
    "score",
    "staging_dir",
    "standardize_inputs",
    "write_json",
]

REGRESSION_SETS = frozenset({"sine_1d", "plane"})
"""Built-in generators whose target is a real value; every other generator is classification."""

RUN_FILES = frozenset(
    {
        "config.json",
        "model.safetensors",
        "history.csv",
        "metrics.json",
        "loss.png",
        "decision_boundary.png",
        "confusion_matrix.png",
    }
)
"""What ``chainrule train`` writes into a run directory (``--overwrite`` replaces only these)."""

LOSSES = ("auto", "cross_entropy", "bce", "mse", "l1", "huber")
TASKS = {"classify": "classification", "regress": "regression", "auto": "auto"}


# ----------------------------------------------------------------------------- argument types
def add_command(
    sub: Any, name: str, run: Any, doc: str | None, **kwargs: Any
) -> argparse.ArgumentParser:
    """Register subcommand ``name`` on the subcommand table ``sub``; ``run(args)`` executes it.

    The texts come from ``doc``, the docstring of the module's ``add_parser`` (as click takes
    them from a function's), so they are written once: its first paragraph, after the first
    ``": "`` and without the final period, is the one-line help of ``chainrule --help``; the
    rest is the description of ``chainrule NAME --help``. ``kwargs`` go to ``add_parser``
    (e.g. ``add_help=False``). Returns the new parser, for the command's options.

    >>> top = argparse.ArgumentParser(prog="chainrule")
    >>> doc = "Register ``hello``: greet.\\n\\n    Say hi."
    >>> p = add_command(top.add_subparsers(), "hello", lambda args: 0, doc)
    >>> p.prog, p.description, p.parse_args([]).run(None), "greet" in top.format_help()
    ('chainrule hello', 'Say hi.', 0, True)
    """
    summary, _, description = (doc or "").partition("\n\n")
    help_line = " ".join(summary.partition(": ")[2].split()).removesuffix(".")
    p = sub.add_parser(name, help=help_line, description=" ".join(description.split()), **kwargs)
    p.set_defaults(run=run)
    return p


def add_nan_option(p: argparse.ArgumentParser, cells: str = "cells") -> None:
    """Add ``--nan {error,drop}``: what to do with rows that have missing ``cells``.

    >>> p = argparse.ArgumentParser()
    >>> add_nan_option(p)
    >>> p.parse_args([]).nan, p.parse_args(["--nan", "drop"]).nan
    ('error', 'drop')
    """
    p.add_argument(
        "--nan",
        choices=("error", "drop"),
        default="error",
        help=f"missing {cells}: refuse them (default) or drop their rows",
    )


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0.

    >>> positive_float("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number > 0, got '-1'
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1.

    >>> positive_int("3"), positive_int(" 12 ")
    (3, 12)
    """
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1).

    >>> fraction("0.2")
    0.2
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text!r}")
    return value


def batch_size(text: str) -> int | str:
    """An argparse type: a whole number >= 1, or ``full`` (full-batch gradient descent).

    >>> batch_size("full"), batch_size("32")
    ('full', 32)
    """
    if text.strip().lower() == "full":
        return "full"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number >= 1 or 'full', got {text!r}"
        ) from None


def parse_sizes(text: str, option: str, allow_empty: bool = False) -> list[int]:
    """Comma-separated positive layer sizes, e.g. ``"16,16"``.

    With ``allow_empty``, ``""`` and ``"none"`` mean no layers (a linear model).

    >>> parse_sizes("none", "--hidden", allow_empty=True)
    []
    >>> parse_sizes("16,,x", "--hidden")
    Traceback (most recent call last):
    ...
    ValueError: --hidden: expected comma-separated whole numbers >= 1 such as 16,16, got '16,,x'
    """
    stripped = text.strip()
    if allow_empty and stripped.lower() in ("", "none"):
        return []
    parts = [p.strip() for p in stripped.split(",")]
    if not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ValueError(
            f"{option}: expected comma-separated whole numbers >= 1 such as 16,16, got {text!r}"
        )
    return [int(p) for p in parts]


def parse_floats(text: str, option: str) -> list[float]:
    """Comma-separated finite numbers, e.g. ``"0.5,-1"``."""
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = [math.nan]
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{option}: expected comma-separated numbers such as 0.5,-1, got {text!r}")
    return values


def parse_names(text: str, option: str, known: Sequence[str]) -> list[str]:
    """Comma-separated names, each one of ``known`` (the error suggests the closest).

    >>> parse_names("relu, tanh", "--activations", ["relu", "sigmoid", "tanh"])
    ['relu', 'tanh']
    """
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    if not names:
        raise ValueError(f"{option}: give at least one name (known: {', '.join(known)})")
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"{option}: unknown name {name!r}{hint} (known: {', '.join(sorted(known))})"
            )
    return names


def require_matplotlib(what: str) -> None:
    """ImportError with an install hint when matplotlib is missing (checked before any work)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            f"{what} needs matplotlib: pip install 'chainrule[viz]'"
            + (", or pass --no-plots" if what == "plotting" else "")
        ) from None


# ----------------------------------------------------------------------------- data
@dataclass
class Data:
    """A data set as the CLI uses it: host arrays plus what the model must remember."""

    X: np.ndarray
    y: np.ndarray | None
    name: str
    feature_names: list[str]
    target: str | None
    task: str | None
    classes: list[Any] | None
    source: dict[str, Any] = field(default_factory=dict)


def is_path(spec: str) -> bool:
    """Whether DATA names a file (an existing path, a .csv name, a folder in it), not a data set."""
    return (
        os.path.exists(spec)
        or spec.lower().endswith((".csv", ".tsv", ".txt"))
        or os.sep in spec
        or "/" in spec
    )


def load_data(
    spec: str,
    *,
    target: str | None = None,
    task: str = "auto",
    nan: str = "error",
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    need_target: bool = True,
) -> Data:
    """Load ``spec``: the name of a built-in data set or the path of a CSV file.

    Parameters
    ----------
    spec : str
        ``moons``, ``breast_cancer``... (see ``chainrule.datasets.available()``) or a CSV path.
    target : str, optional
        The CSV's target column (default: its last column).
    task : {"auto", "classification", "regression"}
        What the target is.
    nan : {"error", "drop"}
        What to do with missing CSV cells.
    n_samples, noise, seed
        Passed to a built-in generator (ignored for real data sets and CSV files).
    need_target : bool
        False reads every CSV column as a feature unless ``target`` is given.

    Raises
    ------
    ValueError, FileNotFoundError
        An unknown name (with the closest names), a missing file, any CSV problem, NaN or inf.
    """
    from chainrule import datasets
    from chainrule.datasets import registry

    if is_path(spec):
        if target is None and need_target:
            target = (csv_header(spec) or [None])[-1] or None  # the last column
        try:
            X, y, info = datasets.load_csv(spec, target=target, task=task, nan=nan, delimiter=None)
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{spec} is not a UTF-8 text file, so not a CSV file ({exc})"
            ) from None
        except ValueError as exc:  # name the command-line option, not the Python argument
            text = re.sub(r"; pass nan='drop'.*", "; pass --nan drop to drop such rows", str(exc))
            text = text.replace("task='regression'", "--task regress")
            raise ValueError(text) from None
        data = Data(
            X,
            y,
            info.name,
            list(info.feature_names),
            info.target,
            info.task,
            None if info.classes is None else list(info.classes),
            {"kind": "csv", "path": str(spec)},
        )
    else:
        key = spec.strip().lower().replace("-", "_").replace(" ", "_")
        synthetic = key in registry.SYNTHETIC
        kwargs: dict[str, Any] = {}
        if synthetic:
            kwargs = {"n_samples": 500 if n_samples is None else n_samples, "seed": seed}
            if noise is not None:
                kwargs["noise"] = noise
        try:
            out = datasets.load(spec, **kwargs)
        except ValueError as exc:
            if "unknown data set" in str(exc):
                raise ValueError(f"{exc} (or give the path of a CSV file)") from None
            raise
        X, y = out[0], out[1]
        info = out[2] if len(out) > 2 else None
        if info is not None:
            names, tgt = list(info.feature_names), info.target
            kind = info.task
            classes = None if info.classes is None else list(info.classes)
        else:
            names, tgt = [f"x{j + 1}" for j in range(X.shape[1])], "y"
            kind = "regression" if key in REGRESSION_SETS else "classification"
            classes = None if kind == "regression" else list(range(int(y.max()) + 1))
        if task == "regression" and kind == "classification":
            y, kind, classes = y.astype(np.float32), "regression", None
        elif task == "classification" and kind == "regression":
            raise ValueError(
                f"data set {key!r} has a real-valued target: use --task regress (or auto)"
            )
        source = {"kind": "builtin", "name": key, **kwargs}
        data = Data(X, y, key, names, tgt, kind, classes, source)
    check_finite(data)
    return data


def csv_header(path: str) -> list[str]:
    """The header names of a CSV file (its delimiter detected); empty when it cannot be read
    (``load_csv`` then says why)."""
    from chainrule.datasets.csv import sniff_delimiter

    try:
        delimiter = sniff_delimiter(path)  # checks first that it is a regular file
        with open(path, newline="", encoding="utf-8-sig") as f:
            for row in csv.reader(f, delimiter=delimiter, skipinitialspace=True):
                if "".join(row).strip():
                    return [c.strip() for c in row]
    except (OSError, ValueError, csv.Error):  # UnicodeDecodeError is a ValueError
        pass
    return []


def check_finite(data: Data) -> None:
    """ValueError naming the first column that holds NaN or inf."""
    for what, arr, names in (("feature", data.X, data.feature_names), ("target", data.y, None)):
        if arr is None or arr.dtype.kind != "f":
            continue
        bad = ~np.isfinite(arr)
        if bad.any():
            i, *j = np.argwhere(bad)[0]
            col = names[j[0]] if names and j else data.target
            raise ValueError(
                f"{data.name}: {what} column {col!r} holds {arr[tuple([i, *j])]} in row {i + 1}; "
                "the data must be finite (drop or fill such rows first)"
            )


def check_columns(data: Data, expected: Sequence[str]) -> Data:
    """``data`` with its feature columns in the trained model's order, or a ValueError that
    names the expected and the given columns."""
    got = list(data.feature_names)
    expected = list(expected)
    if got == expected:
        return data
    if sorted(got) == sorted(expected):
        order = [got.index(n) for n in expected]
        data.X = data.X[:, order]
        data.feature_names = expected
        return data
    missing = [n for n in expected if n not in got]
    extra = [n for n in got if n not in expected]
    detail = "; ".join(
        part
        for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra else "",
        )
        if part
    )
    raise ValueError(
        f"the input columns do not match the trained model: expected {len(expected)} columns "
        f"({', '.join(expected)}), got {len(got)} ({', '.join(got)}): {detail}"
    )


# ----------------------------------------------------------------------------- models
@dataclass
class ModelSpec:
    """How a run's model maps features to outputs and outputs to predictions (its metadata)."""

    task: str
    loss: str
    feature_names: list[str]
    target: str | None
    classes: list[Any] | None
    scaler: dict[str, list[float]] | None
    target_scaler: dict[str, float] | None

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], where: str) -> ModelSpec:
        """Read back :meth:`to_metadata`; ValueError for a checkpoint not written by train."""
        keys = ("task", "loss", "feature_names", "target", "classes", "scaler", "target_scaler")
        if (
            not isinstance(meta, dict)
            or meta.get("chainrule_run") != 1
            or any(k not in meta for k in keys)
        ):
            raise ValueError(
                f"{where} holds a chainrule model but not a 'chainrule train' run (its metadata "
                "lacks the task, features and scaler): load it with chainrule.load() instead"
            )
        check_run_metadata(meta, where)
        return cls(**{k: meta[k] for k in keys})

    def to_metadata(self) -> dict[str, Any]:
        """The JSON-ready dict saved in the checkpoint's metadata."""
        return {"chainrule_run": 1, **self.__dict__}

    @property
    def n_outputs(self) -> int:
        """Output units: one logit (BCE) or value (regression), else one per class."""
        if self.task == "regression" or self.loss == "bce":
            return 1
        return len(self.classes or ())


def loss_function(name: str) -> Any:
    """The loss function behind a ``--loss`` name."""
    from chainrule.nn import losses

    table = {
        "cross_entropy": losses.cross_entropy,
        "bce": losses.binary_cross_entropy_with_logits,
        "mse": losses.mse_loss,
        "l1": losses.l1_loss,
        "huber": losses.huber_loss,
    }
    return table[name]


def standardize_inputs(X: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Apply the run's saved scaler (identity without one)."""
    if spec.scaler is None:
        return X
    mean = np.asarray(spec.scaler["mean"], dtype=X.dtype)
    scale = np.asarray(spec.scaler["scale"], dtype=X.dtype)
    return (X - mean) / scale


def encode_targets(data: Data, spec: ModelSpec) -> np.ndarray:
    """Targets as the loss sees them: class codes of the trained classes, or scaled values."""
    if data.y is None:
        raise ValueError(f"{data.name} has no target column to evaluate against")
    if spec.task == "classification":
        if data.classes is None:
            raise ValueError(
                f"the model is a classifier but the target {data.target!r} of {data.name} is "
                "real-valued"
            )
        trained = {_label_key(c): i for i, c in enumerate(spec.classes or ())}
        labels = data.classes
        unknown = [c for c in labels if _label_key(c) not in trained]
        if unknown:
            raise ValueError(
                f"{data.name} has class labels the model was not trained on: "
                f"{', '.join(map(str, unknown))} (known: {', '.join(map(str, spec.classes))})"
            )
        lut = np.asarray([trained[_label_key(c)] for c in labels], dtype=np.int64)
        return lut[data.y]
    y = data.y.astype(np.float32)
    if spec.target_scaler is not None:
        y = (y - spec.target_scaler["mean"]) / spec.target_scaler["scale"]
    return y.astype(np.float32)


def _label_key(label: Any) -> str:
    """Labels compare by text, so 1 (from an int column) matches '1' (saved as JSON)."""
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    return str(label)


def forward(model: Any, X: np.ndarray, batch: int = 8192) -> np.ndarray:
    """The model's raw outputs on host features, in eval mode without a graph."""
    outs = []
    model.eval()
    with no_grad():
        for start in range(0, max(len(X), 1), batch):
            chunk = xp.asarray(X[start : start + batch])
            outs.append(to_numpy(model(Tensor(chunk))._data))
    return np.concatenate(outs) if len(outs) > 1 else outs[0]


def predict_arrays(outputs: np.ndarray, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted class codes and class probabilities, or predicted values (and None).

    >>> spec = ModelSpec("classification", "bce", ["a"], "t", ["no", "yes"], None, None)
    >>> codes, proba = predict_arrays(np.array([[2.0], [-1.0]]), spec)
    >>> codes.tolist(), proba.round(3).tolist()
    ([1, 0], [[0.119, 0.881], [0.731, 0.269]])
    """
    out = outputs.astype(np.float64)
    if spec.task == "regression":
        values = out.reshape(-1)
        if spec.target_scaler is not None:
            values = values * spec.target_scaler["scale"] + spec.target_scaler["mean"]
        return values, None
    head = head_for(loss_function(spec.loss))
    proba = head.probabilities(out)
    if proba.shape[1] == 1:
        p1 = proba.reshape(-1)
        proba = np.stack([1.0 - p1, p1], axis=1)
    return head.labels(out).astype(np.int64), proba


def score(model: Any, X: np.ndarray, y: np.ndarray, spec: ModelSpec) -> dict[str, float]:
    """Loss and metrics of ``model`` on standardised ``X`` and encoded ``y``.

    The loss is the training objective (on scaled targets for regression); the regression
    metrics are in the target's own units.
    """
    from chainrule import metrics as M

    outputs = forward(model, X)
    with no_grad():
        target = y.reshape(-1, 1) if spec.n_outputs == 1 else y
        if spec.loss == "bce":
            target = target.astype(outputs.dtype)
        loss = float(loss_function(spec.loss)(Tensor(outputs), Tensor(target)).item())
    result = {"loss": loss, "n": len(X)}
    pred, _ = predict_arrays(outputs, spec)
    if spec.task == "classification":
        result["accuracy"] = M.accuracy_score(y, pred)
        average = "binary" if len(spec.classes or ()) == 2 else "macro"
        result["f1"] = M.f1_score(y, pred, average=average)
    else:
        truth = y.astype(np.float64)
        if spec.target_scaler is not None:
            truth = truth * spec.target_scaler["scale"] + spec.target_scaler["mean"]
        result["mse"] = M.mean_squared_error(truth, pred)
        result["mae"] = M.mean_absolute_error(truth, pred)
        result["r2"] = M.r2_score(truth, pred) if len(truth) > 1 else math.nan
    return {k: float(v) if k != "n" else int(v) for k, v in result.items()}


def load_run(run_dir: str) -> tuple[Any, ModelSpec]:
    """The model of a ``chainrule train`` run directory and its :class:`ModelSpec`."""
    import chainrule

    path = Path(run_dir)
    if not path.exists():
        raise FileNotFoundError(f"run directory {run_dir!r} does not exist")
    if not path.is_dir():
        raise ValueError(f"{run_dir!r} is not a run directory (one written by chainrule train)")
    try:
        model = chainrule.load(path)
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot load the model in {run_dir!r}: {_message(exc)}") from None
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        # a hand-edited config.json is input too: the CLI promises one line, not a traceback
        raise ValueError(
            f"cannot load the model in {run_dir!r}: its config.json is damaged or hand-edited "
            f"({type(exc).__name__}: {exc})"
        ) from None
    spec = ModelSpec.from_metadata(model.checkpoint_metadata, run_dir)
    classes = spec.classes if spec.loss == "cross_entropy" else None
    check_model_outputs(model, len(spec.feature_names), spec.n_outputs, classes, run_dir)
    return model, spec


def _message(exc: BaseException) -> str:
    """An exception's text without the ``[Errno N]`` prefix."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return str(exc)


# ----------------------------------------------------------------------------- files
def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically (NaN written as ``NaN``, as Python reads it)."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def staging_dir(target: Path) -> Path:
    """A fresh, not yet existing hidden path beside ``target`` to assemble a directory in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        candidate = target.with_name(f".{target.name}.partial-{secrets.token_hex(4)}")
        if not os.path.lexists(candidate):
            return candidate


def check_replaceable(target: Path, allowed: frozenset[str] | None, what: str) -> None:
    """Refuse (FileExistsError) to replace anything but a directory holding only ``allowed``
    files (any files when ``allowed`` is None) and no subdirectories."""
    if target.is_symlink() or not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory; refusing to replace it")
    entries = list(target.iterdir())
    others = sorted(
        p.name for p in entries if p.is_dir() or (allowed is not None and p.name not in allowed)
    )
    if others:
        raise FileExistsError(
            f"{target} exists and holds files that are not part of a {what} "
            f"({', '.join(others[:5])}); refusing to replace it: remove it or choose another path"
        )


def publish_dir(staged: Path, target: Path, overwrite: bool) -> None:
    """Put the finished ``staged`` directory at ``target`` (:func:`chainrule._atomic.publish_dir`:
    locked, fsynced, and swapped atomically so ``target`` is never missing)."""
    try:
        _atomic.publish_dir(staged, target, overwrite)
    except FileExistsError as exc:
        if overwrite:
            raise
        raise FileExistsError(f"{target} already exists; pass --overwrite to replace it") from exc
