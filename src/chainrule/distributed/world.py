"""The MPI world: which process this is, how many there are, and failing together.

mpi4py is imported only when it is needed (``init()``, or a launch under ``mpiexec`` with more
than one rank), so a plain ``import chainrule`` never starts MPI. Outside ``mpiexec`` every
function answers for a world of one process.

>>> from chainrule import distributed as dist
>>> dist.rank(), dist.world_size(), dist.is_main()
(0, 1, True)
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

__all__ = [
    "abort",
    "comm",
    "init",
    "is_initialized",
    "is_main",
    "launched_world_size",
    "rank",
    "world_size",
]

# what launchers put in each process's environment: MPICH/Hydra and Slurm's srun (PMI), Open MPI
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")

_COMM: Any = None  # mpi4py's COMM_WORLD once init() has run


def launched_world_size() -> int:
    """The number of ranks a launcher such as ``mpiexec`` started, read from the environment.

    1 when this process was not started by a launcher. Reads no MPI library.

    Returns
    -------
    int

    Examples
    --------
    >>> launched_world_size() >= 1
    True
    """
    for var in _SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 1:
            return int(value)
    return 1


def init() -> Any:
    """Start MPI (once) from the launcher's environment and return the world communicator.

    Also installs a ``sys.excepthook`` that prints an uncaught exception with the rank's
    number and aborts the whole job, so that one rank's failure ends every rank within
    seconds instead of leaving the others waiting in a collective.

    Returns
    -------
    mpi4py.MPI.Comm
        ``MPI.COMM_WORLD``.

    Raises
    ------
    ImportError
        When mpi4py is not installed (``pip install 'chainrule[mpi]'``).

    Examples
    --------
    >>> from chainrule import distributed as dist
    >>> world = dist.init()   # doctest: +SKIP
    >>> world.Get_size()      # doctest: +SKIP
    4
    """
    global _COMM
    if _COMM is not None:
        return _COMM
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "distributed training needs mpi4py and an MPI library: "
            "pip install 'chainrule[mpi]' (mpi4py and the mpich wheel)"
        ) from exc
    _COMM = MPI.COMM_WORLD
    if _COMM.Get_size() > 1:
        _install_excepthook()
    return _COMM


def is_initialized() -> bool:
    """Whether :func:`init` has run in this process.

    Examples
    --------
    >>> isinstance(is_initialized(), bool)
    True
    """
    return _COMM is not None


def comm() -> Any:
    """The world communicator, starting MPI when launched with several ranks; else None.

    Examples
    --------
    >>> comm() is None or comm().Get_size() >= 1
    True
    """
    if _COMM is None and launched_world_size() > 1:
        init()
    return _COMM


def rank() -> int:
    """This process's rank, 0 to ``world_size() - 1`` (0 outside ``mpiexec``).

    Examples
    --------
    >>> rank()
    0
    """
    c = comm()
    return 0 if c is None else c.Get_rank()


def world_size() -> int:
    """The number of processes training together (1 outside ``mpiexec``).

    Examples
    --------
    >>> world_size()
    1
    """
    c = comm()
    return 1 if c is None else c.Get_size()


def is_main() -> bool:
    """Whether this is rank 0, the one process that writes files and prints progress.

    Examples
    --------
    >>> is_main()
    True
    """
    return rank() == 0


def abort(code: int = 1, message: str | None = None) -> None:
    """Print ``message`` (prefixed with the rank) and end every rank of the job now.

    Outside a multi-rank job, exits this process with ``code``.

    Parameters
    ----------
    code : int
        The exit status the launcher reports.
    message : str, optional
        One line for standard error.

    Examples
    --------
    >>> abort(3, "out of data")   # doctest: +SKIP
    chainrule: rank 1: out of data
    """
    if message:
        print(f"chainrule: rank {rank()}: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    if _COMM is not None and _COMM.Get_size() > 1:
        _COMM.Abort(code)
    raise SystemExit(code)


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(kind: Any, value: Any, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):  # every rank got the Ctrl-C: no abort needed
            previous(kind, value, tb)
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        who = f"rank {rank()} of {world_size()}"
        print(f"chainrule: {who} failed, aborting the job:\n{text}", file=sys.stderr, flush=True)
        _COMM.Abort(1)

    sys.excepthook = hook
