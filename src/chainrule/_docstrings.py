"""Docstring parts that several functions share, written once and filled in where they stand.

A docstring names a shared part with a line that holds only ``%(name)s``; :func:`fill` puts the
part there, indented as the placeholder line is. Nothing else in the docstring changes, so
LaTeX braces and literal ``%`` signs need no escaping. The filled docstring is what ``help()``,
Sphinx and the doctests see.

>>> doc = "Parameters\\n----------\\n%(seed)s"
>>> print(compose(doc, {"seed": "seed : int\\n    Seeds the draw."}))
Parameters
----------
seed : int
    Seeds the draw.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["compose", "fill"]

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"^([ \t]*)%\((\w+)\)s[ \t]*$", re.MULTILINE)


def compose(doc: str, parts: Mapping[str, str]) -> str:
    """``doc`` with each line ``%(name)s`` replaced by ``parts[name]``, indented to match.

    Parameters
    ----------
    doc : str
        A docstring.
    parts : mapping of str to str
        The shared parts, each written without indentation (its continuation lines indented
        relative to its first line, as numpydoc wants).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        A placeholder names a part that ``parts`` lacks.

    Examples
    --------
    >>> compose("    %(x)s", {"x": "x : int\\n    A number."})
    '    x : int\\n        A number.'
    """

    def part(m: re.Match[str]) -> str:
        indent, name = m.group(1), m.group(2)
        if name not in parts:
            raise KeyError(f"docstring placeholder %({name})s has no part; known: {sorted(parts)}")
        return textwrap.indent(textwrap.dedent(parts[name]).strip("\n"), indent)

    return _PLACEHOLDER.sub(part, doc)


def fill(parts: Mapping[str, str]) -> Callable[[T], T]:
    """Decorator: :func:`compose` the decorated function's or class's docstring with ``parts``.

    Parameters
    ----------
    parts : mapping of str to str
        The shared parts, by placeholder name.

    Returns
    -------
    callable
        The decorator; it returns the object itself (without a docstring, e.g. under
        ``python -OO``, unchanged).

    Examples
    --------
    >>> @fill({"x": "x : float\\n    Where to evaluate."})
    ... def square(x):
    ...     '''x².
    ...
    ...     Parameters
    ...     ----------
    ...     %(x)s
    ...     '''
    ...     return x * x
    >>> print(square.__doc__.splitlines()[4:6])
    ['    x : float', '        Where to evaluate.']
    """

    def decorate(obj: T) -> T:
        if obj.__doc__:
            obj.__doc__ = compose(obj.__doc__, parts)
        return obj

    return decorate
