"""Loss objects: each stores its options and calls the function of :mod:`chainrule.nn.losses`.

They are Modules with ``forward(input, target, sample_weight=None)``, as PyTorch's ``nn.*Loss``;
every option is keyword-only except ``weight``.

>>> import chainrule as cr
>>> criterion = CrossEntropyLoss(label_smoothing=0.1)
>>> round(criterion(cr.tensor([[3.0, 0.0]]), [0]).item(), 4)
0.1986
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.nn import losses as L
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]


class _Loss(Module):
    """Shared by every loss object: the reduction, checked at construction, ``__call__``, and
    ``forward``, which calls the class's loss function ``fn`` with the options.

    The options are the public attributes ``__init__`` sets, named as ``fn``'s keywords.
    """

    fn: Callable[..., Tensor]

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        L.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def _options(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k[0] != "_" and k != "training"}

    def forward(self, input: Any, target: Any, sample_weight: Any = None) -> Tensor:
        return type(self).fn(input, target, sample_weight=sample_weight, **self._options())

    def __call__(self, input: Any, target: Any, sample_weight: Any = None) -> Tensor:
        return self.forward(input, target, sample_weight=sample_weight)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"  # PyTorch's: the options are not shown


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: :func:`~chainrule.nn.losses.binary_cross_entropy`.

    >>> import chainrule as cr
    >>> round(BCELoss()(cr.tensor([0.8]), [1.0]).item(), 4)
    0.2231
    """

    fn = staticmethod(L.binary_cross_entropy)

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.weight = weight


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, fused and stable: the logistic-regression NLL.

    See :func:`~chainrule.nn.losses.binary_cross_entropy_with_logits`.

    >>> import chainrule as cr
    >>> round(BCEWithLogitsLoss(pos_weight=[2.0])(cr.tensor([0.0]), [1.0]).item(), 4)   # 2 ln 2
    1.3863
    """

    fn = staticmethod(L.binary_cross_entropy_with_logits)

    def __init__(
        self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None
    ) -> None:
        super().__init__(reduction=reduction)
        self.weight = weight
        self.pos_weight = pos_weight


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits: :func:`~chainrule.nn.losses.cross_entropy`.

    >>> import chainrule as cr
    >>> round(CrossEntropyLoss()(cr.tensor([[0.0, 0.0]]), [1]).item(), 4)   # ln 2
    0.6931
    """

    fn = staticmethod(L.cross_entropy)

    def __init__(
        self,
        weight: Any = None,
        *,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        axis: int = 1,
        ignore_index: int = -100,
    ) -> None:
        super().__init__(reduction=reduction)
        self.weight = weight
        self.label_smoothing = L.check_label_smoothing(type(self).__name__, label_smoothing)
        self.axis = axis
        self.ignore_index = ignore_index


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices: :func:`~chainrule.nn.losses.nll_loss`.

    >>> import chainrule as cr
    >>> NLLLoss(reduction="none")(cr.tensor([[-1.0, -2.0]]), [1]).tolist()
    [2.0]
    """

    fn = staticmethod(L.nll_loss)

    def __init__(
        self,
        weight: Any = None,
        *,
        reduction: str = "mean",
        axis: int = 1,
        ignore_index: int = -100,
    ) -> None:
        super().__init__(reduction=reduction)
        self.weight = weight
        self.axis = axis
        self.ignore_index = ignore_index


class MSELoss(_Loss):
    """Mean squared error: :func:`~chainrule.nn.losses.mse_loss`.

    >>> import chainrule as cr
    >>> MSELoss(reduction="sum")(cr.tensor([1.0, 2.0]), [0.0, 0.0]).item()
    5.0
    """

    fn = staticmethod(L.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error: :func:`~chainrule.nn.losses.l1_loss`.

    >>> import chainrule as cr
    >>> L1Loss()(cr.tensor([1.0, -2.0]), [0.0, 0.0]).item()
    1.5
    """

    fn = staticmethod(L.l1_loss)


class HuberLoss(_Loss):
    """Huber loss, quadratic within ``delta`` and linear beyond: :func:`~chainrule.nn.losses.huber_loss`.

    >>> import chainrule as cr
    >>> HuberLoss(delta=2.0)(cr.tensor([3.0]), [0.0]).item()   # 2·(3 - 1)
    4.0
    """

    fn = staticmethod(L.huber_loss)

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = L.check_delta(type(self).__name__, delta)


class SmoothL1Loss(_Loss):
    """PyTorch's smooth L1 loss: :func:`~chainrule.nn.functional.smooth_l1_loss`.

    >>> import chainrule as cr
    >>> SmoothL1Loss()(cr.tensor([3.0]), cr.zeros(1)).item()   # 3 - ½
    2.5
    """

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.beta = L.check_delta(type(self).__name__, beta)

    def forward(self, input: Any, target: Any, sample_weight: Any = None) -> Tensor:
        # the Huber loss divided by beta (see smooth_l1_loss)
        loss = L.huber_loss(
            input, target, reduction=self.reduction, delta=self.beta, sample_weight=sample_weight
        )
        return loss / self.beta
