"""``python -m chainrule``: the same as the ``chainrule`` command."""

from chainrule.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
