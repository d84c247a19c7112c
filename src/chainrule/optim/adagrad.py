"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients.

>>> import chainrule as cr
>>> from chainrule.optim import Adagrad
>>> w = cr.tensor([1.0, 2.0], requires_grad=True)
>>> opt = Adagrad([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()                   # the first step is lr · g / |g| = lr per coordinate
>>> w
tensor([0.9000, 1.9000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from chainrule._docstrings import fill
from chainrule.backend import xp
from chainrule.optim.optimizer import Optimizer, ParamsT, converges_example
from chainrule.tensor import Tensor

__all__ = ["Adagrad"]


@fill(converges_example("Adagrad", "lr=1.0, initial_accumulator_value=0.1", 100, "1e-3"))
class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with PyTorch's update equations.

    With :math:`g_t` the gradient (plus ``weight_decay``·θ where decay applies):

    .. math::
        s_t = s_{t-1} + g_t^2, \quad
        \theta \leftarrow \theta - \frac{\eta}{1 + (t-1)\,\delta}
        \frac{g_t}{\sqrt{s_t} + \epsilon}

    Parameters
    ----------
    %(params)s
    %(lr)s
    lr_decay : float
        δ: the learning rate at step t is η / (1 + (t - 1) δ).
    %(weight_decay)s
    initial_accumulator_value : float
        Starting value of the sum of squares :math:`s_0`.
    eps : float
        ε added to the denominator (default 1e-10).

    %(example)s
    """

    _nonnegative = ("lr_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": xp.full_like(p._data, group["initial_accumulator_value"])}

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = self._l2_grad(p, grad, group)
        state["step"] += 1
        clr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        tmp = g * g
        s += tmp
        xp.sqrt(s, out=tmp)
        tmp += group["eps"]
        xp.divide(g, tmp, out=tmp)
        tmp *= clr
        p._data -= tmp
