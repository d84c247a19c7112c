"""chainrule.metrics: hand-computed cases, errors, and agreement with scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import metrics

TOL = 1e-12
AVERAGES = ["micro", "macro", "weighted", None]


@pytest.fixture(scope="module")
def skm():
    return pytest.importorskip(
        "sklearn.metrics", reason="scikit-learn is not installed; the comparisons need it"
    )


def _close(ours, ref):
    if np.ndim(ref):
        np.testing.assert_allclose(ours, ref, rtol=TOL, atol=TOL)
    else:
        assert isinstance(ours, float)
        assert math.isclose(ours, ref, rel_tol=TOL, abs_tol=TOL), (ours, ref)


def _labels(seed: int, n: int, k: int, miss: int | None = None):
    """Random true/predicted labels, correct ~60% of the time; class ``miss`` never predicted."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    if miss is not None:
        y_pred[y_pred == miss] = (miss + 1) % k
    return y_true, y_pred


# --------------------------------------------------------------------------- hand-computed
def test_hand_computed_classification():
    y_true = [1, 1, 1, 0, 0, 0, 0, 1]
    y_pred = [1, 0, 1, 1, 0, 0, 0, 1]  # tp=3, fn=1, fp=1, tn=3
    assert metrics.accuracy_score(y_true, y_pred) == 0.75
    assert metrics.accuracy is metrics.accuracy_score
    assert metrics.precision_score(y_true, y_pred) == 0.75
    assert metrics.recall_score(y_true, y_pred) == 0.75
    assert metrics.f1_score(y_true, y_pred) == 0.75
    assert metrics.precision_score(y_true, y_pred, pos_label=0) == 0.75
    assert metrics.confusion_matrix(y_true, y_pred).tolist() == [[3, 1], [1, 3]]
    # multiclass: per class P = [1, 0 (nothing predicted), 2/3], R = [1, 0, 1]
    yt, yp = [0, 1, 2, 2], [0, 2, 2, 2]
    assert metrics.precision_score(yt, yp, average=None).tolist() == [1.0, 0.0, 2 / 3]
    assert metrics.recall_score(yt, yp, average="macro") == pytest.approx(2 / 3, abs=TOL)
    assert metrics.f1_score(yt, yp, average="micro") == 0.75  # micro F1 = accuracy
    assert metrics.f1_score(yt, yp, average="weighted") == pytest.approx(0.65, abs=TOL)
    assert np.isnan(metrics.precision_score(yt, yp, average=None, zero_division=np.nan)[1])
    # NaN scores are left out of the average
    assert metrics.precision_score(yt, yp, average="macro", zero_division=np.nan) == (
        pytest.approx(5 / 6, abs=TOL)
    )


def test_hand_computed_log_loss_and_regression():
    assert metrics.log_loss([1, 0], [0.8, 0.4]) == pytest.approx(
        -(math.log(0.8) + math.log(0.6)) / 2, abs=TOL
    )
    probs = [[0.5, 0.2, 0.3], [0.1, 0.1, 0.8]]
    assert metrics.log_loss([0, 2], probs, labels=[0, 1, 2]) == pytest.approx(
        -(math.log(0.5) + math.log(0.8)) / 2, abs=TOL
    )
    eps = np.finfo(np.float64).eps
    assert metrics.log_loss([1, 0], [0.0, 0.0]) == pytest.approx(-math.log(eps) / 2, rel=TOL)
    y, p = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    assert metrics.mean_squared_error(y, p) == 0.375
    assert metrics.mean_absolute_error(y, p) == 0.5
    assert metrics.r2_score(y, p) == pytest.approx(1 - 1.5 / 29.1875, abs=TOL)
    assert metrics.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0  # constant target, exact
    assert metrics.r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0  # constant target, missed


def test_inputs_tensors_lists_and_columns():
    y_true = cr.tensor([0, 1, 1, 0])
    y_pred = np.array([[0], [1], [0], [0]])  # a column vector is read as 1-D
    assert metrics.accuracy_score(y_true, y_pred) == 0.75
    assert metrics.recall_score(y_true, y_pred) == 0.5
    probs = cr.tensor([[0.9, 0.1], [0.2, 0.8]], requires_grad=True)
    assert isinstance(metrics.log_loss(cr.tensor([0, 1]), probs), float)
    assert metrics.mean_squared_error(cr.tensor([1.0, 2.0]), [[1.0], [4.0]]) == 2.0
    assert metrics.accuracy_score([0.0, 1.0], [0, 1]) == 1.0  # integral floats are labels
    assert metrics.f1_score(["b", "a", "b"], ["b", "b", "b"], pos_label="b") == 0.8
    cm = metrics.confusion_matrix(["x", "y"], ["y", "y"], labels=["y", "x", "z"])
    assert cm.dtype == np.int64 and cm.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]


def test_binary_edge_cases():
    # one label present and it is not pos_label: nothing to score, zero_division decides
    assert metrics.precision_score([0, 0], [0, 0]) == 0.0
    assert metrics.recall_score([0, 0], [0, 0], zero_division=1.0) == 1.0


# --------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="3 examples but y_pred has 2"):
        metrics.accuracy_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="3 examples but y_pred has 2"):
        metrics.mean_squared_error([0.0, 1.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="3 examples but y_prob has 2"):
        metrics.log_loss([0, 1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy_score([], [])
    with pytest.raises(ValueError, match="average='binary'"):
        metrics.f1_score([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="average must be"):
        metrics.f1_score([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="pos_label=2"):
        metrics.precision_score([0, 1], [0, 1], pos_label=2)
    with pytest.raises(ValueError, match="non-integer floats"):
        metrics.accuracy_score([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="argmax"):
        metrics.accuracy_score([0, 1], [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match="mix string and numeric"):
        metrics.accuracy_score(["0", "1"], [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.log_loss([0, 1], [1.5, 0.2])
    with pytest.raises(ValueError, match="at least two classes"):
        metrics.log_loss([1, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match="3 columns but there are 2 classes"):
        metrics.log_loss([0, 1], [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match="not in `labels`"):
        metrics.log_loss([0, 3], [0.2, 0.3], labels=[0, 1])
    with pytest.raises(ValueError, match="outputs"):
        metrics.r2_score(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="y_pred holds NaN"):
        metrics.mean_absolute_error([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="two examples"):
        metrics.r2_score([1.0], [1.0])
    with pytest.raises(ValueError, match="repeat"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[0, 0])
    with pytest.raises(ValueError, match="non-empty"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[])


# --------------------------------------------------------------------------- vs scikit-learn
@pytest.mark.parametrize("seed", range(4))
def test_binary_scores_match_sklearn(skm, seed):
    y_true, y_pred = _labels(seed, 137, 2)
    for name in ("precision_score", "recall_score", "f1_score"):
        ours, ref = getattr(metrics, name), getattr(skm, name)
        for pos_label in (0, 1):
            _close(
                ours(y_true, y_pred, pos_label=pos_label),
                ref(y_true, y_pred, pos_label=pos_label, zero_division=0.0),
            )
        for average in AVERAGES:
            _close(
                ours(y_true, y_pred, average=average),
                ref(y_true, y_pred, average=average, zero_division=0.0),
            )
    _close(metrics.accuracy_score(y_true, y_pred), skm.accuracy_score(y_true, y_pred))


@pytest.mark.parametrize(("seed", "k", "miss"), [(0, 3, None), (1, 5, None), (2, 7, 3), (3, 4, 0)])
def test_multiclass_scores_match_sklearn(skm, seed, k, miss):
    y_true, y_pred = _labels(seed, 211, k, miss)
    subset = [k - 1, 0, 1]  # scored classes in a chosen order, others ignored
    for name in ("precision_score", "recall_score", "f1_score"):
        ours, ref = getattr(metrics, name), getattr(skm, name)
        for average in AVERAGES:
            for zd in (0.0, 1.0):
                _close(
                    ours(y_true, y_pred, average=average, zero_division=zd),
                    ref(y_true, y_pred, average=average, zero_division=zd),
                )
            _close(
                ours(y_true, y_pred, average=average, labels=subset),
                ref(y_true, y_pred, average=average, labels=subset, zero_division=0.0),
            )
    _close(metrics.accuracy_score(y_true, y_pred), skm.accuracy_score(y_true, y_pred))


def test_string_labels_match_sklearn(skm):
    y_true, y_pred = _labels(5, 90, 3)
    names = np.array(["cat", "dog", "emu"])
    t, p = names[y_true], names[y_pred]
    for average in AVERAGES:
        _close(
            metrics.f1_score(t, p, average=average),
            skm.f1_score(t, p, average=average, zero_division=0.0),
        )
    assert np.array_equal(metrics.confusion_matrix(t, p), skm.confusion_matrix(t, p))


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 3), (2, 6)])
def test_confusion_matrix_matches_sklearn(skm, seed, k):
    y_true, y_pred = _labels(seed, 300, k)
    assert np.array_equal(
        metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    labels = [k - 1, 0]
    assert np.array_equal(
        metrics.confusion_matrix(cr.tensor(y_true), y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 3), (2, 5)])
def test_log_loss_matches_sklearn(skm, seed, k):
    rng = np.random.default_rng(seed)
    n = 120
    y_true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) * 3
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    proba[:5] = np.eye(k)[(y_true[:5] + 1) % k]  # confident misses: clipping matters
    _close(metrics.log_loss(y_true, proba), skm.log_loss(y_true, proba))
    if k == 2:
        _close(metrics.log_loss(y_true, proba[:, 1]), skm.log_loss(y_true, proba[:, 1]))
    labels = list(range(k + 1))  # a class that never occurs, declared through labels
    wider = np.hstack([proba * 0.9, np.full((n, 1), 0.1)])
    _close(
        metrics.log_loss(y_true, wider, labels=labels),
        skm.log_loss(y_true, wider, labels=labels),
    )


@pytest.mark.parametrize("shape", [(80,), (80, 1), (80, 3)])
def test_regression_metrics_match_sklearn(skm, shape):
    rng = np.random.default_rng(len(shape) + shape[-1])
    y_true = rng.normal(size=shape) * 4 + 1
    y_pred = y_true + rng.normal(size=shape)
    for name in ("mean_squared_error", "mean_absolute_error", "r2_score"):
        _close(getattr(metrics, name)(y_true, y_pred), getattr(skm, name)(y_true, y_pred))
    if len(shape) == 2 and shape[1] == 3:  # a constant output column: sklearn's special cases
        y_true[:, 1] = 2.0
        y_pred[:, 1] = 2.0
        _close(metrics.r2_score(y_true, y_pred), skm.r2_score(y_true, y_pred))
        y_pred[0, 1] = 2.5
        _close(metrics.r2_score(y_true, y_pred), skm.r2_score(y_true, y_pred))
