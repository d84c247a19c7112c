"""The ``chainrule`` command line: ``chainrule train | evaluate | predict | explain | vanishing |
activations | demo``, also run as ``python -m chainrule``.

Each subcommand is a short module here with ``add_parser`` and ``run``; :mod:`.main` parses the
arguments and turns user errors into one-line messages (exit status 2).
"""

from chainrule.cli.main import main

__all__ = ["main"]
