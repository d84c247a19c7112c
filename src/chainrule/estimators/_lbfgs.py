"""The L-BFGS solver of the estimators: scipy's L-BFGS-B over one flat parameter array.

Both :class:`~chainrule.estimators.MLPClassifier` (and the regressor) and
:class:`~chainrule.estimators.LogisticRegression` train with it: scipy proposes weights, they
are written into the model's :class:`~chainrule.estimators._base.FlatParameters`, and the
estimator's ``objective()`` returns the loss and the flat gradient from chainrule's backward
pass. Every iteration is recorded in the estimator's History.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.backend import xp
from chainrule.estimators._base import FlatParameters, as_numpy
from chainrule.train.history import History

__all__ = ["minimize_lbfgs"]


def minimize_lbfgs(
    flat: FlatParameters,
    objective: Callable[[], tuple[float, Any]],
    options: dict[str, Any],
    history: History,
    *,
    verbose_line: str | None = None,
    curve: list[float] | None = None,
) -> Any:
    """Minimise ``objective`` over ``flat.flat`` with L-BFGS-B; leave the result in ``flat``.

    Parameters
    ----------
    flat : FlatParameters
        The model's parameters; scipy's iterates are written into ``flat.flat``.
    objective : callable
        ``objective() -> (loss, flat_gradient)`` at the weights in ``flat``.
    options : dict
        ``scipy.optimize.minimize`` options (``maxiter``, ``gtol``...).
    history : History
        Gets ``{"loss", "time"}`` per iteration; its ``stopped_reason`` is ``"tol"`` when
        scipy converged, else ``"max_epochs"``.
    verbose_line : str, optional
        A format with ``{i}`` and ``{loss}``, printed after every iteration.
    curve : list, optional
        Gets each iteration's loss.

    Returns
    -------
    scipy.optimize.OptimizeResult

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> lin = nn.Linear(1, 1, bias=False, init="zeros", dtype="float64")
    >>> flat = FlatParameters([lin.weight], xp.float64, n_weights=1)
    >>> def objective():   # (w - 3)²
    ...     w = flat.flat[0]
    ...     return float((w - 3) ** 2), 2 * (flat.flat - 3)
    >>> res = minimize_lbfgs(flat, objective, {"maxiter": 50}, History())
    >>> round(float(lin.weight.item()), 6), res.status
    (3.0, 0)
    """
    import scipy.optimize

    dtype = flat.flat.dtype
    last = {"loss": np.nan}

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        flat.flat[...] = xp.asarray(w, dtype=dtype)
        loss, grad = objective()
        last["loss"] = loss
        return loss, as_numpy(grad, np.float64)

    clock = {"start": time.perf_counter(), "iteration": 0}

    def callback(intermediate_result: Any) -> None:
        # scipy >= 1.11 passes an OptimizeResult when the argument has this name
        clock["iteration"] += 1
        loss = float(getattr(intermediate_result, "fun", last["loss"]))
        if curve is not None:
            curve.append(loss)
        now = time.perf_counter()
        history.record({"loss": loss, "time": now - clock["start"]})
        clock["start"] = now
        if verbose_line is not None:
            print(verbose_line.format(i=clock["iteration"], loss=loss))

    res = scipy.optimize.minimize(
        fun,
        as_numpy(flat.flat, np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options=options,
    )
    flat.flat[...] = xp.asarray(res.x, dtype=dtype)
    history.stopped_reason = "tol" if res.status == 0 else "max_epochs"
    return res
