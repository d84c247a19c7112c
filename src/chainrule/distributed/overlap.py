"""Overlap the gradient Allreduce with the backward pass: a bucket leaves as soon as it is done.

During the forward pass each parameter is read through an identity primitive, ``grad_ready``.
Backward reaches that node only after every use of the parameter has contributed to its
gradient (nodes run in reverse creation order), so its VJP rule sees the parameter's final
gradient: it copies it into the bucket and, when the bucket is complete, starts the bucket's
``Iallreduce`` while backward goes on with the earlier layers. The bucket with the shared
numbers (the last) starts after backward, when they are known.

Whether this pays depends on the MPI library making progress while Python computes: MPICH
progresses a non-blocking collective only inside MPI calls (``progress`` is called at each
completed parameter), or on a progress thread (``MPICH_ASYNC_PROGRESS=1``, which takes a core).
``benchmarks/scaling.py`` measures it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.distributed.reducer import GradientReducer

__all__ = ["OverlappedReducer"]

_ACTIVE: list[OverlappedReducer] = []  # the reducer whose step is under way (innermost last)


@primitive("grad_ready")
def _grad_ready(x: Any, slot: int) -> Any:
    """Identity; its VJP hands the parameter's finished gradient to the active reducer."""
    return x


def _ready_rule(F: Any, g: Any, out: Any, x: Any, slot: int) -> Any:
    if _ACTIVE:
        _ACTIVE[-1].ready(slot, g)
    return g


_grad_ready.defvjp(_ready_rule)


class OverlappedReducer(GradientReducer):
    """A :class:`GradientReducer` whose buckets start reducing during ``backward``.

    Examples
    --------
    >>> reducer = OverlappedReducer(model.parameters(), comm)  # doctest: +SKIP
    >>> with reducer.step(model, rows=len(xb)):                # doctest: +SKIP
    ...     loss = loss_fn(model(xb), yb)
    ...     reducer.extra = [float(loss.item()) * len(xb)]
    ...     loss.backward()
    >>> total_rows, sums = reducer.result                      # doctest: +SKIP
    """

    def __init__(self, params: Any, comm: Any, bucket_bytes: int = 0, n_extra: int = 0) -> None:
        from chainrule.distributed.reducer import BUCKET_BYTES

        super().__init__(params, comm, bucket_bytes or BUCKET_BYTES, n_extra)
        self.where = {}  # parameter index -> (bucket, position in it)
        for i, bucket in enumerate(self.buckets):
            for j, p in enumerate(bucket.params):
                self.where[self.index[id(p)]] = (i, j)
        self.rows = 0.0
        self.extra: Sequence[float] = [0.0] * self.n_extra
        self.result: tuple[float, list[float]] | None = None
        self._waiting: list[int] = []
        self._started: list[bool] = []
        self._seen: set[int] = set()
        self.early = 0

    def ready(self, slot: int, g: Any) -> None:
        """A gradient ``g`` of parameter ``slot`` from one use: into its bucket; start the bucket
        once every use of its parameters in the forward pass has arrived."""
        i, j = self.where[slot]
        a, b = self.buckets[i].slices[j]
        out = self.buckets[i].flat[a:b]
        if slot in self._seen:  # a module called twice (shared weights): add the second use
            out += g.reshape(-1) * self.rows
        else:
            self._seen.add(slot)
            xp.multiply(g.reshape(-1), self.rows, out=out)
        self._waiting[i] -= 1
        if self._waiting[i] == 0 and i < len(self.buckets) - 1:
            self._zero_unseen(i)
            self._started[i] = True
            self.early += 1
            self.start(i)
        else:
            self.progress()

    @contextlib.contextmanager
    def step(self, model: Any, rows: float) -> Iterator[OverlappedReducer]:
        """Run one forward and backward inside; the averaged gradients are set at exit."""
        self.rows = float(rows)
        self.result = None
        self._waiting = [0] * len(self.buckets)  # uses made in forward, not yet in backward
        self._started = [False] * len(self.buckets)
        self._seen = set()
        self.early = 0  # buckets whose Allreduce started before backward ended
        wrapped = [
            m
            for m in model.modules()
            if any(id(p) in self.index for p in m._parameters.values() if p is not None)
        ]
        for mod in wrapped:
            object.__setattr__(mod, "forward", self._marking(mod))
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.pop()
            for mod in wrapped:
                object.__delattr__(mod, "forward")
        last = len(self.buckets) - 1
        for i in range(len(self.buckets)):  # the rest: unused parameters, and the last bucket
            if not self._started[i]:
                self._zero_unseen(i)
                if i == last:
                    self._fill_head()
                self.start(i)
        self.wait()
        self.result = self.finish()

    def _marking(self, mod: Any) -> Any:
        """``mod.forward`` reading its parameters through ``grad_ready``, made at that moment.

        Made during the forward pass, just before the layer's own nodes, each marker runs in
        backward right after them: as soon as the parameter's gradient is final.
        """
        forward = type(mod).forward.__get__(mod)
        index = self.index

        def marked_forward(*args: Any, **kwargs: Any) -> Any:
            params = [
                (n, p) for n, p in mod._parameters.items() if p is not None and id(p) in index
            ]
            for name, p in params:
                slot = index[id(p)]
                marked = _grad_ready(p, slot=slot)
                object.__setattr__(mod, name, marked)
                if marked.grad_fn is not None:  # a use that backward will report
                    self._waiting[self.where[slot][0]] += 1
            try:
                return forward(*args, **kwargs)
            finally:
                for name, p in params:
                    object.__setattr__(mod, name, p)

        return marked_forward

    def _zero_unseen(self, i: int) -> None:
        bucket = self.buckets[i]
        for p, (a, b) in zip(bucket.params, bucket.slices):
            if self.index[id(p)] not in self._seen:
                bucket.flat[a:b] = 0

    def _fill_head(self) -> None:
        head = [self.rows, *self.extra]
        head += [1.0 if k in self._seen else 0.0 for k in range(len(self.params))]
        flat = self.buckets[-1].flat
        flat[: self.head] = xp.asarray(head, dtype=flat.dtype)
