"""scikit-learn-compatible estimators built on chainrule: MLPs and logistic regression.

:class:`MLPClassifier` and :class:`MLPRegressor` reproduce ``sklearn.neural_network``'s
estimators (same parameters, defaults, initialisation, objective, solvers and stopping rules)
on chainrule's autograd engine; :class:`LogisticRegression` is the network with no hidden
layer, minimising scikit-learn's objective so that its coefficients agree with
``sklearn.linear_model.LogisticRegression``'s.

They work in pipelines, grid searches and cross-validation, pickle, and pass scikit-learn's
estimator checks. Each keeps its chainrule network in ``model_`` (a
:class:`~chainrule.nn.Sequential` from inputs to logits) and its training record in
``history_`` (a :class:`~chainrule.train.History`).

scikit-learn is an optional extra (``pip install chainrule[sklearn]``): ``import chainrule``
never imports it, and this package imports without it, but fitting needs it.

>>> from chainrule.datasets import breast_cancer
>>> from chainrule.estimators import LogisticRegression
>>> X, y, _ = breast_cancer(dtype="float64")
>>> X = (X - X.mean(axis=0)) / X.std(axis=0)
>>> clf = LogisticRegression().fit(X, y)
>>> clf.coef_.shape, round(clf.score(X, y), 3)
((1, 30), 0.988)
"""

import importlib.util
import re
import sys

from chainrule.estimators._base import ConvergenceWarning
from chainrule.estimators.logistic import LogisticRegression
from chainrule.estimators.mlp import MLPClassifier, MLPRegressor

__all__ = ["ConvergenceWarning", "LogisticRegression", "MLPClassifier", "MLPRegressor"]

# The examples need scikit-learn; without it, mark them skipped for doctest runners.
if importlib.util.find_spec("sklearn") is None:  # pragma: no cover - depends on the environment
    from chainrule.estimators import logistic as _logistic
    from chainrule.estimators import mlp as _mlp

    for _obj in (
        sys.modules[__name__],
        MLPClassifier,
        MLPRegressor,
        LogisticRegression,
        _mlp,
        _logistic,
    ):
        if _obj.__doc__:
            _obj.__doc__ = re.sub(
                r"^(\s*>>> .*)$", r"\1  # doctest: +SKIP", _obj.__doc__, flags=re.M
            )
