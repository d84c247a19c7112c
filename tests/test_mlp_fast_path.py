"""The MLP estimators' training step does no needless work: no gradient with respect to the
inputs, and the batches scikit-learn's random stream draws (gathered batch by batch)."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from chainrule.estimators import MLPClassifier
from chainrule.nn import functional as F


@pytest.fixture
def input_grad_calls(monkeypatch):
    """Count the calls of linear's rule for ∂L/∂x (the layer input)."""
    op = F.linear.op
    calls = []
    dx = op.first_order[0]

    def counted(*args, **kwargs):
        calls.append(args[3].shape)  # (F, g, out, x, ...): the input's shape
        return dx(*args, **kwargs)

    monkeypatch.setattr(op, "first_order", (counted, *op.first_order[1:]))
    return calls


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_never_computes_the_input_gradient(input_grad_calls):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 3, 40)
    clf = MLPClassifier(hidden_layer_sizes=(5, 4), batch_size=20, max_iter=3, random_state=0)
    clf.fit(X, y)
    steps = 3 * 2
    # the second and third layers pass gradients back to the hidden activations; the first
    # layer's would be ∂L/∂X, which nothing needs
    assert len(input_grad_calls) == 2 * steps
    assert (20, 6) not in input_grad_calls and set(input_grad_calls) == {(20, 5), (20, 4)}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("weights", [False, True])
def test_shuffled_batches_match_sklearn_with_sample_weights_and_partial_batches(weights):
    """float64, 70 rows in batches of 16 (a short last batch), sample weights: the loss curve
    follows scikit-learn's, so each batch holds the rows scikit-learn's shuffle picks."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((70, 5)), rng.integers(0, 3, 70)
    kw = dict(hidden_layer_sizes=(7,), batch_size=16, max_iter=6, random_state=4, tol=0.0)
    sw = rng.uniform(0.5, 2.0, 70) if weights else None
    ours = MLPClassifier(dtype="float64", **kw).fit(X, y, sample_weight=sw)
    ref = SkMLPClassifier(**kw)
    if weights:
        try:
            ref.fit(X, y, sample_weight=sw)
        except TypeError:  # scikit-learn < 1.7 has no sample_weight here
            pytest.skip("this scikit-learn's MLPClassifier.fit takes no sample_weight")
    else:
        ref.fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
