"""``chainrule playground``: the interactive playground in the browser (the ``playground`` extra).

Its options belong to :func:`chainrule.playground.main`, which parses them itself, so
``chainrule playground --help`` shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["add_parser", "run_argv"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``playground`` on the subcommand table ``sub`` (for the top-level help)."""
    p = sub.add_parser(
        "playground",
        help="train a network in the browser and watch backpropagation",
        description="Start the playground server (options: --port, --host, --no-browser).",
        add_help=False,
    )
    p.set_defaults(run=lambda args: run_argv([]))
    return p


def run_argv(argv: Sequence[str]) -> int:
    """Hand the rest of the command line to the playground's own parser."""
    from chainrule.playground import main

    return main(list(argv))
