"""Shared machinery of the scikit-learn-compatible estimators.

scikit-learn is an optional extra (``pip install chainrule[sklearn]``). This module imports it
when it is installed, and otherwise falls back to a minimal ``BaseEstimator`` (``get_params``,
``set_params``, ``repr``) so that ``import chainrule.estimators`` always works; fitting then
raises an ``ImportError`` that says what to install. ``import chainrule`` never imports this
module.

What lives here:

- the base classes and ``ConvergenceWarning`` (scikit-learn's when available, so its test
  suite recognises it);
- input validation (``validate_data`` of scikit-learn, which also records ``n_features_in_``
  and ``feature_names_in_``) and parameter checks that raise ``ValueError`` naming the
  parameter and the value;
- class weights;
- :class:`FlatParameters`, which lays the parameters of a model out in one contiguous array
  so that an optimiser step is a handful of vectorised calls, whatever the number of layers;
- the two stochastic optimisers of scikit-learn's MLP (:class:`SklearnSGD`,
  :class:`SklearnAdam`), real :class:`~chainrule.optim.Optimizer` subclasses with its exact
  update equations, on that flat array, in place; their state dicts hold their flat buffers
  (per parameter, in PyTorch's layout), so a checkpoint resumes training exactly.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.backend import to_numpy, xp
from chainrule.nn import Parameter
from chainrule.optim.optimizer import Optimizer
from chainrule.train.step import Loop

try:  # scikit-learn is optional
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    HAVE_SKLEARN = False

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """An iterative solver stopped before it converged."""

    class BaseEstimator:  # type: ignore[no-redef]
        """Stand-in for scikit-learn's BaseEstimator: parameters, cloning by hand, repr."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            import inspect

            sig = inspect.signature(cls.__init__)
            return sorted(
                p.name
                for p in sig.parameters.values()
                if p.name != "self" and p.kind != p.VAR_KEYWORD
            )

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> BaseEstimator:
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}")
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class ClassifierMixin:  # type: ignore[no-redef]
        _estimator_type = "classifier"

    class RegressorMixin:  # type: ignore[no-redef]
        _estimator_type = "regressor"


__all__ = [
    "HAVE_SKLEARN",
    "BaseEstimator",
    "ClassifierMixin",
    "ConvergenceWarning",
    "FlatParameters",
    "RegressorMixin",
    "SklearnAdam",
    "SklearnSGD",
    "check_choice",
    "check_dtype",
    "check_number",
    "check_sample_weight",
    "class_weight_vector",
    "require_sklearn",
    "sklearn_loop",
    "store_params",
    "validate_data",
]

INSTALL_HINT = "pip install chainrule[sklearn]"


def require_sklearn(what: str) -> None:
    """Raise ``ImportError`` with an install hint when scikit-learn is missing."""
    if not HAVE_SKLEARN:  # pragma: no cover - exercised only without scikit-learn
        raise ImportError(
            f"{what} needs scikit-learn for input validation and label handling; install the "
            f"optional extra with `{INSTALL_HINT}` (or `pip install scikit-learn scipy`)"
        )


# ----------------------------------------------------------------------------- validation
def validate_data(estimator: Any, X: Any, y: Any = "no_validation", **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data`` (1.6+), or the estimator method of older versions.

    It checks shapes and finiteness, records ``n_features_in_`` and ``feature_names_in_`` when
    ``reset`` is True, and checks them otherwise.
    """
    try:
        from sklearn.utils.validation import validate_data as _validate
    except ImportError:  # pragma: no cover - scikit-learn < 1.6
        return estimator._validate_data(X, y, **kwargs)
    return _validate(estimator, X, y, **kwargs)


def _name(estimator: Any) -> str:
    return type(estimator).__name__


def check_number(
    estimator: Any,
    name: str,
    value: Any,
    *,
    kind: str = "real",
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> None:
    """Raise ``ValueError`` naming ``name`` and ``value`` unless it is a number in range.

    ``kind`` is 'int' (a whole number, bools excluded) or 'real'. ``allow_inf`` lets +inf pass
    an 'int' check (``n_iter_no_change=np.inf`` means never).
    """
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if allow_inf and is_real and value == math.inf:
        return
    ok = is_int if kind == "int" else is_real and not math.isnan(value)
    what = "an integer" if kind == "int" else "a real number"
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        bounds = f" in {lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{_name(estimator)}: {name} must be {what}{bounds}, got {value!r}")


def check_choice(estimator: Any, name: str, value: Any, choices: Sequence[Any]) -> None:
    """Raise ``ValueError`` naming ``name`` and ``value`` unless ``value`` is one of ``choices``."""
    if isinstance(value, np.ndarray) or not any(
        value is c or (type(value) is type(c) and value == c) for c in choices
    ):
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{_name(estimator)}: {name} must be one of {listed}; got {value!r}")


def check_dtype(estimator: Any, value: Any) -> np.dtype:
    """The ``dtype`` parameter as a NumPy dtype: float32 or float64, else ``ValueError``."""
    try:
        dt = np.dtype(value)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{_name(estimator)}: dtype must be 'float32' or 'float64', got {value!r}")
    return dt


def class_weight_vector(
    estimator: Any,
    class_weight: Any,
    classes: np.ndarray,
    y_index: np.ndarray | None,
    sample_weight: np.ndarray | None,
) -> np.ndarray | None:
    """One weight per class (in the order of ``classes``), or None for no class weighting.

    'balanced' gives class k the weight Σs / (K·Σ_{y_i=k} s_i) (s the sample weights, ones
    by default; K the number of classes present), scikit-learn's definition, so that every
    class carries the same total weight. A dict maps class labels to weights; classes it
    leaves out weigh 1.
    """
    if class_weight is None:
        return None
    k = len(classes)
    if isinstance(class_weight, str) and class_weight == "balanced":
        if y_index is None:
            raise ValueError(
                f"{_name(estimator)}: class_weight='balanced' is not supported by partial_fit "
                "(the class frequencies of the whole data set are unknown); compute the weights "
                "on the whole set and pass them as a dict"
            )
        counts = np.bincount(y_index, weights=sample_weight, minlength=k).astype(np.float64)
        present = counts > 0
        weights = np.ones(k)
        weights[present] = counts.sum() / (present.sum() * counts[present])
        return weights
    if isinstance(class_weight, dict):
        weights = np.ones(k)
        lookup = {_key(c): i for i, c in enumerate(classes)}
        for key, value in class_weight.items():
            i = lookup.get(_key(key))
            if i is None:
                raise ValueError(
                    f"{_name(estimator)}: class_weight has the key {key!r}, which is not a "
                    f"class (classes: {list(classes)})"
                )
            check_number(estimator, f"class_weight[{key!r}]", value, low=0.0)
            weights[i] = float(value)
        return weights
    raise ValueError(
        f"{_name(estimator)}: class_weight must be None, 'balanced' or a dict mapping classes "
        f"to weights; got {class_weight!r}"
    )


def _key(label: Any) -> Any:
    """A hashable, type-normalised class label (numpy scalars compare as Python ones)."""
    return label.item() if isinstance(label, np.generic) else label


def check_sample_weight(estimator: Any, sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as a float64 array of shape (n_samples,), non-negative and finite."""
    if sample_weight is None:
        return None
    from sklearn.utils.validation import _check_sample_weight

    sw = _check_sample_weight(sample_weight, np.empty((n_samples, 0)), dtype=np.float64)
    if not np.all(np.isfinite(sw)):
        raise ValueError(f"{_name(estimator)}: sample_weight must be finite")
    if np.any(sw < 0):
        raise ValueError(
            f"{_name(estimator)}: sample_weight must be non-negative, got min {sw.min()!r}"
        )
    if n_samples and not sw.sum() > 0:
        raise ValueError(f"{_name(estimator)}: sample_weight sums to 0; give some sample weight")
    return sw


# ----------------------------------------------------------------------------- flat parameters
class FlatParameters:
    """The parameters of a model, re-bound to views of one contiguous array.

    After ``FlatParameters(params)``, each ``p._data`` is a view into :attr:`flat` (in the
    order given), so a whole optimiser step, an L2 penalty or a copy of the best weights is a
    single vectorised call instead of one per tensor. Values are copied in; the module keeps
    working as before (its layers read ``p._data``).

    Parameters
    ----------
    params : sequence of Parameter
        Put the weights that carry an L2 penalty first, and pass their number as ``n_weights``.
    dtype : dtype
        The dtype of the flat array (the parameters are cast to it).
    n_weights : int
        How many of ``params`` (from the start) are penalised weights.

    Attributes
    ----------
    flat : array
        All parameters, concatenated (each raveled in C order).
    grad : array
        A buffer of the same shape for the flattened gradient.
    weights : array
        ``flat[:n]``, the view of the penalised weights (n their total size).
    """

    def __init__(self, params: Sequence[Parameter], dtype: Any, n_weights: int) -> None:
        self.params = list(params)
        sizes = [int(p._data.size) for p in self.params]
        self.flat = xp.empty(sum(sizes), dtype=dtype)
        self.grad = xp.empty_like(self.flat)
        offset = 0
        self.n_weight_values = sum(sizes[:n_weights])
        self.slices: list[slice] = []  # where each parameter lies in ``flat``
        self.grad_views: list[Any] = []  # each parameter's part of ``grad``, in its shape
        for p, size in zip(self.params, sizes):
            view = self.flat[offset : offset + size].reshape(p._data.shape)
            view[...] = p._data
            p._data = view
            self.slices.append(slice(offset, offset + size))
            self.grad_views.append(self.grad[offset : offset + size].reshape(view.shape))
            offset += size
        self.weights = self.flat[: self.n_weight_values]
        self.grad_weights = self.grad[: self.n_weight_values]

    def gather(self, grads: Sequence[Any]) -> Any:
        """Copy per-parameter gradient arrays (in parameter order) into :attr:`grad`; an array
        that already is its part of :attr:`grad` (a view from :attr:`grad_views`, which a
        caller may compute into) stays where it is."""
        views = self.grad_views
        if any(g is v for g, v in zip(grads, views)):
            for g, v in zip(grads, views):
                if g is not v:
                    v[...] = g
        else:
            xp.concatenate([g.reshape(-1) for g in grads], out=self.grad)
        return self.grad

    def squared_norm(self) -> float:
        """Σw² over the penalised weights."""
        w = self.weights
        return float(xp.dot(w, w))


# ----------------------------------------------------------------------------- optimisers
class _FlatOptimizer(Optimizer):
    """An optimiser that updates a :class:`FlatParameters` array in one go.

    ``step`` gathers the parameters' ``.grad`` into the flat gradient buffer and updates the
    flat array in place, so a step costs a handful of vectorised calls whatever the number of
    layers. Subclasses implement ``update(theta, grad)``.
    """

    def __init__(self, flat: FlatParameters, learning_rate_init: float) -> None:
        super().__init__(flat.params, {"lr": learning_rate_init})
        self.flat = flat
        self.learning_rate_init = float(learning_rate_init)  # scikit-learn's η₀

    def step(self, closure: Any = None) -> Any:
        """Gather the gradients and update the flat parameters in place."""
        loss = closure() if closure is not None else None
        grad = self.flat.gather([p.grad._data for p in self.flat.params])
        self.update(self.flat.flat, grad)
        return loss

    def update(self, theta: Any, grad: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts
    def _buffers(self) -> dict[str, Any]:
        """The flat state arrays, under the per-parameter names of the state dict."""
        return {}

    def _counters(self) -> dict[str, int]:
        """The step counts shared by every parameter, under their state-dict names."""
        return {}

    def _set_counters(self, counters: dict[str, int]) -> None:
        """Restore what :meth:`_counters` returned."""

    def _init_state(self, p: Parameter, group: dict[str, Any]) -> dict[str, Any]:
        # the entries a loaded state dict must have (checked by Optimizer.load_state_dict)
        state: dict[str, Any] = {name: xp.zeros(p.shape, p.dtype) for name in self._buffers()}
        state.update(dict.fromkeys(self._counters(), 0))
        return state

    def state_dict(self) -> dict[str, Any]:
        """The state in PyTorch's layout: each parameter's slices of the flat buffers (copies)
        and the step counts, under the names of :class:`~chainrule.optim.SGD` and
        :class:`~chainrule.optim.Adam` (``momentum_buffer``; ``step``, ``exp_avg``,
        ``exp_avg_sq``), plus the group's options.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.backend import xp
        >>> w = cr.nn.Parameter(cr.ones(3))
        >>> opt = SklearnAdam(FlatParameters([w], xp.float32, 1), 0.1, 0.9, 0.999, 1e-8)
        >>> w.grad = cr.ones(3)
        >>> opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"][0]["step"], sd["state"][0]["exp_avg"].tolist()
        (1, [0.1, 0.1, 0.1])
        """
        sd = super().state_dict()
        buffers, counters = self._buffers(), self._counters()
        for i, (p, sl) in enumerate(zip(self.flat.params, self.flat.slices)):
            entry = {name: buf[sl].reshape(p.shape).copy() for name, buf in buffers.items()}
            sd["state"][i] = {**counters, **entry}
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s options, buffers and step counts (checked first, as
        :meth:`chainrule.optim.Optimizer.load_state_dict` checks them). A parameter without an
        entry starts from zero buffers."""
        counters = self._loaded_counters(state_dict)
        super().load_state_dict(state_dict)  # checks entries and shapes, casts, copies
        loaded = dict(self.state)
        self.state.clear()  # the state lives in the flat buffers
        for p, sl in zip(self.flat.params, self.flat.slices):
            entry = loaded.get(p)
            for name, buf in self._buffers().items():
                buf[sl] = 0 if entry is None else entry[name].reshape(-1)
        self._set_counters(counters)

    def _loaded_counters(self, state_dict: Any) -> dict[str, int]:
        """The step counts of ``state_dict``'s entries (0 without any); ValueError when the
        parameters' counts differ, since one count serves them all."""
        saved = state_dict.get("state") if isinstance(state_dict, dict) else None
        entries = (
            [st for st in saved.values() if isinstance(st, dict)] if isinstance(saved, dict) else []
        )
        counters = {}
        for name in self._counters():
            values = set()
            for st in entries:
                with contextlib.suppress(TypeError, ValueError, KeyError):
                    values.add(int(st[name]))  # a bad entry is reported by the full check
            if len(values) > 1:
                raise ValueError(
                    f"{type(self).__name__} keeps one {name!r} for all parameters, but the "
                    f"loaded state has {sorted(values)}"
                )
            counters[name] = values.pop() if values else 0
        return counters

    def iteration_ends(self, time_step: int) -> None:
        """After an epoch (``time_step`` samples seen): the learning-rate schedule."""

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """The stopping rule fired: whether to stop (scikit-learn's 'adaptive' rate decays
        instead)."""
        if verbose:
            print(msg + " Stopping.")
        return True


class SklearnSGD(_FlatOptimizer):
    """scikit-learn's MLP ``SGDOptimizer``, in place on one flat array.

    v ← μv − η·g, then θ ← θ + v, or with Nesterov momentum θ ← θ + μv − η·g. The learning
    rate η follows ``lr_schedule``: 'constant'; 'invscaling' (η = η₀ / (t + 1)^power_t after
    each epoch, t the number of samples seen); 'adaptive' (divided by 5 each time the
    stopping rule fires, until it falls below 1e-6).

    These differ from :class:`chainrule.optim.SGD` (PyTorch's equations) when the learning
    rate changes during training, since scikit-learn folds η into the velocity. η is the
    ``lr`` of the optimiser's parameter group.
    """

    def __init__(
        self,
        flat: FlatParameters,
        learning_rate_init: float,
        lr_schedule: str,
        momentum: float,
        nesterov: bool,
        power_t: float,
    ) -> None:
        super().__init__(flat, learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.power_t = float(power_t)
        self.velocity = xp.zeros_like(flat.flat)
        self._tmp = xp.empty_like(flat.flat)

    @property
    def learning_rate(self) -> float:
        """The current step size η."""
        return self.param_groups[0]["lr"]

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.param_groups[0]["lr"] = float(value)

    def update(self, theta: Any, grad: Any) -> None:
        """One in-place update of ``theta`` from ``grad``."""
        v, tmp, mu, lr = self.velocity, self._tmp, self.momentum, self.learning_rate
        xp.multiply(grad, lr, out=tmp)
        v *= mu
        v -= tmp  # v = μv − ηg
        if self.nesterov:
            theta -= tmp
            xp.multiply(v, mu, out=tmp)
            theta += tmp  # θ += μv − ηg
        else:
            theta += v

    def _buffers(self) -> dict[str, Any]:
        return {"momentum_buffer": self.velocity}

    def iteration_ends(self, time_step: int) -> None:
        if self.lr_schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """Whether to stop; with 'adaptive', divide the learning rate by 5 instead (once > 1e-6)."""
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


class SklearnAdam(_FlatOptimizer):
    """scikit-learn's MLP ``AdamOptimizer``, in place on one flat array.

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε).

    The ε sits outside the bias correction of v, as in scikit-learn (PyTorch's Adam, in
    :class:`chainrule.optim.Adam`, divides √v by √(1−β₂ᵗ) first). ``learning_rate`` is the
    bias-corrected step of the last update, as in scikit-learn; the group's ``lr`` is η.
    """

    def __init__(
        self,
        flat: FlatParameters,
        learning_rate_init: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ) -> None:
        super().__init__(flat, learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = xp.zeros_like(flat.flat)
        self.v = xp.zeros_like(flat.flat)
        self._tmp = xp.empty_like(flat.flat)

    def _buffers(self) -> dict[str, Any]:
        return {"exp_avg": self.m, "exp_avg_sq": self.v}

    def _counters(self) -> dict[str, int]:
        return {"step": self.t}

    def _set_counters(self, counters: dict[str, int]) -> None:
        self.t = counters["step"]
        self.learning_rate = self._step_size() if self.t else self.param_groups[0]["lr"]

    def _step_size(self) -> float:
        """η·√(1−β₂ᵗ)/(1−β₁ᵗ), the bias-corrected step of update t."""
        b1, b2, t = self.beta_1, self.beta_2, self.t
        return self.param_groups[0]["lr"] * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)

    def update(self, theta: Any, grad: Any) -> None:
        """One in-place update of ``theta`` from ``grad``."""
        b1, b2, m, v, tmp = self.beta_1, self.beta_2, self.m, self.v, self._tmp
        self.t += 1
        xp.multiply(grad, 1.0 - b1, out=tmp)
        m *= b1
        m += tmp
        xp.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - b2
        v *= b2
        v += tmp
        self.learning_rate = self._step_size()
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= self.learning_rate
        theta -= tmp


def store_params(estimator: Any, values: dict[str, Any]) -> None:
    """Store ``__init__``'s arguments (its ``locals()``) as attributes, unchanged, as
    scikit-learn requires of an estimator's ``__init__``."""
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def sklearn_loop(model: Any, loss_fn: Any, optimizer: Any, stopper: Any, history: Any) -> Loop:
    """The training :class:`~chainrule.train.Loop` of a stochastic solver, with
    scikit-learn's conventions: batches and targets as the estimator makes them (no
    reshaping), no divergence guard (a non-finite loss trains on and the estimator raises at
    the end, as scikit-learn does) and no dead-unit check."""
    return Loop(
        model,
        loss_fn,
        optimizer,
        stoppers=[stopper],
        guard=False,
        align=False,
        check_dead=False,
        history=history,
    )


def as_numpy(a: Any, dtype: Any = None) -> np.ndarray:
    """A host NumPy array (optionally cast), for returning results to scikit-learn."""
    out = to_numpy(a)
    return out if dtype is None else out.astype(dtype, copy=False)
