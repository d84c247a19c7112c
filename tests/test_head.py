"""The prediction head: what each loss declares, and how outputs become probabilities/labels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from chainrule import nn
from chainrule.nn import losses
from chainrule.train import get_metric, output_kind
from chainrule.train.head import Head, declare, head_for, head_of_model, sigmoid, softmax


@pytest.mark.parametrize(
    ("loss", "link"),
    [
        (losses.binary_cross_entropy_with_logits, "sigmoid"),
        (nn.BCEWithLogitsLoss(), "sigmoid"),
        (losses.cross_entropy, "softmax"),
        (nn.CrossEntropyLoss(), "softmax"),
        (losses.nll_loss, "log_softmax"),
        (losses.binary_cross_entropy, "probability"),
        (losses.mse_loss, "identity"),
        (nn.HuberLoss(), "identity"),
        (losses.l1_loss, "identity"),
        (lambda out, y: out, "auto"),
    ],
)
def test_each_loss_declares_its_link(loss, link):
    assert head_for(loss).link == link


def test_declaration_is_by_object_not_by_name():
    def cross_entropy(out, y):  # named like a logits loss, but undeclared
        return out

    assert head_for(cross_entropy).link == "auto"
    declare(cross_entropy, "probability")
    assert output_kind(cross_entropy) == "probabilities"

    class Custom:
        output_link = "sigmoid"

        def __call__(self, out, y):
            return out

    assert head_for(Custom()).link == "sigmoid"
    with pytest.raises(ValueError, match="unknown output link"):
        declare(cross_entropy, "probabilities!")


def test_sigmoid_and_softmax_are_stable_and_exact():
    z = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning
        p = sigmoid(z)
        s = softmax(np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(p[1:-1], 1 / (1 + np.exp(-z[1:-1])), rtol=1e-15)
    assert (p[0], p[-1]) == (0.0, 1.0)
    assert p[1] > 0  # σ(-50) ≈ 2e-22 is not rounded to 0
    np.testing.assert_allclose(s, [[1, 0, 0], [1 / 3] * 3])
    np.testing.assert_allclose(s.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("link", "out", "labels", "proba"),
    [
        ("sigmoid", [[2.0], [-1.0]], [1, 0], [[0.8808], [0.2689]]),
        ("softmax", [[2.0, 0.0], [0.0, 3.0]], [0, 1], [[0.8808, 0.1192], [0.0474, 0.9526]]),
        ("softmax", [[2.0], [-1.0]], [1, 0], [[0.8808], [0.2689]]),  # one logit column
        ("log_softmax", np.log([[0.2, 0.8], [0.6, 0.4]]), [1, 0], [[0.2, 0.8], [0.6, 0.4]]),
        ("probability", [[0.7], [0.2]], [1, 0], [[0.7], [0.2]]),
        ("tanh_score", [[0.5], [-0.5]], [1, 0], [[0.75], [0.25]]),
        ("auto", [[0.7], [0.2]], [1, 0], [[0.7], [0.2]]),  # all in [0, 1]: probabilities
        ("auto", [[2.0], [-1.0]], [1, 0], [[0.8808], [0.2689]]),  # else logits
    ],
)
def test_head_maps_outputs(link, out, labels, proba):
    head = Head(link)
    out = np.asarray(out)
    assert head.labels(out).tolist() == labels
    np.testing.assert_allclose(head.probabilities(out), proba, atol=1e-4)


def test_multilabel_sigmoid_columns_and_values():
    head = Head("sigmoid")
    assert head.labels(np.array([[1.0, -1.0], [-2.0, 3.0]])).tolist() == [[1, 0], [0, 1]]
    assert Head("exp").values(np.array([0.0, np.log(2.0)])).tolist() == pytest.approx([1, 2])
    assert not Head("identity").is_classifier
    with pytest.raises(ValueError, match="Poisson"):
        Head("exp").probabilities(np.zeros((1, 1)))


def test_models_declare_their_outputs_by_their_last_layer():
    assert head_of_model(nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1))).link == "probability"
    assert head_of_model(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())).link == "probability"
    assert head_of_model(nn.Sequential(nn.Linear(2, 1), nn.Tanh())).link == "tanh_score"
    assert head_of_model(nn.Linear(2, 1)).link == "auto"


def test_metrics_ask_the_head():
    y = np.array([1, 0, 1])
    out = np.array([[0.2], [0.4], [0.9]])  # probabilities: a threshold at 0.5
    assert get_metric("accuracy", output="probabilities")(y, out) == pytest.approx(2 / 3)
    assert get_metric("accuracy", output="logits")(y, out) == pytest.approx(2 / 3)
    assert get_metric("accuracy", output=Head("sigmoid"))(y, np.array([[1.0], [-1.0], [1.0]])) == 1


def test_cli_and_estimators_use_the_same_probabilities():
    from chainrule.cli._common import ModelSpec, predict_arrays

    z = np.array([[3.0], [-2.0]])
    spec = ModelSpec("classification", "bce", ["a"], "t", ["no", "yes"], None, None)
    codes, proba = predict_arrays(z, spec)
    assert codes.tolist() == [1, 0]
    np.testing.assert_allclose(proba[:, 1], sigmoid(z[:, 0]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
