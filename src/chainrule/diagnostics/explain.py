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
from collections.abc import Sequence
from typing import Any

from chainrule import dtypes
from chainrule.backend import to_numpy, xp
from chainrule.creation import Generator
from chainrule.functional import jacobian
from chainrule.nn import activation_fn
from chainrule.nn.losses import binary_cross_entropy, mse_loss
from chainrule.tensor import Tensor

__all__ = ["explain", "render"]

_LOSSES = ("bce", "mse")


def _forward_steps(params: list[tuple[Tensor, Tensor]], act: str, out_act: str | None) -> list:
    """The chain as (name, description, function of the previous node's value) triples."""
    steps = []
    phi = activation_fn(act)
    for k, (W, b) in enumerate(params, start=1):
        steps.append(
            (f"z{k}", f"z{k} = W{k} · {'x' if k == 1 else f'h{k - 1}'} + b{k}", _affine(W, b))
        )
        if k < len(params):
            steps.append((f"h{k}", f"h{k} = {act}(z{k})", phi))
    if out_act is not None:
        steps.append(("yhat", f"ŷ = {out_act}(z{len(params)})", activation_fn(out_act)))
    else:
        steps.append(("yhat", f"ŷ = z{len(params)}", lambda z: z))
    return steps


def _affine(W: Tensor, b: Tensor):
    return lambda v: W @ v + b


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
    dict with ``network``, ``steps`` (name, equation, value, jacobian, grad_in, grad_out, plus
    ``grad_W``/``grad_b`` on affine steps), ``loss`` and ``check`` (finite-difference agreement).
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
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        W = Tensor(gen.normal((fan_out, fan_in), 0.0, fan_in**-0.5, dtype=f64))
        b = Tensor(gen.normal((fan_out,), 0.0, 0.1, dtype=f64))
        params.append((W, b))
    xv = (
        Tensor(xp.asarray(x, dtype=f64))
        if x is not None
        else Tensor(gen.normal((sizes[0],), dtype=f64))
    )
    if xv.shape != (sizes[0],):
        raise ValueError(f"x must have {sizes[0]} values, got shape {xv.shape}")
    if y is None:
        yv = Tensor(xp.asarray([1.0] * sizes[-1], dtype=f64))
    else:
        yv = Tensor(xp.asarray(y, dtype=f64).reshape(-1))
    if yv.shape != (sizes[-1],):
        raise ValueError(f"y must have {sizes[-1]} values, got shape {yv.shape}")
    if loss == "bce" and not bool(((yv.data == 0) | (yv.data == 1)).all()):
        raise ValueError(f"the 'bce' loss needs y in {{0, 1}}, got {yv.tolist()}")

    out_act = "sigmoid" if loss == "bce" else None
    chain = _forward_steps(params, activation, out_act)
    loss_fn = (
        (lambda p: binary_cross_entropy(p, yv, reduction="sum"))
        if loss == "bce"
        else (lambda p: mse_loss(p, yv, reduction="sum") * 0.5)
    )
    chain.append(
        ("L", "L = " + ("−[y log ŷ + (1−y) log(1−ŷ)]" if loss == "bce" else "½‖ŷ − y‖²"), loss_fn)
    )

    # forward: every node's value
    values = [xv]
    for _, _, fn in chain:
        values.append(fn(values[-1]))

    # backward: ∂L/∂(node input) = ∂u/∂x · ∂L/∂u, from the loss down, with local Jacobians
    steps: list[dict[str, Any]] = []
    grad_out = Tensor(xp.ones((), dtype=f64))  # ∂L/∂L
    param_grads = {}
    for i in range(len(chain) - 1, -1, -1):
        name, equation, fn = chain[i]
        inp = values[i]
        J = jacobian(fn, layout="denominator")(inp)  # rows: inputs, columns: outputs
        g_out = grad_out.reshape(-1)
        grad_in = J.reshape(inp.size, -1) @ g_out  # the chain rule in the notes' layout
        step = {
            "name": name,
            "equation": equation,
            "value": to_numpy(values[i + 1].data).tolist(),
            "input": to_numpy(inp.data).tolist(),
            "jacobian": to_numpy((J if layout == "denominator" else J.T).data).tolist(),
            "grad_out": to_numpy(g_out.data).tolist(),
            "grad_in": to_numpy(grad_in.data).tolist(),
        }
        if name.startswith("z"):
            k = int(name[1:])
            gW = g_out.reshape(-1, 1) @ inp.reshape(1, -1)  # ∂L/∂W = (∂L/∂z) xᵀ
            step["grad_W"] = to_numpy(gW.data).tolist()
            step["grad_b"] = to_numpy(g_out.data).tolist()
            param_grads[f"W{k}"] = gW
            param_grads[f"b{k}"] = g_out
        steps.append(step)
        grad_out = grad_in
    steps.reverse()

    check = _finite_difference_check(params, xv, chain, param_grads, grad_out)
    return {
        "network": {"layers": sizes, "activation": activation, "loss": loss, "seed": seed},
        "layout": layout,
        "x": to_numpy(xv.data).tolist(),
        "y": to_numpy(yv.data).tolist(),
        "weights": {
            **{f"W{k}": to_numpy(W.data).tolist() for k, (W, _) in enumerate(params, 1)},
            **{f"b{k}": to_numpy(b.data).tolist() for k, (_, b) in enumerate(params, 1)},
        },
        "loss": float(values[-1].item()),
        "steps": steps,
        "gradients": {k: to_numpy(v.data).tolist() for k, v in param_grads.items()},
        "grad_x": to_numpy(grad_out.data).tolist(),
        "check": check,
    }


def _finite_difference_check(params, xv, chain, param_grads, grad_x, eps: float = 1e-6) -> dict:
    """Central differences of L with respect to every weight, bias and input element."""

    def total() -> float:
        v = xv
        for _, _, fn in chain:
            v = fn(v)
        return float(v.item())

    targets = {"x": (xv, grad_x)}
    for k, (W, b) in enumerate(params, 1):
        targets[f"W{k}"] = (W, param_grads[f"W{k}"])
        targets[f"b{k}"] = (b, param_grads[f"b{k}"])

    # the engine's own backward() over the same chain: what loss.backward() would give
    leaves = {name: t.detach().requires_grad_() for name, (t, _) in targets.items()}
    autograd = _engine_gradients(params, leaves, chain)
    rows = []
    worst = 0.0
    for name, (t, g) in targets.items():
        flat = t.data.reshape(-1)
        gflat = g.data.reshape(-1)
        numeric = []
        for j in range(flat.size):  # finite differences need one pair of evaluations per element
            old = float(flat[j])
            flat[j] = old + eps
            plus = total()
            flat[j] = old - eps
            minus = total()
            flat[j] = old
            numeric.append((plus - minus) / (2 * eps))
        err = max(abs(float(a) - n) for a, n in zip(gflat.tolist(), numeric))
        engine = autograd[name].reshape(-1).tolist()
        err = max(err, max(abs(float(a) - e) for a, e in zip(gflat.tolist(), engine)))
        worst = max(worst, err)
        rows.append(
            {
                "name": name,
                "backprop": gflat.tolist(),
                "autograd": engine,
                "numeric": numeric,
                "max_abs_error": err,
            }
        )
    return {"rows": rows, "max_abs_error": worst, "agree": worst < 1e-5}


def _engine_gradients(params, leaves: dict, chain) -> dict:
    """Rebuild the chain on fresh leaves and let ``backward()`` produce every gradient."""
    from chainrule.ops import matmul

    v = leaves["x"]
    k = 0
    for name, _, fn in chain:
        if name.startswith("z"):
            k = int(name[1:])
            v = matmul(leaves[f"W{k}"], v) + leaves[f"b{k}"]
        else:
            v = fn(v)
    v.backward()
    return {name: to_numpy(t.grad.data) for name, t in leaves.items()}


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
    head = f"Backpropagation through a {'-'.join(map(str, net['layers']))} {net['activation']} network, loss {net['loss']}, one example"
    lines = [("# " if md else "") + head, ""]
    intro = [
        f"x = {_fmt(report['x'])}, y = {_fmt(report['y'])}, L = {report['loss']:.6f}",
        f"Local Jacobians ∂u/∂x: {jac_note}.",
        "Each step applies the chain rule: ∂L/∂x = ∂u/∂x · ∂L/∂u.",
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
        lines.append(f"{bullet}forward value u = {_fmt(s['value'])}")
        lines.append(f"{bullet}local Jacobian ∂u/∂x = {_fmt(s['jacobian'])}")
        lines.append(f"{bullet}upstream ∂L/∂u = {_fmt(s['grad_out'])}")
        lines.append(f"{bullet}∂L/∂x = ∂u/∂x · ∂L/∂u = {_fmt(s['grad_in'])}")
        if "grad_W" in s:
            k = s["name"][1:]
            lines.append(f"{bullet}∂L/∂W{k} = (∂L/∂z{k}) xᵀ = {_fmt(s['grad_W'])}")
            lines.append(f"{bullet}∂L/∂b{k} = ∂L/∂z{k} = {_fmt(s['grad_b'])}")
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
