"""``chainrule vanishing``: per-layer gradient norms of a deep MLP, sigmoid vs tanh vs ReLU.

Prints :func:`chainrule.diagnostics.vanishing_table` (or the whole result as JSON) and plots
‖∂L/∂Wₗ‖ against the layer l with :func:`chainrule.viz.gradient_norms`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chainrule.cli import _common as C

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``vanishing``: measure vanishing gradients in a deep MLP per activation.

    Build the same deep MLP with each activation (each with its standard initialisation, or the
    one --init names), measure the gradient norm of every layer at initialisation and during a
    short SGD run and the size of the pre-activations, print a table and plot the norms by
    layer.
    """
    p = C.add_command(sub, "vanishing", run, add_parser.__doc__)
    p.add_argument("--depth", type=C.positive_int, default=20, help="Linear layers (default 20)")
    p.add_argument("--width", type=C.positive_int, default=64, help="units per layer (default 64)")
    p.add_argument(
        "--activations",
        default="sigmoid,tanh,relu",
        help="comma-separated activations (default sigmoid,tanh,relu)",
    )
    p.add_argument("--steps", type=int, default=50, help="SGD steps after init (default 50)")
    p.add_argument(
        "--init",
        default="auto",
        help="weight init: auto (each activation's standard one: Xavier, He; default), "
        "normal (N(0, 1), the naive one that saturates sigmoid and tanh), default "
        "(U(±1/√fan_in)), or any initialiser name such as kaiming_normal",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--out", metavar="DIR", default="runs/vanishing", help="where vanishing.png goes"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the plot")
    return p


def run(args: argparse.Namespace) -> int:
    """Measure, print, plot."""
    from chainrule import nn
    from chainrule.diagnostics import vanishing, vanishing_table
    from chainrule.diagnostics.vanishing import saturation_note
    from chainrule.nn import init as nn_init

    names = C.parse_names(args.activations, "--activations", nn.activation_names())
    if args.depth < 2:
        raise ValueError(f"--depth must be at least 2, got {args.depth}")
    if args.steps < 0:
        raise ValueError(f"--steps must be >= 0, got {args.steps}")
    init = {"auto": "auto", "default": None}.get(args.init.strip().lower(), args.init.strip())
    if init not in ("auto", None):
        try:
            nn_init.get(init)
        except ValueError as exc:
            raise ValueError(f"--init: {exc}; or auto, default") from None
    if not args.no_plots:
        C.require_matplotlib("plotting")
    result = vanishing(
        depth=args.depth,
        width=args.width,
        activations=names,
        steps=args.steps,
        seed=args.seed,
        init=init,
    )
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(vanishing_table(result))
        print()
        print(saturation_note(result))
    if not args.no_plots:
        from chainrule import viz

        path = Path(args.out) / "vanishing.png"
        viz.gradient_norms(result, path)
        print(f"plot written to {path}", file=sys.stderr)
    return 0
