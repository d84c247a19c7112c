"""chainrule.distributed without MPI: the per-rank split of the data and the gradient buckets.

The same code under a real ``mpiexec`` is tested in ``test_distributed_mpi.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pytest

import chainrule as cr
from chainrule import distributed as dist
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.distributed import DistributedSampler, GradientReducer, ShardedLoader


def _concat(lists: Iterable[list]) -> list:
    return list(itertools.chain.from_iterable(lists))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize(("n", "world"), [(10, 1), (10, 3), (7, 4), (3, 4), (64, 2)])
def test_one_epoch_over_the_ranks_visits_every_row_once(n: int, world: int, shuffle: bool) -> None:
    parts = [list(DistributedSampler(n, world, r, shuffle=shuffle, seed=5)) for r in range(world)]
    assert sorted(_concat(parts)) == list(range(n))
    assert [len(p) for p in parts] == [len(DistributedSampler(n, world, r)) for r in range(world)]


def test_rank_r_takes_positions_r_r_plus_n_of_the_shared_order() -> None:
    order = DistributedSampler(11, 1, 0, seed=3).order().tolist()
    for r in range(3):
        assert list(DistributedSampler(11, 3, r, seed=3)) == order[r::3]


@pytest.mark.parametrize(("world", "b", "n"), [(2, 4, 40), (4, 3, 50), (3, 5, 7)])
def test_n_ranks_at_batch_b_see_the_batches_of_one_process_at_batch_nb(
    world: int, b: int, n: int
) -> None:
    X = np.arange(n)
    one = DataLoader(TensorDataset(X), batch_size=world * b, shuffle=True, seed=11)
    ranks = [ShardedLoader((X,), b, world, r, shuffle=True, seed=11) for r in range(world)]
    for _ in range(3):  # epochs: each draws the next order, in step with the DataLoader
        expected = [sorted(xb.tolist()) for (xb,) in one]
        shards = [[xb.tolist() for (xb,) in loader] for loader in ranks]
        assert all(len(s) == len(expected) == len(ranks[0]) for s in shards)
        got = [sorted(_concat(s[k] for s in shards)) for k in range(len(expected))]
        assert got == expected


def test_set_epoch_replays_an_earlier_order() -> None:
    s = DistributedSampler(20, 2, 1, seed=4)
    first, second = list(s.at_epoch(0)), list(s.at_epoch(1))
    assert first != second
    assert list(s.at_epoch(0)) == first and list(s.at_epoch(1)) == second
    loader = ShardedLoader((np.arange(20),), 3, 2, 1, seed=4)
    loader.set_epoch(1)
    assert _concat(xb.tolist() for (xb,) in loader) == second


def test_full_batch_is_the_whole_data_set_per_step_across_the_ranks() -> None:
    X = np.arange(9)
    loaders = [ShardedLoader((X,), "full", 4, r, shuffle=False) for r in range(4)]
    assert [len(ld) for ld in loaders] == [1, 1, 1, 1]
    assert sorted(_concat(xb.tolist() for ld in loaders for (xb,) in ld)) == list(range(9))


def test_a_rank_can_get_no_rows_in_the_last_step() -> None:
    loader = ShardedLoader((np.zeros((9, 2)), np.arange(9)), 2, 4, 3, shuffle=False)
    assert [xb.shape for xb, _ in loader] == [(2, 2), (0, 2)]


def test_bad_arguments_name_the_value() -> None:
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\), got 2"):
        DistributedSampler(10, 2, 2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1, got 0"):
        DistributedSampler(10, 0, 0)
    with pytest.raises(ValueError, match="different numbers of rows"):
        ShardedLoader((np.zeros(3), np.zeros(4)), 1, 1, 0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        ShardedLoader((np.zeros(3),), 0, 1, 0)


def test_outside_mpiexec_the_world_is_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    assert (dist.rank(), dist.world_size(), dist.is_main()) == (0, 1, True)
    assert dist.launched_world_size() == 1
    assert dist.DataParallel.wanted(None) is False
    assert dist.DataParallel.wanted(True) is True
    monkeypatch.setenv("PMI_SIZE", "4")
    assert dist.launched_world_size() == 4 and dist.DataParallel.wanted(None) is True
    assert dist.DataParallel.wanted(False) is False
    with pytest.raises(TypeError, match="distributed must be True, False or None, got 'yes'"):
        dist.DataParallel.wanted("yes")


def test_gradients_are_bucketed_in_reverse_order_by_size_and_dtype() -> None:
    model = nn.mlp([100, 50, 20, 3], seed=0)  # weights 5000, 1000, 60 floats
    params = list(model.parameters())
    one = GradientReducer(params, comm=None)
    assert len(one.buckets) == 1 and one.buckets[0].params == params[::-1]
    small = GradientReducer(params, comm=None, bucket_bytes=4 * 1100)
    sizes = [[int(p.data.size) for p in b.params] for b in small.buckets]
    assert sizes == [[3, 60, 20, 1000], [50], [5000]]  # a big parameter gets its own bucket
    assert [b.offset for b in small.buckets] == [0, 0, 1 + len(params)]  # shared numbers last
    mixed = [cr.zeros(3, requires_grad=True), cr.zeros(2, dtype=cr.float64, requires_grad=True)]
    assert [b.dtype for b in GradientReducer(mixed, comm=None).buckets] == [
        np.dtype("float64"),
        np.dtype("float32"),
    ]
    with pytest.raises(ValueError, match="no parameters that require gradients"):
        GradientReducer([cr.zeros(3)], comm=None)


def test_fit_on_one_process_is_unchanged_by_distributed_false() -> None:
    from chainrule import optim
    from chainrule.nn.losses import mse_loss
    from chainrule.train import fit

    X = cr.randn(32, 3, generator=cr.Generator(0))
    y = X @ cr.tensor([[1.0], [-2.0], [0.5]])
    weights = []
    for flag in (None, False):
        model = nn.Linear(3, 1, generator=cr.Generator(0))
        fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
            batch_size=8, seed=0, verbose=0, distributed=flag)  # fmt: skip
        weights.append(model.weight.numpy().copy())
    assert np.array_equal(weights[0], weights[1])


def test_callbacks_that_write_or_print_run_on_rank_0_only() -> None:
    from types import SimpleNamespace

    from chainrule.distributed import DataParallel
    from chainrule.train import callbacks as cb

    kept = cb.EarlyStopping(patience=2)
    writers = [cb.CSVLogger("log.csv"), cb.ModelCheckpoint("m"), cb.ProgressBar()]
    everything = [kept, *writers]
    assert DataParallel.callbacks(SimpleNamespace(is_main=True), everything) == everything
    assert DataParallel.callbacks(SimpleNamespace(is_main=False), everything) == [kept]
