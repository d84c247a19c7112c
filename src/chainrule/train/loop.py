"""``fit``: the training loop of the lecture, with its stopping criteria made first-class.

The loss over the training set is J(θ) = Σᵢ l(NN(xᵢ, θ), yᵢ). Starting from the model's
(random) initial θ, ``fit`` repeats, until a stopping criterion holds: pick a random example
(``batch_size=1``: stochastic gradient descent), a random mini-batch, or the whole set
(``batch_size="full"``: gradient descent); compute ∇θ l by backpropagation; let the optimiser
step θ ← θ − η∇θ l. Each step is exactly::

    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()

>>> import chainrule as cr
>>> from chainrule import nn, optim
>>> from chainrule.nn.losses import binary_cross_entropy_with_logits as bce
>>> from chainrule.train import fit
>>> X = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> y = cr.tensor([0.0, 1.0, 1.0, 1.0])                      # logical OR
>>> model = nn.mlp([2, 1], seed=0)                          # logistic regression
>>> history = fit(model, bce, optim.SGD(model.parameters(), lr=1.0), X, y, epochs=200,
...               batch_size="full", metrics=["accuracy"], verbose=0, seed=0)
>>> history["accuracy"][-1], history.stopped_reason
(1.0, 'max_epochs')
"""

from __future__ import annotations

import contextlib
import math
import numbers
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from chainrule import dtypes
from chainrule.autograd import no_grad
from chainrule.backend import xp
from chainrule.creation import Generator
from chainrule.data import DataLoader, TensorDataset
from chainrule.tensor import Tensor, as_tensor
from chainrule.train._metrics import MetricFn, resolve_metrics
from chainrule.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LRScheduler,
    ModelCheckpoint,
    ProgressBar,
    TrainState,
)
from chainrule.train.history import History, higher_is_better

__all__ = ["DivergenceWarning", "evaluate", "fit"]

EVAL_BATCH = 4096  # rows per forward pass when evaluating (bounds memory, not semantics)


class DivergenceWarning(UserWarning):
    """Training diverged: a non-finite loss or non-finite weights (learning rate too high?).

    Examples
    --------
    >>> import warnings
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> from chainrule.nn.losses import mse_loss
    >>> model = nn.Linear(1, 1, generator=cr.Generator(0))
    >>> X, y = cr.tensor([[100.0], [-200.0]]), cr.tensor([[1.0], [2.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     h = fit(model, mse_loss, optim.SGD(model.parameters(), lr=10.0), X, y,
    ...             epochs=100, batch_size="full", verbose=0)
    >>> h.stopped_reason, caught[0].category.__name__, bool(cr.isfinite(model.weight).all())
    ('diverged', 'DivergenceWarning', True)
    """


# ----------------------------------------------------------------------------- data plumbing
def _is_batches(obj: Any) -> bool:
    """True for a DataLoader or another re-iterable source of ``(xb, yb)`` batches."""
    if isinstance(obj, DataLoader):
        return True
    if isinstance(obj, (Tensor, list, tuple)) or hasattr(obj, "shape"):
        return False
    return hasattr(obj, "__iter__")


def _array(a: Any, name: str) -> Any:
    try:
        return a.data if isinstance(a, Tensor) else as_tensor(a).data
    except (TypeError, ValueError) as exc:
        raise TypeError(f"fit: {name} must be an array, a Tensor or a list, got {exc}") from None


def _features(a: Any, dtype: Any, name: str) -> Any:
    """Features as the model's floating dtype (converted once, not per batch)."""
    arr = _array(a, name)
    if arr.ndim == 0:
        raise ValueError(f"fit: {name} must have a first axis indexing the examples")
    if arr.dtype != dtype and arr.dtype.kind in "biuf":
        arr = arr.astype(dtype)
    return arr


def _targets(a: Any, dtype: Any, name: str) -> Any:
    """Targets: floating ones in the model's dtype; integer labels stay integers."""
    arr = _array(a, name)
    if arr.ndim == 0:
        raise ValueError(f"fit: {name} must have a first axis indexing the examples")
    if arr.dtype.kind == "f" and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


def _model_dtype(model: Any) -> Any:
    for p in model.parameters():
        if dtypes.is_floating(p.dtype):
            return p.dtype
    return dtypes.get_default_dtype()


def _unpack(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"{len(batch)} fields" if isinstance(batch, (tuple, list)) else type(batch).__name__
        raise ValueError(f"fit: every batch must be a pair (inputs, targets), got {got}")
    xb, yb = batch
    return (xb if isinstance(xb, Tensor) else as_tensor(xb)), (
        yb if isinstance(yb, Tensor) else as_tensor(yb)
    )


def _cast_inputs(xb: Tensor, dtype: Any) -> Tensor:
    if xb.dtype != dtype and xb.dtype.kind in "biuf":
        return Tensor(xb.data.astype(dtype))
    return xb


def _align(out: Any, yb: Tensor) -> Tensor:
    """Targets of shape (N,) for an output of shape (N, 1) become (N, 1) (floating).

    This avoids the silent (N, 1) - (N,) -> (N, N) broadcast; other shapes pass unchanged.
    """
    if yb.ndim == 1 and getattr(out, "ndim", 0) == 2 and out.shape[1] == 1:
        data = yb.data.reshape(-1, 1)
        if data.dtype.kind != "f":
            data = data.astype(out.dtype)
        return Tensor(data)
    return yb


class _FixedBatches:
    """An unshuffled DataLoader's batches, taken once and re-wrapped each epoch.

    Without shuffling every epoch visits the same read-only views of the data (those the
    DataLoader yields), so they are taken from it once; each epoch wraps them in fresh
    Tensors, as the DataLoader does. This spares the loader's per-epoch set-up, which costs
    as much as a step of a small network trained by full-batch descent.
    """

    MAX_BATCHES = 64  # views to keep (a few hundred bytes each)

    def __init__(self, loader: DataLoader) -> None:
        self.batches = [tuple(t.data for t in batch) for batch in loader]

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        return iter([tuple(map(Tensor, views)) for views in self.batches])


def _chunks(X: Any, y: Any, size: int) -> Iterator[tuple[Tensor, Tensor]]:
    for start in range(0, X.shape[0], size):
        yield Tensor(X[start : start + size]), Tensor(y[start : start + size])


class _Collector:
    """Outputs and targets of an epoch, concatenated only when the metrics need them."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.outs: list[Any] = []
        self.ys: list[Any] = []

    def add(self, out: Any, yb: Any) -> None:
        if self.active:
            self.outs.append(out)
            self.ys.append(yb)

    def compute(self, metrics: Sequence[tuple[str, MetricFn]], prefix: str = "") -> dict:
        if not metrics or not self.outs:
            return {}
        out = xp.concatenate(self.outs) if len(self.outs) > 1 else self.outs[0]
        y = xp.concatenate(self.ys) if len(self.ys) > 1 else self.ys[0]
        return {prefix + name: float(fn(y, out)) for name, fn in metrics}


def _run_eval(
    model: Any,
    loss_fn: Callable,
    batches: Iterable[Any],
    metrics: Sequence[tuple[str, MetricFn]],
    dtype: Any,
    prefix: str,
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    coll = _Collector(bool(metrics))
    try:
        with no_grad():
            for batch in batches:
                xb, yb = _unpack(batch)
                xb = _cast_inputs(xb, dtype)
                out = model(xb)
                yb = _align(out, yb)
                n = xb.shape[0]
                total += float(loss_fn(out, yb).item()) * n
                count += n
                coll.add(out.data, yb.data)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("fit: the validation data is empty")
    logs = {prefix + "loss": total / count}
    logs.update(coll.compute(metrics, prefix))
    return logs


def evaluate(
    model: Any,
    loss_fn: Callable,
    X: Any,
    y: Any = None,
    *,
    metrics: Iterable[Any] = (),
    batch_size: int = EVAL_BATCH,
) -> dict[str, float]:
    """The mean loss and metrics of ``model`` on ``(X, y)`` (or a DataLoader ``X``).

    Runs under ``no_grad`` in eval mode (Dropout off, BatchNorm on running statistics) and
    puts the model back in the mode it was in.

    Parameters
    ----------
    model : Module
    loss_fn : callable
        ``loss_fn(outputs, targets)``, mean-reduced.
    X, y : array-like or Tensor, or a DataLoader as ``X``
    metrics : iterable of str or callable
        As for :func:`fit`.
    batch_size : int
        Rows per forward pass (memory only; the result does not depend on it).

    Returns
    -------
    dict
        ``{"loss": ..., <metric>: ...}``.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> from chainrule.nn.losses import mse_loss
    >>> model = nn.Linear(1, 1)
    >>> _ = model.load_state_dict({"weight": [[2.0]], "bias": [0.0]})
    >>> evaluate(model, mse_loss, [[1.0], [2.0]], [2.0, 5.0], metrics=["mae"])
    {'loss': 0.5, 'mae': 0.5}
    """
    dtype = _model_dtype(model)
    resolved = resolve_metrics(metrics, loss_fn)
    if _is_batches(X):
        if y is not None:
            raise TypeError("evaluate: pass y=None when X is a DataLoader")
        return _run_eval(model, loss_fn, X, resolved, dtype, "")
    if y is None:
        raise TypeError("evaluate: y is required unless X is a DataLoader")
    Xa, ya = _features(X, dtype, "X"), _targets(y, dtype, "y")
    return _run_eval(model, loss_fn, _chunks(Xa, ya, batch_size), resolved, dtype, "")


# ----------------------------------------------------------------------------- guards
@contextlib.contextmanager
def _quiet_floats() -> Iterator[None]:
    """No NumPy overflow/invalid warnings inside fit: the divergence guard reports them."""
    errstate = getattr(xp, "errstate", None)
    if errstate is None:  # pragma: no cover - CuPy does not warn
        yield
        return
    with errstate(over="ignore", invalid="ignore", divide="ignore"):
        yield


class _Interrupts:
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

    def __enter__(self) -> _Interrupts:
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


def _finite(flat: Any) -> bool:
    """Whether every element of a 1-d array is finite.

    A finite sum proves it (an inf or a NaN makes the sum non-finite) in one reduction;
    only a non-finite sum, which finite values can also overflow to, needs the exact test.
    """
    if flat.dtype.kind == "f" and math.isfinite(xp.add.reduce(flat)):
        return True
    return bool(xp.isfinite(flat).all())


# built-in callbacks that do not change the weights at the end of an epoch
_WEIGHT_NEUTRAL = (
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LRScheduler,
    ModelCheckpoint,
    ProgressBar,
)


def _overrides(cb: Callback, hook: str) -> bool:
    """Whether ``cb`` does something at ``hook`` (the base class's hooks do nothing)."""
    return getattr(type(cb), hook, None) is not getattr(Callback, hook) or hook in vars(cb)


class _WeightGuard:
    """The divergence guard's copy of the last finite weights, in arrays allocated once.

    The parameters are copied, one ``concatenate`` per dtype, into a flat array (a state_dict
    per epoch cost more than a small network's step); the buffers (BatchNorm's running
    statistics), which a module may replace rather than update, are copied one by one.
    ``check`` copies the current weights into a second set of arrays and tests those for
    finiteness; when nothing can change the weights before the next epoch starts (no
    callbacks), that copy is the next epoch's snapshot and ``save`` has nothing to do.
    """

    def __init__(self, model: Any) -> None:
        groups: dict[Any, list[Any]] = {}
        for p in model.parameters():
            groups.setdefault(p.data.dtype, []).append(p)
        self.groups = [(tuple(ps), dt) for dt, ps in groups.items()]
        self.slots = [
            (mod, name) for _, mod in model.named_modules() for name in list(mod._buffers)
        ]
        self.current = self._alloc()
        self.spare = self._alloc()
        try:  # whether the backend copies many arrays into one flat array in one call
            for (ps, _), flat in zip(self.groups, self.spare[0]):
                xp.concatenate([p.data for p in ps], axis=None, out=flat)
            fused = True
        except (TypeError, ValueError):  # pragma: no cover - a backend without axis=None
            fused = False
        self.simple = (
            fused and len(self.groups) == 1 and self.groups[0][1].kind == "f" and not self.slots
        )
        self.fresh = False  # ``current`` already holds the weights as they are now

    def _alloc(self) -> tuple[list[Any], list[Any]]:
        flats = [xp.empty(sum(int(p.data.size) for p in ps), dtype=dt) for ps, dt in self.groups]
        return flats, [None] * len(self.slots)

    def _copy_into(self, into: tuple[list[Any], list[Any]], test: bool = True) -> bool:
        """Copy the weights into ``into``; ``test``: return whether the parameters are finite."""
        flats, saved = into
        finite = True
        for (ps, _), flat in zip(self.groups, flats):
            try:
                xp.concatenate([p.data for p in ps], axis=None, out=flat)
            except (TypeError, ValueError):  # pragma: no cover - a backend without axis=None
                start = 0
                for p in ps:
                    n = int(p.data.size)
                    flat[start : start + n] = p.data.reshape(-1)
                    start += n
            if test and finite and not _finite(flat):
                finite = False
        if self.slots:
            for i, (mod, name) in enumerate(self.slots):
                b = mod._buffers.get(name)
                s = saved[i]
                if b is None:
                    saved[i] = None
                elif s is not None and s.shape == b.shape and s.dtype == b.dtype:
                    xp.copyto(s, b)
                else:
                    saved[i] = xp.array(b, copy=True)
        return finite

    def save(self) -> None:
        """Snapshot the weights as they are now (free when ``check`` just did)."""
        if not self.fresh:
            self._copy_into(self.current, test=False)
        self.fresh = False

    def check(self, keep: bool) -> bool:
        """Whether every parameter is finite; ``keep``: the copy becomes the next snapshot."""
        if self.simple:  # the usual case, spelled out: one floating dtype, no buffers
            flat = self.spare[0][0]
            xp.concatenate([p.data for p in self.groups[0][0]], axis=None, out=flat)
            finite = math.isfinite(xp.add.reduce(flat)) or bool(xp.isfinite(flat).all())
        else:
            finite = self._copy_into(self.spare)
        if finite and keep:
            self.current, self.spare = self.spare, self.current
            self.fresh = True
        return finite

    def restore(self) -> None:
        """Put the snapshot back into the parameters (in place) and the buffers."""
        flats, saved = self.current
        for (ps, _), flat in zip(self.groups, flats):
            start = 0
            for p in ps:
                n = int(p.data.size)
                p.data[...] = flat[start : start + n].reshape(p.data.shape)
                start += n
        for (mod, name), s in zip(self.slots, saved):
            if s is not None:
                current = mod._buffers.get(name)
                mod._buffers[name] = s.astype(current.dtype) if current is not None else s.copy()


def _late(deadline: float | None) -> bool:
    """Whether the time limit has run out."""
    return deadline is not None and time.perf_counter() >= deadline


def _data_parallel(model: Any, distributed: bool | None) -> Any:
    """A :class:`chainrule.distributed.DataParallel` when training on several ranks, else None."""
    from chainrule.distributed import DataParallel  # the distributed layer sits below train

    return DataParallel(model) if DataParallel.wanted(distributed) else None


def _check_target(target: Mapping[str, float] | None) -> dict[str, float]:
    if target is None:
        return {}
    if not isinstance(target, Mapping) or not target:
        raise TypeError(
            f"fit: target must be a non-empty dict such as {{'val_accuracy': 0.99}}, got {target!r}"
        )
    return {str(k): float(v) for k, v in target.items()}


def _target_reached(target: Mapping[str, float], logs: Mapping[str, Any]) -> bool:
    for key, goal in target.items():
        if key not in logs:
            known = ", ".join(k for k in logs if k not in ("lr", "time"))
            raise ValueError(f"fit: target {key!r} is not logged (logged: {known})")
        value = float(logs[key])
        ok = value >= goal if higher_is_better(key) else value <= goal
        if not ok:
            return False
    return True


def _derive_seeds(seed: Any) -> tuple[Any, Any]:
    """The loader's seed and Dropout's generator from ``fit``'s seed."""
    if seed is None:
        return None, None
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"fit: seed must be an int or None, got {type(seed).__name__}")
    a, b = (int(v) for v in Generator(int(seed)).integers(0, 2**62, (2,)))
    return a, Generator(b)


# ----------------------------------------------------------------------------- fit
def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    X: Any,
    y: Any = None,
    *,
    epochs: int = 100,
    batch_size: int | str = 32,
    validation_data: Any = None,
    validation_split: float = 0.0,
    metrics: Iterable[Any] = (),
    callbacks: Iterable[Callback] = (),
    verbose: int = 1,
    seed: int | None = None,
    shuffle: bool = True,
    tol: float | None = None,
    n_iter_no_change: int = 10,
    target: Mapping[str, float] | None = None,
    time_limit: float | None = None,
    record_grad_norms: bool = False,
    scheduler: Any = None,
    distributed: bool | None = None,
) -> History:
    """Train ``model`` by minimising ``loss_fn`` with ``optimizer``, until a criterion stops it.

    Parameters
    ----------
    model : Module
        The network; trained in train mode (put back in its former mode at the end).
    loss_fn : callable
        ``loss_fn(outputs, targets) -> Tensor``, mean-reduced: a function of
        :mod:`chainrule.nn.losses` or a loss module. A target of shape (N,) for an output of
        shape (N, 1) is reshaped to (N, 1) (and made floating) first.
    optimizer : Optimizer
        Over the model's parameters (``optimizer.param_groups[0]["lr"]`` is logged).
    X : array-like, Tensor or DataLoader
        Training inputs, one example per row; or a DataLoader (any re-iterable of
        ``(xb, yb)`` batches), in which case ``y``, ``batch_size``, ``shuffle`` and
        ``validation_split`` do not apply. Floating and integer inputs are converted once to
        the model's dtype.
    y : array-like or Tensor, optional
        Targets, one per row of ``X``: class indices, 0/1 labels or values.
    epochs : int
        The most epochs (passes over the data) to run.
    batch_size : int or "full"
        Examples per step: 1 is stochastic gradient descent, "full" is gradient descent.
    validation_data : (X_val, y_val) or DataLoader, optional
        Evaluated after every epoch (eval mode, no graph): ``val_loss`` and ``val_<metric>``.
    validation_split : float
        Instead of ``validation_data``: hold out the **last** fraction of the rows of ``X``
        and ``y`` (taken before any shuffling, as Keras does; shuffle the data beforehand if
        it is ordered, e.g. with ``chainrule.data.train_test_split``).
    metrics : iterable of str or callable
        Names ('accuracy', 'precision', 'recall', 'f1', 'log_loss', 'mse', 'mae', 'r2'; see
        :func:`~chainrule.train.get_metric` for how outputs become labels or probabilities)
        or callables ``fn(y_true, outputs) -> float`` on backend arrays. Training metrics are
        computed on the outputs seen during the epoch (no extra pass).
    callbacks : iterable of Callback
        Run in order, after the built-in stopping criteria are checked at each epoch end.
    verbose : int
        0: silent; 1: a tqdm bar on a terminal, else one line per epoch; 2: one line per
        epoch.
    seed : int, optional
        Makes training repeatable: the shuffling order and the masks of Dropout layers
        without a generator of their own come from generators derived from it, so the same
        seed (and the same initial weights) gives bit-identical weights. None: chainrule's
        global generator (``chainrule.manual_seed``).
    shuffle : bool
        Visit the examples in a new random order each epoch.
    tol : float, optional
        With ``n_iter_no_change``: stop (``"tol"``) when the training loss has not improved
        on the best loss so far by at least ``tol`` for ``n_iter_no_change`` consecutive
        epochs (the rule of scikit-learn's SGD estimators).
    n_iter_no_change : int
        See ``tol``.
    target : dict, optional
        Stop (``"target_reached"``) once every given logged value reaches its goal, e.g.
        ``{"val_accuracy": 0.99}`` (at least, for accuracies and scores) or
        ``{"loss": 0.01}`` (at most, for losses and errors).
    time_limit : float, optional
        Seconds of training; checked after every batch. When it runs out the epoch ends
        early, is evaluated and recorded, and training stops (``"time_limit"``).
    record_grad_norms : bool
        Record each Linear weight's mean gradient norm per epoch in ``history.grad_norms``
        (adds a :class:`~chainrule.train.GradientFlow` callback).
    scheduler : optional
        A learning-rate scheduler stepped after every epoch (adds
        :class:`~chainrule.train.LRScheduler`); ``ReduceLROnPlateau`` gets ``val_loss`` when
        there is validation data, else ``loss``.
    distributed : bool, optional
        Data-parallel training on MPI (:mod:`chainrule.distributed`); None (default): when
        launched by ``mpiexec`` with more than one rank. ``batch_size`` is per rank: N ranks
        at batch b train as one process at batch N·b. Every rank passes the same data; only
        rank 0 prints progress and runs the callbacks that write files.

    Returns
    -------
    History
        Per-epoch ``loss``, metrics, ``val_*``, ``lr`` and ``time``, and why training
        stopped (``stopped_reason``).

    Notes
    -----
    Stopping criteria, checked after every epoch in this order (the first reason wins):
    ``target``, ``tol``, ``time_limit``, then callbacks such as
    :class:`~chainrule.train.EarlyStopping`; otherwise training ends after ``epochs``
    epochs (``"max_epochs"``).

    Divergence guard: a non-finite batch loss stops training at once, as do non-finite
    weights at the end of an epoch. The weights are restored to those at the start of the
    epoch (the last ones known finite), a :class:`DivergenceWarning` names the epoch and the
    learning rate, and ``stopped_reason`` is ``"diverged"``; the diverged epoch is not
    recorded. The optimiser's state (momenta) may be non-finite afterwards: make a new
    optimiser before training further.

    Ctrl-C (or a ``KeyboardInterrupt`` raised by a callback) stops training after the
    current batch, keeps the weights as they are, and returns the History with
    ``interrupted=True`` (``stopped_reason="interrupted"``); the unfinished epoch is not
    recorded. A second Ctrl-C interrupts at once.

    The training loss of an epoch is the mean of its batch losses weighted by batch size
    (the mean over the epoch's examples, exact for mean-reduced losses).

    NumPy's floating-point warnings (overflow, invalid value, division by zero) are silenced
    inside ``fit``: the divergence guard reports non-finite values instead.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn, optim
    >>> from chainrule.nn.losses import mse_loss
    >>> X = cr.arange(8, dtype=cr.float32).reshape(8, 1) / 8
    >>> y = 3 * X + 1
    >>> model = nn.Linear(1, 1, generator=cr.Generator(0))
    >>> h = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.5), X, y, epochs=500,
    ...         batch_size="full", target={"loss": 1e-4}, verbose=0)
    >>> h.stopped_reason, round(model.weight.item(), 2), round(model.bias.item(), 2)
    ('target_reached', 3.0, 1.0)
    """
    # ------------------------------------------------------------------ arguments
    if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    if tol is not None and tol < 0:
        raise ValueError(f"fit: tol must be >= 0, got {tol}")
    if n_iter_no_change < 1:
        raise ValueError(f"fit: n_iter_no_change must be >= 1, got {n_iter_no_change}")
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"fit: time_limit must be > 0 seconds, got {time_limit}")
    goals = _check_target(target)
    dtype = _model_dtype(model)
    metric_fns = resolve_metrics(metrics, loss_fn)
    loader_seed, dropout_gen = _derive_seeds(seed)
    ddp = _data_parallel(model, distributed)  # None on one process

    # ------------------------------------------------------------------ data
    val_batches: Callable[[], Iterable[Any]] | None = None
    n_train: int | None = None
    n_val: int | None = None
    if _is_batches(X):
        if y is not None:
            raise TypeError("fit: pass y=None when X is a DataLoader (it yields the targets)")
        if validation_split:
            raise ValueError("fit: validation_split needs arrays; pass validation_data instead")
        if iter(X) is X:
            raise TypeError("fit: X must be re-iterable (a DataLoader), not a one-shot iterator")
        loader = X
        if ddp is not None:  # each rank's own loader, already its share of the data
            ddp.check_batches(loader)
    else:
        if y is None:
            raise TypeError("fit: y is required unless X is a DataLoader")
        Xa, ya = _features(X, dtype, "X"), _targets(y, dtype, "y")
        if Xa.shape[0] != ya.shape[0]:
            raise ValueError(
                f"fit: X has {Xa.shape[0]} rows but y has {ya.shape[0]}; they must match"
            )
        if validation_split:
            if validation_data is not None:
                raise ValueError("fit: give validation_data or validation_split, not both")
            n_val = round(Xa.shape[0] * validation_split)
            if not 0 < n_val < Xa.shape[0]:
                raise ValueError(
                    f"fit: validation_split={validation_split} of {Xa.shape[0]} rows leaves "
                    f"{n_val} for validation; it needs at least one row on each side"
                )
            cut = Xa.shape[0] - n_val
            Xa, ya, Xv, yv = Xa[:cut], ya[:cut], Xa[cut:], ya[cut:]
            val_batches = lambda: _chunks(Xv, yv, EVAL_BATCH)
        n_train = int(Xa.shape[0])
        if n_train == 0:
            raise ValueError("fit: the training data is empty")
        if ddp is not None:  # this rank's strided share of each epoch
            loader = ddp.loader((Xa, ya), batch_size, shuffle, loader_seed)
        else:
            loader = DataLoader(
                TensorDataset(Xa, ya), batch_size=batch_size, shuffle=shuffle, seed=loader_seed
            )
            if not loader.shuffle and len(loader) <= _FixedBatches.MAX_BATCHES:
                loader = _FixedBatches(loader)
    if validation_data is not None:
        if _is_batches(validation_data):
            val_batches = lambda: validation_data
        else:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(
                    "fit: validation_data must be a pair (X_val, y_val) or a DataLoader"
                )
            Xv = _features(validation_data[0], dtype, "X_val")
            yv = _targets(validation_data[1], dtype, "y_val")
            if Xv.shape[0] != yv.shape[0]:
                raise ValueError(f"fit: X_val has {Xv.shape[0]} rows but y_val has {yv.shape[0]}")
            n_val = int(Xv.shape[0])
            val_batches = lambda: _chunks(Xv, yv, EVAL_BATCH)

    # ------------------------------------------------------------------ callbacks
    history = History()
    state = TrainState(epochs=int(epochs))
    cbs: list[Callback] = []
    user_cbs = list(callbacks)
    if record_grad_norms and not any(isinstance(c, GradientFlow) for c in user_cbs):
        cbs.append(GradientFlow())
    cbs += user_cbs
    if scheduler is not None:
        cbs.append(LRScheduler(scheduler))
    if verbose:
        cbs.append(ProgressBar(use_tqdm=None if verbose == 1 else False))
    if ddp is not None:  # only rank 0 writes files and progress
        cbs = ddp.callbacks(cbs)
    for cb in cbs:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got {type(cb).__name__}")
        cb.set_context(model, optimizer, history, state)
    stoppers = [c for c in cbs if isinstance(c, EarlyStopping)]
    if stoppers:
        history.monitor, history.mode = stoppers[0].monitor, stoppers[0].mode
    history.params = {
        "epochs": int(epochs),
        "batch_size": batch_size if n_train is not None else getattr(X, "batch_size", None),
        "n_train": n_train,
        "n_val": n_val,
        "seed": seed,
        "metrics": [name for name, _ in metric_fns],
    }

    # ------------------------------------------------------------------ the loop
    was_training = model.training
    dropouts = []
    if dropout_gen is not None:
        for m in model.modules():
            if "generator" in vars(m) and m.generator is None:
                dropouts.append(m)
                m.generator = dropout_gen
    deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
    best_loss, no_improvement = math.inf, 0
    collect = bool(metric_fns)
    # only the callbacks that do something at a hook are called there (per batch, it adds up)
    begin_cbs = [c for c in cbs if _overrides(c, "on_epoch_begin")]
    batch_cbs = [c for c in cbs if _overrides(c, "on_batch_end")]
    guard = _WeightGuard(model)
    # when no callback can change the weights after an epoch, the weights checked at its end
    # are those the next epoch starts from, and the check's copy serves as its snapshot
    keep = all(type(c) in _WEIGHT_NEUTRAL or not _overrides(c, "on_epoch_end") for c in cbs)
    model.train()
    try:
        with _quiet_floats(), _Interrupts() as interrupts:
            if ddp is not None:  # a Ctrl-C counts once every rank has heard of it
                interrupts = ddp.agreed(interrupts)
            for cb in cbs:
                cb.on_train_begin(history)
            for epoch in range(int(epochs)):
                state.epoch, state.batch = epoch, 0
                lr = float(optimizer.param_groups[0]["lr"])
                guard.save()  # finite: checked at the previous epoch's end
                for cb in begin_cbs:
                    cb.on_epoch_begin(epoch, {"lr": lr})
                t0 = time.perf_counter()
                total, count = 0.0, 0
                coll = _Collector(True) if collect else None
                diverged: str | None = None
                for b, batch in enumerate(loader):
                    state.batch = b
                    xb, yb = _unpack(batch)
                    xb = _cast_inputs(xb, dtype)
                    optimizer.zero_grad()
                    n = xb.shape[0]
                    out = loss = None
                    if n or ddp is None:  # a rank's share of the last step may be empty
                        out = model(xb)
                        yb = _align(out, yb)
                        try:
                            loss = loss_fn(out, yb)
                        except ValueError:  # losses refuse NaN inputs: report it as divergence
                            if bool(xp.isfinite(out.data).all()):
                                raise
                            diverged = f"the outputs of batch {b} are not finite"
                            if ddp is None:
                                break
                    value = float(loss.item()) if loss is not None else (math.nan if n else 0.0)
                    if ddp is not None:  # average the gradients; agree on the loss and stopping
                        if loss is not None and math.isfinite(value):
                            loss.backward()
                        value, n = ddp.step(value * n, n, _late(deadline))
                    if not math.isfinite(value):
                        diverged = diverged or f"the loss of batch {b} is {value}"
                        break
                    if ddp is None:
                        loss.backward()
                    optimizer.step()
                    total += value * n
                    count += n
                    if coll is not None and out is not None:
                        coll.add(out.data, yb.data)
                    if batch_cbs:
                        batch_logs = {"loss": value, "size": n}
                        for cb in batch_cbs:
                            cb.on_batch_end(b, batch_logs)
                    if interrupts.requested:
                        raise KeyboardInterrupt
                    if state.stop:
                        break
                    if ddp.late if ddp is not None else _late(deadline):  # ddp: as ranks agreed
                        state.request_stop("time_limit")
                        break
                if diverged is None and count and not guard.check(keep):
                    diverged = "the weights are no longer finite"
                if diverged is not None:
                    guard.restore()
                    warnings.warn(
                        f"training diverged in epoch {epoch} (0-based): {diverged}. The weights "
                        f"were restored to those at the start of epoch {epoch}. The learning "
                        f"rate {lr:g} is probably too high: try a smaller one (e.g. {lr / 10:g}), "
                        "standardise the inputs, or clip gradients.",
                        DivergenceWarning,
                        stacklevel=2,
                    )
                    state.request_stop("diverged", override=True)
                    break
                if count == 0:
                    raise ValueError("fit: an epoch had no batches (is the training data empty?)")
                logs: dict[str, Any] = {"loss": total / count}
                if coll is not None and ddp is None:
                    logs.update(coll.compute(metric_fns))
                if ddp is not None:  # metrics averaged over the ranks; agree on stopping
                    logs.update(ddp.end_epoch(metric_fns, coll, _late(deadline)))
                coll = None
                if val_batches is not None:
                    logs.update(_run_eval(model, loss_fn, val_batches(), metric_fns, dtype, "val_"))
                logs["lr"] = lr
                logs["time"] = time.perf_counter() - t0
                history.record(logs)

                if goals and _target_reached(goals, logs):
                    state.request_stop("target_reached")
                if tol is not None:
                    if logs["loss"] > best_loss - tol:
                        no_improvement += 1
                    else:
                        no_improvement = 0
                    best_loss = min(best_loss, logs["loss"])
                    if no_improvement >= n_iter_no_change:
                        state.request_stop("tol")
                if ddp.late if ddp is not None else _late(deadline):
                    state.request_stop("time_limit")
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if interrupts.requested:
                    raise KeyboardInterrupt
                if state.stop:
                    break
    except KeyboardInterrupt:
        state.request_stop("interrupted", override=True)
    finally:
        for m in dropouts:
            m.generator = None
        model.train(was_training)
    history.stopped_reason = state.reason if state.stop else "max_epochs"
    for cb in cbs:
        cb.on_train_end(history)
    return history
