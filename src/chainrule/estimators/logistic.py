"""Logistic regression with scikit-learn's interface: the network with no hidden layer.

:class:`LogisticRegression` is a single chainrule :class:`~chainrule.nn.Linear` layer with a
sigmoid output and binary cross-entropy for two classes, or a softmax output and cross-entropy
(the multinomial model) for more. It minimises scikit-learn's objective,

    C · Σᵢ sᵢ·ℓᵢ + ½‖W‖²    (intercepts not penalised),

written, as scikit-learn writes it since 1.x, in the equivalent scaled form
Σᵢ sᵢ·ℓᵢ / Σᵢ sᵢ + ‖W‖² / (2·C·Σᵢ sᵢ), which has the same minimiser. sᵢ is the sample weight
times the class weight. Gradients come from chainrule's fused losses
(:func:`~chainrule.nn.losses.binary_cross_entropy_with_logits`,
:func:`~chainrule.nn.losses.cross_entropy`) and its backward pass.

solver='lbfgs' (the default) always computes in float64 and runs L-BFGS-B with a gradient
tolerance ``gtol = tol · 1e-4`` (1e-8 by default), far tighter than scikit-learn's
``gtol = tol``: it stops at the minimiser itself rather than near it, so the coefficients agree
with scikit-learn's minimiser to about 1e-6 relative on standardised data (scikit-learn's own
default fit stops up to ~1e-4 away from it). A fit that needs more than ``max_iter``
iterations warns with ``ConvergenceWarning``. For the multinomial model, whose intercepts are
defined up to a common shift, the intercepts are centred to sum to 0, as scikit-learn's
solution (started from zeros) is.

solver='sgd' and 'adam' minimise the same objective by mini-batches with
:class:`chainrule.optim.SGD` (Nesterov momentum 0.9) and :class:`chainrule.optim.Adam`, the
penalty applied as their weight decay; they stop when the epoch objective has not improved by
``tol`` for ``n_iter_no_change`` epochs.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from chainrule.autograd import no_grad, run_backward
from chainrule.backend import xp
from chainrule.estimators._base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    FlatParameters,
    as_numpy,
    check_choice,
    check_number,
    check_sample_weight,
    class_weight_vector,
    require_sklearn,
    sklearn_loop,
    validate_data,
)
from chainrule.estimators._lbfgs import minimize_lbfgs
from chainrule.nn import Linear, Sequential
from chainrule.nn.losses import binary_cross_entropy_with_logits, cross_entropy, l2_penalty
from chainrule.tensor import Tensor
from chainrule.train.head import Head
from chainrule.train.history import History
from chainrule.train.stoppers import NoImprovement

__all__ = ["LogisticRegression"]

_GTOL_FACTOR = 1e-4  # solver='lbfgs' uses gtol = tol * _GTOL_FACTOR (see the module notes)


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-regularised logistic regression (binary, or multinomial for more classes).

    The chainrule network with no hidden layer: ``model_`` is a
    :class:`~chainrule.nn.Sequential` holding one :class:`~chainrule.nn.Linear` from the
    features to the logits. The objective and the fitted attributes are scikit-learn's, so
    ``coef_`` and ``intercept_`` agree with :class:`sklearn.linear_model.LogisticRegression`'s
    (see the module notes for how closely).

    Parameters
    ----------
    penalty : {'l2', None}, default='l2'
        'l2' adds ½‖W‖²/C to C times the summed log-loss; None fits without penalty (as does
        ``C=np.inf``).
    C : float, default=1.0
        Inverse regularisation strength, > 0.
    fit_intercept : bool, default=True
        Learn an (unpenalised) intercept per output.
    solver : {'lbfgs', 'sgd', 'adam'}, default='lbfgs'
        'lbfgs': full-batch L-BFGS-B in float64 with a tight tolerance (see the module notes);
        'sgd', 'adam': mini-batch chainrule optimisers.
    max_iter : int, default=100
        Iterations (lbfgs) or epochs (sgd, adam).
    tol : float, default=1e-4
        Stopping tolerance: lbfgs uses ``gtol = tol · 1e-4``; sgd and adam stop when the
        epoch objective has not improved by ``tol`` for ``n_iter_no_change`` epochs.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class, multiplying the sample weights.
    random_state : int, RandomState instance or None, default=None
        Shuffles the mini-batches of sgd and adam (lbfgs is deterministic).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    verbose : int, default=0
        Print the objective every iteration (epoch).
    batch_size : int or 'auto', default='auto'
        Mini-batch size of sgd and adam ('auto': ``min(200, n_samples)``).
    learning_rate_init : float, default=0.01
        Step size of sgd and adam.
    n_iter_no_change : int, default=10
        Epochs without improvement before sgd and adam stop.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (one row for two classes, scoring ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros without ``fit_intercept``).
    n_iter_ : ndarray of shape (1,)
        Iterations (epochs) run.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Input column names, when ``X`` had string column names.
    loss_ : float
        The final objective in the scaled form Σsℓ/Σs + ‖W‖²/(2CΣs).
    model_ : chainrule.nn.Sequential
        One Linear layer, from inputs to logits (float64).
    history_ : chainrule.train.History
        The objective (``loss``) and ``time`` of every iteration (epoch).

    See Also
    --------
    MLPClassifier : the same with hidden layers.

    Examples
    --------
    >>> from chainrule.datasets import iris
    >>> from chainrule.estimators import LogisticRegression
    >>> X, y, _ = iris(dtype="float64")
    >>> X = (X - X.mean(axis=0)) / X.std(axis=0)
    >>> clf = LogisticRegression(C=1.0).fit(X, y)
    >>> clf.coef_.shape, clf.intercept_.shape
    ((3, 4), (3,))
    >>> abs(float(clf.intercept_.sum())) < 1e-12   # multinomial intercepts are centred
    True
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.985, 0.015, 0.   ]])
    """

    def __init__(
        self,
        penalty: str | None = "l2",
        *,
        C: float = 1.0,
        fit_intercept: bool = True,
        solver: str = "lbfgs",
        max_iter: int = 100,
        tol: float = 1e-4,
        class_weight: Any = None,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.01,
        n_iter_no_change: int = 10,
    ) -> None:
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.n_iter_no_change = n_iter_no_change

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_choice(self, "penalty", self.penalty, ("l2", None))
        check_number(self, "C", self.C, low=0.0, low_open=True)
        check_choice(self, "fit_intercept", self.fit_intercept, (True, False))
        check_choice(self, "solver", self.solver, ("lbfgs", "sgd", "adam"))
        check_number(self, "max_iter", self.max_iter, kind="int", low=1)
        check_number(self, "tol", self.tol, low=0.0)
        check_choice(self, "warm_start", self.warm_start, (True, False))
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_number(self, "batch_size", self.batch_size, kind="int", low=1)
        check_number(self, "learning_rate_init", self.learning_rate_init, low=0.0, low_open=True)
        check_number(self, "n_iter_no_change", self.n_iter_no_change, kind="int", low=1)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticRegression:
        """Fit the model to ``X`` and the labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; a weight of 2 counts a sample twice.

        Returns
        -------
        self : LogisticRegression
        """
        require_sklearn("LogisticRegression")
        from sklearn.utils.multiclass import check_classification_targets

        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, reset=True)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes[0]!r}"
            )
        n, d = X.shape
        sw = check_sample_weight(self, sample_weight, n)
        cw = class_weight_vector(self, self.class_weight, classes, y_index, sw)
        if cw is not None:
            sw = cw[y_index] if sw is None else sw * cw[y_index]
        binary = len(classes) == 2
        k_out = 1 if binary else len(classes)
        warm = (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (k_out, d)
            and np.array_equal(getattr(self, "classes_", None), classes)
        )
        lin = Linear(d, k_out, bias=self.fit_intercept, init="zeros", dtype=np.float64)
        if warm:
            lin.weight._data[...] = self.coef_
            if self.fit_intercept:
                lin.bias._data[...] = self.intercept_
        self.classes_ = classes
        self.model_ = Sequential(lin)
        self.history_ = History()
        self.history_.params = {"estimator": "LogisticRegression", "solver": self.solver}
        Xc = xp.asarray(X)
        target = (
            xp.asarray((y_index == 1).astype(np.float64)[:, None])
            if binary
            else xp.asarray(y_index)
        )
        sw_c = None if sw is None else xp.asarray(sw)
        sw_sum = float(n if sw is None else sw.sum())
        if sw_sum <= 0:
            raise ValueError("LogisticRegression: the sample weights sum to 0")
        penalised = self.penalty == "l2" and np.isfinite(self.C)
        reg = 1.0 / (self.C * sw_sum) if penalised else 0.0  # ‖W‖² coefficient is reg / 2
        if self.solver == "lbfgs":
            n_iter, loss = self._fit_lbfgs(Xc, target, sw_c, sw_sum, reg, binary)
        else:
            n_iter, loss = self._fit_stochastic(Xc, target, sw_c, sw_sum, reg, binary)
        if not binary and self.fit_intercept:
            lin.bias._data -= lin.bias._data.mean()  # the common shift is free; centre it
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        self.loss_ = float(loss)
        return self

    def _data_loss(self, z: Tensor, target: Any, sw: Any, binary: bool) -> Tensor:
        """Σ sᵢ·ℓᵢ from the logits, by chainrule's fused losses."""
        if binary:
            return binary_cross_entropy_with_logits(z, target, reduction="sum", sample_weight=sw)
        return cross_entropy(z, target, reduction="sum", sample_weight=sw)

    def _fit_lbfgs(
        self, X: Any, target: Any, sw: Any, sw_sum: float, reg: float, binary: bool
    ) -> tuple[int, float]:
        flat = FlatParameters(list(self.model_.parameters()), np.float64, n_weights=1)
        params = flat.params
        Xt = Tensor(X)
        scale = 1.0 / sw_sum
        one = xp.asarray(1.0)

        def loss_grad() -> tuple[float, Any]:
            loss = self._data_loss(self.model_(Xt), target, sw, binary) * scale
            if reg:
                loss = loss + l2_penalty(self.model_) * (0.5 * reg)
            grads = run_backward(loss, one, inputs=params)
            return float(loss.item()), flat.gather(grads)

        options = {
            "maxiter": self.max_iter,
            "maxls": 50,
            "gtol": self.tol * _GTOL_FACTOR,
            "ftol": 64 * np.finfo(float).eps,
        }
        verbose = "Iteration {i}, objective = {loss:.10g}" if self.verbose else None
        res = minimize_lbfgs(flat, loss_grad, options, self.history_, verbose_line=verbose)
        if res.status != 0:
            message = (
                res.message.decode("latin1") if isinstance(res.message, bytes) else res.message
            )
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) (status={res.status}): "
                f"{message}. Increase the number of iterations (max_iter={self.max_iter}) or "
                "scale the data.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return min(int(res.nit), self.max_iter), float(res.fun)

    def _fit_stochastic(
        self, X: Any, target: Any, sw: Any, sw_sum: float, reg: float, binary: bool
    ) -> tuple[int, float]:
        from sklearn.utils import check_random_state

        from chainrule.nn.utils import param_groups
        from chainrule.optim import SGD, Adam

        params = list(self.model_.parameters())
        groups = param_groups(
            params, weight_decay=reg
        )  # scikit-learn: the intercept is not decayed
        lr = self.learning_rate_init
        if self.solver == "sgd":
            opt: Any = SGD(groups, lr=lr, momentum=0.9, nesterov=True)
        else:
            opt = Adam(groups, lr=lr)
        rs = check_random_state(self.random_state)
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(min(self.batch_size, n))
        weight = self.model_[0].weight

        def loss_fn(z: Tensor, yb: tuple) -> Tensor:
            # Σ_batch sℓ scaled by n/|B| is an unbiased estimate of Σ sℓ; / Σs as in the objective
            t, swb, scale = yb
            return self._data_loss(z, t, swb, binary) * scale

        def batches() -> Any:
            order = xp.asarray(rs.permutation(n))
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                swb = None if sw is None else sw[idx]
                yield Tensor(X[idx]), (target[idx], swb, (n / idx.shape[0]) / sw_sum)

        stop = NoImprovement("loss", patience=self.n_iter_no_change, delta=self.tol)
        loop = sklearn_loop(self.model_, loss_fn, opt, stop, self.history_)
        epoch, loss_epoch = 0, np.nan
        with loop.running():
            loop.begin()
            for epoch in range(1, self.max_iter + 1):
                t0 = time.perf_counter()
                loop.begin_epoch()
                loop.run_epoch(batches())
                with no_grad():
                    w = weight._data
                    loss_epoch = loop.total / n + 0.5 * reg * float(xp.sum(w * w))
                if self.verbose:
                    print(f"Epoch {epoch}, objective = {loss_epoch:.10g}")
                logs = {"loss": loss_epoch, "lr": lr, "time": time.perf_counter() - t0}
                if loop.end_epoch(logs):
                    break
            else:
                warnings.warn(
                    f"LogisticRegression(solver={self.solver!r}): maximum number of epochs "
                    f"({self.max_iter}) reached and the objective has not converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        loop.finish()
        return epoch, loss_epoch

    # ------------------------------------------------------------------ fitted values
    @property
    def coef_(self) -> np.ndarray:
        """Coefficients, (1, n_features) for two classes or (n_classes, n_features)."""
        if "model_" not in self.__dict__:
            raise AttributeError("LogisticRegression is not fitted yet: no coef_")
        return as_numpy(self.model_[0].weight._data)

    @property
    def intercept_(self) -> np.ndarray:
        """Intercepts, (1,) or (n_classes,); zeros when ``fit_intercept`` is False."""
        if "model_" not in self.__dict__:
            raise AttributeError("LogisticRegression is not fitted yet: no intercept_")
        lin = self.model_[0]
        if lin.bias is None:
            return np.zeros(lin.out_features)
        return as_numpy(lin.bias._data)

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X: Any) -> np.ndarray:
        """The logits X·coef_ᵀ + intercept_: shape (n_samples,) for two classes."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with no_grad():
            z = as_numpy(self.model_(Tensor(xp.asarray(X)))._data)
        return z.ravel() if z.shape[1] == 1 else z

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        labels = Head("softmax").labels(self.decision_function(X))
        return self.classes_[labels]

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log-probabilities of the classes (stable for any logit), columns as ``classes_``."""
        z = self.decision_function(X)
        if z.ndim == 1:  # log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z)
            z = np.stack([-z, z], axis=1) * 0.5  # logits of a two-class softmax
        shifted = z - z.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``; rows sum to 1."""
        return np.exp(self.predict_log_proba(X))
