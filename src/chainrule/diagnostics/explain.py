"""Backpropagation for one example, step by step, in the notes' notation.

For a tiny network x → z₁ = W₁x + b₁ → h₁ = φ(z₁) → … → ŷ → L, each step lists:

- the forward value u of the node;
- the local Jacobian ∂u/∂x of the node with respect to its input, in the notes' (denominator)
  layout: one row per input xᵢ, one column per output uⱼ (or, with ``layout="numerator"``, the
  transpose);
- the gradient that flows back, ∂L/∂x = ∂u/∂x · ∂L/∂u.

The gradients of the weights come out of the same step: ∂L/∂W = (∂L/∂z) xᵀ. At the end every
gradient is compared with central finite differences.

>>> from chainrule.diagnostics import explain
>>> report = explain(layers=(2, 2, 1), activation="tanh", seed=0)
>>> [s["name"] for s in report["steps"]]
['z1', 'h1', 'z2', 'yhat', 'L']
>>> report["check"]["max_abs_error"] < 1e-6
True
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from chainrule import dtypes
from chainrule.backend import to_numpy, xp
from chainrule.creation import Generator
from chainrule.functional import jacobian
from chainrule.gradcheck import central_differences
from chainrule.nn import Identity, Linear, Sequential, deferred
from chainrule.nn import activation as activation_layer
from chainrule.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
)
from chainrule.ops import matmul
from chainrule.tensor import Tensor

__all__ = ["EXAMPLE_LOSSES", "explain", "explain_model", "render"]

_LOSSES = ("bce", "mse")

EXAMPLE_LOSSES: dict[str, tuple[str, Callable[[Tensor, Tensor], Tensor]]] = {
    "bce": (
        "L = −[y log ŷ + (1−y) log(1−ŷ)]",
        lambda p, y: binary_cross_entropy(p, y, reduction="sum"),
    ),
    "bce_logits": (
        "L = BCE(σ(z), y) = max(z,0) − z·y + log(1 + e^−|z|)",
        lambda z, y: binary_cross_entropy_with_logits(z, y, reduction="sum"),
    ),
    "ce": (
        "L = −log softmax(z)[y]",
        lambda z, y: cross_entropy(z.reshape(1, -1), [int(y.item())], reduction="sum"),
    ),
    "mse": ("L = (ŷ − y)²", lambda u, y: mse_loss(u, y, reduction="sum")),
    "half_mse": ("L = ½‖ŷ − y‖²", lambda u, y: mse_loss(u, y, reduction="sum") * 0.5),
}
"""The loss of one example, by name: its equation and its function of (last node, target).
'bce' takes a probability ŷ (after a sigmoid layer), 'bce_logits' and 'ce' take logits."""


_CHAIN_RULE = {
    "denominator": "∂L/∂x = ∂u/∂x · ∂L/∂u",  # gradients as column vectors, J rows = inputs
    "numerator": "∂L/∂x = ∂L/∂u · ∂u/∂x",  # gradients as row vectors, J rows = outputs
}
"""The chain rule for a step u = f(x) in each Jacobian layout: the product that multiplies."""


@dataclass
class _Node:
    """One step u = f(input) of the chain: its name, equation, function, input's name and, for
    an affine step, its float64 weight and bias."""

    name: str
    equation: str
    fn: Callable[[Tensor], Tensor]
    source: str
    params: tuple[Tensor, Tensor] | None = None


def _symbol(name: str) -> str:
    return "ŷ" if name == "yhat" else name


def _chain(model: Sequential) -> list[_Node]:
    """The model's layers as chain steps x → z₁ → h₁ → … (weights copied to float64)."""
    if not isinstance(model, Sequential) or not len(model):
        raise TypeError(f"explain needs a non-empty Sequential, got {type(model).__name__}")
    nodes: list[_Node] = []
    k, source, layers = 0, "x", list(model)
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        if isinstance(layer, Linear):
            k += 1
            W = Tensor(xp.array(layer.weight._data, dtype=dtypes.float64))
            b = Tensor(
                xp.zeros(layer.out_features, dtype=dtypes.float64)
                if layer.bias is None
                else xp.array(layer.bias._data, dtype=dtypes.float64)
            )
            equation = f"z{k} = W{k} · {_symbol(source)} + b{k}"
            nodes.append(_Node(f"z{k}", equation, _affine(W, b), source, (W, b)))
            source = f"z{k}"
        elif isinstance(layer, Identity) and last:
            nodes.append(_Node("yhat", f"ŷ = {source}", lambda v: v, source))
        else:  # an elementwise activation
            name = "yhat" if last else f"h{k}"
            act = type(layer).__name__.lower()
            nodes.append(_Node(name, f"{_symbol(name)} = {act}({source})", layer, source))
            source = name
    return nodes


def _affine(W: Tensor, b: Tensor) -> Callable[[Tensor], Tensor]:
    return lambda v: matmul(W, v) + b


def _list(t: Tensor) -> list:
    return to_numpy(t._data).tolist()


def explain_model(
    model: Sequential,
    x: Any,
    y: Any,
    loss: str,
    layout: str = "denominator",
) -> dict[str, Any]:
    """Backprop through ``model`` for one example, step by step: the one explainer.

    ``model`` is a Sequential of Linear layers and elementwise activations (a final Identity
    names the output ŷ); its weights are copied to float64. ``loss`` is a key of
    :data:`EXAMPLE_LOSSES`. Every gradient is checked against the engine's ``backward()`` and
    against central finite differences (:func:`chainrule.gradcheck.central_differences`).

    Returns a dict with ``x``, ``y``, ``output`` (the last node before the loss), ``loss``,
    ``steps`` (name, equation, input, input_name, value, jacobian, grad_out, grad_in, chain_rule,
    plus grad_W, grad_b, grad_W_rule and grad_b_rule on affine steps; Jacobians are 2-D in ``layout``),
    ``weights``, ``gradients``, ``grad_x`` and ``check``.

    >>> import numpy as np
    >>> from chainrule import nn
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    >>> report = explain_model(net, np.array([0.5, -1.0]), 1.0, "bce_logits")
    >>> [s["name"] for s in report["steps"]], report["check"]["agree"]
    (['z1', 'h1', 'z2', 'L'], True)
    >>> report["steps"][2]["grad_W_rule"]
    '∂L/∂W2 = (∂L/∂z2) h1ᵀ'
    """
    if loss not in EXAMPLE_LOSSES:
        raise ValueError(f"loss must be one of {sorted(EXAMPLE_LOSSES)}, got {loss!r}")
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"layout must be 'denominator' or 'numerator', got {layout!r}")
    f64 = dtypes.float64
    xv = Tensor(xp.array(x, dtype=f64).reshape(-1))
    yv = Tensor(xp.array(y, dtype=f64).reshape(-1))
    chain = _chain(model)
    equation, loss_fn = EXAMPLE_LOSSES[loss]
    chain.append(_Node("L", equation, lambda u: loss_fn(u, yv), chain[-1].name))

    values = [xv]  # forward: every node's value
    for node in chain:
        values.append(node.fn(values[-1]))

    # backward: ∂L/∂(node input) = ∂u/∂x · ∂L/∂u, from the loss down, with local Jacobians
    steps: list[dict[str, Any]] = []
    grad_out = Tensor(xp.ones((), dtype=f64))  # ∂L/∂L
    grads: dict[str, Tensor] = {}
    for i in range(len(chain) - 1, -1, -1):
        node, inp = chain[i], values[i]
        # rows: inputs, columns: outputs (the notes' layout), 2-D even for the scalar loss
        J = jacobian(node.fn, layout="denominator")(inp).reshape(inp.size, -1)
        g_out = grad_out.reshape(-1)
        grad_in = J @ g_out
        src = _symbol(node.source)
        step = {
            "name": node.name,
            "equation": node.equation,
            "input_name": node.source,
            "input": _list(inp),
            "value": _list(values[i + 1].reshape(-1)),
            "jacobian": _list(J if layout == "denominator" else J.T),
            "grad_out": _list(g_out),
            "grad_in": _list(grad_in),
            "chain_rule": _CHAIN_RULE[layout],
        }
        if node.params is not None:
            k = node.name[1:]
            gW = g_out.reshape(-1, 1) @ inp.reshape(1, -1)  # ∂L/∂W = (∂L/∂z) · inputᵀ
            step["grad_W"], step["grad_b"] = _list(gW), _list(g_out)
            column = layout == "denominator"  # else ∂L/∂z is a row vector
            step["grad_W_rule"] = f"∂L/∂W{k} = (∂L/∂z{k}){'' if column else 'ᵀ'} {src}ᵀ"
            step["grad_b_rule"] = f"∂L/∂b{k} = " + (f"∂L/∂z{k}" if column else f"(∂L/∂z{k})ᵀ")
            grads[f"W{k}"], grads[f"b{k}"] = gW, g_out
        steps.append(step)
        grad_out = grad_in
    steps.reverse()

    params = {n.name[1:]: n.params for n in chain if n.params is not None}
    return {
        "x": _list(xv),
        "y": _list(yv),
        "output": _list(values[-2].reshape(-1)),
        "loss": float(values[-1].item()),
        "steps": steps,
        "weights": {
            **{f"W{k}": _list(W) for k, (W, _) in params.items()},
            **{f"b{k}": _list(b) for k, (_, b) in params.items()},
        },
        "gradients": {k: _list(v) for k, v in grads.items()},
        "grad_x": _list(grad_out),
        "check": _check(chain, xv, params, grads, grad_out),
    }


def explain(
    layers: Sequence[int] = (2, 3, 1),
    activation: str = "tanh",
    loss: str = "bce",
    seed: int = 0,
    x: Sequence[float] | None = None,
    y: Sequence[float] | float | None = None,
    layout: str = "denominator",
) -> dict[str, Any]:
    """Walk backprop through a tiny network for one example and return every intermediate.

    Parameters
    ----------
    layers : sizes from input to output, e.g. (2, 3, 1).
    activation : the hidden activation ('tanh', 'sigmoid', 'relu', ...).
    loss : 'bce' (sigmoid output, binary cross-entropy: the notes' logistic NLL) or 'mse'.
    seed : seeds the weights, and the example when ``x``/``y`` are not given.
    x, y : the example (drawn at random when omitted).
    layout : 'denominator' (the notes': rows indexed by the input) or 'numerator'.

    Returns
    -------
    dict
        :func:`explain_model`'s report on that network, plus ``network`` and ``layout``.
    """
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {_LOSSES}, got {loss!r}")
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"layout must be 'denominator' or 'numerator', got {layout!r}")
    sizes = [int(n) for n in layers]
    if len(sizes) < 2 or min(sizes) < 1 or max(sizes) > 16:
        raise ValueError(f"layers must be 2 or more sizes between 1 and 16, got {list(layers)}")
    if loss == "bce" and sizes[-1] != 1:
        raise ValueError("the 'bce' loss needs one output unit")
    gen = Generator(seed)
    f64 = dtypes.float64
    activation_layer(activation)  # ValueError naming the known ones for an unknown name
    net = Sequential()
    for k, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        with deferred.no_weights():  # drawn below, in the order the examples were written for
            layer = Linear(fan_in, fan_out, dtype=f64)
        W = gen.normal((fan_out, fan_in), 0.0, fan_in**-0.5, dtype=f64)
        deferred.fill(layer, {"weight": W, "bias": gen.normal((fan_out,), 0.0, 0.1, dtype=f64)})
        net.append(layer)
        if k < len(sizes) - 1:
            net.append(activation_layer(activation))
    net.append(activation_layer("sigmoid") if loss == "bce" else Identity())
    xv = xp.asarray(x, dtype=f64) if x is not None else gen.normal((sizes[0],), dtype=f64)
    if xv.shape != (sizes[0],):
        raise ValueError(f"x must have {sizes[0]} values, got shape {xv.shape}")
    yv = xp.asarray([1.0] * sizes[-1] if y is None else y, dtype=f64).reshape(-1)
    if yv.shape != (sizes[-1],):
        raise ValueError(f"y must have {sizes[-1]} values, got shape {yv.shape}")
    if loss == "bce" and not bool(((yv == 0) | (yv == 1)).all()):
        raise ValueError(f"the 'bce' loss needs y in {{0, 1}}, got {yv.tolist()}")
    report = explain_model(net, xv, yv, "bce" if loss == "bce" else "half_mse", layout)
    network = {"layers": sizes, "activation": activation, "loss": loss, "seed": seed}
    return {"network": network, "layout": layout, **report}


def _check(chain, xv, params, grads, grad_x, eps: float = 1e-6) -> dict:
    """The step-by-step gradients against ``backward()`` and central finite differences."""
    targets = {"x": (xv, grad_x)}
    for k, (W, b) in params.items():
        targets[f"W{k}"] = (W, grads[f"W{k}"])
        targets[f"b{k}"] = (b, grads[f"b{k}"])

    def total() -> float:
        v = xv
        for node in chain:
            v = node.fn(v)
        return float(v.item())

    engine = _engine_gradients(chain, {n: t for n, (t, _) in targets.items()})
    rows, worst = [], 0.0
    for name, (t, g) in targets.items():
        chain_rule = to_numpy(g._data).reshape(-1)
        numeric = central_differences(total, t._data, eps).reshape(-1)
        autograd = engine[name].reshape(-1)
        err = float(
            max(numpy.abs(chain_rule - numeric).max(), numpy.abs(chain_rule - autograd).max())
        )
        worst = max(worst, err)
        rows.append(
            {
                "name": name,
                "backprop": chain_rule.tolist(),
                "autograd": autograd.tolist(),
                "numeric": numeric.tolist(),
                "max_abs_error": err,
            }
        )
    return {"rows": rows, "max_abs_error": worst, "agree": worst < 1e-5}


def _engine_gradients(chain: list[_Node], tensors: dict[str, Tensor]) -> dict:
    """The same chain on fresh leaves, differentiated by ``backward()``."""
    leaves = {name: t.detach().requires_grad_() for name, t in tensors.items()}
    v = leaves["x"]
    for node in chain:
        if node.params is not None:
            k = node.name[1:]
            v = matmul(leaves[f"W{k}"], v) + leaves[f"b{k}"]
        else:
            v = node.fn(v)
    v.backward()
    return {name: to_numpy(t.grad._data) for name, t in leaves.items()}


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return "[" + "; ".join(" ".join(f"{e:+.4f}" for e in row) for row in v) + "]"
        return "[" + " ".join(f"{e:+.4f}" for e in v) + "]"
    return f"{v:+.4f}"


def render(report: dict[str, Any], fmt: str = "text") -> str:
    """The report as 'text', 'markdown' or 'json'.

    >>> from chainrule.diagnostics import explain, render
    >>> print(render(explain(layers=(1, 1, 1), seed=1), "text").splitlines()[0])
    Backpropagation through a 1-1-1 tanh network, loss bce, one example
    """
    if fmt == "json":
        return json.dumps(report, indent=2)
    if fmt not in ("text", "markdown"):
        raise ValueError(f"format must be 'text', 'markdown' or 'json', got {fmt!r}")
    md = fmt == "markdown"
    net = report["network"]
    layout = report["layout"]
    jac_note = (
        "rows indexed by the node's input x, columns by its output u (the notes' layout)"
        if layout == "denominator"
        else "rows indexed by the node's output u, columns by its input x"
    )
    sizes = "-".join(map(str, net["layers"]))
    kind = f"{net['activation']} network" if len(net["layers"]) > 2 else "network (no hidden layer)"
    head = f"Backpropagation through a {sizes} {kind}, loss {net['loss']}, one example"
    lines = [("# " if md else "") + head, ""]
    intro = [
        f"x = {_fmt(report['x'])}, y = {_fmt(report['y'])}, L = {report['loss']:.6f}",
        f"Local Jacobians ∂u/∂x: {jac_note}.",
        f"Each step applies the chain rule: {_CHAIN_RULE[layout]}"
        + ("." if layout == "denominator" else ", with gradients as row vectors."),
    ]
    for line in intro:  # separate paragraphs in markdown, consecutive lines in text
        lines.append(line)
        if md:
            lines.append("")
    if not md:
        lines.append("")
    for s in report["steps"]:
        lines.append(("## " if md else "== ") + s["equation"] + ("" if md else " =="))
        bullet = "- " if md else "  "
        value = s["value"][0] if s["name"] == "L" else s["value"]
        lines.append(f"{bullet}forward value u = {_fmt(value)}")
        lines.append(f"{bullet}local Jacobian ∂u/∂x = {_fmt(s['jacobian'])}")
        lines.append(f"{bullet}upstream ∂L/∂u = {_fmt(s['grad_out'])}")
        lines.append(f"{bullet}{s['chain_rule']} = {_fmt(s['grad_in'])}")
        if "grad_W" in s:
            lines.append(f"{bullet}{s['grad_W_rule']} = {_fmt(s['grad_W'])}")
            lines.append(f"{bullet}{s['grad_b_rule']} = {_fmt(s['grad_b'])}")
        lines.append("")
    check = report["check"]
    lines.append(
        ("## " if md else "== ") + "Check against finite differences" + ("" if md else " ==")
    )
    if md:
        lines.append("| parameter | max abs error |")
        lines.append("| --- | --- |")
    for row in check["rows"]:
        err = row["max_abs_error"]
        lines.append(
            f"| {row['name']} | {err:.2e} |"
            if md
            else f"  {row['name']:<4} max |chain rule − numeric|, |chain rule − backward()| = {err:.2e}"
        )
    verdict = "agree" if check["agree"] else "DISAGREE"
    lines.append("")
    lines.append(
        f"The step-by-step chain rule, backward() and finite differences {verdict}: largest difference {check['max_abs_error']:.2e}."
    )
    return "\n".join(lines)
