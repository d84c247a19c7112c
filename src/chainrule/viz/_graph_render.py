"""Render a captured computation graph (:mod:`chainrule.viz.graph`) as SVG or as DOT.

The SVG layout is a small layered (Sugiyama-style) drawing, enough for the graphs a student
draws: each node goes in the column of its longest path from an input, leaves sit just before
their first consumer, and a few barycentre sweeps order each column to cut crossings.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

CHAR_W = 7.3  # width of one character of 12 px monospace
LINE_H = 15.0
PAD = 8.0
GAP_Y = 16.0
GAP_X = 48.0
FILL = {
    "root": "#fde68a",
    "param": "#dbeafe",
    "input": "#f3f4f6",
    "inner": "#ffffff",
    "op": "#dcfce7",
    "const": "#f9fafb",
}


def _size(node: Any) -> tuple[float, float]:
    width = max(len(line) for line in node.lines) * CHAR_W + 2 * PAD
    if node.kind == "op":
        return width + 16, 30.0
    return width, len(node.lines) * LINE_H + PAD


def _layers(nodes: list, edges: list) -> tuple[dict[str, int], dict, dict]:
    """Column of every node: longest path from a source; sources right before their consumer."""
    succ: dict[str, list[str]] = {n.id: [] for n in nodes}
    pred: dict[str, list[str]] = {n.id: [] for n in nodes}
    for a, b, _ in edges:
        succ[a].append(b)
        pred[b].append(a)
    indeg = {k: len(v) for k, v in pred.items()}
    ready = [n.id for n in nodes if indeg[n.id] == 0]
    layer = dict.fromkeys(ready, 0)
    while ready:  # Kahn's algorithm: each node after all of its inputs
        a = ready.pop()
        for b in succ[a]:
            layer[b] = max(layer.get(b, 0), layer[a] + 1)
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
    for n in nodes:
        if not pred[n.id] and succ[n.id]:
            layer[n.id] = min(layer[b] for b in succ[n.id]) - 1
    return layer, succ, pred


def _barycentre(k: str, neighbours: dict, pos: dict) -> float:
    ps = [pos[p] for p in neighbours[k]]
    return sum(ps) / len(ps) if ps else pos[k]


def _order(nodes: list, layer: dict, succ: dict, pred: dict) -> list[list[str]]:
    """Columns of node ids, each ordered by the barycentre of its neighbours (a few sweeps)."""
    cols: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for n in nodes:
        cols[layer[n.id]].append(n.id)
    for sweep in range(4):
        neighbours = pred if sweep % 2 == 0 else succ
        seq = range(1, len(cols)) if sweep % 2 == 0 else range(len(cols) - 2, -1, -1)
        pos = {k: i for col in cols for i, k in enumerate(col)}
        for c in seq:
            cols[c].sort(key=lambda k, nb=neighbours, pos=pos: _barycentre(k, nb, pos))
            pos.update({k: i for i, k in enumerate(cols[c])})
    return cols


def _text(lines: list[str], x: float, y: float, anchor: str = "start", size: int = 12) -> str:
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE_H * size / 12:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'xml:space="preserve">{spans}</text>'
    )


def svg(nodes: list, edges: list) -> str:
    """The graph as an SVG document, data flowing left to right."""
    by_id = {n.id: n for n in nodes}
    layer, succ, pred = _layers(nodes, edges)
    cols = _order(nodes, layer, succ, pred)
    size = {n.id: _size(n) for n in nodes}
    # the gap before a column leaves room for the labels of the arrows that enter it
    label_w = [0.0] * len(cols)
    for _, b, label in edges:
        if label:
            w = max(len(s) for s in label) * CHAR_W * 10 / 12 + 16
            label_w[layer[b]] = max(label_w[layer[b]], w)
    heights = [sum(size[k][1] for k in col) + GAP_Y * (len(col) - 1) for col in cols]
    total_h = max(heights) + 2 * PAD
    box: dict[str, tuple[float, float, float, float]] = {}
    x = PAD
    for c, col in enumerate(cols):
        if c:
            x += max(GAP_X, label_w[c])
        col_w = max(size[k][0] for k in col)
        y = (total_h - heights[c]) / 2
        for k in col:
            w, h = size[k]
            box[k] = (x + (col_w - w) / 2, y, w, h)
            y += h + GAP_Y
        x += col_w
    total_w = x + PAD

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="monospace" font-size="12">',
        '<defs><marker id="cr-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{total_w:.0f}" height="{total_h:.0f}" fill="white"/>',
    ]
    for a, b, label in edges:
        ax, ay, aw, ah = box[a]
        bx, by, _, bh = box[b]
        x0, y0, x1, y1 = ax + aw, ay + ah / 2, bx, by + bh / 2
        mx = (x0 + x1) / 2
        out.append(
            f'<path class="edge" d="M{x0:.1f},{y0:.1f} C{mx:.1f},{y0:.1f} {mx:.1f},{y1:.1f} '
            f'{x1:.1f},{y1:.1f}" fill="none" stroke="#555" marker-end="url(#cr-arrow)"/>'
        )
        if label:  # beside the arrow's start: arrows into one op all end at the same point
            lh = LINE_H * 10 / 12
            lw = max(len(s) for s in label) * CHAR_W * 10 / 12
            lx, top = x0 + 6, y0 - len(label) * lh / 2
            out.append(
                f'<g class="edge-label"><rect x="{lx - 2:.1f}" y="{top - 1:.1f}" '
                f'width="{lw + 4:.1f}" height="{len(label) * lh + 2:.1f}" fill="white" '
                f'fill-opacity="0.85"/><g fill="#7c2d12">{_text(label, lx, top + 9, size=10)}'
                "</g></g>"
            )
    for k, (bx, by, w, h) in box.items():
        n = by_id[k]
        title = f"<title>{escape(' | '.join(n.lines))}</title>"
        fill = FILL[n.kind if n.kind != "tensor" else n.role]
        if n.kind == "op":
            shape = (
                f'<ellipse cx="{bx + w / 2:.1f}" cy="{by + h / 2:.1f}" rx="{w / 2:.1f}" '
                f'ry="{h / 2:.1f}" fill="{fill}" stroke="#166534"/>'
            )
            text = _text(n.lines, bx + w / 2, by + h / 2 + 4, "middle")
        else:
            stroke = 'stroke="#111" stroke-width="2"' if n.role == "root" else 'stroke="#444"'
            dash = ' stroke-dasharray="4 3"' if n.kind == "const" else ""
            shape = (
                f'<rect x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
                f'fill="{fill}" {stroke}{dash}/>'
            )
            text = _text(n.lines, bx + PAD, by + PAD / 2 + 11)
        out.append(f'<g class="node {n.kind}" id={quoteattr(k)}>{title}{shape}{text}</g>')
    out.append("</svg>")
    return "\n".join(out)


def _dot_label(lines: list[str], end: str = "\\l") -> str:
    """A quoted DOT label: one line per entry, left-justified (``\\l``) or centred (``\\n``)."""
    body = "".join(s.replace("\\", "\\\\").replace('"', '\\"') + end for s in lines)
    if end == "\\n":
        body = body[: -len(end)]
    return f'"{body}"'


def dot(nodes: list, edges: list) -> str:
    """The graph as Graphviz DOT text, left to right."""
    out = [
        "digraph chainrule {",
        "  rankdir=LR;",
        '  node [fontname="monospace", fontsize=10];',
        '  edge [fontname="monospace", fontsize=9];',
    ]
    for n in nodes:
        fill = FILL[n.kind if n.kind != "tensor" else n.role]
        shape = "ellipse" if n.kind == "op" else "box"
        style = "filled" if n.kind == "op" else "rounded,filled"
        if n.kind == "const":
            style += ",dashed"
        label = _dot_label(n.lines, "\\n" if n.kind == "op" else "\\l")
        out.append(f'  {n.id} [shape={shape}, style="{style}", fillcolor="{fill}", label={label}];')
    for a, b, label in edges:
        attrs = f" [label={_dot_label(label)}]" if label else ""
        out.append(f"  {a} -> {b}{attrs};")
    out.append("}")
    return "\n".join(out) + "\n"
