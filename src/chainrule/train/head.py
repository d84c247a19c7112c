"""The prediction head: how a model's raw outputs become probabilities, labels or values.

Each loss declares what the model it trains outputs (its *link*), and one object, :class:`Head`,
maps outputs to what a user asks for. Metrics, decision-boundary plots, the CLI, the estimators
and the playground all ask it; nothing guesses the kind from a function's name.

========================  =============================================  ===================
link                      outputs are                                    declared by
========================  =============================================  ===================
``"sigmoid"``             logits of independent yes/no events            BCE with logits
``"softmax"``             logits of one class among the columns          cross-entropy
``"log_softmax"``         log-probabilities of the columns               NLL
``"probability"``         probabilities already                          BCE
``"identity"``            values                                         MSE, L1, Huber
``"exp"``                 log-means (the Poisson log link)               Poisson deviance
``"tanh_score"``          a score in [-1, 1], class 1 where it is > 0    MSE on ±1 targets
``"auto"``                undeclared: probabilities when every output    any other loss
                          is in [0, 1] (one column) or rows sum to 1,
                          else logits
========================  =============================================  ===================

A loss declares its link with :func:`declare` (the built-in losses are declared here) or an
``output_link`` attribute; :func:`head_for` reads it. The sigmoid and softmax are computed
stably: no overflow for any finite logit.

>>> import numpy as np
>>> from chainrule.nn.losses import cross_entropy
>>> head = head_for(cross_entropy)
>>> z = np.array([[2.0, 0.0, -1.0], [0.0, 1000.0, 0.0]])
>>> head.link, head.labels(z).tolist(), head.probabilities(z).round(3).tolist()
('softmax', [0, 1], [[0.844, 0.114, 0.042], [0.0, 1.0, 0.0]])
>>> Head("sigmoid").probabilities(np.array([[-800.0], [0.0]])).tolist()
[[0.0], [0.5]]
"""

from __future__ import annotations

from typing import Any

from chainrule.backend import xp

__all__ = ["LINKS", "Head", "declare", "head_for", "head_of_model", "sigmoid", "softmax"]

LINKS = (
    "sigmoid",
    "softmax",
    "log_softmax",
    "probability",
    "identity",
    "exp",
    "tanh_score",
    "auto",
)


def sigmoid(z: Any) -> Any:
    """σ(z) = 1 / (1 + e⁻ᶻ), exact for every finite z (no overflow): with e = e^−|z|, σ is
    1 / (1 + e) for z ≥ 0 and e / (1 + e) otherwise.

    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1, e) / (1 + e)


def softmax(z: Any, axis: int = -1) -> Any:
    """Softmax along ``axis``, shifted by each row's maximum (no overflow).

    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    e /= xp.sum(e, axis=axis, keepdims=True)
    return e


class Head:
    """Outputs to probabilities, labels or values, for one link (see the module notes).

    Parameters
    ----------
    link : str
        One of :data:`LINKS`.

    Examples
    --------
    >>> import numpy as np
    >>> h = Head("sigmoid")
    >>> h.labels(np.array([[1.5], [-0.2]])).tolist(), h.is_classifier
    ([1, 0], True)
    >>> Head("exp").values(np.array([[0.0]])).tolist()
    [[1.0]]
    """

    def __init__(self, link: str) -> None:
        if link not in LINKS:
            raise ValueError(f"unknown output link {link!r} (known: {', '.join(LINKS)})")
        self.link = link

    @property
    def is_classifier(self) -> bool:
        """Whether the outputs describe classes (every link but identity and exp)."""
        return self.link not in ("identity", "exp")

    def resolve(self, out: Any) -> str:
        """The link for these outputs: "auto" decided from their values, else :attr:`link`.

        An undeclared loss's outputs are probabilities when all lie in [0, 1] and, for
        several columns, each row sums to 1; otherwise they are logits (sigmoid for one
        column, softmax for several).
        """
        multi = out.ndim == 2 and out.shape[1] > 1
        if self.link == "softmax" and not multi:
            return "sigmoid"  # one logit: the softmax of (0, z) is σ(z)
        if self.link != "auto":
            return self.link
        finite = out.size > 0 and bool(xp.all(xp.isfinite(out)))
        if finite and bool(xp.all((out >= 0) & (out <= 1))):
            if not multi or bool(xp.allclose(out.sum(axis=1), 1.0, atol=1e-3)):
                return "probability"
        return "softmax" if multi else "sigmoid"

    def probabilities(self, out: Any) -> Any:
        """Probabilities, the shape of ``out``: P(yes) per column for sigmoid-like links,
        P(class) per column (rows summing to 1) for softmax-like ones."""
        link = self.resolve(out)
        if link == "sigmoid":
            return sigmoid(out)
        if link == "softmax":
            return softmax(out, axis=-1)
        if link == "log_softmax":
            return xp.exp(out)
        if link == "tanh_score":
            return (xp.clip(out, -1.0, 1.0) + 1.0) * 0.5
        if link == "exp":
            raise ValueError("a model trained with the Poisson log link outputs means, not classes")
        return out  # probabilities already (or values of a regression, taken as they are)

    def labels(self, out: Any) -> Any:
        """Class indices, one per row: the argmax of each row for several columns; for one
        column (or a 1-d output), 1 where the output passes the link's threshold (logit 0,
        probability 0.5, score 0). Several sigmoid columns (multilabel) give a 0/1 matrix."""
        if out.ndim == 2 and out.shape[1] > 1 and self.link != "sigmoid":
            return xp.argmax(out, axis=1)
        link = self.resolve(out)
        threshold = 0.0 if link in ("sigmoid", "softmax", "tanh_score") else 0.5
        if out.ndim == 2 and out.shape[1] == 1:
            out = out.reshape(-1)
        return (out > threshold).astype(xp.int64)

    def values(self, out: Any) -> Any:
        """The predicted values: exp of the outputs for the Poisson link, else the outputs."""
        return xp.exp(out) if self.link == "exp" else out

    def __repr__(self) -> str:
        return f"Head({self.link!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Head) and other.link == self.link

    def __hash__(self) -> int:
        return hash(self.link)


_DECLARED: dict[Any, str] = {}


def declare(loss: Any, link: str) -> None:
    """Declare the link of the outputs that ``loss`` (a function or a loss Module class) trains.

    >>> def my_bce(out, target): ...
    >>> declare(my_bce, "sigmoid"); head_for(my_bce)
    Head('sigmoid')
    """
    Head(link)  # checks the name
    _DECLARED[loss] = link


def head_for(loss_fn: Any) -> Head:
    """The :class:`Head` of the model that ``loss_fn`` trains: its ``output_link`` attribute,
    its declaration (for a loss Module, its class's), else ``Head("auto")``.

    >>> from chainrule import nn
    >>> head_for(nn.BCEWithLogitsLoss()), head_for(nn.MSELoss()), head_for(abs)
    (Head('sigmoid'), Head('identity'), Head('auto'))
    """
    link = getattr(loss_fn, "output_link", None)
    if link is None:
        try:
            link = _DECLARED.get(loss_fn) or _DECLARED.get(type(loss_fn))
        except TypeError:  # an unhashable callable
            link = None
    return Head(link or "auto")


def head_of_model(model: Any) -> Head:
    """The :class:`Head` a model declares by its last layer: ``Sigmoid`` or ``Softmax``
    (probabilities), ``LogSoftmax`` (log-probabilities), ``Tanh`` (a ±1 score); a
    ``Sequential`` ending otherwise outputs logits; any other model is ``Head("auto")``.

    >>> from chainrule import nn
    >>> head_of_model(nn.Sequential(nn.Linear(2, 3), nn.LogSoftmax(dim=1)))
    Head('log_softmax')
    >>> head_of_model(nn.mlp([2, 4, 1]))
    Head('softmax')
    """
    from chainrule.nn.activations import LogSoftmax, Sigmoid, Softmax, Tanh
    from chainrule.nn.layers import Sequential

    if not isinstance(model, Sequential):
        return Head("auto")
    last = list(model)[-1] if len(model) else None
    if isinstance(last, LogSoftmax):
        return Head("log_softmax")
    if isinstance(last, (Sigmoid, Softmax)):
        return Head("probability")
    if isinstance(last, Tanh):
        return Head("tanh_score")
    return Head("softmax")  # logits: a sigmoid for one column, a softmax for several


def _declare_builtins() -> None:
    from chainrule.nn import loss_modules as M
    from chainrule.nn import losses as L

    for loss, link in (
        (L.binary_cross_entropy_with_logits, "sigmoid"),
        (M.BCEWithLogitsLoss, "sigmoid"),
        (L.cross_entropy, "softmax"),
        (M.CrossEntropyLoss, "softmax"),
        (L.nll_loss, "log_softmax"),
        (M.NLLLoss, "log_softmax"),
        (L.binary_cross_entropy, "probability"),
        (M.BCELoss, "probability"),
        (L.mse_loss, "identity"),
        (M.MSELoss, "identity"),
        (L.l1_loss, "identity"),
        (M.L1Loss, "identity"),
        (L.huber_loss, "identity"),
        (M.HuberLoss, "identity"),
    ):
        declare(loss, link)


_declare_builtins()
