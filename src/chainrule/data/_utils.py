"""Helpers shared by the data modules: seeds, array conversion, argument checks."""

from __future__ import annotations

import numbers
from typing import Any

from chainrule import creation, dtypes
from chainrule.backend import ndarray, xp
from chainrule.tensor import Tensor, as_tensor


def resolve_generator(seed: Any, owner: str) -> creation.Generator:
    """``seed`` as a :class:`~chainrule.Generator`.

    An int makes a fresh generator seeded with it, a Generator is used as it is (its stream is
    shared with whoever else draws from it), and None means chainrule's global generator, which
    ``chainrule.manual_seed`` reseeds.
    """
    if isinstance(seed, creation.Generator):
        return seed
    if seed is None:
        return creation.default_generator
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return creation.Generator(int(seed))
    raise TypeError(
        f"{owner}: seed must be None, an int or a chainrule.Generator, got {type(seed).__name__}"
    )


def to_array(x: Any, owner: str, allow_any_dtype: bool = False) -> Any:
    """A backend array for ``x`` (a Tensor's array is used without a copy).

    Lists follow chainrule's dtype rules (Python floats become the default dtype); arrays keep
    their dtype. With ``allow_any_dtype``, non-numeric lists and arrays (string labels) pass too.
    """
    if isinstance(x, Tensor):
        return x._data
    try:
        return as_tensor(x)._data
    except TypeError:
        if not allow_any_dtype:
            raise
    return x if isinstance(x, ndarray) else xp.asarray(x)


def float_array(a: Any) -> Any:
    """``a`` as floating point: floating arrays keep their dtype, others get the default one."""
    if dtypes.is_floating(a.dtype):
        return a
    return a.astype(dtypes.get_default_dtype())


def check_flag(value: Any, name: str, owner: str) -> bool:
    """``value`` as a bool, refusing anything that is not a bool (or a NumPy bool)."""
    if isinstance(value, bool) or (
        getattr(value, "dtype", None) == dtypes.bool_ and getattr(value, "ndim", 1) == 0
    ):
        return bool(value)
    raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
