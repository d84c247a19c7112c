"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

>>> import chainrule as cr
>>> from chainrule.optim import SGD
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> round(w.item(), 4)   # 1 - 0.1·2 = 0.8, then v = 0.9·2 + 1.6 = 3.4: 0.8 - 0.34
0.46
"""

from __future__ import annotations

from typing import Any

from chainrule._docstrings import fill
from chainrule.backend import ndarray, xp
from chainrule.optim.optimizer import DOCS, Optimizer, ParamsT
from chainrule.tensor import Tensor

__all__ = ["SGD"]


@fill(DOCS)
class SGD(Optimizer):
    r"""Stochastic gradient descent, with PyTorch's update equations.

    With :math:`g_t` the gradient (plus ``weight_decay``·θ where decay applies):

    .. math::
        b_1 = g_1, \quad b_t = \mu b_{t-1} + (1 - \tau) g_t, \qquad
        \theta \leftarrow \theta - \eta \cdot
        \begin{cases} g_t + \mu b_t & \text{Nesterov} \\ b_t & \text{otherwise} \end{cases}

    and :math:`\theta \leftarrow \theta - \eta g_t` without momentum.

    Parameters
    ----------
    %(params)s
    %(lr)s
    momentum : float
        Momentum factor μ (default 0: none).
    dampening : float
        Dampening τ of the momentum (default 0).
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    %(weight_decay)s

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> from chainrule.optim import SGD
    >>> model = nn.Linear(1, 1, bias=True, init="zeros")
    >>> with cr.no_grad():
    ...     _ = model.weight.fill_(1.0), model.bias.fill_(1.0)
    >>> opt = SGD(nn.utils.param_groups(model, weight_decay=0.5), lr=0.1)
    >>> model(cr.ones((1, 1))).sum().backward()
    >>> opt.step()   # weight: 1 - 0.1·(1 + 0.5·1); the bias's group has no decay: 1 - 0.1·1
    >>> round(model.weight.item(), 4), round(model.bias.item(), 4)
    (0.85, 0.9)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)
        self._scratch: dict[Tensor, Any] = {}  # parameter -> its array for lr·g, reused

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if group["momentum"] < 0.0:
            raise ValueError(f"invalid momentum: {group['momentum']} (must be >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def _update_all(self) -> None:
        """Groups without momentum and weight decay, the plain ``p -= lr·g``, take a loop with
        the per-group decisions taken once; others go through ``Optimizer._update_all``."""
        for g in self.param_groups:
            if g["momentum"] or g["weight_decay"] or type(g["lr"]) is not float:
                return super()._update_all()
        get = self._scratch.get
        multiply, subtract = xp.multiply, xp.subtract
        for group in self.param_groups:
            lr = group["lr"]
            kind, scalar = None, lr
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                g = grad._data
                buf = get(p)
                # a buffer is only made for a gradient of its parameter's shape, so this one
                # test covers both (dtypes of one kind are one object: `is not` is quick, and a
                # false alarm only makes a fresh buffer)
                if buf is None or buf.shape != g.shape or buf.dtype is not g.dtype:
                    buf = self._buffer(p, g)
                if g.dtype is not kind:
                    # lr in the gradient's dtype, as the ufunc would cast the float (NEP 50),
                    # converted once per group and dtype, not inside every multiply
                    kind = g.dtype
                    scalar = kind.type(lr) if kind.kind == "f" else lr
                multiply(g, scalar, out=buf)  # lr·g as in _update, into the reused array
                data = p._data
                subtract(data, buf, out=data)
        return None

    def _buffer(self, p: Tensor, g: Any) -> Any:
        """A new array kept between steps for lr·g, after checking the gradient's shape."""
        if g.shape != p._data.shape:
            raise ValueError(
                f"a gradient of shape {g.shape} was set on a parameter of shape {p.shape}"
            )
        self.state.setdefault(p, {})
        buf = self._scratch[p] = xp.empty(g.shape, dtype=g.dtype)
        return buf

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        # the buffer starts as a copy of the first gradient, as in PyTorch
        return {"momentum_buffer": None} if group["momentum"] else {}

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g = self._l2_grad(p, grad, group)
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")  # None too where momentum was turned on later
            if buf is None:
                buf = state["momentum_buffer"] = xp.array(g, dtype=p.dtype, copy=True)
            else:
                buf *= momentum
                dampening = group["dampening"]
                buf += g if dampening == 0 else (1.0 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        lr = group["lr"]
        if type(lr) is float and type(g) is ndarray and g.shape == p._data.shape:
            # lr·g into a scratch array kept between steps, not a new temporary each time:
            # the same arithmetic without allocating (and page-faulting) a parameter-sized array
            scratch = self._scratch.get(p)
            if scratch is None or scratch.dtype != g.dtype or scratch.shape != g.shape:
                scratch = self._buffer(p, g)
            xp.multiply(g, lr, out=scratch)
            xp.subtract(p._data, scratch, out=p._data)
        else:
            xp.subtract(p._data, lr * g, out=p._data)
