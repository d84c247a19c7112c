"""scikit-learn's estimator suite (``parametrize_with_checks``) over chainrule's estimators.

The instances use a small ``max_iter`` (and a larger Adam step to make up for it) so the suite
stays quick; the ConvergenceWarnings this provokes are scikit-learn's own class, which its
checks expect and silence.

The MLPs run with their default dtype, float32. One check cannot apply to that: see
``EXPECTED_FAILURES``. The same check is run on float64 networks below, where it must pass.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

from chainrule.estimators import LogisticRegression, MLPClassifier, MLPRegressor

ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, random_state=0),
    LogisticRegression(max_iter=50),
]

_FLOAT32_SAMPLE_WEIGHT = (
    "float32 training: fitting with integer sample weights and fitting on the repeated rows "
    "sum the same terms in a different order, so the two networks differ by float32 rounding "
    "(~1e-7 relative), while the check compares predictions with rtol=1e-7. The property holds "
    "to rounding (test_sample_weight_equivalence_float64 runs this check on float64 networks)."
)

# Checks that cannot apply, by estimator class, with the reason.
EXPECTED_FAILURES: dict[type, dict[str, str]] = {
    MLPClassifier: {"check_sample_weight_equivalence_on_dense_data": _FLOAT32_SAMPLE_WEIGHT},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator), {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier(
            hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, dtype="float64"
        ),
        MLPRegressor(
            hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, dtype="float64"
        ),
        MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=50, dtype="float64"),
    ],
    ids=["MLPClassifier-adam", "MLPRegressor-adam", "MLPClassifier-lbfgs"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_equivalence_float64(estimator):
    """Weights of 0, 1, 2... equal removing or repeating rows (the full-batch case of the check:
    its 15 samples fit in one mini-batch, whose gradient is then the same weighted mean)."""
    check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)
