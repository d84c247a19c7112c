"""Validate what a ``chainrule train`` run saved in its checkpoint's metadata, before using it.

A run directory can be edited by hand; every field is checked here, so that a bad one is a
``ValueError`` naming the key (one line from the CLI) rather than a traceback or, worse, ``nan``
predictions.

>>> meta = {"task": "classification", "loss": "cross_entropy", "feature_names": ["x0", "x1"],
...         "target": "y", "classes": [0, 1], "scaler": {"mean": [0, 0], "scale": [1, 0]},
...         "target_scaler": None}
>>> check_run_metadata(meta, "run1")
Traceback (most recent call last):
ValueError: run1: metadata 'scaler'['scale'][1] is 0; a saved scale must be a finite non-zero number
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["check_model_outputs", "check_run_metadata"]

TASKS = ("classification", "regression")
LOSSES = ("cross_entropy", "bce", "mse", "l1", "huber")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scales(value: Any, key: str, where: str, n: int | None) -> None:
    """``value`` is ``{"mean": .., "scale": ..}`` of finite numbers (lists of ``n`` if given)."""
    if not isinstance(value, dict) or set(value) != {"mean", "scale"}:
        raise ValueError(f"{where}: metadata {key!r} must be an object with 'mean' and 'scale'")
    for part in ("mean", "scale"):
        items = value[part]
        if n is not None:
            if not isinstance(items, list) or len(items) != n:
                raise ValueError(
                    f"{where}: metadata {key!r}[{part!r}] must be a list of {n} numbers, one per "
                    f"feature, got {str(items)[:60]}"
                )
        else:
            items = [items]
        for i, v in enumerate(items):
            at = f"{key!r}[{part!r}]" + (f"[{i}]" if n is not None else "")
            if not _number(v) or not math.isfinite(v) or (part == "scale" and v == 0):
                raise ValueError(
                    f"{where}: metadata {at} is {v!r}; a saved {part} must be a finite "
                    + ("non-zero number" if part == "scale" else "number")
                )


def check_run_metadata(meta: dict[str, Any], where: str) -> None:
    """ValueError naming ``where`` and the key, unless ``meta`` is a usable run description."""
    if meta.get("task") not in TASKS:
        raise ValueError(
            f"{where}: metadata 'task' is {meta.get('task')!r}, not one of {', '.join(TASKS)}"
        )
    if meta.get("loss") not in LOSSES:
        raise ValueError(
            f"{where}: metadata 'loss' is {meta.get('loss')!r}, not a known loss "
            f"({', '.join(LOSSES)})"
        )
    names = meta.get("feature_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}: metadata 'feature_names' must be a non-empty list of names")
    if meta.get("target") is not None and not isinstance(meta["target"], str):
        raise ValueError(f"{where}: metadata 'target' must be a column name or null")
    classes = meta.get("classes")
    if meta["task"] == "classification":
        ok = isinstance(classes, list) and len(classes) >= 2
        if not ok or not all(isinstance(c, (str, int, float, bool)) for c in classes):
            raise ValueError(
                f"{where}: metadata 'classes' must list the class labels (at least 2) of a "
                f"classifier, got {str(classes)[:60]}"
            )
        if meta["loss"] == "bce" and len(classes) != 2:
            raise ValueError(f"{where}: metadata 'classes' must hold 2 labels for the bce loss")
    if meta.get("scaler") is not None:
        _scales(meta["scaler"], "scaler", where, len(names))
    if meta.get("target_scaler") is not None:
        _scales(meta["target_scaler"], "target_scaler", where, None)


def check_model_outputs(model: Any, n_features: int, n_outputs: int, classes: Sequence | None,
                        where: str) -> None:  # fmt: skip
    """ValueError unless ``model`` maps ``n_features`` inputs to ``n_outputs`` outputs."""
    from chainrule import creation
    from chainrule.autograd import no_grad

    try:
        with no_grad():
            out = model(creation.zeros((1, n_features), dtype=_dtype_of(model)))
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError(
            f"{where}: the model does not take the {n_features} features its metadata names "
            f"('feature_names'): {exc}"
        ) from None
    got = out.shape[-1] if out.ndim else 1
    if got != n_outputs:
        what = f"{len(classes)} classes in 'classes'" if classes else f"{n_outputs} output(s)"
        raise ValueError(
            f"{where}: the metadata expects {what}, but the model has {got} output(s): "
            "the run's config.json was edited"
        )


def _dtype_of(model: Any) -> Any:
    for p in model.parameters():
        return p.dtype
    return None
