"""``chainrule activations``: plot activation functions φ(x) and their derivatives φ′(x).

The derivatives come from chainrule's own backward rules (:func:`chainrule.viz.activations`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chainrule.cli import _common as C

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``activations``: plot activation functions and their derivatives.

    Plot each activation φ(x) beside its derivative φ′(x) (by autodiff).
    """
    p = C.add_command(sub, "activations", run, add_parser.__doc__)
    p.add_argument(
        "--names",
        help="comma-separated activations (default sigmoid, tanh, relu, leaky_relu, elu, gelu, "
        "softplus)",
    )
    p.add_argument("--out", metavar="DIR", default="runs/activations", help="where the PNG goes")
    return p


def run(args: argparse.Namespace) -> int:
    """Plot and print where the figure went."""
    from chainrule import nn

    names = (
        None if args.names is None else C.parse_names(args.names, "--names", nn.activation_names())
    )
    C.require_matplotlib("chainrule activations")
    from chainrule import viz

    path = Path(args.out) / "activations.png"
    viz.activations(names, path)
    print(f"plot written to {path}")
    return 0
