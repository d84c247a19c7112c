"""Joining and splitting: concatenate, stack, split.

>>> import chainrule as cr
>>> a, b = cr.ones(2, requires_grad=True), cr.zeros(3, requires_grad=True)
>>> c = cr.concatenate([a, b])
>>> (c * cr.arange(5.0)).sum().backward()
>>> a.grad, b.grad
(tensor([0., 1.]), tensor([2., 3., 4.]))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from chainrule.autograd import primitive, register
from chainrule.backend import xp
from chainrule.ops.indexing import getitem


@primitive("concatenate")
def _concatenate(*arrays, axis=0):
    return xp.concatenate(arrays, axis=axis)


def _concatenate_vjp(F, g, out, *arrays, axis=0):
    # each input gets back its own slab of the gradient
    bounds = []
    total = 0
    for a in arrays[:-1]:
        total += a.shape[axis]
        bounds.append(total)
    return F.split(g, bounds, axis)


_concatenate.defvjp_all(_concatenate_vjp)


def concatenate(tensors: Sequence[Any], axis: int = 0):
    """Join tensors along an existing axis."""
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return _concatenate(*tensors, axis=axis)


cat = concatenate


@primitive("stack")
def _stack(*arrays, axis=0):
    return xp.stack(arrays, axis=axis)


def _stack_vjp(F, g, out, *arrays, axis=0):
    pieces = F.split(g, list(range(1, len(arrays))), axis)
    return [F.squeeze(p, axis) for p in pieces]


_stack.defvjp_all(_stack_vjp)


def stack(tensors: Sequence[Any], axis: int = 0):
    """Join tensors along a new axis."""
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    return _stack(*tensors, axis=axis)


def _split_points(n: int, indices_or_sections: Any) -> list[int]:
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"split: an axis of length {n} does not divide into {indices_or_sections} equal parts"
            )
        step = n // indices_or_sections
        return list(range(step, n, step))
    return [int(i) for i in indices_or_sections]


def split(x, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into pieces, as ``numpy.split``: a number of equal parts or a list of cut points.

    Each piece is a slice of ``x`` and carries its own gradient.
    """
    n = x.shape[axis]
    cuts = [0, *_split_points(n, indices_or_sections), n]
    axis = axis % x.ndim
    lead = (slice(None),) * axis
    return [getitem(x, (*lead, slice(lo, hi))) for lo, hi in itertools.pairwise(cuts)]


def _split_raw(x, indices_or_sections, axis=0):
    return xp.split(x, indices_or_sections, axis=axis)


register("split", _split_raw, split)
