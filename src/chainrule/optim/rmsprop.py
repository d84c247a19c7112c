"""RMSprop: divide the gradient by a running root mean square of recent gradients.

>>> import chainrule as cr
>>> from chainrule.optim import RMSprop
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = RMSprop([w], lr=0.01, alpha=0.99)
>>> (w * w).sum().backward()     # g = 2, v = 0.01 · 4, step = 0.01 · 2 / 0.2
>>> opt.step()
>>> round(w.item(), 4)
0.9
"""

from __future__ import annotations

from typing import Any

from chainrule._docstrings import fill
from chainrule.backend import xp
from chainrule.optim.optimizer import Optimizer, ParamsT, converges_example
from chainrule.tensor import Tensor

__all__ = ["RMSprop"]


@fill(converges_example("RMSprop", "lr=0.01, momentum=0.5, centered=True", 300, "0.05"))
class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with PyTorch's update equations.

    With :math:`g_t` the gradient (plus ``weight_decay``·θ where decay applies):

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \ (\text{centered}) \text{ or }
        \sqrt{v_t} + \epsilon, \quad
        \theta \leftarrow \theta - \eta\, g_t / d_t

    where :math:`\bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t`. With ``momentum`` μ,
    :math:`b_t = \mu b_{t-1} + g_t / d_t` and :math:`\theta \leftarrow \theta - \eta b_t`.

    Parameters
    ----------
    %(params)s
    %(lr)s
    alpha : float
        Smoothing constant α of the squared-gradient average.
    eps : float
        ε added to the denominator.
    %(weight_decay)s
    momentum : float
        Momentum factor μ (default 0).
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.
        The variance estimate is clamped at 0 against rounding (where PyTorch would give NaN).

    %(example)s
    """

    _nonnegative = ("eps", "momentum")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if not 0.0 <= group["alpha"] <= 1.0:
            raise ValueError(f"invalid alpha: {group['alpha']} (must be in [0, 1])")

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"step": 0, "square_avg": xp.zeros_like(p._data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(p._data)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(p._data)
        return state

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = self._l2_grad(p, grad, group)
        alpha = group["alpha"]
        state["step"] += 1
        sq = state["square_avg"]
        avg = g * g
        avg *= 1.0 - alpha
        sq *= alpha
        sq += avg
        if group["centered"]:
            ga = state["grad_avg"]
            xp.subtract(g, ga, out=avg)  # ḡ += (1 - α)(g - ḡ), the same lerp as PyTorch's
            avg *= 1.0 - alpha
            ga += avg
            xp.multiply(ga, ga, out=avg)
            xp.subtract(sq, avg, out=avg)
            xp.maximum(avg, 0.0, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(sq, out=avg)
        avg += group["eps"]
        xp.divide(g, avg, out=avg)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += avg
            avg = buf
        xp.subtract(p._data, group["lr"] * avg, out=p._data)
