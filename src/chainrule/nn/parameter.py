"""``Parameter``: a leaf tensor that a Module owns and an optimiser updates.

>>> from chainrule.nn import Parameter
>>> w = Parameter([[1.0, 2.0]])
>>> w.requires_grad, w.regularize
(True, True)
>>> Parameter([0.0], regularize=False).regularize   # biases: no weight decay by default
False
"""

from __future__ import annotations

from typing import Any

from chainrule.tensor import Tensor


class Parameter(Tensor):
    """A trainable tensor: ``requires_grad`` is on.

    ``regularize`` says whether L2 weight decay and L1 penalties apply to it. Layers set it to
    False on biases (and normalisation shifts and scales), which is the usual practice: penalising
    a bias only shifts the decision boundary without making the function any simpler.
    """

    __slots__ = ("regularize",)

    def __init__(self, data: Any, requires_grad: bool = True, regularize: bool = True) -> None:
        super().__init__(data)
        if not getattr(self._data.flags, "writeable", True):  # CuPy arrays have no such flag
            self._data = self._data.copy()
        self.regularize = regularize
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
