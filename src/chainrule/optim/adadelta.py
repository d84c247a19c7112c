"""Adadelta: step sizes from running averages of squared gradients and squared updates.

>>> import chainrule as cr
>>> from chainrule.optim import Adadelta
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = Adadelta([w], lr=1.0)
>>> (w * w).sum().backward()
>>> opt.step()                   # the first step is √ε / √(0.1·g² + ε) · g
>>> round(w.item(), 5)
0.99684
"""

from __future__ import annotations

from typing import Any

from chainrule._docstrings import fill
from chainrule.backend import xp
from chainrule.optim.optimizer import Optimizer, ParamsT, converges_example
from chainrule.tensor import Tensor

__all__ = ["Adadelta"]


@fill(converges_example("Adadelta", "lr=10.0", 300, "0.05"))
class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), with PyTorch's update equations.

    With :math:`g_t` the gradient (plus ``weight_decay``·θ):

    .. math::
        v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t, \quad
        u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2, \quad
        \theta \leftarrow \theta - \eta \Delta_t

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters or parameter groups (see :class:`~chainrule.optim.Optimizer`).
    lr : float
        η, a scale on the update (default 1.0).
    rho : float
        ρ, the decay of both running averages (default 0.9).
    eps : float
        ε inside both square roots (default 1e-6).
    weight_decay : float
        L2 penalty added to the gradient, on every parameter it is given, as in PyTorch.

    %(example)s
    """

    _nonnegative = ("rho", "eps")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {rho}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": 0,
            "square_avg": xp.zeros_like(p._data),
            "acc_delta": xp.zeros_like(p._data),
        }

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = self._l2_grad(p, grad, group)
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1.0 - rho) * (g * g)
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1.0 - rho) * (delta * delta)
        delta *= group["lr"]
        p._data -= delta
