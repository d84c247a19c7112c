"""Module forms of more ``torch.nn.functional`` names: ``ReLU6``, ``Hardtanh``, ``LogSigmoid``,
``CosineSimilarity`` and ``KLDivLoss``, with PyTorch's arguments.

>>> import chainrule as cr
>>> from chainrule import nn
>>> nn.Hardtanh(-2.0, 2.0)(cr.tensor([-3.0, 1.0, 5.0])).tolist()
[-2.0, 1.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import torch_functional as TF
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = ["CosineSimilarity", "Hardtanh", "KLDivLoss", "LogSigmoid", "ReLU6"]


class Hardtanh(Module):
    """Values clipped to [min_val, max_val] (:func:`~chainrule.nn.functional.hardtanh`)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x: Tensor) -> Tensor:
        return TF.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(min_val={self.min_val}, max_val={self.max_val})"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def __repr__(self) -> str:
        return "ReLU6()"


class LogSigmoid(Module):
    """log σ(x), stable for any x (:func:`~chainrule.nn.functional.logsigmoid`)."""

    def forward(self, x: Tensor) -> Tensor:
        return TF.logsigmoid(x)

    def __repr__(self) -> str:
        return "LogSigmoid()"


class CosineSimilarity(Module):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return TF.cosine_similarity(x1, x2, self.dim, self.eps)

    def __repr__(self) -> str:
        return "CosineSimilarity()"  # PyTorch's repr shows no settings


class KLDivLoss(Module):
    """KL(target ‖ input) with ``input`` as log-probabilities (:func:`~chainrule.nn.functional.kl_div`).

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> p = cr.tensor([[0.25, 0.75]])
    >>> nn.KLDivLoss(reduction="batchmean")(cr.log(p), p).item()
    0.0
    """

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return TF.kl_div(input, target, self.reduction, self.log_target)

    def __repr__(self) -> str:
        return "KLDivLoss()"
