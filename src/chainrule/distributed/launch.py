"""The command line that runs a program on N local ranks, with nothing leaving the machine.

MPI's launcher and ranks listen on every network interface by default. For tests and
benchmarks on one machine the ranks run in a network namespace that has only loopback
(``unshare -n`` and ``ip link set lo up``, which needs root); where that is not permitted,
Hydra is told to use the loopback interface (``-iface lo``).

>>> cmd = local_command(2, ["python", "train.py"], mpiexec="mpiexec")
>>> cmd[-4:]
['-n', '2', 'python', 'train.py']
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

__all__ = ["default_mpiexec", "local_command", "loopback_namespace"]


def default_mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the mpich wheel's), else the one on PATH.

    Examples
    --------
    >>> isinstance(default_mpiexec(), str)
    True
    """
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec") or "mpiexec"


@cache
def loopback_namespace() -> bool:
    """Whether this process may start programs in a loopback-only network namespace.

    Examples
    --------
    >>> isinstance(loopback_namespace(), bool)
    True
    """
    if not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = ["unshare", "-n", "sh", "-c", "ip link set lo up"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def local_command(n: int, argv: Sequence[str], mpiexec: str | None = None) -> list[str]:
    """``mpiexec -n N argv`` confined to loopback.

    In a new network namespace when permitted (the returned command ``exec``s ``mpiexec``,
    so its process id is the launcher's and signals such as Ctrl-C reach it), else with
    ``-iface lo``.

    Parameters
    ----------
    n : int
        Ranks.
    argv : sequence of str
        The program and its arguments.
    mpiexec : str, optional
        Default: :func:`default_mpiexec`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> local_command(4, ["python", "-c", "pass"], mpiexec="mpiexec")[-5:]
    ['-n', '4', 'python', '-c', 'pass']
    """
    launcher = mpiexec or default_mpiexec()
    if loopback_namespace():
        return [
            "unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
            launcher, "-n", str(n), *argv,
        ]  # fmt: skip
    return [launcher, "-iface", "lo", "-n", str(n), *argv]
