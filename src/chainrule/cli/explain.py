"""``chainrule explain``: backpropagation through a tiny network, one step at a time.

Prints :func:`chainrule.diagnostics.render` of :func:`chainrule.diagnostics.explain`: every
node's forward value, its local Jacobian, and the gradient the chain rule passes back, checked
against ``backward()`` and finite differences. ``--format json`` prints everything, weights
included, for a program to read.
"""

from __future__ import annotations

import argparse
from typing import Any

from chainrule.cli import _common as C

__all__ = ["add_network_options", "add_parser", "report", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``explain``: walk backprop through a tiny network, step by step.

    Backpropagation for one example through a tiny network, in the notes' notation. Give
    negative numbers with '=': --x=-1,0.5.
    """
    p = C.add_command(sub, "explain", run, add_parser.__doc__)
    add_network_options(p)
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    return p


def run(args: argparse.Namespace) -> int:
    """Print the walkthrough."""
    from chainrule.diagnostics import render

    print(render(report(args), args.format))
    return 0


def add_network_options(p: argparse.ArgumentParser) -> None:
    """The options that choose the network and the example (shared with ``chainrule graph``)."""
    p.add_argument("--layers", default="2,3,1", help="sizes from input to output (default 2,3,1)")
    p.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    p.add_argument(
        "--loss",
        choices=("bce", "mse"),
        default="bce",
        help="bce: sigmoid output + binary cross-entropy (default); mse: linear output, ½‖ŷ−y‖²",
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the weights (and x, y if omitted)")
    p.add_argument("--x", metavar="X1,X2,...", help="the input (default: drawn from the seed)")
    p.add_argument("--y", metavar="Y1,...", help="the target (default: 1)")
    p.add_argument(
        "--layout",
        choices=("denominator", "numerator"),
        default="denominator",
        help="Jacobian layout: one row per input (the notes', default) or per output",
    )


def report(args: argparse.Namespace) -> dict[str, Any]:
    """:func:`chainrule.diagnostics.explain` of the network and example the options name."""
    from chainrule import nn
    from chainrule.diagnostics import explain

    layers = C.parse_sizes(args.layers, "--layers")
    C.parse_names(args.activation, "--activation", nn.activation_names())
    return explain(
        layers=layers,
        activation=args.activation,
        loss=args.loss,
        seed=args.seed,
        x=None if args.x is None else C.parse_floats(args.x, "--x"),
        y=None if args.y is None else C.parse_floats(args.y, "--y"),
        layout=args.layout,
    )
