"""The ``chainrule`` command: argument parsing and the one place errors become messages.

Every subcommand lives in its own module with an ``add_parser(subparsers)`` and a
``run(args) -> int``. :func:`main` parses, runs, and turns a user error (a bad option, a missing
file, a malformed CSV...) into one line on standard error, ``chainrule: error: ...``, and exit
status 2, with no traceback; Ctrl-C and SIGTERM end it with status 130 and 143. Unexpected exceptions keep their traceback: they are bugs.

>>> main(["--version"])
chainrule 0.1.0
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["USER_ERRORS", "build_parser", "error_line", "main"]

USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    ImportError,
    OSError,  # FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError...
    MemoryError,  # a size refused by its estimate, or an allocation that failed
)
"""Exceptions that mean bad input or a missing dependency, not a bug: one line, status 2."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C (143 for SIGTERM)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like every other chainrule error."""

    def error(self, message: str) -> NoReturn:
        """Print ``chainrule: error: <message>`` (one line) and exit with status 2."""
        hint = f" (see {self.prog} --help)"
        self.exit(EXIT_USAGE, f"chainrule: error: {' '.join(message.split())}{hint}\n")


def error_line(exc: BaseException) -> str:
    """The one-line message for a user error.

    >>> error_line(FileNotFoundError(2, "No such file or directory", "data.csv"))
    "chainrule: error: No such file or directory: 'data.csv'"
    >>> error_line(ValueError("bad\\nvalue"))
    'chainrule: error: bad value'
    """
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename!r}" if exc.filename else "")
    else:
        text = str(exc) or type(exc).__name__
    return "chainrule: error: " + " ".join(text.split())


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    from chainrule import __version__
    from chainrule.cli import (
        activations,
        demo,
        evaluate,
        explain,
        graph,
        playground,
        predict,
        train,
        vanishing,
    )

    parser = _Parser(
        prog="chainrule",
        description=(
            "Neural networks from first principles: train, evaluate and predict with MLPs; "
            "see backpropagation step by step."
        ),
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (train, evaluate, predict, explain, vanishing, activations, demo, playground):
        module.add_parser(sub)
    graph.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["playground"]:  # its options, --help included, are the playground's own
        from chainrule.cli.playground import run_argv

        return run_argv(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    from chainrule.cli._signals import handling

    with handling() as signals:
        try:
            return int(args.run(args))
        except KeyboardInterrupt:
            print("chainrule: interrupted", file=sys.stderr)
            return signals.status(EXIT_INTERRUPTED)
        except BrokenPipeError:  # e.g. `chainrule predict ... | head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        except USER_ERRORS as exc:
            sys.stdout.flush()
            print(error_line(exc), file=sys.stderr)
            return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
