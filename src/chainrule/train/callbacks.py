"""Callbacks: code that :func:`~chainrule.train.fit` runs at fixed points of training.

A callback subclasses :class:`Callback` and overrides any of the hooks
``on_train_begin(history)``, ``on_epoch_begin(epoch, logs)``, ``on_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end(history)``. Before training, ``fit`` calls
``set_context(model, optimizer, history, state)``, so every hook can reach ``self.model``,
``self.optimizer``, ``self.history`` and ``self.state``, a :class:`TrainState`. To stop
training, a callback calls ``self.stop_training(reason)``; ``fit`` finishes the current batch
(or epoch, when asked from ``on_epoch_end``) and stops, recording the reason in the History.

Epochs are numbered from 0, as the History's lists are indexed.

>>> import chainrule as cr
>>> from chainrule import nn, optim
>>> from chainrule.nn.losses import mse_loss
>>> from chainrule.train import Callback, fit
>>> class StopAtLoss(Callback):
...     def on_epoch_end(self, epoch, logs):
...         if logs["loss"] < 0.5:
...             self.stop_training("early_stopping")
>>> model = nn.mlp([1, 1], seed=0)
>>> X = cr.tensor([[0.0], [1.0], [2.0]]); y = cr.tensor([[1.0], [3.0], [5.0]])
>>> h = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=500,
...         batch_size="full", callbacks=[StopAtLoss()], verbose=0)
>>> h.stopped_reason, h["loss"][-1] < 0.5
('early_stopping', True)
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from chainrule.backend import xp
from chainrule.train.history import History
from chainrule.train.snapshot import WeightSnapshot
from chainrule.train.stoppers import NoImprovement, logged, resolve_mode

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "GradientFlow",
    "LRScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "TrainState",
]


class TrainState:
    """Where training is, shared by :func:`fit` and every callback.

    Attributes
    ----------
    epoch : int
        The current epoch (0-based).
    batch : int
        The current batch within the epoch (0-based).
    epochs : int
        The maximum number of epochs.
    stop : bool
        Set to True (through :meth:`request_stop`) to end training.
    reason : str or None
        Why training stops: the first reason requested wins.

    Examples
    --------
    >>> s = TrainState(epochs=10)
    >>> s.request_stop("early_stopping"); s.request_stop("tol")
    >>> s.stop, s.reason
    (True, 'early_stopping')
    """

    def __init__(self, epochs: int = 0) -> None:
        self.epoch = 0
        self.batch = 0
        self.epochs = epochs
        self.stop = False
        self.reason: str | None = None

    def request_stop(self, reason: str, override: bool = False) -> None:
        """Ask training to stop; ``override`` replaces a reason given earlier."""
        if not self.stop or override:
            self.reason = reason
        self.stop = True

    def __repr__(self) -> str:
        return (
            f"TrainState(epoch={self.epoch}, batch={self.batch}, stop={self.stop}, "
            f"reason={self.reason!r})"
        )


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    Examples
    --------
    >>> class Printer(Callback):
    ...     def on_epoch_end(self, epoch, logs):
    ...         print(epoch, round(logs["loss"], 2))
    >>> Printer().on_epoch_end(0, {"loss": 0.123})
    0 0.12
    """

    model: Any = None
    optimizer: Any = None
    history: History | None = None
    state: TrainState | None = None
    touches_weights: bool = True
    """Whether ``on_epoch_end`` may change the weights. Leave True unless it cannot: when
    every callback declares False, the divergence guard reuses its end-of-epoch copy."""
    main_rank_only: bool = False
    """Whether it writes files or prints, so that a distributed run keeps it on rank 0 only."""

    def set_context(
        self, model: Any, optimizer: Any, history: History, state: TrainState | None = None
    ) -> None:
        """Give the callback the objects of this training run (called by ``fit``)."""
        self.model = model
        self.optimizer = optimizer
        self.history = history
        self.state = state if state is not None else TrainState()

    def stop_training(self, reason: str = "callback") -> None:
        """Ask ``fit`` to stop after the current batch or epoch, with ``reason``."""
        if self.state is None:
            self.state = TrainState()
        self.state.request_stop(reason)

    def on_train_begin(self, history: History) -> None:
        """Before the first epoch."""

    def on_train_end(self, history: History) -> None:
        """After the last epoch (``history.stopped_reason`` is set by then)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        """Before an epoch's first batch; ``logs`` holds ``"lr"``."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        """After an epoch was recorded in the History; ``logs`` holds its values."""

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        """After ``optimizer.step()``; ``logs`` holds ``"loss"`` and ``"size"`` of the batch.

        The parameters' ``.grad`` still hold the batch's gradients here.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EarlyStopping(Callback):
    """Stop when a monitored quantity has stopped improving.

    An epoch improves on the best so far when its value is lower by more than ``min_delta``
    (or higher, for quantities that should go up). After ``patience`` epochs in a row without
    improvement, training stops with ``stopped_reason="early_stopping"``.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs: ``"val_loss"`` (default), ``"loss"``, ``"val_accuracy"``...
    min_delta : float
        The smallest change that counts as an improvement (default 0: any).
    patience : int
        Epochs without improvement to wait before stopping (default 10).
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; "auto" decides from the name (accuracies, F1 and
        R² go up, losses and errors down).
    restore_best_weights : bool
        At the end of training (for whatever reason it ends), load the weights of the best
        epoch back into the model.

    Attributes
    ----------
    best : float or None
        The best value seen.
    best_epoch : int or None
        The (0-based) epoch it was seen at.
    wait : int
        Epochs since the last improvement.
    stopped_epoch : int or None
        The epoch at which this callback stopped training.

    Raises
    ------
    ValueError
        At the first epoch end, when ``monitor`` is not logged (e.g. ``"val_loss"`` without
        validation data).

    Examples
    --------
    >>> es = EarlyStopping(monitor="loss", patience=2)
    >>> es.set_context(None, None, History())
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.4]):
    ...     es.on_epoch_end(epoch, {"loss": loss})
    ...     if es.state.stop:
    ...         break
    >>> es.best_epoch, es.stopped_epoch, es.state.reason
    (1, 3, 'early_stopping')
    """

    touches_weights = False  # it restores the best weights after the last epoch only

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 10,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = mode
        self.rule = NoImprovement(
            monitor,
            patience=self.patience,
            delta=self.min_delta,
            mode=mode,
            rule="min_delta",
            reason="early_stopping",
            owner="EarlyStopping",
        )
        self.maximize = self.rule.maximize
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self) -> None:
        self.rule.reset()
        self.best_epoch: int | None = None
        self.best_weights: WeightSnapshot | None = None
        self.stopped_epoch: int | None = None

    @property
    def best(self) -> float | None:
        """The best value seen."""
        return self.rule.best

    @property
    def wait(self) -> int:
        """Epochs since the last improvement."""
        return self.rule.count

    def on_train_begin(self, history: History) -> None:
        self._reset()

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        return not self.rule._worse(value)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        stop = self.rule.update_logs(logs)
        if self.rule.new_best:
            self.best_epoch = epoch
            if self.restore_best_weights and self.model is not None:
                if self.best_weights is None:
                    self.best_weights = WeightSnapshot(self.model)
                self.best_weights.save()
        if stop:
            self.stopped_epoch = epoch
            self.stop_training(self.rule.reason)

    def on_train_end(self, history: History) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.best_weights.restore()

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, min_delta={self.min_delta}, "
            f"patience={self.patience}, mode={self.mode!r}, "
            f"restore_best_weights={self.restore_best_weights})"
        )


class ModelCheckpoint(Callback):
    """Save the model with ``chainrule.save(model, path, overwrite=True)`` during training.

    A save happens at the end of an epoch when both hold: the epoch is one of every
    ``every_n_epochs`` (every epoch when None), and, with ``save_best_only``, the monitored
    value is the best so far.

    Parameters
    ----------
    path : str or path-like
        Where to save; it may hold ``{epoch}`` (the 0-based epoch) and ``{<log key>}``
        fields, e.g. ``"runs/ckpt-{epoch:03d}"``, formatted with the epoch's logs.
    monitor : str
        The quantity that decides which epoch is best (default ``"val_loss"``).
    save_best_only : bool
        Save only epochs that improve on the best so far (default True).
    every_n_epochs : int, optional
        Consider saving only every n epochs (after epochs n-1, 2n-1, ...).
    mode : {"auto", "min", "max"}
        Whether lower or higher values of ``monitor`` are better.

    Attributes
    ----------
    saved : list of (int, str)
        The epochs saved and the paths they went to.
    best : float or None
        The best monitored value seen.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrule import nn
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ck = ModelCheckpoint(pathlib.Path(d) / "best", monitor="val_loss")
    ...     ck.set_context(nn.Linear(2, 1), None, History())
    ...     for epoch, val_loss in enumerate([0.5, 0.7, 0.4]):
    ...         ck.on_epoch_end(epoch, {"val_loss": val_loss})
    ...     [epoch for epoch, _ in ck.saved], (pathlib.Path(d) / "best").is_dir()
    ([0, 2], True)
    >>> ModelCheckpoint("model-{epoch}", save_best_only=False).format_path(3, {"loss": 0.5})
    'model-3'
    """

    touches_weights = False
    main_rank_only = True

    def __init__(
        self,
        path: str | os.PathLike,
        monitor: str = "val_loss",
        save_best_only: bool = True,
        every_n_epochs: int | None = None,
        mode: str = "auto",
    ) -> None:
        if every_n_epochs is not None and every_n_epochs < 1:
            raise ValueError(f"ModelCheckpoint: every_n_epochs must be >= 1, got {every_n_epochs}")
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.every_n_epochs = every_n_epochs
        self.maximize = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.best: float | None = None
        self.saved: list[tuple[int, str]] = []

    def format_path(self, epoch: int, logs: Mapping[str, Any]) -> str:
        """The path for ``epoch``, with its fields filled in."""
        fields = {k: v for k, v in logs.items() if k != "epoch"}
        return self.path.format(epoch=epoch, **fields)

    def on_train_begin(self, history: History) -> None:
        self.best = None
        self.saved = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.every_n_epochs is not None and (epoch + 1) % self.every_n_epochs != 0:
            return
        if self.save_best_only:
            value = logged(logs, self.monitor, "ModelCheckpoint")
            better = self.best is None or (
                value > self.best if self.maximize else value < self.best
            )
            if math.isnan(value) or not better:
                return
            self.best = value
        from chainrule.checkpoint import save  # lazily: the checkpoint layer sits above

        path = self.format_path(epoch, logs)
        save(self.model, path, overwrite=True)
        self.saved.append((epoch, path))

    def __repr__(self) -> str:
        return (
            f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r}, "
            f"save_best_only={self.save_best_only}, every_n_epochs={self.every_n_epochs})"
        )


def _needs_metric(scheduler: Any) -> bool:
    """True for schedulers whose ``step`` takes a metric (ReduceLROnPlateau)."""
    try:
        params = inspect.signature(scheduler.step).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(
        p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in params
    )


class LRScheduler(Callback):
    """Step a learning-rate scheduler once per epoch (or per batch).

    ``fit(..., scheduler=s)`` adds ``LRScheduler(s)`` for you. A scheduler whose ``step``
    needs a metric (``ReduceLROnPlateau``) gets ``logs[monitor]``; by default ``"val_loss"``
    when validation data is given, else the training ``"loss"``.

    Parameters
    ----------
    scheduler : object
        Anything with ``step()`` (or ``step(metric)``), e.g. from
        :mod:`chainrule.optim.lr_scheduler`.
    monitor : str, optional
        The quantity given to a metric-driven scheduler.
    interval : {"epoch", "batch"}
        Step after every epoch (default) or after every batch (e.g. a warm-up counted in
        steps; a metric-driven scheduler then gets the batch loss).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, StepLR
    >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
    >>> cb = LRScheduler(StepLR(opt, step_size=1, gamma=0.5))
    >>> cb.on_epoch_end(0, {"loss": 1.0})
    >>> opt.param_groups[0]["lr"]
    0.5
    """

    touches_weights = False

    def __init__(self, scheduler: Any, monitor: str | None = None, interval: str = "epoch") -> None:
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRScheduler: interval must be 'epoch' or 'batch', got {interval!r}")
        self.scheduler = scheduler
        self.monitor = monitor
        self.interval = interval
        self.needs_metric = _needs_metric(scheduler)

    def _step(self, logs: Mapping[str, Any]) -> None:
        if self.needs_metric:
            key = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
            self.scheduler.step(logged(logs, key, "LRScheduler"))
        else:
            self.scheduler.step()

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self.interval == "batch":
            self._step(logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.interval == "epoch":
            self._step(logs)

    def __repr__(self) -> str:
        return f"LRScheduler({self.scheduler!r}, interval={self.interval!r})"


class CSVLogger(Callback):
    """Keep a CSV file of the History up to date during training.

    The file always holds a complete table (``History.to_csv``: the header, then one row per
    epoch), written atomically through a temporary file and a rename, so a reader (or a crash)
    never sees half a file. Rewriting is throttled so that it costs at most about a tenth of
    the training time; the final table is always written when training ends.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> h = History(); h.record({"loss": 0.5, "time": 0.1})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     log = CSVLogger(pathlib.Path(d) / "log.csv")
    ...     log.set_context(None, None, h)
    ...     log.on_train_end(h)
    ...     print((pathlib.Path(d) / "log.csv").read_text().splitlines()[0])
    epoch,loss,time
    """

    touches_weights = False
    main_rank_only = True

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._next_write = 0.0

    def on_train_begin(self, history: History) -> None:
        self._next_write = 0.0

    def _write(self) -> None:
        if self.history is None:
            return
        t0 = time.perf_counter()
        self.history.to_csv(self.path)
        took = time.perf_counter() - t0
        self._next_write = time.perf_counter() + 10.0 * took

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if time.perf_counter() >= self._next_write:
            self._write()

    def on_train_end(self, history: History) -> None:
        self._write()

    def __repr__(self) -> str:
        return f"CSVLogger({self.path!r})"


class GradientFlow(Callback):
    """Record the gradient norm of every Linear layer's weight, averaged over each epoch.

    After each batch it reads ‖∂L/∂W‖ (the Frobenius norm) of each ``Linear.weight``; at the
    epoch end it appends the mean over the epoch's batches to ``history.grad_norms`` (and to
    ``self.norms``), a dict keyed by the parameter's name (``"0.weight"``, ``"2.weight"``...).
    Norms that shrink layer by layer towards the input show vanishing gradients.
    ``per_epoch=False`` keeps no per-epoch record: a live display reads :meth:`drain`.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.mlp([2, 3, 1], seed=0)
    >>> gf = GradientFlow(); gf.set_context(model, None, History())
    >>> gf.on_train_begin(gf.history); gf.on_epoch_begin(0, {})
    >>> model(cr.ones((4, 2))).sum().backward()
    >>> gf.on_batch_end(0, {}); gf.on_epoch_end(0, {})
    >>> sorted(gf.norms[0])
    ['0.weight', '2.weight']
    """

    touches_weights = False

    def __init__(self, per_epoch: bool = True) -> None:
        self.per_epoch = per_epoch
        self.norms: list[dict[str, float]] = []
        self._params: list[tuple[str, Any]] = []
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._window: tuple[list[float], list[int]] = ([], [])

    def on_train_begin(self, history: History) -> None:
        from chainrule.nn import Linear

        self.norms = []
        self._params = [
            (f"{name}.weight" if name else "weight", module.weight)
            for name, module in self.model.named_modules()
            if isinstance(module, Linear)
        ]
        self.drain()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        self._sums = dict.fromkeys((n for n, _ in self._params), 0.0)
        self._counts = dict.fromkeys(self._sums, 0)

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        window = self._window
        for i, (name, p) in enumerate(self._params):
            g = p.grad
            if g is not None:
                norm = float(xp.sqrt(xp.vdot(g._data, g._data)))
                self._sums[name] += norm
                self._counts[name] += 1
                window[0][i] += norm
                window[1][i] += 1

    def drain(self) -> list[float]:
        """The mean norm of each layer since the last ``drain`` (NaN where none), in layer
        order; what a live display shows between two of its frames.

        >>> gf = GradientFlow(); gf._params = []; gf.drain()
        []
        """
        sums, counts = self._window
        means = [s / c if c else math.nan for s, c in zip(sums, counts)]
        self._window = ([0.0] * len(self._params), [0] * len(self._params))
        return means

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if not self.per_epoch:
            return
        norms = {
            n: (self._sums[n] / self._counts[n]) if self._counts[n] else math.nan
            for n in self._sums
        }
        self.norms.append(norms)
        if self.history is not None:
            self.history.grad_norms.append(norms)


def _format_value(v: float) -> str:
    """A logged number in at most ~10 characters.

    >>> _format_value(0.23412), _format_value(1.5e-06), _format_value(0.0)
    ('0.2341', '1.500e-06', '0.0000')
    """
    if v == 0 or (1e-3 <= abs(v) < 1e4) or math.isnan(v):
        return f"{v:.4f}"
    return f"{v:.3e}"


def _format_time(seconds: float) -> str:
    """Seconds as '12.3 ms' or '1.23 s'.

    >>> _format_time(0.0123), _format_time(2.5)
    ('12.3 ms', '2.50 s')
    """
    return f"{seconds * 1e3:.1f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def epoch_line(epoch: int, epochs: int, logs: Mapping[str, Any]) -> str:
    """One plain progress line: ``epoch 3/100  loss 0.2341  val_loss 0.2500  12.3 ms``.

    ``epoch`` is 0-based; the line counts from 1.

    >>> epoch_line(2, 100, {"loss": 0.23412, "val_loss": 0.25, "lr": 0.1, "time": 0.0123})
    'epoch 3/100  loss 0.2341  val_loss 0.2500  12.3 ms'
    """
    width = len(str(epochs))
    parts = [f"epoch {epoch + 1:>{width}}/{epochs}"]
    for key, value in logs.items():
        if key in ("lr", "time") or not isinstance(value, (int, float)):
            continue
        parts.append(f"{key} {_format_value(float(value))}")
    if "time" in logs:
        parts.append(_format_time(float(logs["time"])))
    return "  ".join(parts)


class ProgressBar(Callback):
    """Show training progress: a tqdm bar on a terminal, else one plain line per epoch.

    The tqdm bar (over epochs, with the latest values as its postfix) is used when tqdm is
    installed, ``use_tqdm`` is not False and standard error is a terminal. Otherwise each
    epoch prints a line such as ``epoch 3/100  loss 0.2341  val_loss 0.2512  12.3 ms`` to
    ``file`` (standard output by default); a final line tells why training stopped when it
    stopped before the last epoch. ``fit(verbose=1)`` adds ``ProgressBar()``;
    ``verbose=2`` adds ``ProgressBar(use_tqdm=False)``.

    Parameters
    ----------
    use_tqdm : bool, optional
        None (default) decides as above; False always prints plain lines.
    every : int
        Print a plain line every ``every`` epochs (and for the first and last).
    file : file object, optional
        Where plain lines go (default: ``sys.stdout`` at the time of printing).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(use_tqdm=False, file=out)
    >>> bar.set_context(None, None, History(), TrainState(epochs=2))
    >>> bar.on_train_begin(bar.history)
    >>> bar.on_epoch_end(0, {"loss": 0.5, "time": 0.002})
    >>> out.getvalue()
    'epoch 1/2  loss 0.5000  2.0 ms\\n'
    """

    touches_weights = False
    main_rank_only = True

    def __init__(
        self, use_tqdm: bool | None = None, every: int = 1, file: TextIO | None = None
    ) -> None:
        self.use_tqdm = use_tqdm
        self.every = max(int(every), 1)
        self.file = file
        self._bar: Any = None

    def _stream(self) -> TextIO:
        return self.file if self.file is not None else sys.stdout

    def _make_bar(self, total: int) -> Any:
        if self.use_tqdm is False:
            return None
        stderr = sys.stderr
        try:
            tty = bool(stderr is not None and stderr.isatty())
        except (AttributeError, ValueError):
            tty = False
        if not tty:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=total, unit="epoch", leave=True, dynamic_ncols=True)

    def on_train_begin(self, history: History) -> None:
        total = self.state.epochs if self.state is not None else 0
        self._bar = self._make_bar(total)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        epochs = self.state.epochs if self.state is not None else epoch + 1
        if self._bar is not None:
            post = {
                k: _format_value(float(v))
                for k, v in logs.items()
                if k not in ("lr", "time") and isinstance(v, (int, float))
            }
            self._bar.set_postfix(post, refresh=False)
            self._bar.update(1)
            return
        if epoch == 0 or (epoch + 1) % self.every == 0 or epoch + 1 == epochs:
            print(epoch_line(epoch, epochs, logs), file=self._stream(), flush=True)

    def on_train_end(self, history: History) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            stream = sys.stderr
        else:
            stream = self._stream()
        reason = history.stopped_reason
        if reason not in (None, "max_epochs"):
            print(f"stopped after {history.epochs} epochs: {reason}", file=stream, flush=True)
