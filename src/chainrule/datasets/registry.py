"""Load a built-in data set by name: :func:`load` and :func:`available`.

>>> from chainrule.datasets import load
>>> X, y = load("spiral", n_samples=60, n_arms=3, seed=0)
>>> X.shape
(60, 2)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from chainrule.datasets import real, synthetic

__all__ = ["available", "load"]

SYNTHETIC: dict[str, Callable[..., Any]] = {
    "checkerboard": synthetic.checkerboard,
    "circles": synthetic.circles,
    "gaussians": synthetic.gaussians,
    "blobs": synthetic.blobs,
    "moons": synthetic.moons,
    "plane": synthetic.plane,
    "sine_1d": synthetic.sine_1d,
    "spiral": synthetic.spiral,
    "xor": synthetic.xor,
}
REAL: dict[str, Callable[..., Any]] = {
    "breast_cancer": real.breast_cancer,
    "diabetes": real.diabetes,
    "digits": real.digits,
    "iris": real.iris,
    "wine": real.wine,
}


def available(kind: str = "all") -> list[str]:
    """The names :func:`load` accepts, sorted.

    Parameters
    ----------
    kind : {"all", "synthetic", "real"}
        All names, only the generators (``blobs`` is another name for ``gaussians``), or only the
        real data sets (which need scikit-learn).

    Returns
    -------
    list of str

    Examples
    --------
    >>> available("real")
    ['breast_cancer', 'diabetes', 'digits', 'iris', 'wine']
    """
    tables = {"all": {**SYNTHETIC, **REAL}, "synthetic": SYNTHETIC, "real": REAL}
    if kind not in tables:
        raise ValueError(f"kind must be 'all', 'synthetic' or 'real', got {kind!r}")
    return sorted(tables[kind])


def load(name: str, **kwargs: Any) -> tuple[Any, ...]:
    """Call the data set named ``name`` with ``kwargs``.

    Parameters
    ----------
    name : str
        One of :func:`available`; case, spaces and hyphens are forgiven (``"Breast-Cancer"``).
    **kwargs
        Passed on, e.g. ``n_samples``, ``noise``, ``seed`` for a generator.

    Returns
    -------
    tuple
        ``(X, y)`` from a generator, ``(X, y, info)`` from a real data set.

    Raises
    ------
    ValueError
        An unknown name; the message suggests the closest names.

    Examples
    --------
    >>> X, y = load("moons", n_samples=10, noise=0.1, seed=0)
    >>> X.shape, y.shape
    ((10, 2), (10,))
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    table = {**SYNTHETIC, **REAL}
    if key not in table:
        close = difflib.get_close_matches(key, table, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown data set {name!r}.{hint} Available: {', '.join(sorted(table))}")
    return table[key](**kwargs)
