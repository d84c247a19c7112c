"""Copies of a model's weights: the divergence guard's last finite weights, the best epoch's.

One class serves both (``WeightSnapshot``): ``save`` copies the weights into arrays allocated
once, ``restore`` writes them back in place (so views of the parameters, such as the
estimators' flat array, stay valid).

>>> import chainrule as cr
>>> from chainrule import nn
>>> model = nn.Linear(2, 1, generator=cr.Generator(0))
>>> snap = WeightSnapshot(model); snap.save()
>>> before = model.weight.numpy().copy()
>>> model.weight.data[...] = float("nan")
>>> snap.check(keep=False), snap.restore(), bool((model.weight.numpy() == before).all())
(False, None, True)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.backend import xp

__all__ = ["WeightSnapshot", "finite_array"]


def finite_array(flat: Any) -> bool:
    """Whether every element of a 1-d array is finite.

    A finite sum proves it (an inf or a NaN makes the sum non-finite) in one reduction;
    only a non-finite sum, which finite values can also overflow to, needs the exact test.
    """
    if flat.dtype.kind == "f" and math.isfinite(xp.add.reduce(flat)):
        return True
    return bool(xp.isfinite(flat).all())


class WeightSnapshot:
    """A copy of a model's weights (parameters and buffers), in arrays allocated once.

    The parameters are copied, one ``concatenate`` per dtype, into a flat array (a state_dict
    per epoch cost more than a small network's step); the buffers (BatchNorm's running
    statistics), which a module may replace rather than update, are copied one by one.
    ``check`` copies the current weights into a second set of arrays and tests those for
    finiteness; when nothing can change the weights before the next epoch starts (no
    callbacks), that copy is the next epoch's snapshot and ``save`` has nothing to do.
    """

    def __init__(self, model: Any) -> None:
        groups: dict[Any, list[Any]] = {}
        for p in model.parameters():
            groups.setdefault(p._data.dtype, []).append(p)
        self.groups = [(tuple(ps), dt) for dt, ps in groups.items()]
        self.slots = [
            (mod, name) for _, mod in model.named_modules() for name in list(mod._buffers)
        ]
        self.current = self._alloc()
        self.spare = self._alloc()
        try:  # whether the backend copies many arrays into one flat array in one call
            for (ps, _), flat in zip(self.groups, self.spare[0]):
                xp.concatenate([p._data for p in ps], axis=None, out=flat)
            fused = True
        except (TypeError, ValueError):  # pragma: no cover - a backend without axis=None
            fused = False
        self.simple = (
            fused and len(self.groups) == 1 and self.groups[0][1].kind == "f" and not self.slots
        )
        self.fresh = False  # ``current`` already holds the weights as they are now

    def _alloc(self) -> tuple[list[Any], list[Any]]:
        flats = [xp.empty(sum(int(p._data.size) for p in ps), dtype=dt) for ps, dt in self.groups]
        return flats, [None] * len(self.slots)

    def _copy_into(self, into: tuple[list[Any], list[Any]], test: bool = True) -> bool:
        """Copy the weights into ``into``; ``test``: return whether the parameters are finite."""
        flats, saved = into
        finite = True
        for (ps, _), flat in zip(self.groups, flats):
            try:
                xp.concatenate([p._data for p in ps], axis=None, out=flat)
            except (TypeError, ValueError):  # pragma: no cover - a backend without axis=None
                start = 0
                for p in ps:
                    n = int(p._data.size)
                    flat[start : start + n] = p._data.reshape(-1)
                    start += n
            if test and finite and not finite_array(flat):
                finite = False
        if self.slots:
            for i, (mod, name) in enumerate(self.slots):
                b = mod._buffers.get(name)
                s = saved[i]
                if b is None:
                    saved[i] = None
                elif s is not None and s.shape == b.shape and s.dtype == b.dtype:
                    xp.copyto(s, b)
                else:
                    saved[i] = xp.array(b, copy=True)
        return finite

    def save(self) -> None:
        """Snapshot the weights as they are now (free when ``check`` just did)."""
        if not self.fresh:
            self._copy_into(self.current, test=False)
        self.fresh = False

    def save_checked(self) -> bool:
        """Snapshot the weights if they are finite (free when ``check`` just did); whether
        they were. Non-finite weights leave the last snapshot in place."""
        ok = True if self.fresh else self.check(keep=True)
        self.fresh = False
        return ok

    def check(self, keep: bool) -> bool:
        """Whether every parameter is finite; ``keep``: the copy becomes the next snapshot."""
        if self.simple:  # the usual case, spelled out: one floating dtype, no buffers
            flat = self.spare[0][0]
            xp.concatenate([p._data for p in self.groups[0][0]], axis=None, out=flat)
            finite = math.isfinite(xp.add.reduce(flat)) or bool(xp.isfinite(flat).all())
        else:
            finite = self._copy_into(self.spare)
        if finite and keep:
            self.current, self.spare = self.spare, self.current
            self.fresh = True
        return finite

    def restore(self) -> None:
        """Put the snapshot back into the parameters (in place) and the buffers."""
        flats, saved = self.current
        for (ps, _), flat in zip(self.groups, flats):
            start = 0
            for p in ps:
                n = int(p._data.size)
                p._data[...] = flat[start : start + n].reshape(p._data.shape)
                start += n
        for (mod, name), s in zip(self.slots, saved):
            if s is not None:
                current = mod._buffers.get(name)
                mod._buffers[name] = s.astype(current.dtype) if current is not None else s.copy()
