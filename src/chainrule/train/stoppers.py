"""The stopping rules of training, in one family.

Every rule that ends training lives here, and every trainer (``fit``, the estimators, the
playground) uses these, so that a rule reads the same wherever it applies:

- :class:`NoImprovement`: "no improvement for n epochs", with its variants as options: the
  ``tol`` rule of scikit-learn's SGD estimators (an epoch improves when it beats the best by
  at least ``delta``; the best follows every new best), or the ``min_delta`` rule of Keras'
  EarlyStopping (an epoch improves when it beats the best by more than ``delta``, and only
  improving epochs move the best); ``delta`` absolute or relative to the best; and the count
  compared with ``>=`` (ours) or, ``strict=True``, with ``>`` (scikit-learn's).
- :class:`Target`: every given logged value reached its goal.
- :class:`TimeLimit`: a wall-clock budget, checked after every batch.
- divergence: :class:`~chainrule.train.step.Loop`'s guard (a non-finite loss or weights),
  which restores the last finite weights from a :class:`~chainrule.train.snapshot.WeightSnapshot`;
  the same snapshot restores the best epoch's weights for early stopping.

>>> rule = NoImprovement("loss", patience=2, delta=0.1)
>>> [rule.update(v) for v in (1.0, 0.95, 0.92, 0.5)]
[False, False, True, False]
>>> sk = NoImprovement("loss", patience=2, delta=0.1, strict=True)   # scikit-learn's ">"
>>> [sk.update(v) for v in (1.0, 0.95, 0.92, 0.91)]
[False, False, False, True]
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from chainrule.train.history import higher_is_better

__all__ = ["RULES", "NoImprovement", "Target", "TimeLimit", "check_target", "logged"]

RULES = ("tol", "min_delta")


def logged(logs: Mapping[str, Any], key: str, owner: str) -> float:
    """``logs[key]`` as a float, or a ValueError that says what is logged.

    >>> logged({"loss": 0.5}, "loss", "EarlyStopping")
    0.5
    """
    if key not in logs:
        known = ", ".join(k for k in logs if k not in ("lr", "time"))
        hint = ""
        if key.startswith("val_"):
            hint = "; pass validation_data or validation_split to fit to get val_* values"
        raise ValueError(f"{owner}: {key!r} is not logged (logged: {known}){hint}")
    return float(logs[key])


def resolve_mode(mode: str, monitor: str, owner: str) -> bool:
    """True when higher values of ``monitor`` are better ('auto' decides from its name).

    >>> resolve_mode("auto", "val_accuracy", "EarlyStopping"), resolve_mode("min", "r2", "x")
    (True, False)
    """
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return higher_is_better(monitor) if mode == "auto" else mode == "max"


class NoImprovement:
    """Stop after ``patience`` epochs in a row without improvement of a monitored value.

    Parameters
    ----------
    monitor : str
        The key of the epoch logs to watch (``"loss"``, ``"val_loss"``, ``"val_accuracy"``...).
    patience : int or float
        Epochs without improvement before stopping (``math.inf``: never).
    delta : float
        The margin an epoch must beat the best by (``tol`` or ``min_delta``).
    mode : {"auto", "min", "max"}
        Whether lower or higher is better ("auto": from the name).
    rule : {"tol", "min_delta"}
        "tol": an epoch improves when it beats the best by at least ``delta`` and the best
        follows every new best value (scikit-learn's SGD rule; a NaN counts as improving,
        as there). "min_delta": an epoch improves when it beats the best by more than
        ``delta``, and only improving epochs set the best (Keras' EarlyStopping; a NaN does
        not improve).
    relative : bool
        ``delta`` is a fraction of the best value instead of an absolute margin.
    strict : bool
        Stop when the count of epochs without improvement exceeds ``patience`` (``>``,
        scikit-learn's MLP rule) instead of reaching it (``>=``).
    reason : str
        The ``stopped_reason`` it gives.
    owner : str
        Who uses it, named in error messages.

    Attributes
    ----------
    best : float or None
        The best value so far.
    count : int
        Epochs since the last improvement.
    new_best : bool
        Whether the last update set :attr:`best` (the time to save the best weights).

    Examples
    --------
    >>> es = NoImprovement("val_accuracy", patience=1, rule="min_delta")
    >>> [es.update_logs({"val_accuracy": v}) for v in (0.5, 0.7, 0.7)], es.best
    ([False, False, True], 0.7)
    """

    def __init__(
        self,
        monitor: str = "loss",
        *,
        patience: float = 10,
        delta: float = 0.0,
        mode: str = "auto",
        rule: str = "tol",
        relative: bool = False,
        strict: bool = False,
        reason: str = "tol",
        owner: str = "fit",
    ) -> None:
        if rule not in RULES:
            raise ValueError(f"{owner}: rule must be one of {RULES}, got {rule!r}")
        if not patience >= 0:
            raise ValueError(f"{owner}: patience must be >= 0, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.delta = float(delta)
        self.maximize = resolve_mode(mode, monitor, owner)
        self.rule = rule
        self.relative = bool(relative)
        self.strict = bool(strict)
        self.reason = reason
        self.owner = owner
        self.reset()

    def reset(self) -> None:
        """Forget the best value and the count (a new training run)."""
        self.best: float | None = None
        self.count = 0
        self.new_best = False

    def _margin(self) -> float:
        return (
            self.delta * abs(self.best) if self.relative and self.best is not None else self.delta
        )

    def _worse(self, value: float) -> bool:
        """Whether ``value`` fails to improve on the best by the margin."""
        if self.best is None:
            return self.rule == "min_delta" and math.isnan(value)
        margin = self._margin()
        if self.rule == "tol":  # a comparison that is False for NaN: NaN improves
            return value < self.best + margin if self.maximize else value > self.best - margin
        better = value > self.best + margin if self.maximize else value < self.best - margin
        return not better

    def update(self, value: float) -> bool:
        """Count the epoch's ``value``; whether training should stop now."""
        worse = self._worse(value)
        self.count = self.count + 1 if worse else 0
        if self.rule == "tol":
            if self.best is None:
                self.new_best = not math.isnan(value)
            else:
                self.new_best = value > self.best if self.maximize else value < self.best
        else:
            self.new_best = not worse
        if self.new_best:
            self.best = value
        if not self.count:
            return False
        return self.count > self.patience if self.strict else self.count >= self.patience

    def update_logs(self, logs: Mapping[str, Any]) -> bool:
        """:meth:`update` with the monitored value of the epoch's logs."""
        return self.update(logged(logs, self.monitor, self.owner))

    def __repr__(self) -> str:
        return (
            f"NoImprovement({self.monitor!r}, patience={self.patience}, delta={self.delta}, "
            f"rule={self.rule!r}, relative={self.relative}, strict={self.strict})"
        )


def check_target(target: Mapping[str, float] | None) -> dict[str, float]:
    """``fit``'s ``target`` argument as ``{key: goal}`` (empty for None), or a TypeError.

    >>> check_target({"val_accuracy": 1})
    {'val_accuracy': 1.0}
    """
    if target is None:
        return {}
    if not isinstance(target, Mapping) or not target:
        raise TypeError(
            f"fit: target must be a non-empty dict such as {{'val_accuracy': 0.99}}, got {target!r}"
        )
    return {str(k): float(v) for k, v in target.items()}


class Target:
    """Stop once every given logged value reaches its goal (at least, for accuracies and
    scores; at most, for losses and errors).

    >>> t = Target({"loss": 0.1, "accuracy": 0.9})
    >>> t.update_logs({"loss": 0.05, "accuracy": 0.8}), t.update_logs({"loss": 0.05, "accuracy": 0.9})
    (False, True)
    """

    reason = "target_reached"

    def __init__(self, goals: Mapping[str, float]) -> None:
        self.goals = check_target(goals)

    def update_logs(self, logs: Mapping[str, Any]) -> bool:
        """Whether every goal is reached in ``logs``; ValueError for a key not logged."""
        for key, goal in self.goals.items():
            value = logged(logs, key, "fit: target")
            if not (value >= goal if higher_is_better(key) else value <= goal):
                return False
        return True


class TimeLimit:
    """A wall-clock budget: :meth:`expired` once ``seconds`` have passed since :meth:`start`.

    >>> t = TimeLimit(3600.0); t.start(); t.expired()
    False
    """

    reason = "time_limit"

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"fit: time_limit must be > 0 seconds, got {seconds}")
        self.seconds = float(seconds)
        self.deadline = math.inf

    def start(self) -> None:
        """Start the clock."""
        self.deadline = time.perf_counter() + self.seconds

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return time.perf_counter() >= self.deadline
