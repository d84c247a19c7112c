"""Multi-layer perceptrons with scikit-learn's interface: :class:`MLPClassifier`, :class:`MLPRegressor`.

They follow ``sklearn.neural_network``'s MLPs closely: the same parameters and defaults, the same
Glorot-uniform initialisation (drawn from the same ``random_state`` stream, so a given seed
starts both libraries from the same weights), the same objective (log-loss or half squared error,
plus ``0.5·alpha·Σw² / n`` per mini-batch, biases not penalised), the same SGD and Adam update
equations, learning-rate schedules and stopping rules (``tol`` and ``n_iter_no_change`` on the
training loss, or on the validation score with ``early_stopping``), and the same fitted
attributes. In float64 the loss curves of the two libraries agree to rounding.

The network is a chainrule :class:`~chainrule.nn.Sequential` of :class:`~chainrule.nn.Linear`
layers and activation modules, exposed as ``model_``: it maps inputs to the *logits* (the
output layer before ``out_activation_``), so that ``model_`` can be trained further with
chainrule's fused losses. Gradients come from chainrule's reverse-mode engine: the loss and its
canonical link are fused by hand (∂loss/∂logits = link(z) − y, as in scikit-learn), and the
engine backpropagates that through the layers. For speed, the parameters live in one flat array
(:class:`~chainrule.estimators._base.FlatParameters`), so each optimiser step is a few
vectorised calls.

Additions to scikit-learn's MLPs: activations 'sigmoid' (= 'logistic'), 'leaky_relu' and
'gelu'; ``class_weight`` for the classifier; ``decision_function``; ``dtype`` (float32 by
default); ``history_`` (a :class:`chainrule.train.History`) and ``model_``; ``loss_curve_`` is
also recorded for 'lbfgs' (one entry per L-BFGS iteration).

Differences, all deliberate:

- sparse input is rejected with scikit-learn's error (chainrule's engine works on dense
  arrays; densify first);
- the log-loss is computed exactly from the logits, where scikit-learn clips probabilities to
  [eps, 1 − eps] (only per-sample losses below ~1e-7 in float32 differ);
- early stopping stratifies the validation split for multiclass targets too (scikit-learn
  stratifies only binary ones), falling back to a plain split when a class is too rare;
- a mini-batch whose sample weights sum to 0 is skipped (scikit-learn divides by that 0);
- predictions are computed in the input's float dtype, as scikit-learn's are, so a float64
  ``X`` evaluates float32 weights in float64.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from itertools import pairwise
from types import MethodType
from typing import Any

import numpy as np

from chainrule.autograd import no_grad, run_backward
from chainrule.backend import xp
from chainrule.estimators._base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    FlatParameters,
    RegressorMixin,
    SklearnAdam,
    SklearnSGD,
    as_numpy,
    check_choice,
    check_dtype,
    check_number,
    check_sample_weight,
    class_weight_vector,
    require_sklearn,
    sklearn_loop,
    store_params,
    validate_data,
)
from chainrule.estimators._lbfgs import minimize_lbfgs
from chainrule.nn import Linear, Module, Sequential, activation
from chainrule.tensor import Tensor
from chainrule.train.head import Head
from chainrule.train.history import History
from chainrule.train.snapshot import WeightSnapshot
from chainrule.train.stoppers import NoImprovement

__all__ = ["MLPClassifier", "MLPRegressor"]

ACTIVATIONS = ("identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "gelu")
SOLVERS = ("lbfgs", "sgd", "adam")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
_STOCHASTIC = ("sgd", "adam")


class _AvailableIf:
    """A method that exists only when ``check(estimator)`` holds (like scikit-learn's
    ``available_if``): ``hasattr(est, "partial_fit")`` is False for solver='lbfgs'."""

    def __init__(self, fn: Callable, check: Callable[[Any], bool]) -> None:
        self.fn = fn
        self.check = check
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self.fn
        if not self.check(obj):
            raise AttributeError(
                f"{type(obj).__name__}.{self.fn.__name__} is only available for the stochastic "
                f"solvers 'sgd' and 'adam', not solver={obj.solver!r}"
            )
        return MethodType(self.fn, obj)


def _stochastic(est: Any) -> bool:
    return est.solver in _STOCHASTIC


# ----------------------------------------------------------------------------- fused loss + link
def _loss_and_delta(
    kind: str, z: Any, Y: Any, sw: Any, sw_sum: float, extra: Any = None
) -> tuple[float, Any]:
    """The mini-batch data loss and its gradient with respect to the logits ``z``.

    ``kind`` is the output activation. With the canonical link of each loss, the gradient is
    (link(z) − y)·sᵢ/Σs (sᵢ = 1 without sample weights), computed in a fresh buffer that the
    caller hands to the backward pass:

    - 'softmax': cross-entropy of the one-hot matrix ``Y``, log Σ exp on shifted logits;
    - 'logistic': binary cross-entropy of the 0/1 matrix ``Y``, summed over outputs, as
      max(z, 0) − z·y + log(1 + e^−|z|), exact for any z;
    - 'identity': half squared error; the loss averages over outputs, as scikit-learn
      reports it, while the gradient is that of the sum (scikit-learn's too);
    - 'exp': half Poisson deviance with log link, summed over outputs (``extra`` holds the
      constant y·log y).

    Returns the loss (the weighted mean over samples) as a float, and the gradient.
    """
    n, k = z.shape
    scale = 1.0 / n if sw is None else sw * (1.0 / sw_sum)
    if kind == "softmax":
        delta, norm, shift = _softmax_parts(z)
        delta /= norm[:, None]
        delta -= Y
        if sw is None:
            # Σᵢ (log Σ exp zᵢ − zᵢ·yᵢ) with one reduction per term
            shifts = n * float(shift) if xp.ndim(shift) == 0 else float(shift.sum())
            loss = (float(xp.log(norm).sum()) + shifts - float(xp.vdot(z, Y))) / n
            delta *= scale
        else:
            per = xp.log(norm)
            per += shift
            per -= _row_sums(z * Y)
            loss = float(xp.dot(scale, per))
            delta *= scale[:, None]
        return loss, delta
    else:
        if kind == "logistic":
            e = xp.exp(-xp.abs(z))
            per = _row_sums(xp.maximum(z, 0) - z * Y + xp.log1p(e))
            # σ(z) = 1/(1+e^-z) for z ≥ 0 and e^z/(1+e^z) otherwise, with e = e^-|z|
            delta = xp.where(z >= 0, 1, e) / (1 + e)
            delta -= Y
        elif kind == "identity":
            delta = z - Y
            per = _row_sums(delta * delta) * (0.5 / k)
        else:  # 'exp': Poisson with log link
            delta = xp.exp(z)
            per = _row_sums(extra - Y * z - Y + delta)
            delta -= Y
        delta *= scale if sw is None else scale[:, None]
    loss = float(per.sum()) / n if sw is None else float(xp.dot(scale, per))
    return loss, delta


def _row_sums(a: Any) -> Any:
    """Σ over axis 1 of a 2-D array, as a matrix-vector product (NumPy's reduction over short
    rows costs several times more)."""
    if a.shape[1] == 1:
        return a[:, 0]
    return a @ xp.ones(a.shape[1], dtype=a.dtype)


def _softmax_parts(z: Any) -> tuple[Any, Any, Any]:
    """``(e, norm, shift)`` with e = exp(z − shift) (a new array) and norm its row sums, so
    that softmax(z) = e / norm and log Σ exp(z) = log(norm) + shift.

    Shifting by the global maximum keeps every exponential ≤ 1 with one cheap reduction. A row
    whose values all lie far below the global maximum could underflow, so when any row sum is
    that small the per-row maximum is used instead.
    """
    shift = z.max()
    e = z - shift
    xp.exp(e, out=e)
    norm = _row_sums(e)
    if float(norm.min()) < _TINY[z.dtype.char]:
        shift = z.max(axis=1, keepdims=True)
        e = z - shift
        xp.exp(e, out=e)
        norm = _row_sums(e)
        shift = shift[:, 0]
    return e, norm, shift


_TINY = {"f": 1e-30, "d": 1e-290, "e": 1e-4}


_HEAD_LINK = {"softmax": "softmax", "logistic": "sigmoid", "identity": "identity", "exp": "exp"}


def _xlogx(Y: Any) -> Any:
    """y·log y, with 0·log 0 = 0."""
    pos = Y > 0
    return xp.where(pos, Y * xp.log(xp.where(pos, Y, 1)), 0)


# ----------------------------------------------------------------------------- the training step
class _BatchLoss:
    """A batch's objective for :class:`~chainrule.train.Loop`: its value and its backward.

    The gradient with respect to the logits is the fused ``delta`` (link(z) − y, weighted),
    which the engine backpropagates through the layers; the L2 penalty's gradient 2c·w is
    added to the weights' gradients.
    """

    def __init__(
        self, value: float, z: Tensor, delta: Any, weights: list[Any], coef: float, grad_out: list
    ):
        self.value, self.z, self.delta, self.weights, self.coef = value, z, delta, weights, coef
        self.grad_out = grad_out

    def item(self) -> float:
        return self.value

    def backward(self) -> None:
        self.z.backward(self.delta)
        if self.coef:
            # g + 2c·w straight into the optimiser's flat gradient (the engine's gradient
            # array is read only; a fresh sum, then its copy, would cost two more passes)
            for w, out in zip(self.weights, self.grad_out):
                xp.multiply(w._data, 2.0 * self.coef, out=out)
                out += w.grad._data
                w.grad = Tensor(out)

    def gradients(self, params: list[Any]) -> list[Any]:
        """The gradient arrays of ``params`` without touching ``.grad`` (for L-BFGS)."""
        grads = run_backward(self.z, self.delta, inputs=params)
        if self.coef:
            for i in range(len(self.weights)):
                grads[i] = grads[i] + params[i]._data * (2.0 * self.coef)
        return grads


class _Objective:
    """scikit-learn's MLP objective on a batch ``(Y, sample weights, Σ weights, y·log y)``:
    the fused data loss plus ``0.5·alpha·Σw² / Σ weights``."""

    def __init__(self, kind: str, flat: FlatParameters, alpha: float, extra: Any) -> None:
        self.kind, self.flat, self.half_alpha, self.extra = kind, flat, 0.5 * float(alpha), extra
        self.weights = flat.params[: len(flat.params) // 2]
        self.grad_out = flat.grad_views[: len(self.weights)]

    def __call__(self, z: Tensor, batch: tuple) -> _BatchLoss:
        Y, sw, sw_sum, extra = batch
        loss, delta = _loss_and_delta(self.kind, z._data, Y, sw, sw_sum, extra)
        coef = self.half_alpha / sw_sum if self.half_alpha else 0.0
        if coef:
            loss += coef * self.flat.squared_norm()
        return _BatchLoss(loss, z, delta, self.weights, coef, self.grad_out)


class _Batches:
    """The mini-batches of an epoch, shuffled by scikit-learn's draw on ``random_state``."""

    def __init__(self, X: Any, Y: Any, sw: Any, extra: Any, size: int, rs: Any, shuffle: bool):
        n = X.shape[0]
        self.X, self.Y, self.extra, self.rs, self.shuffle = X, Y, extra, rs, shuffle
        self.sw = None if sw is None else xp.asarray(sw, dtype=X.dtype)
        self.order = np.arange(n)
        self.slices = [slice(i, min(i + size, n)) for i in range(0, n, size)]

    def epoch(self) -> Any:
        X, Y, sw, extra = self.X, self.Y, self.sw, self.extra
        order = None
        if self.shuffle:
            perm = np.arange(len(self.order))
            self.rs.shuffle(perm)  # sklearn.utils.shuffle's draw
            self.order = self.order[perm]
            order = xp.asarray(self.order)
        for sl in self.slices:
            # each batch gathered on its own (as scikit-learn does): a few hundred rows that
            # stay in cache for the forward and backward matmuls, where a shuffled copy of the
            # whole data set would be written out and read back from memory
            take = sl if order is None else order[sl]
            swb = None if sw is None else sw[take]
            total = float(sl.stop - sl.start) if swb is None else float(swb.sum(dtype=np.float64))
            if total <= 0.0:  # a batch of zero weight carries no gradient: skip it
                continue
            yield Tensor(X[take]), (Y[take], swb, total, None if extra is None else extra[take])


class _SklearnStopping:
    """scikit-learn's stopping rule for the Loop: ``tol`` and ``n_iter_no_change`` on the
    training loss (or the validation score), counted with its strict ``>``; when it fires,
    the optimiser may decay its rate instead ('adaptive'). Keeps the estimator's records
    (``best_loss_``, ``best_validation_score_``, the best weights) up to date."""

    def __init__(self, est: Any, opt: Any, flat: FlatParameters, early_stopping: bool):
        self.est, self.opt, self.early = est, opt, early_stopping
        self.reason = "early_stopping" if early_stopping else "tol"
        monitor = est._score_name if early_stopping else "loss"
        self.rule = NoImprovement(
            monitor,
            patience=est.n_iter_no_change,
            delta=est.tol,
            mode="max" if early_stopping else "min",
            strict=True,
            reason=self.reason,
            owner=type(est).__name__,
        )
        best = est.best_validation_score_ if early_stopping else est.best_loss_
        self.rule.best = None if best is None or not math.isfinite(best) else best
        self.rule.count = est._no_improvement_count

    def update_logs(self, logs: dict[str, Any]) -> bool:
        est, rule = self.est, self.rule
        fired = rule.update_logs(logs)
        if rule.new_best:
            if self.early:
                est.best_validation_score_ = rule.best
                if est._best_state is None:
                    est._best_state = WeightSnapshot(est.model_)
                est._best_state.save()
            else:
                est.best_loss_ = rule.best
        if fired:
            what = "Validation score" if self.early else "Training loss"
            msg = (
                f"{what} did not improve more than tol={est.tol:f} for "
                f"{est.n_iter_no_change} consecutive epochs."
            )
            if self.opt.trigger_stopping(msg, est.verbose):
                est._no_improvement_count = rule.count
                return True
            rule.count = 0
        est._no_improvement_count = rule.count
        return False


# ----------------------------------------------------------------------------- base class
class _BaseMLP(BaseEstimator):
    """What MLPClassifier and MLPRegressor share: the network, the solvers, the stopping rules."""

    _score_name = "val_score"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dtype: Any = "float32",
    ) -> None:
        store_params(self, locals())

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> list[int]:
        """Check every parameter (ValueError naming it); return the hidden layer sizes."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0:
                raise ValueError(
                    f"{type(self).__name__}: hidden_layer_sizes must hold positive integers, "
                    f"got {self.hidden_layer_sizes!r}"
                )
        check_choice(self, "activation", self.activation, ACTIVATIONS)
        check_choice(self, "solver", self.solver, SOLVERS)
        check_number(self, "alpha", self.alpha, low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_number(self, "batch_size", self.batch_size, kind="int", low=1)
        check_choice(self, "learning_rate", self.learning_rate, LEARNING_RATES)
        check_number(self, "learning_rate_init", self.learning_rate_init, low=0.0, low_open=True)
        check_number(self, "power_t", self.power_t, low=0.0)
        check_number(self, "max_iter", self.max_iter, kind="int", low=1)
        check_choice(self, "shuffle", self.shuffle, (True, False))
        check_number(self, "tol", self.tol, low=0.0)
        check_choice(self, "warm_start", self.warm_start, (True, False))
        check_number(self, "momentum", self.momentum, low=0.0, high=1.0)
        check_choice(self, "nesterovs_momentum", self.nesterovs_momentum, (True, False))
        check_choice(self, "early_stopping", self.early_stopping, (True, False))
        check_number(
            self, "validation_fraction", self.validation_fraction, low=0.0, high=1.0, high_open=True
        )
        check_number(self, "beta_1", self.beta_1, low=0.0, high=1.0, high_open=True)
        check_number(self, "beta_2", self.beta_2, low=0.0, high=1.0, high_open=True)
        check_number(self, "epsilon", self.epsilon, low=0.0, low_open=True)
        check_number(
            self, "n_iter_no_change", self.n_iter_no_change, kind="int", low=1, allow_inf=True
        )
        check_number(self, "max_fun", self.max_fun, kind="int", low=1)
        check_dtype(self, self.dtype)
        return [int(s) for s in sizes]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # ------------------------------------------------------------------ the network
    def _initialize(
        self, layer_units: list[int], dtype: np.dtype, rs: np.random.RandomState
    ) -> None:
        """Build ``model_`` with scikit-learn's Glorot-uniform draws, and reset the records."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        factor = 2.0 if self.activation in ("logistic", "sigmoid") else 6.0
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(pairwise(layer_units)):
            # init="zeros" draws nothing from chainrule's global generator; the weights come from
            # ``random_state`` in scikit-learn's order (coefficients, then intercepts, per layer)
            lin = Linear(fan_in, fan_out, init="zeros", dtype=dtype)
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = rs.uniform(-bound, bound, (fan_in, fan_out))
            intercept = rs.uniform(-bound, bound, fan_out)
            lin.weight._data[...] = xp.asarray(coef.T, dtype=dtype)
            lin.bias._data[...] = xp.asarray(intercept, dtype=dtype)
            layers.append(lin)
            if i < len(layer_units) - 2:
                layers.append(activation(self.activation))
        self.model_ = Sequential(*layers)
        self.history_ = History()
        self.history_.params = {"estimator": type(self).__name__, "solver": self.solver}
        self._best_state = None
        if self.solver in _STOCHASTIC:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list[float] | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
                self.history_.monitor = self._score_name
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None
        else:
            self.loss_curve_ = []

    def _linears(self) -> list[Linear]:
        return [m for m in self.model_ if isinstance(m, Linear)]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, scikit-learn's (n_in, n_out) orientation: views of ``model_``'s."""
        if "model_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted yet: no coefs_")
        return [as_numpy(lin.weight._data).T for lin in self._linears()]

    @coefs_.setter
    def coefs_(self, values: list[Any]) -> None:
        for lin, v in zip(self._linears(), values, strict=True):
            lin.weight._data[...] = xp.asarray(np.asarray(v).T, dtype=lin.weight._data.dtype)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer: views of ``model_``'s."""
        if "model_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted yet: no intercepts_")
        return [as_numpy(lin.bias._data) for lin in self._linears()]

    @intercepts_.setter
    def intercepts_(self, values: list[Any]) -> None:
        for lin, v in zip(self._linears(), values, strict=True):
            lin.bias._data[...] = xp.asarray(v, dtype=lin.bias._data.dtype)

    def _flat(self) -> FlatParameters:
        lins = self._linears()
        params = [lin.weight for lin in lins] + [lin.bias for lin in lins]
        return FlatParameters(params, lins[0].weight._data.dtype, n_weights=len(lins))

    def _model_dtype(self) -> np.dtype:
        return self._linears()[0].weight._data.dtype

    def _forward(self, X: Any) -> Any:
        """The logits for ``X`` (an array in the model's dtype), without recording a graph."""
        with no_grad():
            return self.model_(Tensor(X))._data

    def _validated_X(self, X: Any) -> tuple[Any, np.dtype]:
        """``X`` checked against the fit, and the dtype to answer in (its own: float32 or
        float64).

        Predictions are computed in the input's precision, as scikit-learn's are: a float64
        ``X`` evaluates float32 weights in float64 (NumPy's promotion), so a sample's
        prediction does not depend on the batch it comes in with.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return xp.asarray(X), X.dtype

    def _raw_predict(self, X: Any) -> tuple[Any, np.dtype]:
        """The output activation of the network, in the input's float dtype."""
        Xc, out_dtype = self._validated_X(X)
        z = self._forward(Xc).astype(out_dtype, copy=False)
        return self._link(z), out_dtype

    def _link(self, z: Any) -> Any:
        """The output activation applied to logits, by the prediction head."""
        head = Head(_HEAD_LINK[self.out_activation_])
        return head.probabilities(z) if head.is_classifier else head.values(z)

    # ------------------------------------------------------------------ fitting
    def _fit(self, X: Any, y: Any, sample_weight: Any = None, incremental: bool = False) -> Any:
        require_sklearn(type(self).__name__)
        hidden = self._check_params()
        first_pass = "model_" not in self.__dict__ or (not self.warm_start and not incremental)
        X, Y, y_index, y_labels = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = X.shape
        sw = check_sample_weight(self, sample_weight, n_samples)
        sw = self._combine_weights(sw, y_index, incremental)
        layer_units = [n_features, *hidden, self._n_outputs_of(Y)]
        rs = _check_random_state(self.random_state)
        self._random_state = rs
        if first_pass:
            dtype = check_dtype(self, self.dtype)
            self._set_outputs(Y)
            self._initialize(layer_units, dtype, rs)
        else:
            old = [self.model_[0].in_features] + [lin.out_features for lin in self._linears()]
            if old != layer_units:
                raise ValueError(
                    f"{type(self).__name__}: the fitted network has layer sizes {old}, but this "
                    f"call needs {layer_units} (hidden_layer_sizes, n_features or n_outputs "
                    "changed); fit again with warm_start=False"
                )
            if self.solver in _STOCHASTIC and not hasattr(self, "_no_improvement_count"):
                # the network was fitted by L-BFGS: set up the stochastic solver's records
                self._no_improvement_count = 0
                self.best_loss_ = np.inf
                self.validation_scores_ = [] if self.early_stopping else None
                self.best_validation_score_ = -np.inf if self.early_stopping else None
        dtype = self._model_dtype()
        Xc = xp.asarray(X, dtype=dtype)
        Yc = self._target_array(Y, y_index, dtype)
        if self.solver in _STOCHASTIC:
            self._fit_stochastic(Xc, Yc, sw, y_labels, incremental)
        else:
            self._fit_lbfgs(Xc, Yc, sw)
        if not bool(xp.isfinite(self._flat_values()).all()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                "values and need to be preprocessed."
            )
        return self

    def _flat_values(self) -> Any:
        return xp.concatenate([p._data.reshape(-1) for p in self.model_.parameters()])

    def _extra(self, Y: Any) -> Any:
        return _xlogx(Y) if self.out_activation_ == "exp" else None

    def _fit_lbfgs(self, X: Any, Y: Any, sw: np.ndarray | None) -> None:
        flat = self._flat()
        objective = _Objective(self.out_activation_, flat, self.alpha, self._extra(Y))
        n = X.shape[0]
        sw_d = None if sw is None else xp.asarray(sw, dtype=flat.flat.dtype)
        batch = (Y, sw_d, float(n if sw is None else sw.sum()), objective.extra)
        params, Xt = flat.params, Tensor(X)

        def loss_grad() -> tuple[float, Any]:
            loss = objective(self.model_(Xt), batch)
            return loss.value, flat.gather(loss.gradients(params))

        res = minimize_lbfgs(
            flat,
            loss_grad,
            {"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            self.history_,
            verbose_line="Iteration {i}, loss = {loss:.8f}" if self.verbose else None,
            curve=self.loss_curve_,
        )
        self.n_iter_ = _check_lbfgs_result(res, self.max_iter)
        self.loss_ = float(res.fun)

    def _split_validation(
        self, X: Any, Y: Any, sw: np.ndarray | None, y_labels: Any
    ) -> tuple[Any, Any, Any, Any, Any, Any]:
        """scikit-learn's early-stopping split (``train_test_split`` on ``random_state``)."""
        from sklearn.model_selection import train_test_split

        n = X.shape[0]
        idx = np.arange(n)
        stratify = self._stratify_labels(y_labels)
        try:
            tr, va = train_test_split(
                idx,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
        except ValueError:
            if stratify is None:
                raise
            tr, va = train_test_split(
                idx, random_state=self._random_state, test_size=self.validation_fraction
            )
        if va.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                "your dataset."
            )
        tr_x, va_x = xp.asarray(tr), xp.asarray(va)
        sw_tr = None if sw is None else sw[tr]
        sw_va = None if sw is None else sw[va]
        return X[tr_x], Y[tr_x], sw_tr, X[va_x], self._validation_target(y_labels, va), sw_va

    def _optimizer_for(self, flat: FlatParameters) -> SklearnSGD | SklearnAdam:
        if self.solver == "sgd":
            return SklearnSGD(
                flat,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return SklearnAdam(flat, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _batch_size(self, n: int) -> int:
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n))

    def _fit_stochastic(
        self, X: Any, Y: Any, sw: np.ndarray | None, y_labels: Any, incremental: bool
    ) -> None:
        flat = self._flat()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._optimizer_for(flat)
        else:  # partial_fit: the optimiser's state carries over, onto this call's flat array
            self._optimizer.flat = flat
        opt = self._optimizer
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        val = None
        if self.early_stopping:
            X, Y, sw, *val = self._split_validation(X, Y, sw, y_labels)
        n = X.shape[0]
        size = self._batch_size(n)
        batches = _Batches(X, Y, sw, self._extra(Y), size, self._random_state, self.shuffle)
        stopping = _SklearnStopping(self, opt, flat, val is not None)
        loop = sklearn_loop(
            self.model_,
            _Objective(self.out_activation_, flat, self.alpha, None),
            opt,
            stopping,
            self.history_,
        )
        self.n_iter_ = 0
        with loop.running():
            loop.begin()
            for _ in range(1 if incremental else self.max_iter):
                t0 = time.perf_counter()
                lr = opt.learning_rate_init if self.solver == "adam" else opt.learning_rate
                loop.begin_epoch()
                loop.run_epoch(batches.epoch())
                self.n_iter_ += 1
                self.loss_ = loop.total / n
                self.t_ += n
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                record = {"loss": self.loss_, "lr": lr}
                if val is not None:
                    record[self._score_name] = self._validation_score(*val)
                opt.iteration_ends(self.t_)
                record["time"] = time.perf_counter() - t0
                if loop.end_epoch(record):
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                        "the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=3,
                    )
        loop.finish()
        if loop.state.reason == "interrupted":
            warnings.warn("Training interrupted by user.", stacklevel=3)
        if val is not None and self._best_state is not None:
            self._best_state.restore()  # the weights of the best validation score

    def _validation_score(self, X_val: Any, y_val: Any, sw_val: Any) -> float:
        out = self._link(self._forward(X_val))
        if not bool(xp.isfinite(out).all()):
            score = float("nan")
        else:
            score = float(self._score_outputs(as_numpy(out), y_val, sw_val))
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        return score

    # ------------------------------------------------------------------ subclass hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        raise NotImplementedError

    def _combine_weights(self, sw: Any, y_index: Any, incremental: bool) -> Any:
        return sw

    def _n_outputs_of(self, Y: Any) -> int:
        return 1 if Y.ndim == 1 else Y.shape[1]

    def _set_outputs(self, Y: Any) -> None:
        raise NotImplementedError

    def _target_array(self, Y: Any, y_index: Any, dtype: Any) -> Any:
        # the regression targets, or the classifier's 0/1 indicator matrix (as scikit-learn uses)
        return xp.asarray(Y, dtype=dtype)

    def _stratify_labels(self, y_labels: Any) -> Any:
        return None

    def _validation_target(self, y_labels: Any, idx: np.ndarray) -> Any:
        return np.asarray(y_labels)[idx]

    def _score_outputs(self, out: np.ndarray, y_val: Any, sw_val: Any) -> float:
        raise NotImplementedError


def _check_random_state(seed: Any) -> np.random.RandomState:
    from sklearn.utils import check_random_state

    return check_random_state(seed)


def _check_lbfgs_result(res: Any, max_iter: int) -> int:
    """Warn as scikit-learn does when L-BFGS did not converge; return the iteration count."""
    if res.status != 0:
        message = res.message.decode("latin1") if isinstance(res.message, bytes) else res.message
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}):\n"
            f"{message}.\n\nIncrease the number of iterations to improve the convergence "
            f"(max_iter={max_iter}).\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html",
            ConvergenceWarning,
            stacklevel=4,
        )
    return min(int(res.nit), max_iter)


# ----------------------------------------------------------------------------- classifier
class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier, trained by backpropagation through chainrule.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameters, defaults,
    initialisation, objective, solvers, stopping rules and fitted attributes), plus
    ``class_weight``, more activations, ``decision_function`` and ``dtype``. The output layer
    is logistic for binary and multilabel targets and softmax for multiclass ones; the loss is
    the log-loss, plus ``0.5·alpha·Σw² / n`` (weights only) per mini-batch.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        The number of units of each hidden layer.
    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'gelu'}, \
default='relu'
        Hidden-layer activation ('sigmoid' is 'logistic'); looked up in chainrule's
        activation registry (:func:`chainrule.nn.activation`).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        'lbfgs' minimises the full-batch objective with ``scipy.optimize.minimize``
        (L-BFGS-B), fed by chainrule's gradient; 'sgd' and 'adam' are mini-batch methods
        with scikit-learn's update equations.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases), divided by the sample size
        (the sum of the sample weights) of each batch.
    batch_size : int or 'auto', default='auto'
        Mini-batch size for 'sgd' and 'adam'; 'auto' is ``min(200, n_samples)``; 1 is pure
        stochastic gradient descent.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of 'sgd': constant; ``learning_rate_init / (t + 1)^power_t``
        (t samples seen); or divided by 5 whenever the stopping rule fires.
    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs for 'sgd' and 'adam'; iterations for 'lbfgs'.
    shuffle : bool, default=True
        Shuffle the samples every epoch ('sgd', 'adam').
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the early-stopping split, in the same
        order as scikit-learn.
    tol : float, default=1e-4
        Stop when the training loss (or validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; for 'lbfgs', the gradient tolerance.
    verbose : bool, default=False
        Print the loss of every epoch.
    warm_start : bool, default=False
        Start ``fit`` from the current weights.
    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when the
        validation accuracy stops improving; the weights of the best epoch are kept.
    validation_fraction : float, default=0.1
        The held-out fraction for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's ε.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping (or, with 'adaptive', dividing the rate).
    max_fun : int, default=15000
        Most loss evaluations for 'lbfgs'.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class, multiplying the sample weights ('balanced': inversely
        proportional to class frequencies). Not for multilabel targets.
    dtype : {'float32', 'float64'}, default='float32'
        The dtype the network computes in.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    loss_ : float
        The loss of the last epoch (iteration for 'lbfgs'), penalty included.
    best_loss_ : float or None
        The lowest training loss seen ('sgd', 'adam' without early stopping).
    loss_curve_ : list of float
        The loss of each epoch ('lbfgs': of each iteration).
    validation_scores_ : list of float or None
        The validation accuracy of each epoch, with early stopping.
    best_validation_score_ : float or None
        The best of them.
    t_ : int
        Samples seen by the solver.
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (units of layer i, units of layer i + 1).
    intercepts_ : list of ndarray
        Bias vectors.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Input column names, when ``X`` had string column names.
    n_iter_ : int
        Epochs (iterations) run by the solver.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        'logistic' or 'softmax'.
    model_ : chainrule.nn.Sequential
        The network, from inputs to logits.
    history_ : chainrule.train.History
        Per-epoch ``loss``, ``lr``, ``time`` and, with early stopping, ``val_accuracy``;
        ``history_.stopped_reason`` says why training ended.

    See Also
    --------
    MLPRegressor, LogisticRegression

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.datasets import iris
    >>> from chainrule.estimators import MLPClassifier
    >>> X, y, _ = iris()
    >>> X = (X - X.mean(axis=0)) / X.std(axis=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, tol=1e-3,
    ...                     random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.history_.stopped_reason, clf.n_iter_ == len(clf.loss_curve_)
    ('tol', True)
    >>> clf.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    >>> [c.shape for c in clf.coefs_]
    [(4, 16), (16, 3)]
    """

    _score_name = "val_accuracy"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        class_weight: Any = None,
        dtype: Any = "float32",
    ) -> None:
        store_params(self, locals())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------------ hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        from sklearn.preprocessing import LabelBinarizer
        from sklearn.utils.multiclass import unique_labels
        from sklearn.utils.validation import column_or_1d

        X, y = validate_data(
            self, X, y, multi_output=True, dtype=(np.float64, np.float32), reset=reset
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y).astype(bool)
        y_index = None
        if self._label_binarizer.y_type_ != "multilabel-indicator":
            y_index = np.searchsorted(self.classes_, y)
        elif self.class_weight is not None:
            raise ValueError(
                f"MLPClassifier: class_weight is not supported for multilabel targets, got "
                f"class_weight={self.class_weight!r}"
            )
        return X, Y, y_index, y

    def _combine_weights(self, sw: Any, y_index: Any, incremental: bool) -> Any:
        cw = class_weight_vector(
            self,
            self.class_weight,
            self.classes_,
            None if incremental else y_index,
            sw,
        )
        if cw is None:
            return sw
        per_sample = cw[y_index]
        return per_sample if sw is None else sw * per_sample

    def _n_outputs_of(self, Y: Any) -> int:
        return Y.shape[1]

    def _set_outputs(self, Y: Any) -> None:
        self.n_outputs_ = Y.shape[1]
        if self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

    def _stratify_labels(self, y_labels: Any) -> Any:
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        return np.asarray(y_labels)

    def _score_outputs(self, out: np.ndarray, y_val: Any, sw_val: Any) -> float:
        from sklearn.metrics import accuracy_score

        if self.n_outputs_ == 1:
            out = out.ravel()
        return accuracy_score(
            y_val, self._label_binarizer.inverse_transform(out), sample_weight=sw_val
        )

    # ------------------------------------------------------------------ public API
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Fit the network to ``X`` and the labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights: each sample's loss is multiplied by its weight, and each
            batch's loss is the weighted mean.

        Returns
        -------
        self : MLPClassifier
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """Run one epoch of 'sgd' or 'adam' over ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array-like of shape (n_classes,), optional
            Every class of the whole data set: required on the first call, optional after.

        Returns
        -------
        self : MLPClassifier
        """
        require_sklearn("MLPClassifier")
        from sklearn.preprocessing import LabelBinarizer
        from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target

        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    partial_fit = _AvailableIf(partial_fit, _stochastic)

    def decision_function(self, X: Any) -> np.ndarray:
        """The logits (the output layer before its activation).

        Returns
        -------
        ndarray of shape (n_samples,) for binary targets, else (n_samples, n_outputs)
        """
        Xc, out_dtype = self._validated_X(X)
        z = as_numpy(self._forward(Xc), out_dtype)
        return z.ravel() if self.n_outputs_ == 1 else z

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each sample (an indicator matrix for multilabel targets)."""
        y_pred, _ = self._raw_predict(X)
        y_pred = as_numpy(y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1 (except for multilabel targets, one probability per label).
        """
        y_pred, _ = self._raw_predict(X)
        y_pred = as_numpy(y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`."""
        y_prob = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(y_prob, out=y_prob)


# ----------------------------------------------------------------------------- regressor
class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor, trained by backpropagation through chainrule.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: identity output and half
    squared error (or a log link and half Poisson deviance with ``loss='poisson'``), plus
    ``0.5·alpha·Σw² / n`` per mini-batch on the weights. Parameters and attributes are those of
    :class:`MLPClassifier` except as listed.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'poisson' needs non-negative targets and predicts exp(network output).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun, dtype
        As in :class:`MLPClassifier` (early stopping monitors the validation R², unstratified).

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_, t_, coefs_, \
intercepts_, n_features_in_, feature_names_in_, n_iter_, n_layers_, n_outputs_, model_, history_
        As in :class:`MLPClassifier`; validation scores are R², recorded as ``val_r2``.
    out_activation_ : str
        'identity', or 'exp' for the Poisson loss.

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule.estimators import MLPRegressor
    >>> X = np.linspace(-3, 3, 200)[:, None]
    >>> y = np.sin(X).ravel()
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", solver="lbfgs",
    ...                    max_iter=500, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.99
    True
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _score_name = "val_r2"

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dtype: Any = "float32",
    ) -> None:
        store_params(self, locals())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _check_params(self) -> list[int]:
        check_choice(self, "loss", self.loss, ("squared_error", "poisson"))
        return super()._check_params()

    # ------------------------------------------------------------------ hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        from sklearn.utils.validation import column_or_1d

        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        return X, (y.reshape(-1, 1) if y.ndim == 1 else y), None, y

    def _set_outputs(self, Y: Any) -> None:
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = "exp" if self.loss == "poisson" else "identity"

    def _score_outputs(self, out: np.ndarray, y_val: Any, sw_val: Any) -> float:
        from sklearn.metrics import r2_score

        if out.shape[1] == 1:
            out = out.ravel()
        return r2_score(y_val, out, sample_weight=sw_val)

    # ------------------------------------------------------------------ public API
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Fit the network to ``X`` and the targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Run one epoch of 'sgd' or 'adam' over ``X``, ``y``.

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    partial_fit = _AvailableIf(partial_fit, _stochastic)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: shape (n_samples,) for one target, else (n_samples, n_targets)."""
        y_pred, _ = self._raw_predict(X)
        y_pred = as_numpy(y_pred)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred
