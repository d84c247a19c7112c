"""chainrule.estimators: scikit-learn-compatible MLPs and logistic regression.

Behaviour that can fail: the estimators work inside scikit-learn's model selection tools, they
agree with scikit-learn's own estimators (coefficients, loss curves), and weights, classes,
partial fitting, early stopping, pickling and parameter errors behave as documented.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from chainrule import nn
from chainrule.datasets import breast_cancer, digits, iris, wine
from chainrule.estimators import LogisticRegression, MLPClassifier, MLPRegressor
from chainrule.train import History

no_convergence_warnings = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _standardised(loader):
    X, y, _ = loader(dtype="float64")
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_data():
    return _standardised(iris)


@pytest.fixture(scope="module")
def cancer_data():
    return _standardised(breast_cancer)


# ----------------------------------------------------------------------------- model selection
def test_pipeline_cross_val_score_breast_cancer():
    X, y, _ = breast_cancer()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.95, scores


@no_convergence_warnings
def test_grid_search_iris():
    X, y, _ = iris()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(8,), (32,)], "mlpclassifier__alpha": [1e-4, 1e-2]},
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_score_ > 0.9
    assert set(grid.best_params_) == {
        "mlpclassifier__hidden_layer_sizes",
        "mlpclassifier__alpha",
    }
    assert grid.score(X, y) > 0.9


def test_logistic_regression_in_pipeline_cross_val(cancer_data):
    X, y = cancer_data
    scores = cross_val_score(LogisticRegression(C=0.5), X, y, cv=5)
    assert scores.mean() > 0.96


def test_clone_keeps_parameters_and_drops_fit(iris_data):
    X, y = iris_data
    est = MLPClassifier(hidden_layer_sizes=(7, 5), activation="tanh", alpha=0.01, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "model_") and not hasattr(twin, "coefs_")
    reg = clone(MLPRegressor(loss="poisson", dtype="float64"))
    assert reg.loss == "poisson" and reg.dtype == "float64"


# ----------------------------------------------------------------------------- pickling
@no_convergence_warnings
@pytest.mark.parametrize(
    "est",
    [
        MLPClassifier(hidden_layer_sizes=(10,), max_iter=30, random_state=0),
        MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=30, random_state=0),
        MLPRegressor(hidden_layer_sizes=(10,), max_iter=30, random_state=0),
        LogisticRegression(),
    ],
    ids=["mlp-adam", "mlp-lbfgs", "mlp-regressor", "logistic"],
)
def test_pickle_round_trip_gives_identical_predictions(est, iris_data):
    X, y = iris_data
    target = X[:, 0] if isinstance(est, MLPRegressor) else y
    est.fit(X, target)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    for a, b in zip(back.model_.parameters(), est.model_.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    if hasattr(est, "partial_fit"):  # training goes on identically after a round trip
        back.partial_fit(X, target)
        est.partial_fit(X, target)
        np.testing.assert_array_equal(back.predict(X), est.predict(X))
        np.testing.assert_array_equal(back.coefs_[0], est.coefs_[0])


# ----------------------------------------------------------------------------- logistic regression
def _sklearn_minimiser(X, y, **kwargs):
    """scikit-learn's LogisticRegression run to its minimiser (its default tol stops near it)."""
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    return SkLogisticRegression(tol=1e-12, max_iter=10_000, **kwargs).fit(X, y)


@pytest.mark.parametrize("loader", [breast_cancer, iris, wine], ids=["cancer", "iris", "wine"])
@pytest.mark.parametrize("C", [1.0, 0.1])
def test_logistic_regression_matches_sklearn(loader, C):
    X, y = _standardised(loader)
    ours = LogisticRegression(C=C).fit(X, y)
    ref = _sklearn_minimiser(X, y, C=C)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-5)


def test_logistic_regression_matches_sklearn_weighted(cancer_data):
    X, y = cancer_data
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    ours = LogisticRegression(class_weight={0: 2.0}).fit(X, y, sample_weight=sw)
    ref = _sklearn_minimiser(X, y, class_weight={0: 2.0})
    ref.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-6)


def test_logistic_regression_without_penalty_or_intercept(iris_data):
    X, y = iris_data
    y2 = (y == 2).astype(int)
    ours = LogisticRegression(fit_intercept=False, C=10.0).fit(X, y2)
    ref = _sklearn_minimiser(X, y2, fit_intercept=False, C=10.0)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(ours.intercept_, [0.0])
    # penalty=None and C=inf are the same unpenalised fit
    a = LogisticRegression(penalty=None, max_iter=500).fit(X[:, :2], y2)
    b = LogisticRegression(C=np.inf, max_iter=500).fit(X[:, :2], y2)
    np.testing.assert_allclose(a.coef_, b.coef_)


def test_logistic_regression_sample_weight_two_equals_duplicated_rows(iris_data):
    X, y = iris_data
    sw = np.ones(len(y))
    sw[::3] = 2.0
    weighted = LogisticRegression().fit(X, y, sample_weight=sw)
    rows = np.concatenate([np.arange(len(y)), np.arange(len(y))[::3]])
    duplicated = LogisticRegression().fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.coef_, duplicated.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, duplicated.intercept_, rtol=1e-6, atol=1e-8)
    # and a weight of 0 drops the row
    sw0 = np.ones(len(y))
    sw0[:10] = 0.0
    dropped = LogisticRegression().fit(X, y, sample_weight=sw0)
    np.testing.assert_allclose(
        dropped.coef_, LogisticRegression().fit(X[10:], y[10:]).coef_, rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_logistic_regression_stochastic_solvers_approach_the_minimiser(solver, cancer_data):
    X, y = cancer_data
    exact = LogisticRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        approx = LogisticRegression(solver=solver, max_iter=300, tol=1e-6, random_state=0).fit(X, y)
    # (plain SGD is slow on these correlated features: within 10% of the minimum after 300 epochs)
    assert exact.loss_ < approx.loss_ < exact.loss_ * 1.1
    assert np.mean(approx.predict(X) == exact.predict(X)) > 0.97
    assert approx.history_.epochs == approx.n_iter_[0]


def test_logistic_regression_attributes(cancer_data):
    X, y = cancer_data
    clf = LogisticRegression().fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    assert clf.n_iter_.shape == (1,) and clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert isinstance(clf.model_, nn.Sequential) and isinstance(clf.model_[0], nn.Linear)
    assert isinstance(clf.history_, History) and clf.history_.stopped_reason == "tol"
    assert clf.history_["loss"][-1] == pytest.approx(clf.loss_)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)), atol=1e-10)
    # stable for huge logits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        big = LogisticRegression().fit(X * 1e3, y)
    assert np.all(np.isfinite(big.predict_log_proba(X * 1e6)))


# ----------------------------------------------------------------------------- agreement with sklearn's MLP
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "regression"])
def test_mlp_float64_follows_sklearn_exactly(solver, task, iris_data):
    """Same random_state, float64: the same initial weights, batches and updates, so the loss
    curves and weights agree with scikit-learn's to rounding."""
    from sklearn.neural_network import MLPClassifier as SkC
    from sklearn.neural_network import MLPRegressor as SkR

    X, y = iris_data
    kw = dict(hidden_layer_sizes=(10,), random_state=0, max_iter=30, solver=solver, alpha=1e-3)
    if task == "regression":
        ours, ref, target = MLPRegressor(dtype="float64", **kw), SkR(**kw), X[:, 0] - X[:, 1]
    else:
        target = y if task == "multiclass" else (y == 1)
        ours, ref = MLPClassifier(dtype="float64", **kw), SkC(**kw)
    sw = np.random.default_rng(1).integers(0, 3, len(y)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, target, sample_weight=sw)
        ref.fit(X, target, sample_weight=sw)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-8)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
        assert ours.t_ == ref.t_
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    assert ours.out_activation_ == ref.out_activation_ and ours.n_layers_ == ref.n_layers_


@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
def test_mlp_learning_rate_schedules_follow_sklearn(learning_rate, iris_data):
    from sklearn.neural_network import MLPClassifier as SkC

    X, y = iris_data
    kw = dict(
        hidden_layer_sizes=(10,),
        random_state=0,
        max_iter=120,
        solver="sgd",
        learning_rate=learning_rate,
        learning_rate_init=0.05,
        n_iter_no_change=3,
        tol=1e-3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(dtype="float64", **kw).fit(X, y)
        ref = SkC(**kw).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-9)
    assert ours._optimizer.learning_rate == pytest.approx(ref._optimizer.learning_rate)


def test_mlp_early_stopping_populates_validation_scores(cancer_data):
    X, y = cancer_data
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ > 0
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    assert clf.best_loss_ is None
    assert clf.history_["val_accuracy"] == clf.validation_scores_
    assert clf.history_.stopped_reason == "early_stopping"
    assert clf.n_iter_ < 200
    reg = MLPRegressor(hidden_layer_sizes=(16,), early_stopping=True, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, X[:, 0])
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.history_["val_r2"] == reg.validation_scores_
    # without early stopping these are None, and best_loss_ is tracked
    plain = MLPClassifier(max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    assert plain.best_loss_ == min(plain.loss_curve_)


def test_mlp_early_stopping_split_is_stratified(iris_data):
    X, y = iris_data
    order = np.argsort(y, kind="stable")  # sorted labels: an unstratified split would skew
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2, max_iter=3
    )
    captured = {}
    original = clf._validation_score

    def spy(X_val, y_val, sw_val):
        captured["y_val"] = np.asarray(y_val)
        return original(X_val, y_val, sw_val)

    clf._validation_score = spy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[order], y[order])
    np.testing.assert_array_equal(np.bincount(captured["y_val"]), [10, 10, 10])


# ----------------------------------------------------------------------------- weights and classes
def _imbalanced():
    X, y, _ = breast_cancer(dtype="float64")
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    minority = np.flatnonzero(y == 0)
    keep = np.concatenate([np.flatnonzero(y == 1), rng.choice(minority, 20, replace=False)])
    X, y = X[keep], y[keep]
    # label noise near the boundary makes the minority class hard
    X = X + rng.normal(0, 1.5, X.shape)
    return train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)


@no_convergence_warnings
@pytest.mark.parametrize(
    "make",
    [
        lambda cw: LogisticRegression(C=0.05, class_weight=cw),
        lambda cw: MLPClassifier(
            hidden_layer_sizes=(8,), alpha=1.0, max_iter=200, random_state=0, class_weight=cw
        ),
    ],
    ids=["logistic", "mlp"],
)
def test_class_weight_balanced_raises_minority_recall(make):
    X_tr, X_te, y_tr, y_te = _imbalanced()
    plain = make(None).fit(X_tr, y_tr)
    balanced = make("balanced").fit(X_tr, y_tr)
    r_plain = recall_score(y_te, plain.predict(X_te), pos_label=0)
    r_bal = recall_score(y_te, balanced.predict(X_te), pos_label=0)
    assert r_bal > r_plain + 0.1, (r_plain, r_bal)


def test_class_weight_dict_equals_sample_weight(iris_data):
    X, y = iris_data
    cw = {0: 3.0, 2: 0.5}
    a = LogisticRegression(class_weight=cw).fit(X, y)
    b = LogisticRegression().fit(X, y, sample_weight=np.array([3.0, 1.0, 0.5])[y])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    m1 = MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
    m2 = clone(m1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m1.set_params(class_weight=cw).fit(X, y)
        m2.fit(X, y, sample_weight=np.array([3.0, 1.0, 0.5])[y])
    np.testing.assert_allclose(m1.coefs_[0], m2.coefs_[0], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- partial_fit
def test_partial_fit_over_batches_matches_fit_accuracy():
    X, y, _ = digits()
    X = X / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    full = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full.fit(X_tr, y_tr)
    inc = MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    classes = np.unique(y)
    rng = np.random.default_rng(0)
    for _ in range(30):
        order = rng.permutation(len(y_tr))
        for chunk in np.array_split(order, 5):  # each call: one pass over a chunk
            inc.partial_fit(X_tr[chunk], y_tr[chunk], classes=classes)
    acc_full, acc_inc = full.score(X_te, y_te), inc.score(X_te, y_te)
    assert acc_full > 0.93
    assert acc_inc > acc_full - 0.02, (acc_full, acc_inc)
    assert inc.n_iter_ == 1 and inc.t_ == 30 * len(y_tr)


def test_partial_fit_needs_classes_first_and_only_for_stochastic_solvers(iris_data):
    X, y = iris_data
    clf = MLPClassifier(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:10], y[:10], classes=[0, 1, 2])  # y holds only class 0 here
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(y), 3)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y + 1)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")
    reg = MLPRegressor(hidden_layer_sizes=(5,), random_state=0)
    for _ in range(3):
        reg.partial_fit(X, X[:, 0])
    assert len(reg.loss_curve_) == 3 and reg.loss_curve_[-1] < reg.loss_curve_[0]
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, X[:, 0])
    with pytest.raises(ValueError, match="balanced"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_continues_from_the_fitted_weights(iris_data):
    X, y = iris_data
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        first = clf.loss_curve_[-1]
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 20 and clf.loss_curve_[10] < first + 0.05
    assert clf.history_.epochs == 20
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 2], y[y < 2])


# ----------------------------------------------------------------------------- outputs
@no_convergence_warnings
@pytest.mark.parametrize(
    "name", ["identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "gelu"]
)
def test_activation_names_accepted(name, iris_data):
    X, y = iris_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), activation=name, learning_rate_init=0.01, random_state=0
    )
    clf.fit(X, y)
    assert clf.score(X, y) > 0.9
    hidden = clf.model_[1]
    assert isinstance(hidden, type(nn.activation(name)))


@no_convergence_warnings
def test_logistic_init_uses_glorot_factor_two(iris_data):
    X, y = iris_data
    for act, factor in [("logistic", 2.0), ("sigmoid", 2.0), ("relu", 6.0)]:
        clf = MLPClassifier(hidden_layer_sizes=(50,), activation=act, max_iter=1, random_state=0)
        clf.partial_fit(X[:1], y[:1], classes=[0, 1, 2])  # one tiny step: weights ~ initial
        bound = np.sqrt(factor / (4 + 50))
        w = np.abs(clf.coefs_[0])
        assert bound * 0.9 < w.max() < bound * 1.05


@no_convergence_warnings
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_predict_proba_rows_sum_to_one(solver, iris_data):
    X, y = iris_data
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=50, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    assert proba.shape == (len(y), 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    np.testing.assert_array_equal(clf.decision_function(X).argmax(axis=1), proba.argmax(axis=1))
    binary = clone(clf).fit(X, y == 1)
    p2 = binary.predict_proba(X)
    assert p2.shape == (len(y), 2)
    np.testing.assert_allclose(p2.sum(axis=1), 1.0, atol=1e-12)
    assert binary.decision_function(X).shape == (len(y),)
    # float32 input answers in float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


@no_convergence_warnings
def test_multilabel_and_string_labels(iris_data):
    X, y = iris_data
    Y = np.stack([y == 0, y == 2, X[:, 0] > 0], axis=1).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.predict(X).shape == Y.shape and clf.score(X, Y) > 0.8
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(X, names)
    assert clf.out_activation_ == "softmax" and set(clf.predict(X)) <= set(names)
    lr = LogisticRegression().fit(X, names)
    assert lr.predict(X[:1])[0] == "setosa"


@no_convergence_warnings
def test_mlp_regressor_multi_output_and_poisson(iris_data):
    X, _ = iris_data
    Y = np.stack([X[:, 0] + X[:, 1], X[:, 2] * X[:, 3]], axis=1)
    reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0)
    reg.fit(X, Y)
    assert reg.predict(X).shape == Y.shape and reg.score(X, Y) > 0.9
    counts = np.random.default_rng(0).poisson(np.exp(0.5 * X[:, 0]))
    pois = MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    pois.fit(X, counts)
    assert pois.out_activation_ == "exp" and np.all(pois.predict(X) > 0)
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, -counts - 1)


@no_convergence_warnings
def test_fitted_attributes_and_chainrule_model(iris_data):
    X, y = iris_data
    clf = MLPClassifier(hidden_layer_sizes=(6, 5), max_iter=20, random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (5,), (3,)]
    assert clf.coefs_[0].dtype == np.float32
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.n_features_in_ == 4
    assert clf.n_iter_ == 20 and clf.t_ == 20 * len(y)
    assert len(clf.loss_curve_) == 20 and clf.loss_ == clf.loss_curve_[-1]
    assert isinstance(clf.history_, History) and clf.history_["loss"] == clf.loss_curve_
    assert clf.history_.stopped_reason == "max_epochs" and len(clf.history_["time"]) == 20
    # model_ is the chainrule network, inputs to logits
    import chainrule as cr

    assert isinstance(clf.model_, nn.Sequential)
    logits = clf.model_(cr.tensor(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(logits, clf.decision_function(X), rtol=1e-5, atol=1e-5)
    # coefs_ are views of the model's weights, in scikit-learn's (in, out) orientation
    np.testing.assert_array_equal(clf.coefs_[1], clf.model_[2].weight.numpy().T)
    clf.coefs_ = [np.zeros_like(c) for c in clf.coefs_]
    assert not clf.model_[0].weight.numpy().any()
    lb = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(5,), max_iter=15).fit(X, y)
    assert lb.n_iter_ <= 15 and len(lb.loss_curve_) == lb.n_iter_
    assert not hasattr(lb, "best_loss_")


def test_convergence_warning_and_tol_stop(iris_data):
    X, y = iris_data
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3).fit(X, y)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=500, tol=1e-2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 500 and clf.history_.stopped_reason == "tol"


def test_verbose_prints_losses(iris_data, capsys):
    X, y = iris_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out


def test_feature_names_are_recorded(iris_data):
    pd = pytest.importorskip("pandas")
    X, y = iris_data
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = LogisticRegression().fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(max_iter=2).fit(df, y)
    np.testing.assert_array_equal(mlp.feature_names_in_, ["a", "b", "c", "d"])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("est", "param", "value"),
    [
        (MLPClassifier(activation="softsign"), "activation", "'softsign'"),
        (MLPClassifier(solver="newton"), "solver", "'newton'"),
        (MLPClassifier(alpha=-1.0), "alpha", "-1.0"),
        (MLPClassifier(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes", "(10, 0)"),
        (MLPClassifier(batch_size=0), "batch_size", "0"),
        (MLPClassifier(batch_size="big"), "batch_size", "'big'"),
        (MLPClassifier(learning_rate="fast"), "learning_rate", "'fast'"),
        (MLPClassifier(learning_rate_init=0.0), "learning_rate_init", "0.0"),
        (MLPClassifier(max_iter=0), "max_iter", "0"),
        (MLPClassifier(momentum=1.5), "momentum", "1.5"),
        (MLPClassifier(beta_1=1.0), "beta_1", "1.0"),
        (MLPClassifier(validation_fraction=1.0), "validation_fraction", "1.0"),
        (MLPClassifier(epsilon=0.0), "epsilon", "0.0"),
        (MLPClassifier(n_iter_no_change=0), "n_iter_no_change", "0"),
        (MLPClassifier(dtype="int32"), "dtype", "'int32'"),
        (MLPClassifier(class_weight="heavy"), "class_weight", "'heavy'"),
        (MLPClassifier(class_weight={7: 2.0}), "class_weight", "7"),
        (MLPClassifier(shuffle="yes"), "shuffle", "'yes'"),
        (MLPRegressor(loss="huber"), "loss", "'huber'"),
        (LogisticRegression(penalty="l1"), "penalty", "'l1'"),
        (LogisticRegression(C=0.0), "C", "0.0"),
        (LogisticRegression(C=-1), "C", "-1"),
        (LogisticRegression(solver="saga"), "solver", "'saga'"),
        (LogisticRegression(max_iter=-5), "max_iter", "-5"),
        (LogisticRegression(tol=-1e-3), "tol", "-0.001"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(est, param, value, iris_data):
    X, y = iris_data
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    message = str(info.value)
    assert param in message and value in message, message


def test_bad_inputs(iris_data):
    X, y = iris_data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticRegression().fit(X, np.zeros(len(y)))
    fitted = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(AttributeError):
        MLPClassifier().coefs_


# ----------------------------------------------------------------------------- packaging
def test_import_chainrule_does_not_import_sklearn():
    code = (
        "import sys, chainrule, chainrule.nn, chainrule.train; "
        "print('sklearn' in sys.modules or any(m.startswith('sklearn.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_estimators_import_without_sklearn_and_say_what_to_install():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import numpy as np, chainrule.estimators as E\n"
        "m = E.MLPClassifier(hidden_layer_sizes=(5,)).set_params(alpha=0.1)\n"
        "assert m.get_params()['alpha'] == 0.1\n"
        "try:\n"
        "    m.fit(np.zeros((4, 2)), [0, 1, 0, 1])\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install chainrule[sklearn]" in out.stdout


def test_zero_weight_batches_are_skipped(iris_data):
    X, y = iris_data
    sw = np.zeros(len(y))
    sw[::2] = 1.0
    clf = MLPClassifier(hidden_layer_sizes=(5,), batch_size=1, max_iter=3, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(clf.loss_curve_))
    assert clf._optimizer.t == 3 * len(y) // 2  # one Adam step per sample of positive weight
    with pytest.raises(ValueError, match="non-zero"):  # scikit-learn's check says so first
        clf.fit(X, y, sample_weight=np.zeros(len(y)))


def test_logistic_regression_balanced_matches_sklearn():
    X, y = _standardised(wine)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    ours = LogisticRegression(class_weight="balanced", C=0.3).fit(X, y, sample_weight=sw)
    ref = _sklearn_minimiser(X, y, class_weight="balanced", C=0.3)
    ref.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
