"""The Loop's data-parallel hooks, without MPI: a stand-in for DataParallel plays the other rank.

The real exchange under ``mpiexec`` is tested in ``test_distributed_mpi.py``; here each hook
point is checked on its own: what the rank sends, and that it acts on what the ranks agreed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.nn.losses import mse_loss
from chainrule.train import DivergenceWarning, Loop, ProgressBar


class Peer:
    """DataParallel as the loop sees it: the other rank adds ``other`` = (loss sum, rows) each
    step (its gradients are not simulated) and says the time is up from step ``late_at`` on."""

    def __init__(self, other: tuple[float, int] = (0.0, 0), late_at: int | None = None) -> None:
        self.other, self.late_at = other, late_at
        self.late = False
        self.sent: list[tuple[float, int, bool]] = []

    def callbacks(self, cbs: list) -> list:
        return [c for c in cbs if not isinstance(c, ProgressBar)]  # as on rank 1

    def agreed(self, interrupts: object) -> object:
        return interrupts

    def step(self, loss_sum: float, rows: int, late: bool) -> tuple[float, int]:
        self.sent.append((loss_sum, rows, late))
        self.late = self.late_at is not None and len(self.sent) >= self.late_at
        total, n = loss_sum + self.other[0], rows + self.other[1]
        return (total / n if n else math.nan), n

    def end_epoch(self, metrics: list, collected: object, late: bool) -> dict[str, float]:
        return {"agreed": 1.0}


X = cr.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
Y = cr.tensor([[1.0], [2.0], [3.0], [4.0]])
BATCHES = [(X[:2], Y[:2]), (X[2:], Y[2:])]


def _loop(ddp: Peer | None, **kwargs: object) -> Loop:
    model = nn.Linear(2, 1, generator=cr.Generator(0))
    return Loop(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), ddp=ddp, **kwargs)


def _epoch(loop: Loop, batches: list, collected: list | None = None) -> bool:
    loop.begin()
    loop.begin_epoch()
    return loop.run_epoch(batches, None if collected is None else lambda o, t: collected.append(o))


def test_a_rank_trains_as_one_process_on_the_agreed_loss_eagerly() -> None:
    alone, peer = _loop(None), Peer(other=(0.0, 3))  # the peer's rows count, its loss is 0
    rank = _loop(peer, compile=True, callbacks=[ProgressBar()])
    assert rank.compiled is None and rank.callbacks == []  # eager; rank 0's callbacks only
    assert _epoch(alone, BATCHES) and _epoch(rank, BATCHES)
    assert np.array_equal(rank.model.weight.numpy(), alone.model.weight.numpy())
    assert [rows for _, rows, _ in peer.sent] == [2, 2] and rank.count == 10  # global rows
    assert rank.total == pytest.approx(alone.total)  # the global mean loss times the global rows
    assert rank.epoch_metrics([], None) == {"agreed": 1.0}


def test_an_empty_share_skips_the_forward_pass_but_joins_the_exchange() -> None:
    peer = Peer(other=(3.0, 2))
    loop = _loop(peer)
    before = loop.model.weight.numpy().copy()
    collected: list = []
    empty = (cr.zeros((0, 2)), cr.zeros((0, 1)))
    loop.model.forward = None  # any forward pass would fail
    assert _epoch(loop, [empty], collected)
    assert peer.sent == [(0.0, 0, False)] and collected == []
    assert loop.epoch_loss() == 1.5 and loop.count == 2
    assert np.array_equal(loop.model.weight.numpy(), before)  # no gradient arrived


def test_a_peer_diverging_stops_this_rank_with_its_weights_restored() -> None:
    loop = _loop(Peer(other=(math.nan, 2)))
    before = loop.model.weight.numpy().copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not _epoch(loop, BATCHES)
    assert loop.diverged == "the loss of batch 0 is nan" and loop.state.reason == "diverged"
    assert caught[0].category is DivergenceWarning
    assert np.array_equal(loop.model.weight.numpy(), before)


def test_the_time_limit_is_the_ranks_agreed_one() -> None:
    peer = Peer(late_at=1)
    loop = _loop(peer, time_limit=3600.0)  # this rank's clock has time left
    assert _epoch(loop, BATCHES)
    assert len(peer.sent) == 1 and peer.sent[0][2] is False
    assert loop.state.reason == "time_limit"
