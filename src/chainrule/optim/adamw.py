"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

>>> import chainrule as cr
>>> from chainrule.optim import AdamW
>>> w = cr.tensor([2.0], requires_grad=True)
>>> w.grad = cr.zeros(1)          # no loss gradient: only the decay acts
>>> AdamW([w], lr=0.1, weight_decay=0.5).step()
>>> round(w.item(), 4)            # 2 · (1 - 0.1 · 0.5)
1.9
"""

from __future__ import annotations

from chainrule.optim.adam import Adam
from chainrule.optim.optimizer import ParamsT

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay, with PyTorch's update equations.

    Each step first shrinks the weights, :math:`\theta \leftarrow \theta (1 - \eta\lambda)`,
    then takes the Adam step on the plain gradient, so the decay does not pass through the
    moment averages (unlike ``Adam(weight_decay=...)``).

    Parameters
    ----------
    params, lr, betas, eps, amsgrad
        As for :class:`~chainrule.optim.Adam` (the same defaults).
    weight_decay : float
        Decoupled decay λ (default 1e-2), on every parameter it is given, as in PyTorch (build
        groups with :func:`chainrule.nn.utils.param_groups` to leave biases out).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import AdamW
    >>> w = cr.ones(1, requires_grad=True)
    >>> w.grad = cr.zeros(1)
    >>> AdamW([w], lr=0.1, weight_decay=0.1).step()   # θ ← θ - η·λ·θ
    >>> round(w.item(), 4)
    0.99
    """

    _decoupled = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
