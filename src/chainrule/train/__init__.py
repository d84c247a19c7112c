"""Training: the ``fit`` loop, its ``History``, and callbacks.

:func:`fit` runs the lecture's algorithm (pick an example or a mini-batch, backpropagate,
step) until a stopping criterion holds: the epoch budget, ``tol``/``n_iter_no_change`` on the
training loss, :class:`EarlyStopping` on a monitored value, a ``target`` value, a
``time_limit``, divergence (a non-finite loss, which also restores the last finite weights),
or Ctrl-C. It returns a :class:`History` that says which one.

>>> import chainrule as cr
>>> from chainrule import nn, optim, train
>>> from chainrule.nn.losses import mse_loss
>>> X = cr.randn(64, 3, generator=cr.Generator(0))
>>> y = X @ cr.tensor([[1.0], [-2.0], [0.5]])
>>> model = nn.Linear(3, 1, generator=cr.Generator(0))
>>> h = train.fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=200,
...               batch_size=16, tol=1e-6, n_iter_no_change=3, seed=0, verbose=0)
>>> h.stopped_reason, h["loss"][-1] < 1e-4
('tol', True)
"""

from chainrule.train._metrics import METRIC_NAMES, get_metric, output_kind
from chainrule.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LRScheduler,
    ModelCheckpoint,
    ProgressBar,
    TrainState,
)
from chainrule.train.dead import dead_units
from chainrule.train.history import STOP_REASONS, History
from chainrule.train.loop import DivergenceWarning, evaluate, fit

__all__ = [
    "METRIC_NAMES",
    "STOP_REASONS",
    "CSVLogger",
    "Callback",
    "DivergenceWarning",
    "EarlyStopping",
    "GradientFlow",
    "History",
    "LRScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "TrainState",
    "dead_units",
    "evaluate",
    "fit",
    "get_metric",
    "output_kind",
]
