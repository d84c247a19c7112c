"""The command line under hostile or unlucky use (issue 11): every refusal is one line on stderr
with exit status 2 and nothing written or overwritten; signals keep finished work."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_cli import ENV, cli  # the subprocess runner the CLI tests share

TRAIN = ["--epochs", "2", "--no-plots", "-q"]


def refused(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """The one error line of a refused command, checked to contain every needle."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("chainrule: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def write_rows(path: Path, header: str, sep: str = ",", n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    rows = [sep.join([f"{a:.4f}", f"{b:.4f}", str(int(a > 0))]) for a, b in X]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with data.csv and a trained run in run/."""
    d = tmp_path_factory.mktemp("hardening")
    write_rows(d / "data.csv", "a,b,y")
    proc = cli("train", "data.csv", "--out", "run", *TRAIN, cwd=d)
    assert proc.returncode == 0, proc.stderr
    return d


# ----------------------------------------------------------------------------- item 1
@pytest.mark.parametrize(
    ("output", "extra", "needle"),
    [
        ("old.csv", [], "already exists; pass --overwrite"),
        ("data.csv", ["--overwrite"], "is the input file"),
        ("./data.csv", ["--overwrite"], "is the input file"),
        ("run/config.json", ["--overwrite"], "inside the run directory"),
        ("run/model.safetensors", ["--overwrite"], "inside the run directory"),
        ("run/new.csv", [], "inside the run directory"),
        ("adir", ["--overwrite"], "is a directory"),
    ],
)
def test_predict_refuses_outputs(work: Path, output: str, extra: list[str], needle: str) -> None:
    (work / "old.csv").write_text("keep me\n")
    (work / "adir").mkdir(exist_ok=True)
    before = tree(work)
    line = refused(cli("predict", "run", "data.csv", "-o", output, *extra, cwd=work), needle)
    assert output in line and ".tmp" not in line
    assert tree(work) == before


def test_predict_refuses_a_link_to_its_input(work: Path) -> None:
    for name, link in (("hard.csv", os.link), ("soft.csv", os.symlink)):
        if not (work / name).exists():
            link(work / "data.csv", work / name)
        before = tree(work)
        refused(cli("predict", "run", "data.csv", "-o", name, "--overwrite", cwd=work), "input")
        assert tree(work) == before


def test_predict_overwrite_replaces_an_output(work: Path) -> None:
    (work / "old.csv").write_text("keep me\n")
    proc = cli("predict", "run", "data.csv", "-o", "old.csv", "--overwrite", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (work / "old.csv").read_text().startswith("prediction,p_0,p_1\n")


# ----------------------------------------------------------------------------- item 2
def _signalled(
    work: Path, sig: int, pause_at: str | None, out: str, extra: list[str]
) -> tuple[int, str]:
    """Train into ``out``, send ``sig`` at the pause point (or once training has started)."""
    env = dict(ENV, **({"CHAINRULE_TEST_PAUSE_AT": pause_at} if pause_at else {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "train", "data.csv", "--out", out, *extra],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # without a pause point: once the first epoch is reported, so fit owns the signals
    wanted = f"paused at {pause_at}" if pause_at else r"epoch +1/"
    seen = ""
    try:
        while not re.search(wanted, seen):
            line = proc.stderr.readline()
            assert line, f"ended before {wanted!r}: {seen}"
            seen += line
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test fails
            proc.kill()
            proc.wait()
    return proc.returncode, seen + rest


SIGNAL_CASES = [
    (signal.SIGTERM, None, ["--epochs", "100000", "--no-plots"], 143),
    (signal.SIGINT, "trained", TRAIN, 130),
    (signal.SIGTERM, "trained", TRAIN, 143),
    (signal.SIGTERM, "saved", TRAIN, 143),
    (signal.SIGINT, "plotting", ["--epochs", "2", "-q"], 130),
]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("sig", "pause_at", "extra", "status"), SIGNAL_CASES)
def test_signals_keep_the_run(
    work: Path, sig: int, pause_at: str | None, extra: list[str], status: int
) -> None:
    if pause_at == "plotting":
        pytest.importorskip("matplotlib")
    out = f"sig-{sig}-{pause_at}"
    code, stderr = _signalled(work, sig, pause_at, out, extra)
    assert code == status, stderr
    run = work / out
    assert {"config.json", "model.safetensors", "metrics.json"} <= set(os.listdir(run)), stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["interrupted"] is (pause_at is None)
    if pause_at == "plotting":
        assert metrics["plots"] == [] and not list(run.glob("*.png"))
    assert not [p for p in os.listdir(work) if ".partial-" in p]
    predicted = cli("predict", out, "data.csv", cwd=work)
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 41


# ----------------------------------------------------------------------------- items 9, 16
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_train_refuses_a_device_at_once(work: Path) -> None:
    refused(cli("train", "/dev/zero", *TRAIN, cwd=work, timeout=60), "/dev/zero", "not a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_train_and_predict_refuse_a_fifo(work: Path) -> None:
    fifo = work / "pipe.csv"
    if not fifo.exists():
        os.mkfifo(fifo)
    refused(cli("train", fifo.name, *TRAIN, cwd=work, timeout=60), "pipe.csv", "not a file")
    refused(cli("predict", "run", fifo.name, cwd=work, timeout=60), "pipe.csv", "not a file")


def test_out_under_a_file_is_refused_before_training(work: Path) -> None:
    (work / "afile").write_text("x")
    before = tree(work)
    refused(
        cli("train", "data.csv", "--out", "afile/sub", *TRAIN, cwd=work),
        "--out 'afile/sub'",
        "afile is a file",
    )
    assert tree(work) == before


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_out_where_nothing_can_be_written_names_the_users_path(work: Path) -> None:
    line = refused(cli("train", "data.csv", "--out", "/proc/x", *TRAIN, cwd=work), "'/proc/x'")
    assert ".partial" not in line and ".tmp" not in line


# ----------------------------------------------------------------------------- item 11
def test_csv_field_over_the_limit(work: Path) -> None:
    (work / "wide.csv").write_text("a,b,y\n" + "1" * 200_000 + ",2,0\n")
    refused(cli("train", "wide.csv", *TRAIN, cwd=work), "wide.csv, line 2", "131,072")


@pytest.mark.parametrize(
    "args",
    [["--hidden", "100000,100000"], ["--n-samples", "100000000000"]],
    ids=["hidden", "n-samples"],
)
def test_sizes_beyond_memory_are_refused_first(work: Path, args: list[str]) -> None:
    before = tree(work)
    refused(cli("train", "moons", "--out", "huge", *args, *TRAIN, cwd=work), args[0], "GB")
    assert tree(work) == before
    if args[0] == "--n-samples":
        refused(cli("evaluate", "run", "moons", *args, cwd=work), args[0], "GB")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"loss": "nope"}, "'loss' is 'nope', not a known loss"),
        ({"scaler": {"mean": [0.0, 0.0], "scale": [0.0, 1.0]}}, "must be a finite non-zero"),
        ({"classes": ["only"]}, "(at least 2)"),
        ({"classes": [0, 1, 2]}, "must hold 2 labels for the bce loss"),
        ({"feature_names": ["a"]}, "per feature"),
    ],
    ids=["loss", "scale0", "one-class", "three-classes", "features"],
)
def test_predict_on_an_edited_run_is_one_line(work: Path, edit: dict, needle: str) -> None:
    bad = work / f"edited-{next(iter(edit))}-{len(str(edit))}"
    shutil.copytree(work / "run", bad, dirs_exist_ok=True)
    config = json.loads((bad / "config.json").read_text())
    config["metadata"].update(edit)
    (bad / "config.json").write_text(json.dumps(config))
    proc = cli("predict", bad.name, "data.csv", cwd=work)
    refused(proc, bad.name)
    assert proc.stdout == ""
    assert needle in proc.stderr or "cannot load the model" in proc.stderr  # ours or the loader's


def test_predict_on_a_deeply_nested_config_is_one_line(work: Path) -> None:
    bad = work / "nested"
    shutil.copytree(work / "run", bad, dirs_exist_ok=True)
    text = (bad / "config.json").read_text()
    deep = "[" * 100_000 + "]" * 100_000
    (bad / "config.json").write_text(text.replace('"metadata":', f'"deep": {deep}, "metadata":', 1))
    proc = cli("predict", "nested", "data.csv", cwd=work)
    refused(proc, "cannot load the model in 'nested'")
    assert proc.stdout == ""


# ----------------------------------------------------------------------------- items 17, 18
def test_semicolon_csv_is_read(work: Path) -> None:
    write_rows(work / "semi.csv", "a;b;y", sep=";")
    proc = cli("train", "semi.csv", "--out", "semi-run", *TRAIN, cwd=work)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((work / "semi-run" / "config.json").read_text())["metadata"]
    assert meta["feature_names"] == ["a", "b"] and meta["target"] == "y"


def test_single_column_csv_says_no_features(work: Path) -> None:
    (work / "single.csv").write_text("y\n0\n1\n0\n1\n")
    refused(cli("train", "single.csv", *TRAIN, cwd=work), "no feature columns", "'y'")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "moons", "--target", "nope"], "--target applies to CSV files"),
        (["train", "moons", "--nan", "drop"], "--nan applies to CSV files"),
        (["train", "data.csv", "--n-samples", "10"], "--n-samples applies to built-in"),
        (["train", "data.csv", "--noise", "0.1"], "--noise applies to built-in"),
        (["evaluate", "run", "data.csv", "--seed", "3"], "--seed applies to built-in"),
    ],
)
def test_options_that_do_not_apply(work: Path, args: list[str], needle: str) -> None:
    before = tree(work)
    refused(cli(*args, *(TRAIN if args[0] == "train" else []), cwd=work), needle)
    assert tree(work) == before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_signal_during_a_short_deferred_step_is_raised_after_it() -> None:
    from chainrule.cli._signals import handling

    before = signal.getsignal(signal.SIGTERM)
    with handling() as s:
        with pytest.raises(KeyboardInterrupt):
            with s.deferred(then_raise=True):
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(100):  # the handler runs between bytecodes
                    if s.pending:
                        break
                    time.sleep(0.01)
                assert s.pending  # recorded, not raised, inside the step
        assert s.status(0) == 143
        with s.deferred():  # without then_raise: recorded only
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == before  # put back
