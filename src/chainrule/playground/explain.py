"""Backpropagation through the playground's network for one data point, step by step.

The same walk as :func:`chainrule.diagnostics.explain` (and ``chainrule explain``), but on the
trained network of a session: for each node u of the chain x → z₁ → h₁ → … → z_L → L it gives
the forward value, the local Jacobian ∂u/∂x (rows indexed by the node's input, the notes'
layout), the upstream gradient ∂L/∂u and ∂L/∂x = ∂u/∂x · ∂L/∂u, plus ∂L/∂W and ∂L/∂b for the
affine steps. The result is checked against the engine's own ``backward()``.

>>> import numpy as np
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
>>> report = explain_point(net, np.array([0.5, -1.0], dtype=np.float32), 1.0, "bce")
>>> [s["name"] for s in report["steps"]], report["check"]["agree"]
(['z1', 'h1', 'z2', 'L'], True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule import dtypes
from chainrule.functional import jacobian
from chainrule.nn import Linear, Module
from chainrule.nn.losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from chainrule.tensor import Tensor

__all__ = ["LOSS_TEXT", "explain_point", "loss_function"]

LOSS_TEXT = {
    "bce": "L = BCE(σ(z), y) = max(z,0) − z·y + log(1 + e^−|z|)",
    "ce": "L = −log softmax(z)[y]",
    "mse": "L = (ŷ − y)²",
}


def loss_function(kind: str, target: Any) -> Callable[[Tensor], Tensor]:
    """The loss of one example as a function of the network's last node (a 1-D Tensor)."""
    if kind == "bce":
        return lambda z: binary_cross_entropy_with_logits(z, [float(target)], reduction="sum")
    if kind == "ce":
        return lambda z: cross_entropy(z.reshape(1, -1), [int(target)], reduction="sum")
    return lambda u: mse_loss(u, [float(target)], reduction="sum")


def _round(a: Any) -> Any:
    return np.round(np.asarray(a, dtype=np.float64), 6).tolist()


def explain_point(model: Module, x: np.ndarray, target: float, loss: str) -> dict[str, Any]:
    """Every step of backprop for input features ``x`` and label (or target) ``target``.

    ``model`` is a Sequential of Linear layers and elementwise activations, ``loss`` one of
    'bce' (one logit), 'ce' (softmax over the logits) or 'mse' (on the last node). The
    arithmetic is done in float64 on copies of the weights.
    """
    f64 = dtypes.float64
    chain: list[tuple[str, str, Callable[[Tensor], Tensor], tuple | None]] = []
    k = 0
    layers = list(model)
    for layer in layers:
        if isinstance(layer, Linear):
            k += 1
            W = Tensor(layer.weight.data.astype(f64))
            b = Tensor(layer.bias.data.astype(f64))
            src = "x" if k == 1 else f"h{k - 1}"
            chain.append((f"z{k}", f"z{k} = W{k} · {src} + b{k}", _affine(W, b), (W, b)))
        else:
            name = type(layer).__name__.lower()
            last = layer is layers[-1]
            node = "ŷ" if last else f"h{k}"
            chain.append(("yhat" if last else f"h{k}", f"{node} = {name}(z{k})", layer, None))
    chain.append(("L", LOSS_TEXT[loss], loss_function(loss, target), None))

    values = [Tensor(np.asarray(x, dtype=f64))]
    for _, _, fn, _ in chain:
        values.append(fn(values[-1]))

    steps: list[dict[str, Any]] = []
    grad_out = Tensor(np.ones((), dtype=f64))
    grads: dict[str, np.ndarray] = {}
    for i in range(len(chain) - 1, -1, -1):
        name, equation, fn, params = chain[i]
        inp = values[i]
        J = jacobian(fn, layout="denominator")(inp).reshape(inp.size, -1)
        g_out = grad_out.reshape(-1)
        grad_in = J @ g_out  # ∂L/∂x = ∂u/∂x · ∂L/∂u
        step = {
            "name": name,
            "equation": equation,
            "input": _round(inp.data),
            "value": _round(values[i + 1].data.reshape(-1)),
            "jacobian": _round(J.data),
            "grad_out": _round(g_out.data),
            "grad_in": _round(grad_in.data),
        }
        if params is not None:
            gW = np.outer(g_out.data, inp.data)  # ∂L/∂W = (∂L/∂z) xᵀ
            step["grad_W"], step["grad_b"] = _round(gW), _round(g_out.data)
            grads[f"W{name[1:]}"], grads[f"b{name[1:]}"] = gW, g_out.data
        steps.append(step)
        grad_out = grad_in
    steps.reverse()
    return {
        "x": _round(values[0].data),
        "target": float(target),
        "output": _round(values[-2].data.reshape(-1)),
        "loss": float(values[-1].item()),
        "steps": steps,
        "check": _check(chain, values[0], grads),
    }


def _affine(W: Tensor, b: Tensor) -> Callable[[Tensor], Tensor]:
    return lambda v: W @ v + b


def _check(chain: list, x: Tensor, grads: dict[str, np.ndarray]) -> dict[str, Any]:
    """Compare the step-by-step gradients with ``backward()`` on fresh leaves."""
    leaves = {}
    v = x
    for name, _, fn, params in chain:
        if params is None:
            v = fn(v)
            continue
        W, b = (p.detach().requires_grad_() for p in params)
        leaves[f"W{name[1:]}"], leaves[f"b{name[1:]}"] = W, b
        v = W @ v + b
    v.backward()
    worst = max(float(np.abs(leaves[k].grad.data - g).max()) for k, g in grads.items())
    return {"max_abs_error": worst, "agree": worst < 1e-8}
