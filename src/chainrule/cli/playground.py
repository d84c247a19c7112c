"""``chainrule playground``: the interactive playground in the browser (the ``playground`` extra).

Its options belong to :func:`chainrule.playground.main`, which parses them itself, so
``chainrule playground --help`` shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from chainrule.cli import _common as C

__all__ = ["add_parser", "run_argv"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``playground``: train a network in the browser and watch backpropagation.

    Start the playground server (options: --port, --host, --no-browser).
    """
    p = C.add_command(
        sub, "playground", lambda args: run_argv([]), add_parser.__doc__, add_help=False
    )
    return p


def run_argv(argv: Sequence[str]) -> int:
    """Hand the rest of the command line to the playground's own parser."""
    from chainrule.playground import main

    return main(list(argv))
