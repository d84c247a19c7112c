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
    EarlyStopping,
    GradientFlow,
    LRScheduler,
    ProgressBar,
    TrainState,
)
from chainrule.train.history import History
from chainrule.train.step import (
    DeadUnitsWarning,
    DivergenceWarning,
    Loop,
    align_targets,
    compilable,
)
from chainrule.train.stoppers import NoImprovement, Target

__all__ = ["DeadUnitsWarning", "DivergenceWarning", "evaluate", "fit"]

EVAL_BATCH = 4096  # rows per forward pass when evaluating (bounds memory, not semantics)


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
        return a._data if isinstance(a, Tensor) else as_tensor(a)._data
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
        return Tensor(xb._data.astype(dtype))
    return xb


class _FixedBatches:
    """An unshuffled DataLoader's batches, taken once and re-wrapped each epoch.

    Without shuffling every epoch visits the same read-only views of the data (those the
    DataLoader yields), so they are taken from it once; each epoch wraps them in fresh
    Tensors, as the DataLoader does. This spares the loader's per-epoch set-up, which costs
    as much as a step of a small network trained by full-batch descent.
    """

    MAX_BATCHES = 64  # views to keep (a few hundred bytes each)

    def __init__(self, loader: DataLoader) -> None:
        self.batches = [tuple(t._data for t in batch) for batch in loader]

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
                yb = align_targets(out, yb)
                n = xb.shape[0]
                total += float(loss_fn(out, yb).item()) * n
                count += n
                coll.add(out._data, yb._data)
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
    compile: bool | None = None,
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
    compile : bool, optional
        Replay each step with :func:`chainrule.compile` (after an eager first one): the same
        arithmetic in the same order, so the same weights, without a Tensor or graph node per
        op. None (default): when the step is replayable as recorded, i.e. plain
        :class:`~chainrule.optim.SGD` and a model without buffers or Dropout (see
        :func:`~chainrule.train.step.compilable`); a step that turns out not to be replayable
        runs eagerly, silently. False: always eager. Distributed training always runs
        eagerly (the gradients are averaged between backward and the optimiser's step).
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
    if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if tol is not None and tol < 0:
        raise ValueError(f"fit: tol must be >= 0, got {tol}")
    if n_iter_no_change < 1:
        raise ValueError(f"fit: n_iter_no_change must be >= 1, got {n_iter_no_change}")
    stoppers: list[Any] = []
    if target is not None:
        stoppers.append(Target(target))
    if tol is not None:
        stoppers.append(NoImprovement("loss", patience=n_iter_no_change, delta=tol))
    dtype = _model_dtype(model)
    metric_fns = resolve_metrics(metrics, loss_fn)
    loader_seed, dropout_gen = _derive_seeds(seed)
    ddp = _data_parallel(model, distributed)  # None on one process
    data = _prepare_data(
        X, y, dtype, batch_size, shuffle, loader_seed, validation_data, validation_split, ddp
    )
    cbs = _callbacks(callbacks, record_grad_norms, scheduler, verbose)
    state = TrainState(epochs=int(epochs))
    loop = Loop(
        model,
        loss_fn,
        optimizer,
        callbacks=cbs,
        stoppers=stoppers,
        time_limit=time_limit,
        state=state,
        compile=compilable(model, optimizer) if compile is None else bool(compile),
        ddp=ddp,
    )
    history = loop.history
    es = [c for c in cbs if isinstance(c, EarlyStopping)]
    if es:
        history.monitor, history.mode = es[0].monitor, es[0].mode
    history.params = {
        "epochs": int(epochs),
        "batch_size": batch_size if data.n_train is not None else getattr(X, "batch_size", None),
        "n_train": data.n_train,
        "n_val": data.n_val,
        "seed": seed,
        "metrics": [name for name, _ in metric_fns],
    }
    was_training = model.training
    try:
        with _dropout_generator(model, dropout_gen), loop.running():
            loop.begin()
            for _ in range(int(epochs)):
                if _train_epoch(loop, data, metric_fns, dtype):
                    break
    finally:
        model.train(was_training)
    return loop.finish()


def _data_parallel(model: Any, distributed: bool | None) -> Any:
    """A :class:`chainrule.distributed.DataParallel` when training on several ranks, else None.

    >>> _data_parallel(None, False) is None
    True
    """
    from chainrule.distributed import DataParallel  # the distributed layer sits below train

    return DataParallel(model) if DataParallel.wanted(distributed) else None


class _Data:
    """What ``fit`` trains on: the training batches and, optionally, validation batches."""

    def __init__(self, loader: Iterable[Any], n_train: int | None, cast: bool = True) -> None:
        self.loader = loader
        self.n_train = n_train
        # whether batches need _cast_batch: not those of fit's own loader over the prepared
        # arrays (Tensors already in the model's dtype)
        self.cast = cast
        self.n_val: int | None = None
        self.val_batches: Callable[[], Iterable[Any]] | None = None


def _check_finite(arr: Any, name: str) -> None:
    """A ValueError naming the first NaN or infinity of ``arr`` (its row and column).

    >>> import numpy as np
    >>> _check_finite(np.array([[0.0, 1.0], [np.nan, 2.0]]), "X")
    Traceback (most recent call last):
    ...
    ValueError: fit: X holds nan at row 1, column 0; remove or impute non-finite values before training
    """
    if (
        arr.dtype.kind != "f"
        or arr.size == 0
        or math.isfinite(float(xp.add.reduce(arr, axis=None)))
    ):
        return
    bad = xp.argwhere(~xp.isfinite(arr))
    if not len(bad):
        return  # finite values whose sum overflowed
    where = [int(i) for i in bad[0]]
    value = float(arr[tuple(where)])
    at = f"row {where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")
    if len(where) > 2:
        at += f" (index {tuple(where)})"
    raise ValueError(
        f"fit: {name} holds {value} at {at}; remove or impute non-finite values before training"
    )


def _arrays(X: Any, y: Any, dtype: Any, xname: str = "X", yname: str = "y") -> tuple[Any, Any]:
    Xa, ya = _features(X, dtype, xname), _targets(y, dtype, yname)
    if Xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"fit: {xname} has {Xa.shape[0]} rows but {yname} has {ya.shape[0]}; they must match"
        )
    _check_finite(Xa, xname)
    _check_finite(ya, yname)
    return Xa, ya


def _prepare_data(
    X: Any,
    y: Any,
    dtype: Any,
    batch_size: int | str,
    shuffle: bool,
    loader_seed: Any,
    validation_data: Any,
    validation_split: float,
    ddp: Any = None,
) -> _Data:
    """The training batches (a DataLoader; under ``ddp`` this rank's share) and the
    validation batches, checked."""
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    if _is_batches(X):
        if y is not None:
            raise TypeError("fit: pass y=None when X is a DataLoader (it yields the targets)")
        if validation_split:
            raise ValueError("fit: validation_split needs arrays; pass validation_data instead")
        if iter(X) is X:
            raise TypeError("fit: X must be re-iterable (a DataLoader), not a one-shot iterator")
        if ddp is not None:  # each rank's own loader, already its share of the data
            ddp.check_batches(X)
        data = _Data(X, None)
    else:
        if y is None:
            raise TypeError("fit: y is required unless X is a DataLoader")
        Xa, ya = _arrays(X, y, dtype)
        val = None
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
            Xa, ya, val = Xa[:cut], ya[:cut], (Xa[cut:], ya[cut:])
        if Xa.shape[0] == 0:
            raise ValueError("fit: the training data is empty")
        loader: Any
        if ddp is not None:  # this rank's strided share of each epoch
            loader = ddp.loader((Xa, ya), batch_size, shuffle, loader_seed)
        else:
            loader = DataLoader(
                TensorDataset(Xa, ya), batch_size=batch_size, shuffle=shuffle, seed=loader_seed
            )
            if not loader.shuffle and len(loader) <= _FixedBatches.MAX_BATCHES:
                loader = _FixedBatches(loader)
        data = _Data(loader, int(Xa.shape[0]), cast=ddp is not None)
        if val is not None:
            _set_validation(data, *val)
    if validation_data is not None:
        if _is_batches(validation_data):
            data.val_batches = lambda: validation_data
        else:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(
                    "fit: validation_data must be a pair (X_val, y_val) or a DataLoader"
                )
            _set_validation(data, *_arrays(*validation_data, dtype, "X_val", "y_val"))
    return data


def _set_validation(data: _Data, Xv: Any, yv: Any) -> None:
    data.n_val = int(Xv.shape[0])
    data.val_batches = lambda: _chunks(Xv, yv, EVAL_BATCH)


def _callbacks(
    callbacks: Iterable[Callback], record_grad_norms: bool, scheduler: Any, verbose: int
) -> list[Callback]:
    """The user's callbacks with those that ``fit``'s arguments add, in running order."""
    cbs: list[Callback] = []
    user_cbs = list(callbacks)
    if record_grad_norms and not any(isinstance(c, GradientFlow) for c in user_cbs):
        cbs.append(GradientFlow())
    cbs += user_cbs
    if scheduler is not None:
        cbs.append(LRScheduler(scheduler))
    if verbose:
        cbs.append(ProgressBar(use_tqdm=None if verbose == 1 else False))
    return cbs


@contextlib.contextmanager
def _dropout_generator(model: Any, gen: Any) -> Iterator[None]:
    """Give ``gen`` to the model's Dropout layers that have no generator, for the run."""
    dropouts = []
    if gen is not None:
        for m in model.modules():
            if "generator" in vars(m) and m.generator is None:
                dropouts.append(m)
                m.generator = gen
    try:
        yield
    finally:
        for m in dropouts:
            m.generator = None


def _train_epoch(loop: Loop, data: _Data, metric_fns: Sequence[Any], dtype: Any) -> bool:
    """One epoch of ``fit``: train, evaluate, record, check the stoppers; whether to stop."""
    t0 = time.perf_counter()
    lr = loop.begin_epoch()
    coll = _Collector(True) if metric_fns else None
    batches = (_cast_batch(b, dtype) for b in data.loader) if data.cast else data.loader
    if not loop.run_epoch(batches, None if coll is None else coll.add):
        return True
    if loop.epoch == 0 and loop.dead is not None:
        warnings.warn(loop.dead, DeadUnitsWarning, stacklevel=4)
    logs: dict[str, Any] = {"loss": loop.epoch_loss()}
    logs.update(loop.epoch_metrics(metric_fns, coll))
    if data.val_batches is not None:
        logs.update(
            _run_eval(loop.model, loop.loss_fn, data.val_batches(), metric_fns, dtype, "val_")
        )
    logs["lr"] = lr
    logs["time"] = time.perf_counter() - t0
    return loop.end_epoch(logs)


def _cast_batch(batch: Any, dtype: Any) -> tuple[Tensor, Tensor]:
    xb, yb = _unpack(batch)
    return _cast_inputs(xb, dtype), yb
