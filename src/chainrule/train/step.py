"""The training loop: one object that every trainer steps through.

:class:`Loop` holds the lecture's step and what happens around it::

    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()

plus the divergence guard (a non-finite loss or non-finite weights stop training and restore
the last finite weights), the time guard, Ctrl-C, the callbacks and the stoppers of
:mod:`chainrule.train.stoppers`. :func:`~chainrule.train.fit` prepares the data and runs it
epoch by epoch; the estimators feed it their own batches (scikit-learn's random stream) and
objective; the playground calls :meth:`Loop.step` in its time slices.

>>> import chainrule as cr
>>> from chainrule import nn, optim
>>> from chainrule.nn.losses import mse_loss
>>> model = nn.Linear(1, 1, generator=cr.Generator(0))
>>> loop = Loop(model, mse_loss, optim.SGD(model.parameters(), lr=0.5))
>>> X, y = cr.tensor([[0.0], [1.0]]), cr.tensor([[1.0], [3.0]])
>>> loop.begin()
>>> for epoch in range(200):
...     lr = loop.begin_epoch()
...     _ = loop.step(X, y)
...     if loop.end_epoch({"loss": loop.epoch_loss()}):
...         break
>>> round(model.weight.item(), 3), round(model.bias.item(), 3), loop.history.epochs
(2.0, 1.0, 200)
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from chainrule.backend import quiet_floats, xp
from chainrule.compile import CompileError
from chainrule.compile import compile as _compile
from chainrule.tensor import Tensor
from chainrule.train.callbacks import Callback, TrainState
from chainrule.train.dead import dead_units
from chainrule.train.history import History
from chainrule.train.snapshot import WeightSnapshot
from chainrule.train.stoppers import TimeLimit

__all__ = [
    "DeadUnitsWarning",
    "DivergenceWarning",
    "Loop",
    "align_targets",
    "compilable",
    "quiet_floats",
]


class DivergenceWarning(UserWarning):
    """Training diverged: a non-finite loss or non-finite weights (learning rate too high?).

    Examples
    --------
    >>> import warnings
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> from chainrule.nn.losses import mse_loss
    >>> from chainrule.train import fit
    >>> model = nn.Linear(1, 1, generator=cr.Generator(0))
    >>> X, y = cr.tensor([[100.0], [-200.0]]), cr.tensor([[1.0], [2.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     h = fit(model, mse_loss, optim.SGD(model.parameters(), lr=10.0), X, y,
    ...             epochs=100, batch_size="full", verbose=0)
    >>> h.stopped_reason, caught[0].category.__name__, bool(cr.isfinite(model.weight).all())
    ('diverged', 'DivergenceWarning', True)
    """


class DeadUnitsWarning(UserWarning):
    """No gradient reaches the first layer after the first backward pass: dead units.

    The message is :func:`chainrule.train.dead_units`' explanation.
    """


def align_targets(out: Any, yb: Tensor) -> Tensor:
    """Targets of shape (N,) for an output of shape (N, 1) become (N, 1) (floating).

    This avoids the silent (N, 1) - (N,) -> (N, N) broadcast; other shapes pass unchanged.

    >>> import chainrule as cr
    >>> align_targets(cr.zeros((2, 1)), cr.tensor([0, 1])).shape
    (2, 1)
    """
    if yb.ndim == 1 and getattr(out, "ndim", 0) == 2 and out.shape[1] == 1:
        return _as_column(yb, out.dtype)
    return yb


def _as_column(yb: Tensor, dtype: Any) -> Tensor:
    data = yb._data.reshape(-1, 1)
    if data.dtype.kind != "f":
        data = data.astype(dtype)
    return Tensor(data)


class Interrupts:
    """Turn the first Ctrl-C into a request to stop after the current batch.

    Only in the main thread (elsewhere signal handlers cannot be set); a second Ctrl-C
    raises KeyboardInterrupt at once, as usual.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except (ValueError, OSError):  # pragma: no cover - embedded interpreters
                self._installed = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


# layers whose replay by chainrule.compile was checked to give the eager weights (see
# tests/test_conv.py for the pooling layers); any other module keeps fit eager
_REPLAYABLE = (
    "Sequential", "Linear", "Identity", "Flatten", "LayerNorm", "Conv1d", "Conv2d", "MaxPool2d",
    "AvgPool2d",
)  # fmt: skip


def compilable(model: Any, optimizer: Any) -> bool:
    """Whether ``fit`` replays a step of ``model`` with :func:`chainrule.compile` by default.

    Only when the replay is known to give the eager weights: plain
    :class:`~chainrule.optim.SGD`, and a model built only of the layers checked for it
    (``Sequential``, ``Linear``, ``Identity``, ``Flatten``, ``LayerNorm``, ``Conv1d``,
    ``Conv2d``, ``MaxPool2d``, ``AvgPool2d`` and the activation modules). Buffers (BatchNorm's running statistics),
    random numbers (Dropout) and other layers keep the step eager.

    >>> from chainrule import nn, optim
    >>> net = nn.mlp([2, 4, 1])
    >>> compilable(net, optim.SGD(net.parameters(), lr=0.1))
    True
    >>> compilable(nn.Sequential(net, nn.Dropout(0.5)), optim.SGD(net.parameters(), lr=0.1))
    False
    """
    from chainrule.nn import activations
    from chainrule.optim import SGD

    if type(optimizer) is not SGD:
        return False
    for module in model.modules():
        known = (
            type(module).__name__ in _REPLAYABLE or type(module).__module__ == activations.__name__
        )
        if not known or module._buffers or "generator" in vars(module):
            return False
    return True


def _overrides(cb: Callback, hook: str) -> bool:
    """Whether ``cb`` does something at ``hook`` (the base class's hooks do nothing)."""
    return getattr(type(cb), hook, None) is not getattr(Callback, hook) or hook in vars(cb)


class Loop:
    """One training run's step and epoch end, with its guards, callbacks and stoppers.

    Call :meth:`begin` once, then per epoch :meth:`begin_epoch`, :meth:`step` per batch
    (or :meth:`run_epoch` over an iterable of batches) and :meth:`end_epoch` with the
    epoch's logs; :meth:`finish` at the end.

    Parameters
    ----------
    model : Module
    loss_fn : callable
        ``loss_fn(outputs, targets)``: a Tensor (or any object with ``item()`` and
        ``backward()``, such as the estimators' fused objective).
    optimizer : Optimizer
    callbacks : sequence of Callback
        Given this run's context; run at each hook in order.
    stoppers : sequence
        Objects with ``update_logs(logs) -> bool`` and a ``reason`` (see
        :mod:`chainrule.train.stoppers`), checked at each epoch end, in order.
    time_limit : float, optional
        Seconds of training, checked after every batch and epoch (``"time_limit"``).
    guard : bool
        The divergence guard: a non-finite loss (or a loss that refuses non-finite outputs)
        or non-finite weights at an epoch end stop training (``"diverged"``), restore the
        weights of the epoch's start and warn with :class:`DivergenceWarning`. False: train
        on, as scikit-learn does (the estimators check the weights at the end).
    align : bool
        Reshape (N,) targets to (N, 1) for (N, 1) outputs (see :func:`align_targets`).
    check_dead : bool
        After the first backward pass, ask :func:`~chainrule.train.dead_units` whether any
        gradient reaches the first layer; its explanation goes to :attr:`dead` (``fit``
        warns with it, :class:`DeadUnitsWarning`; the playground shows it).
    compile : bool
        Replay the step with :func:`chainrule.compile` after the first (eager) one: the same
        arithmetic without a Tensor or a graph node per op, so the same weights. A step that
        cannot be replayed (random numbers such as Dropout's, values read in Python) runs
        eagerly, silently. Do not use it for models with state changed outside ops
        (BatchNorm's running statistics): :func:`compilable` tells.
    history, state : optional
        The History to record into and the TrainState shared with the callbacks.
    ddp : DataParallel, optional
        Data-parallel training on several ranks
        (:class:`chainrule.distributed.DataParallel`): each step averages the gradients and
        lets the ranks agree on the loss, Ctrl-C and the time limit; only rank 0 runs the
        callbacks that write files or print; the step runs eagerly (``compile`` is ignored:
        the gradients are averaged between backward and the optimiser's step). Call
        :meth:`epoch_metrics` once per epoch. None (default): one process, no extra work.

    Attributes
    ----------
    diverged : str or None
        Why the guard stopped training, once it did.
    steps : int
        Optimiser steps taken.
    dead : str or None
        The dead-unit explanation, when the first backward pass found one.
    """

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[[Any, Any], Any],
        optimizer: Any,
        *,
        callbacks: Sequence[Callback] = (),
        stoppers: Sequence[Any] = (),
        time_limit: float | None = None,
        guard: bool = True,
        align: bool = True,
        check_dead: bool = True,
        compile: bool = False,
        history: History | None = None,
        state: TrainState | None = None,
        ddp: Any = None,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.history = history if history is not None else History()
        self.state = state if state is not None else TrainState()
        self.ddp = ddp
        # only rank 0 writes files and progress
        self.callbacks = list(callbacks) if ddp is None else ddp.callbacks(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"fit: callbacks must be Callback instances, got {type(cb).__name__}"
                )
            cb.set_context(model, optimizer, self.history, self.state)
        self.stoppers = list(stoppers)
        self.timer = None if time_limit is None else TimeLimit(time_limit)
        # whether the time is up: this process's clock, or as the ranks last agreed
        self._expired = None if self.timer is None else self.timer.expired
        if ddp is not None and self.timer is not None:
            self._expired = lambda: ddp.late
        self.align = align
        self.guard = WeightSnapshot(model) if guard else None
        # only the callbacks that do something at a hook are called there (per batch, it adds up)
        self.begin_cbs = [c for c in self.callbacks if _overrides(c, "on_epoch_begin")]
        self.batch_cbs = [c for c in self.callbacks if _overrides(c, "on_batch_end")]
        # when no callback can change the weights after an epoch, the weights checked at its
        # end are those the next epoch starts from, and the check's copy serves as its snapshot
        self.keep = all(
            not c.touches_weights or not _overrides(c, "on_epoch_end") for c in self.callbacks
        )
        self.diverged: str | None = None
        self.compiled = _compile(self._whole_step) if compile and ddp is None else None
        self._out: Any = None  # the last eager outputs (their shape and dtype)
        self.check_dead = check_dead
        self.dead: str | None = None
        self.steps = 0
        self.epoch = -1
        self.lr = math.nan
        self.total, self.count = 0.0, 0
        self.out: Any = None
        self.targets: Any = None
        self.interrupts: Interrupts | None = None  # set while ``running``

    # ------------------------------------------------------------------ run
    def begin(self) -> None:
        """Start the run: the clock, train mode, the callbacks' ``on_train_begin``."""
        if self.timer is not None:
            self.timer.start()
        if self.guard is not None:
            self.guard.save()
        self.model.train()
        for cb in self.callbacks:
            cb.on_train_begin(self.history)

    def begin_epoch(self) -> float:
        """Start an epoch: snapshot the weights for the guard; return the learning rate."""
        self.epoch += 1
        self.state.epoch, self.state.batch = self.epoch, 0
        self.lr = float(self.optimizer.param_groups[0]["lr"])
        if self.guard is not None and not self.guard.save_checked():
            # a callback left non-finite weights: back to the last finite ones
            self._diverge("the weights are not finite at the start of the epoch")
        for cb in self.begin_cbs:
            cb.on_epoch_begin(self.epoch, {"lr": self.lr})
        self.total, self.count = 0.0, 0
        return self.lr

    def step(self, xb: Any, yb: Any) -> float | None:
        """One optimiser step on a batch; the batch loss, or None when training diverged.

        On divergence the weights are back at the epoch's start and :attr:`diverged` says
        why; call :meth:`recover` (or let :meth:`run_epoch` do it) to stop and warn. Under
        ``ddp`` the loss is the global batch's and :attr:`out` is None for an empty batch.
        """
        if self.ddp is not None:
            return self._step_ranks(xb, yb)
        if self.compiled is not None and self.steps:
            yb = self._replay_targets(yb)
            try:
                loss, out = self.compiled(xb, yb)
            except (CompileError, ValueError):
                # a step that reads values, draws random numbers, or meets a NaN while
                # recording: eager from now on (a failed recording stops before the step)
                self.compiled = None
                return self.step(xb, yb)
            value = float(loss._data.item())  # the replay's loss: a fresh Tensor, one value
            if self.guard is not None and not math.isfinite(value):
                return self._diverge(f"the loss of batch {self.state.batch} is {value}")
        else:
            self.optimizer.zero_grad()
            out, yb, loss = self._forward(xb, yb)
            if loss is None:
                return self._diverge(self._nonfinite_outputs())
            value = float(loss.item())
            if self.guard is not None and not math.isfinite(value):
                return self._diverge(f"the loss of batch {self.state.batch} is {value}")
            loss.backward()
            if self.check_dead and not self.steps:
                self._check_dead(xb)
            self.optimizer.step()
            self._out = out._data
        self.steps += 1
        return self._record(value, xb.shape[0], out, yb)

    def _step_ranks(self, xb: Any, yb: Any) -> float | None:
        """:meth:`step` as one rank of several: the gradients of the global batch.

        Every rank takes part in the exchange, even with no rows (its share of an epoch's
        last step may be empty) or a non-finite loss (it adds NaN to the global loss, so
        that every rank diverges at the same step).
        """
        self.optimizer.zero_grad()
        out, n, value, why = None, xb.shape[0], 0.0, None
        if n:
            out, yb, loss = self._forward(xb, yb)
            if loss is None:
                value, why = math.nan, self._nonfinite_outputs()
            else:
                value = float(loss.item())
                if math.isfinite(value) or self.guard is None:
                    loss.backward()
        late = self.timer is not None and self.timer.expired()
        value, rows = self.ddp.step(value * n, n, late)  # the global mean loss and rows
        if self.guard is not None and not math.isfinite(value):
            return self._diverge(why or f"the loss of batch {self.state.batch} is {value}")
        if self.check_dead and not self.steps and n:
            self._check_dead(xb)  # on the averaged gradients, equal on every rank
        self.optimizer.step()
        self.steps += 1
        return self._record(value, rows, out, yb)

    def _forward(self, xb: Any, yb: Any) -> tuple[Any, Any, Any]:
        """The outputs, the (aligned) targets and the loss; the loss is None when the loss
        function refused non-finite outputs (divergence, under the guard)."""
        out = self.model(xb)
        if self.align:
            yb = align_targets(out, yb)
        try:
            return out, yb, self.loss_fn(out, yb)
        except ValueError:  # losses refuse NaN inputs: report it as divergence
            if self.guard is None or bool(xp.isfinite(out._data).all()):
                raise
            return out, yb, None

    def _nonfinite_outputs(self) -> str:
        return f"the outputs of batch {self.state.batch} are not finite"

    def _record(self, value: float, n: int, out: Any, yb: Any) -> float:
        """Account for a step's loss over its ``n`` rows; the batch callbacks."""
        self.total += value * n
        self.count += n
        self.out, self.targets = out, yb
        if self.batch_cbs:
            logs = {"loss": value, "size": n}
            for cb in self.batch_cbs:
                cb.on_batch_end(self.state.batch, logs)
        self.state.batch += 1
        return value

    def _whole_step(self, xb: Any, yb: Any) -> tuple[Any, Any]:
        """The step that :func:`chainrule.compile` records and replays."""
        self.optimizer.zero_grad()
        out = self.model(xb)
        loss = self.loss_fn(out, yb)
        loss.backward()
        self.optimizer.step()
        return loss, out

    def _replay_targets(self, yb: Any) -> Any:
        """The targets of a compiled step, aligned outside it from the outputs' shape seen
        eagerly (a new Tensor made inside a step could not be replayed)."""
        shape = self._out.shape
        if len(shape) == 2 and shape[1] == 1 and self.align and getattr(yb, "ndim", 0) == 1:
            return _as_column(yb, self._out.dtype)
        return yb

    def _check_dead(self, xb: Any) -> None:
        self.dead = dead_units(self.model, xb)

    def _diverge(self, why: str) -> None:
        self.diverged = why
        self.guard.restore()
        return None

    def run_epoch(
        self, batches: Iterable[Any], collect: Callable[[Any, Any], None] | None = None
    ) -> bool:
        """:meth:`step` over ``batches`` (pairs of Tensors) until they end or a guard stops.

        ``collect(out, targets)`` sees every batch's outputs (under ``ddp``, this rank's
        non-empty ones). Returns False when training diverged (the weights restored, the
        warning given, ``"diverged"`` requested).
        """
        state, expired, interrupts = self.state, self._expired, self.interrupts
        for xb, yb in () if self.diverged is not None else batches:
            if self.step(xb, yb) is None:
                break
            if collect is not None and self.out is not None:
                collect(self.out._data, self.targets._data)
            if interrupts is not None and interrupts.requested:
                raise KeyboardInterrupt
            if state.stop:
                break
            if expired is not None and expired():
                state.request_stop(TimeLimit.reason)
                break
        if self.diverged is None and self.count:
            self.check_weights()
        if self.diverged is not None:
            self.recover()
            return False
        return True

    def check_weights(self) -> bool:
        """The guard's end-of-epoch check: whether every weight is finite. If not, the
        weights go back to the epoch's start and :attr:`diverged` says so."""
        if self.guard is None or self.guard.check(self.keep):
            return True
        self._diverge("the weights are no longer finite")
        return False

    def recover(self, stacklevel: int = 4) -> None:
        """After divergence: warn with the epoch and learning rate, and stop (``"diverged"``)."""
        epoch, lr = self.epoch, self.lr
        warnings.warn(
            f"training diverged in epoch {epoch} (0-based): {self.diverged}. The weights "
            f"were restored to those at the start of epoch {epoch}. The learning "
            f"rate {lr:g} is probably too high: try a smaller one (e.g. {lr / 10:g}), "
            "standardise the inputs, or clip gradients.",
            DivergenceWarning,
            stacklevel=stacklevel,
        )
        self.state.request_stop("diverged", override=True)

    def epoch_loss(self) -> float:
        """The epoch's training loss: the batch losses' mean weighted by batch size."""
        if self.count == 0:
            raise ValueError("fit: an epoch had no batches (is the training data empty?)")
        return self.total / self.count

    def epoch_metrics(self, metrics: Sequence[tuple[str, Any]], collected: Any) -> dict:
        """The epoch's training metrics computed on ``collected`` (with ``compute(metrics)``
        and the ``outs`` it gathered; None without metrics).

        Under ``ddp``: averaged over the ranks, which also agree on the stop requests and
        take rank 0's buffers; every rank must call it once per epoch, before
        :meth:`end_epoch`.
        """
        if self.ddp is not None:
            late = self.timer is not None and self.timer.expired()
            return self.ddp.end_epoch(metrics, collected, late)
        return {} if collected is None else collected.compute(metrics)

    def end_epoch(self, logs: dict[str, Any], record: bool = True) -> bool:
        """Record the epoch's ``logs`` (unless ``record`` is False: a live display keeps no
        history), apply the stoppers and callbacks; whether to stop."""
        if record:
            self.history.record(logs)
        state = self.state
        for stopper in self.stoppers:
            if stopper.update_logs(logs):
                state.request_stop(stopper.reason)
        if self._expired is not None and self._expired():
            state.request_stop(TimeLimit.reason)
        for cb in self.callbacks:
            cb.on_epoch_end(self.epoch, logs)
        if self.interrupts is not None and self.interrupts.requested:
            raise KeyboardInterrupt
        return state.stop

    def finish(self) -> History:
        """End the run: the stop reason, the callbacks' ``on_train_end``; the History."""
        state = self.state
        self.history.stopped_reason = state.reason if state.stop else "max_epochs"
        for cb in self.callbacks:
            cb.on_train_end(self.history)
        return self.history

    @contextlib.contextmanager
    def running(self) -> Iterator[Loop]:
        """Quiet floats and Ctrl-C as a stop request around a run; a KeyboardInterrupt (a
        second Ctrl-C, or one raised by a callback) stops with ``"interrupted"``."""
        try:
            with quiet_floats(), Interrupts() as interrupts:
                # under ddp, a Ctrl-C counts once every rank has heard of it
                self.interrupts = interrupts if self.ddp is None else self.ddp.agreed(interrupts)
                yield self
        except KeyboardInterrupt:
            self.state.request_stop("interrupted", override=True)
        finally:
            self.interrupts = None
