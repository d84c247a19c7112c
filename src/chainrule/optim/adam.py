"""Adam: adaptive moment estimation (Kingma & Ba, 2015), optionally AMSGrad.

>>> import chainrule as cr
>>> from chainrule.optim import Adam
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = Adam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()   # the first step moves each weight by about lr, against its gradient's sign
>>> w
tensor([ 0.9000, -0.9000], requires_grad=True)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._docstrings import fill
from chainrule.backend import xp
from chainrule.optim.optimizer import Optimizer, ParamsT, converges_example
from chainrule.tensor import Tensor

__all__ = ["Adam"]


@fill(converges_example("Adam", "lr=0.5, amsgrad=True", 100, "0.05"))
class Adam(Optimizer):
    r"""Adam, with PyTorch's update equations.

    With :math:`g_t` the gradient (plus ``weight_decay``·θ where decay applies):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}
        \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    With ``amsgrad``, :math:`v_t` in the denominator is replaced by its running maximum.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~chainrule.optim.Optimizer`).
    lr : float
        Learning rate η (default 1e-3).
    betas : tuple of float
        Decay rates (β₁, β₂) of the first and second moment averages.
    eps : float
        ε added to the denominator.
    weight_decay : float
        L2 penalty added to the gradient (coupled: it goes through the moment averages;
        see :class:`~chainrule.optim.AdamW` for decoupled decay), on every parameter it is
        given, as in PyTorch (build groups with :func:`chainrule.nn.utils.param_groups` to
        leave biases out).
    amsgrad : bool
        Use the running maximum of :math:`v_t` (Reddi et al., 2018).

    %(example)s
    """

    _decoupled = False
    _nonnegative = ("eps",)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        beta1, beta2 = group["betas"]
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"invalid betas: {group['betas']} (each must be in [0, 1))")

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {
            "step": 0,
            "exp_avg": xp.zeros_like(p._data),
            "exp_avg_sq": xp.zeros_like(p._data),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(p._data)
        return state

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        if self._decoupled:
            g = grad
            if self._decays(p, group):
                p._data *= 1.0 - lr * group["weight_decay"]
        else:
            g = self._l2_grad(p, grad, group)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # m += (1 - β1)(g - m), the same lerp as PyTorch's
        tmp = g - m
        tmp *= 1.0 - beta1
        m += tmp
        # v = β2 v + (1 - β2) g²
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v *= beta2
        v += tmp
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        # denominator sqrt(v)/sqrt(1 - β2^t) + ε, then the step (η / (1 - β1^t)) m / denominator
        xp.sqrt(v, out=tmp)
        tmp /= math.sqrt(1.0 - beta2**t)
        tmp += group["eps"]
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - beta1**t)
        p._data -= tmp
