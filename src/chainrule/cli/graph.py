"""``chainrule graph``: draw the computation graph of the ``explain`` network to SVG or DOT.

The same network, example and loss as ``chainrule explain`` with the same options, recorded as
one graph (:func:`chainrule.viz.graph.explain_graph`): a box per tensor with its value and
gradient, an ellipse per op, and with ``--jacobians`` each op's local Jacobian on its arrows.
The file is written to a temporary name, then renamed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chainrule.cli import _common as C
from chainrule.cli.explain import add_network_options, report

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``graph``: draw the computation graph of the explain network (SVG or DOT).

    Draw the computation graph of the tiny network of `chainrule explain` (same options), with
    every tensor's value and gradient. SVG needs nothing else; DOT is for Graphviz (dot -Tpng
    graph.dot -o graph.png). Give negative numbers with '=': --x=-1,0.5.
    """
    p = C.add_command(sub, "graph", run, add_parser.__doc__)
    add_network_options(p)
    p.add_argument(
        "--jacobians", action="store_true", help="label each arrow with its local Jacobian"
    )
    p.add_argument("--out", metavar="PATH", default="graph.svg", help="default graph.svg")
    p.add_argument(
        "--format", choices=("svg", "dot"), help="default: from --out's suffix (.svg or .dot)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Build the explain network, draw its graph, write the file."""
    from chainrule.viz.graph import explain_graph

    fmt = args.format or args.out.rsplit(".", 1)[-1].lower()
    if fmt not in ("svg", "dot"):
        raise ValueError(f"--out {args.out!r}: give a .svg or .dot path, or --format svg|dot")
    graph = explain_graph(report(args), jacobians=args.jacobians)
    graph.save(args.out, fmt)
    ops = sum(n.kind == "op" for n in graph.nodes)
    tensors = sum(n.kind == "tensor" for n in graph.nodes)
    print(f"graph of {tensors} tensors and {ops} ops written to {args.out}", file=sys.stderr)
    return 0
