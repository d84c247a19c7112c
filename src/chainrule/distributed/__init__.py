"""Data-parallel training on MPI: N processes, one model, each step on N batches at once.

Launch the same script on N ranks (``mpiexec -n 4 python train.py``, or
``mpiexec -n 4 chainrule train ...``). :func:`~chainrule.train.fit` notices the launch (or
takes ``distributed=True``): rank 0's weights are broadcast at the start, every rank reads its
strided share of each epoch (:class:`DistributedSampler`), the gradients are averaged with one
``Allreduce`` per bucket per step (:class:`GradientReducer`), the optimiser steps on each rank
with identical gradients (its state stays local and identical), metrics are averaged, and only
rank 0 writes files and progress. ``batch_size`` is per rank: N ranks at batch b train exactly
as one process at batch N·b.

Needs the optional extra ``mpi`` (``pip install 'chainrule[mpi]'``: mpi4py and the mpich
wheel, which brings ``mpiexec``). Without ``mpiexec`` every function answers for a world of one.

>>> from chainrule import distributed as dist
>>> dist.world_size(), dist.is_main()
(1, True)
"""

from chainrule.distributed import world
from chainrule.distributed.data_parallel import DataParallel
from chainrule.distributed.reducer import BUCKET_BYTES, GradientReducer
from chainrule.distributed.sampler import DistributedSampler, ShardedLoader
from chainrule.distributed.world import *  # noqa: F403 - re-exports world.__all__, the one list of its names

__all__ = [
    "BUCKET_BYTES",
    "DataParallel",
    "DistributedSampler",
    "GradientReducer",
    "ShardedLoader",
]
__all__ += world.__all__
