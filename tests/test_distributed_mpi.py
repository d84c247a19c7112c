"""Data-parallel training under a real ``mpiexec``: equivalence, faults, bad input, the CLI.

Each test launches the scripts in ``tests/mpi_scripts`` with the ``mpiexec`` of the ``mpich``
wheel, inside a network namespace that has only loopback (``unshare -n``), so nothing listens
on or leaves through a real interface; where ``unshare`` is not permitted, Hydra is bound to the
loopback interface (``-iface lo``) instead (``chainrule.distributed.launch``). A hang fails the test at its timeout, and every
process the launch started is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the distributed tests need mpi4py: pip install '.[mpi]'")

from chainrule.distributed.launch import local_command

SCRIPTS = Path(__file__).parent / "mpi_scripts"
BIN = Path(sys.executable).parent
MPIEXEC = BIN / "mpiexec"
TIMEOUT = 90  # seconds; a run takes 1-5 s, so only a hang reaches this

if not MPIEXEC.exists():  # pragma: no cover - mpi4py built against a system MPI
    pytest.skip(f"no mpiexec beside {sys.executable} (pip install mpich)", allow_module_level=True)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_tree(proc: subprocess.Popen) -> None:
    for pid in [*_descendants(proc.pid), proc.pid]:  # Hydra's proxy has its own process group
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Run:
    """One launch: ``mpiexec -n N argv``; ``wait`` returns (status, stdout, stderr)."""

    def __init__(self, n: int, argv: list[str], cwd: Path | None = None) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
        self.proc = subprocess.Popen(
            local_command(n, argv, str(MPIEXEC)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, cwd=cwd,
        )  # fmt: skip

    def wait(self, timeout: float = TIMEOUT) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(self.proc)
            out, err = self.proc.communicate()
            pytest.fail(f"the MPI job hung (killed after {timeout} s):\n{out}\n{err[-3000:]}")
        return self.proc.returncode, out, err


def mpirun(n: int, script: str, *args: str) -> tuple[int, str, str]:
    return Run(n, [sys.executable, str(SCRIPTS / script), *args]).wait()


def _result(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT line in:\n{out}"
    return lines[-1][len("RESULT ") :]


# ----------------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("n", [2, 4])
def test_n_ranks_at_batch_b_train_as_one_process_at_batch_nb(n: int) -> None:
    status, out, err = mpirun(n, "equivalence.py")
    assert status == 0, err
    report = json.loads(_result(out))
    assert report["size"] == n
    for name in ("sgd_momentum", "adam"):
        r = report[name]
        assert r["steps"] >= 50
        assert r["moved"] > 0.1  # training did something
        assert r["max_diff_vs_one_process"] < 1e-6, (name, r)
        assert r["max_diff_between_ranks"] == 0.0, (name, r)  # identical, not just close
        assert r["loss_diff"] < 1e-9 and r["accuracy_diff"] < 1e-9, (name, r)
    assert report["overlap_max_grad_diff"] < 1e-12  # Allreduce during backward: same gradients


# ----------------------------------------------------------------------------- faults
def test_an_exception_on_one_rank_aborts_the_job_with_its_message() -> None:
    status, out, err = mpirun(2, "faults.py", "raise")
    assert status != 0
    assert "rank 1 of 2 failed" in err and "boom on purpose in rank 1's callback" in err
    assert "RESULT" not in out


def test_a_rank_killed_with_sigkill_ends_the_job() -> None:
    status, out, err = mpirun(2, "faults.py", "kill")
    assert status != 0
    assert "READY" in out and "RESULT" not in out
    assert "Killed (signal 9)" in out + err  # Hydra names the rank's end


def test_ctrl_c_on_the_launcher_stops_every_rank_at_the_same_step() -> None:
    run = Run(2, [sys.executable, str(SCRIPTS / "faults.py"), "interrupt"])
    assert run.proc.stdout.readline().strip() == "READY"  # an epoch has run
    run.proc.send_signal(signal.SIGINT)  # Hydra forwards it to every rank
    status, out, err = run.wait()
    assert status == 0, err
    assert _result(out).startswith("stopped=interrupted")
    assert out.count("same=True") == 2  # both ranks stopped at the same step


@pytest.mark.parametrize(
    ("mode", "reason"), [("time_limit", "time_limit"), ("diverge", "diverged")]
)
def test_ranks_stop_together_on_the_time_limit_and_on_divergence(mode: str, reason: str) -> None:
    status, out, err = mpirun(2, "faults.py", mode)
    assert status == 0, err
    assert out.count(f"stopped={reason}") == 2 and out.count("same=True") == 2, out


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("model", "the model on rank 1 differs from rank 0's: rank 0 has 0.weight (8, 4)"),
        ("length", "rank 1 has 119 training rows, but rank 0 has 120"),
        ("values", "the data on rank 1 differ from rank 0's"),
        ("loader", "rank 1 has 11 batches per epoch in its DataLoader, but rank 0 has 10"),
    ],
)
def test_ranks_that_disagree_get_an_error_naming_the_rank(mode: str, message: str) -> None:
    status, out, err = mpirun(2, "faults.py", mode)
    assert status != 0
    assert message in err
    assert "RESULT" not in out


# ----------------------------------------------------------------------------- the CLI
def test_mpiexec_chainrule_train_writes_one_run_directory(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    argv = [str(BIN / "chainrule"), "train", "moons", "--epochs", "5", "--batch-size", "16",
            "--no-plots", "--out", str(run_dir)]  # fmt: skip
    status, out, err = Run(2, argv, cwd=tmp_path).wait()
    assert status == 0, err
    assert out.count("run saved to") == 1  # rank 0 alone reports
    assert err.count("chainrule: training a") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no stray staging directory
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["ranks"] == 2 and metrics["epochs_run"] == 5
    assert metrics["val"]["accuracy"] > 0.8


def test_ctrl_c_on_mpiexec_chainrule_train_saves_from_rank_0(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    argv = [str(BIN / "chainrule"), "train", "moons", "--epochs", "5000", "--no-plots",
            "--out", str(run_dir)]  # fmt: skip
    run = Run(2, argv, cwd=tmp_path)
    assert "chainrule: training a" in run.proc.stderr.readline()
    assert run.proc.stderr.readline().startswith("epoch ")  # rank 0's progress: fit is running
    run.proc.send_signal(signal.SIGINT)
    status, _, err = run.wait()
    assert status == 130, err
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["interrupted"] is True and 0 < metrics["epochs_run"] < 5000


def test_a_user_error_on_one_rank_ends_every_rank(tmp_path: Path) -> None:
    argv = [str(BIN / "chainrule"), "train", str(tmp_path / "missing.csv"), "--no-plots"]
    status, _, err = Run(2, argv, cwd=tmp_path).wait()
    assert status == 2
    assert "chainrule: error: rank " in err and "missing.csv" in err
