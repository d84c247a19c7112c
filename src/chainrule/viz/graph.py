"""The computation graph behind a tensor, drawn: :func:`draw_graph`.

One box per tensor (its name, shape and dtype, its value and its gradient, or a summary when
there are too many numbers to show) and one ellipse per op, with arrows in the direction data
flows, left to right. What micrograd's ``draw_dot`` shows for scalars, for tensors; with
``jacobians=True`` each arrow into an op also carries the local Jacobian ∂u/∂x of that op's
output u with respect to that input x.

The result renders to SVG with a layered layout computed here (no Graphviz needed) and to DOT
text for anyone who has Graphviz; a notebook shows it inline.

Draw **before** ``backward()``: ``backward()`` frees the graph (unless called with
``retain_graph=True``), and a freed graph cannot be drawn. The gradients shown are computed by
``draw_graph`` itself, without touching any ``.grad``.

>>> import chainrule as cr
>>> from chainrule.viz import draw_graph
>>> w = cr.tensor([0.5, -1.0], requires_grad=True)
>>> x = cr.tensor([2.0, 3.0])
>>> loss = cr.tanh(w * x).sum()
>>> g = draw_graph(loss, names={"w": w, "x": x, "loss": loss})
>>> [n.lines[0] for n in g.nodes if n.kind == "op"]
['mul', 'tanh', 'sum']
>>> g.node("w").lines[2:]
['data [0.5, -1]', 'grad [0.8399, 0.0296]']
>>> g.to_svg().startswith("<svg")
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.autograd import run_backward
from chainrule.backend import to_numpy, xp
from chainrule.tensor import Tensor
from chainrule.viz import _graph_render

__all__ = ["ComputationGraph", "GraphNode", "draw_graph", "explain_graph"]


@dataclass
class GraphNode:
    """One box of the drawing: a tensor, an op or a constant argument of an op."""

    id: str
    kind: str  # "tensor", "op" or "const"
    lines: list[str]
    role: str = ""  # tensors: "root", "param" (a leaf that requires grad), "input" or "inner"


@dataclass
class ComputationGraph:
    """A captured computation graph: ``nodes`` and ``edges`` (source id, target id, label lines).

    ``to_svg()`` and ``to_dot()`` render it; ``save(path)`` writes ``.svg`` or ``.dot``
    atomically; in Jupyter it displays itself (``_repr_svg_``).
    """

    nodes: list[GraphNode]
    edges: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def node(self, name: str) -> GraphNode:
        """The tensor node whose first line (its name) is ``name``."""
        for n in self.nodes:
            if n.kind == "tensor" and n.lines[0] == name:
                return n
        raise KeyError(f"no tensor named {name!r} in the graph")

    def to_svg(self) -> str:
        """SVG text (a layered layout computed in Python, left to right)."""
        return _graph_render.svg(self.nodes, self.edges)

    def to_dot(self) -> str:
        """Graphviz DOT text: ``dot -Tpng graph.dot -o graph.png`` renders it."""
        return _graph_render.dot(self.nodes, self.edges)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """Write the drawing to ``path`` (written to a temporary file, then renamed).

        ``format`` is "svg" or "dot"; by default it is taken from the file's suffix.
        """
        from chainrule._atomic import atomic_write_text

        fmt = (format or os.fspath(path).rsplit(".", 1)[-1]).lower()
        if fmt not in ("svg", "dot", "gv"):
            raise ValueError(
                f"cannot tell the format of {os.fspath(path)!r}: give a .svg or .dot path, "
                "or format='svg' or 'dot'"
            )
        atomic_write_text(path, self.to_svg() if fmt == "svg" else self.to_dot())


def _number(v: Any) -> str:
    if isinstance(v, (int, np.integer, bool, np.bool_)):
        return str(int(v))
    return f"{float(v):.4g}"


def _array_lines(label: str, a: Any, max_values: int) -> list[str]:
    """``label [values]`` when at most ``max_values`` numbers, else mean/std/min/max."""
    a = np.asarray(to_numpy(a))
    if a.size == 0:
        return [f"{label} (empty)"]
    if a.size > max_values:
        f = a.astype(np.float64)
        return [
            f"{label} mean {_number(f.mean())} std {_number(f.std())}",
            f"{' ' * len(label)} min {_number(f.min())} max {_number(f.max())}",
        ]
    if a.ndim == 0:
        return [f"{label} {_number(a.item())}"]
    rows = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a[None]
    text = ["[" + ", ".join(_number(v) for v in row) + "]" for row in rows]
    if a.ndim == 1:
        return [f"{label} {text[0]}"]
    if len(text) == 1:
        return [f"{label} [{text[0]}]"]
    pad = " " * len(label)
    return [f"{label} [{text[0]}"] + [f"{pad}  {t}" for t in text[1:-1]] + [f"{pad}  {text[-1]}]"]


def _const_lines(a: Any) -> list[str]:
    """A non-tensor argument of an op: a number or array, else its repr."""
    if isinstance(a, (int, float, np.number, np.ndarray)) or type(a).__module__ == "cupy":
        return _array_lines("const", a, 4)
    text = repr(a)
    return [f"const {text if len(text) <= 40 else text[:37] + '...'}"]


def _op_label(node: Any) -> str:
    # what the op was called with, less the "not set" values (axis=None, keepdims=False)
    kwargs = ", ".join(
        f"{k}={v!r}" for k, v in (node.kwargs or {}).items() if v is not None and v is not False
    )
    if len(kwargs) > 40:
        kwargs = kwargs[:37] + "..."
    return f"{node.name}({kwargs})" if kwargs else node.name


def _freed_error(node: Any) -> RuntimeError:
    return RuntimeError(
        f"draw_graph: the graph behind this tensor was freed by backward() (at op "
        f"{node.name!r}), so it can no longer be drawn. Call draw_graph(y) before y.backward(), "
        "or call y.backward(retain_graph=True) first."
    )


def _walk(root: Tensor) -> tuple[list[Tensor], list[Any]]:
    """Every tensor and every op node reachable from ``root``, inputs before their users."""
    tensors: dict[int, Tensor] = {}
    ops: dict[int, Any] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in tensors:
            continue
        tensors[id(t)] = t
        n = t.grad_fn
        if n is None or id(n) in ops:
            continue
        if n.args is None:
            raise _freed_error(n)
        ops[id(n)] = n
        stack.extend(a for a in n.args if isinstance(a, Tensor))
    # creation order (an op's ``seq`` decreases with every new op); a leaf just before the
    # first op that reads it, in argument order
    nodes = sorted(ops.values(), key=lambda n: -n.seq)
    rank = {id(n): (k, 1, 0) for k, n in enumerate(nodes)}
    key: dict[int, tuple[int, int, int]] = {}
    for k, n in enumerate(nodes):
        for i, a in enumerate(n.args):
            if isinstance(a, Tensor) and a.grad_fn is None:
                key.setdefault(id(a), (k, 0, i))
    for t in tensors.values():
        if t.grad_fn is not None:
            key[id(t)] = rank[id(t.grad_fn)]
    order = sorted(tensors.values(), key=lambda t: key.get(id(t), (-1, 0, 0)))
    return order, nodes


def _gradients(root: Tensor, tensors: list[Tensor]) -> dict[int, Any]:
    """∂(sum of root)/∂t for every tensor t that requires grad, computed without touching .grad."""
    wanted = [t for t in tensors if t.requires_grad and t is not root]
    seed = xp.ones_like(root._data)
    grads = run_backward(root, seed, retain_graph=True, inputs=tuple(wanted)) if wanted else []
    out = {id(t): (g if g is not None else xp.zeros_like(t._data)) for t, g in zip(wanted, grads)}
    out[id(root)] = seed
    return out


def _jacobian(out: Tensor, inp: Tensor) -> Any:
    """The local Jacobian of ``out`` with respect to ``inp``, in numerator layout (m × n)."""
    rows = []
    for j in range(out.size):
        seed = xp.zeros(out.size, dtype=out.dtype)
        seed[j] = 1
        (g,) = run_backward(out, seed.reshape(out.shape), retain_graph=True, inputs=(inp,))
        rows.append(xp.zeros(inp.size) if g is None else g.reshape(-1))
    return xp.stack(rows)


def _name_map(names: Any) -> dict:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):  # a Module: its parameters by their names
        names = names.named_parameters()
    pairs = names.items() if isinstance(names, Mapping) else names
    out = {}
    for name, t in pairs:
        if not isinstance(t, Tensor):
            raise TypeError(f"names[{name!r}] must be a Tensor, got {type(t).__name__}")
        out[id(t)] = str(name)
    return out


def draw_graph(
    y: Tensor,
    names: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | Any = None,
    *,
    grads: bool = True,
    jacobians: bool = False,
    layout: str = "denominator",
    max_values: int = 6,
    max_jacobian: int = 36,
    max_nodes: int = 500,
) -> ComputationGraph:
    """Capture the graph that produced ``y``, for drawing as SVG or DOT.

    Parameters
    ----------
    y : Tensor
        The output, usually a scalar loss. Call this before ``y.backward()`` (which frees the
        graph), or after ``y.backward(retain_graph=True)``.
    names : mapping, iterable of (name, tensor) pairs, or Module, optional
        Labels for tensors, e.g. ``{"x": x, "W": W}``, ``model.named_parameters()`` or just
        ``model``. Others are called ``t0``, ``t1``... in creation order.
    grads : bool
        Show each tensor's gradient ∂y/∂t (∂(Σy)/∂t when ``y`` is not a scalar), computed here
        by the engine; no ``.grad`` attribute changes.
    jacobians : bool
        Label every arrow into an op with the op's local Jacobian with respect to that input,
        when it has at most ``max_jacobian`` entries (else its shape).
    layout : str
        Jacobian layout: "denominator" (the notes': one row per input element) or "numerator".
    max_values : int
        Tensors with more elements show mean, std, min and max instead of their values.
    max_jacobian : int
        Largest Jacobian (in entries) written out in full.
    max_nodes : int
        Refuse graphs with more tensors and ops than this (the drawing would be unreadable).

    Returns
    -------
    ComputationGraph
        With ``to_svg()``, ``to_dot()``, ``save(path)``; displays itself in Jupyter.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> g = draw_graph((x * x).sum(), {"x": x}, jacobians=True)
    >>> g.edges[0][2]
    ['∂u/∂x [[2, 0]', '       [0, 4]]']
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"draw_graph needs a Tensor, got {type(y).__name__}")
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"layout must be 'denominator' or 'numerator', got {layout!r}")
    tensors, ops = _walk(y)
    if len(tensors) + len(ops) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(tensors)} tensors and {len(ops)} ops, more than "
            f"max_nodes={max_nodes}; draw a smaller computation or raise max_nodes"
        )
    labels = _name_map(names)
    gradients = _gradients(y, tensors) if grads and y.requires_grad else {}

    nodes: list[GraphNode] = []
    ids: dict[int, str] = {}
    for k, t in enumerate(tensors):
        ids[id(t)] = f"t{k}"
        name = labels.get(id(t), f"t{k}")
        role = (
            "root"
            if t is y
            else "inner"
            if t.grad_fn is not None
            else "param"
            if t.requires_grad
            else "input"
        )
        lines = [name, f"{tuple(t.shape)} {t.dtype}"]
        lines += _array_lines("data", t._data, max_values)
        if id(t) in gradients:
            lines += _array_lines("grad", gradients[id(t)], max_values)
        nodes.append(GraphNode(f"t{k}", "tensor", lines, role))

    edges: list[tuple[str, str, list[str]]] = []
    outputs = {id(t.grad_fn): t for t in tensors if t.grad_fn is not None}
    n_const = 0
    for k, n in enumerate(ops):
        op_id = f"op{k}"
        nodes.append(GraphNode(op_id, "op", [_op_label(n)]))
        out = outputs[id(n)]
        seen: set[int] = set()
        for a in n.args:
            if a is None:
                continue
            if not isinstance(a, Tensor):
                nodes.append(GraphNode(f"c{n_const}", "const", _const_lines(a)))
                edges.append((f"c{n_const}", op_id, []))
                n_const += 1
                continue
            if id(a) in seen:  # x * x: one arrow, whose Jacobian is the total one
                continue
            seen.add(id(a))
            label: list[str] = []
            if jacobians and a.requires_grad:
                symbol = f"∂u/∂{labels.get(id(a), ids[id(a)])}"
                if out.size * a.size <= max_jacobian:
                    J = _jacobian(out, a)
                    label = _array_lines(symbol, J.T if layout == "denominator" else J, 10**9)
                else:
                    m, p = (a.size, out.size) if layout == "denominator" else (out.size, a.size)
                    label = [f"{symbol}: {m}×{p}"]
            edges.append((ids[id(a)], op_id, label))
        edges.append((op_id, ids[id(out)], []))
    return ComputationGraph(nodes, edges)


def explain_graph(report: dict[str, Any], *, jacobians: bool = False) -> ComputationGraph:
    """The graph of the network of a :func:`chainrule.diagnostics.explain` report, drawn.

    The same weights, example and loss as the report, recorded as one graph whose tensors carry
    the notes' names (x, W1, b1, z1, h1, ..., ŷ, L), with every gradient.

    >>> from chainrule.diagnostics import explain
    >>> g = explain_graph(explain(layers=(2, 2, 1), seed=0))
    >>> [n.lines[0] for n in g.nodes if n.kind == "tensor" and n.role != "inner"]
    ['W1', 'x', 'b1', 'W2', 'b2', 'y', 'L']
    >>> [n.lines[0] for n in g.nodes if n.role == "inner"][:4]
    ['W1·x', 'z1', 'h1', 'W2·h1']
    """
    from chainrule import dtypes
    from chainrule.nn import activation_fn
    from chainrule.nn.losses import binary_cross_entropy, mse_loss

    net = report["network"]
    f64 = dtypes.float64
    w = report["weights"]
    x = Tensor(report["x"], dtype=f64)
    y = Tensor(report["y"], dtype=f64)
    names: dict[str, Tensor] = {"x": x, "y": y}
    phi = activation_fn(net["activation"])
    h = x
    depth = len(net["layers"]) - 1
    for k in range(1, depth + 1):
        W = names[f"W{k}"] = Tensor(w[f"W{k}"], dtype=f64, requires_grad=True)
        b = names[f"b{k}"] = Tensor(w[f"b{k}"], dtype=f64, requires_grad=True)
        product = names[f"W{k}·{'x' if k == 1 else f'h{k - 1}'}"] = W @ h
        h = names[f"z{k}"] = product + b
        if k < depth:
            h = names[f"h{k}"] = phi(h)
    if net["loss"] == "bce":
        yhat = names["ŷ"] = activation_fn("sigmoid")(h)
        loss = binary_cross_entropy(yhat, y, reduction="sum")
    else:
        names["ŷ"] = h
        loss = mse_loss(h, y, reduction="sum") * 0.5
    names["L"] = loss
    return draw_graph(loss, names, jacobians=jacobians, layout=report.get("layout", "denominator"))
