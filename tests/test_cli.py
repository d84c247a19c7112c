"""The ``chainrule`` command line, end to end: each test runs ``python -m chainrule ...`` in a
subprocess on small data and checks what it printed and the files it wrote."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets
from chainrule.cli.main import main

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}

try:
    import matplotlib.image as mpimg
except ImportError:  # pragma: no cover - the plots need the viz extra
    mpimg = None
needs_mpl = pytest.mark.skipif(mpimg is None, reason="plots need matplotlib")


def cli(
    *args: object, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """Run ``python -m chainrule *args``."""
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=timeout,
    )


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr
    return proc


def assert_png(path: Path) -> None:
    """A PNG that is not blank: its pixels vary."""
    assert path.is_file(), path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    if mpimg is not None:
        assert mpimg.imread(path).std() > 0, f"{path} is blank"


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path_or_text: Path | str) -> list[dict[str, str]]:
    text = path_or_text.read_text() if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(text.splitlines()))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three well-separated classes with string labels, shuffled rows."""
    rng = np.random.default_rng(0)
    labels = np.array(["ant", "bee", "cat"])
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 4.0, -1.0]])
    y = rng.integers(0, 3, 150)
    X = centres[y] + rng.normal(0.0, 0.5, (150, 3))
    rows = [[*map(float, x), labels[c]] for x, c in zip(X, y)]
    return write_csv(tmp_path_factory.mktemp("data") / "bugs.csv", ["u", "v", "w", "kind"], rows)


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A run on a built-in data set, with plots."""
    run = tmp_path_factory.mktemp("runs") / "moons"
    proc = ok(
        cli(
            "train",
            "moons",
            "--n-samples",
            200,
            "--noise",
            0.1,
            "--epochs",
            8,
            "--hidden",
            "8,8",
            "--activation",
            "tanh",
            "--out",
            run,
        )
    )
    return run, proc


@pytest.fixture(scope="module")
def bugs_run(tmp_path_factory: pytest.TempPathFactory, blobs_csv: Path) -> Path:
    """A three-class run on a CSV file with string labels."""
    run = tmp_path_factory.mktemp("runs") / "bugs"
    ok(cli("train", blobs_csv, "--target", "kind", "--epochs", 15, "--hidden", "8", "--out", run))
    return run


# ----------------------------------------------------------------------------- basics
def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert ok(cli("--version")).stdout.strip() == f"chainrule {cr.__version__}"
    commands = ("train", "evaluate", "predict", "explain", "vanishing", "activations", "demo")
    for command in commands:
        assert main([command, "--help"]) == 0
        assert f"usage: chainrule {command}" in capsys.readouterr().out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(c in out for c in commands)


# ----------------------------------------------------------------------------- train
def test_train_writes_a_complete_run(moons_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    run, proc = moons_run
    assert f"run saved to {run}" in proc.stdout
    assert "training a 2-8-8-1 tanh network on moons" in proc.stderr  # the progress output
    names = {p.name for p in run.iterdir()}
    assert names == {
        "config.json",
        "model.safetensors",
        "history.csv",
        "metrics.json",
        "loss.png",
        "decision_boundary.png",
        "confusion_matrix.png",
    }
    assert not [p for p in run.parent.iterdir() if p.name.startswith(".")]  # no staging left
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs_run"] == m["epochs_requested"] == 8
    assert m["stopped_reason"] == "max_epochs" and m["interrupted"] is False
    assert m["task"] == "classification" and m["loss_function"] == "bce"
    assert (m["n_train"], m["n_val"]) == (160, 40)
    for part in ("train", "val"):
        assert set(m[part]) == {"loss", "n", "accuracy", "f1"}
        assert 0 <= m[part]["loss"] < 0.69  # better than chance
        assert 0.75 <= m[part]["accuracy"] <= 1 and 0 <= m[part]["f1"] <= 1
    assert m["plots"] == ["loss.png", "decision_boundary.png", "confusion_matrix.png"]
    history = read_csv(run / "history.csv")
    assert len(history) == m["epochs_run"]
    assert [int(r["epoch"]) for r in history] == list(range(8))
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history[0])
    assert float(history[-1]["loss"]) < float(history[0]["loss"])


@needs_mpl
def test_train_plots_are_real_images(moons_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    run, _ = moons_run
    for name in ("loss.png", "decision_boundary.png", "confusion_matrix.png"):
        assert_png(run / name)


def test_saved_model_predicts_what_predict_prints(
    moons_run: tuple[Path, subprocess.CompletedProcess], tmp_path: Path
) -> None:
    run, _ = moons_run
    X, _ = datasets.moons(20, noise=0.3, seed=7)
    inputs = write_csv(tmp_path / "in.csv", ["x2", "x1"], X[:, ::-1].tolist())  # columns swapped
    rows = read_csv(ok(cli("predict", run, inputs)).stdout)
    assert list(rows[0]) == ["prediction", "p_0", "p_1"] and len(rows) == 20

    model = cr.load(run)  # config.json + model.safetensors, no code
    meta = model.checkpoint_metadata
    assert meta["feature_names"] == ["x1", "x2"] and meta["classes"] == [0, 1]
    assert meta["task"] == "classification" and meta["target"] == "y"
    Xs = (X - np.array(meta["scaler"]["mean"])) / np.array(meta["scaler"]["scale"])
    logits = model(cr.tensor(Xs.astype(np.float32))).numpy()[:, 0]
    p1 = 1 / (1 + np.exp(-logits.astype(np.float64)))
    np.testing.assert_allclose([float(r["p_1"]) for r in rows], p1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose([float(r["p_0"]) for r in rows], 1 - p1, rtol=1e-6, atol=1e-7)
    assert [int(r["prediction"]) for r in rows] == (logits > 0).astype(int).tolist()

    out = tmp_path / "sub" / "pred.csv"
    proc = ok(cli("predict", run, inputs, "-o", out))
    assert proc.stdout == "" and read_csv(out) == rows


def test_csv_run_evaluate_and_predict_agree(bugs_run: Path, blobs_csv: Path) -> None:
    meta = cr.load(bugs_run).checkpoint_metadata
    assert meta["classes"] == ["ant", "bee", "cat"] and meta["loss"] == "cross_entropy"
    assert meta["feature_names"] == ["u", "v", "w"] and meta["target"] == "kind"
    assert len(meta["scaler"]["mean"]) == 3

    result = json.loads(ok(cli("evaluate", bugs_run, blobs_csv, "--json")).stdout)
    assert set(result) == {"loss", "n", "accuracy", "f1"} and result["n"] == 150
    assert result["accuracy"] > 0.9

    text = ok(cli("evaluate", bugs_run, blobs_csv)).stdout  # the human-readable form
    assert re.search(r"accuracy\s+[01]\.\d{4}", text)

    rows = read_csv(ok(cli("predict", bugs_run, blobs_csv)).stdout)  # target column ignored
    assert list(rows[0]) == ["prediction", "p_ant", "p_bee", "p_cat"]
    truth = [r["kind"] for r in read_csv(blobs_csv)]
    accuracy = np.mean([r["prediction"] == t for r, t in zip(rows, truth)])
    assert accuracy == pytest.approx(result["accuracy"])
    for r in rows:
        probs = [float(r[f"p_{c}"]) for c in ("ant", "bee", "cat")]
        assert sum(probs) == pytest.approx(1.0)
        assert r["prediction"] == ("ant", "bee", "cat")[int(np.argmax(probs))]


def test_regression_run(tmp_path: Path) -> None:
    run = tmp_path / "sine"
    ok(cli("train", "sine_1d", "--n-samples", 100, "--epochs", 5, "--no-plots", "--out", run))
    m = json.loads((run / "metrics.json").read_text())
    assert m["task"] == "regression" and m["loss_function"] == "mse" and m["plots"] == []
    assert set(m["val"]) == {"loss", "n", "mse", "mae", "r2"}
    assert m["val"]["mse"] >= 0 and m["val"]["r2"] <= 1

    inputs = write_csv(tmp_path / "x.csv", ["x1"], [[-1.0], [0.0], [2.0]])
    pred = [float(r["prediction"]) for r in read_csv(ok(cli("predict", run, inputs)).stdout)]
    model = cr.load(run)
    meta = model.checkpoint_metadata
    xs = (np.array([[-1.0], [0.0], [2.0]]) - meta["scaler"]["mean"]) / meta["scaler"]["scale"]
    out = model(cr.tensor(xs.astype(np.float32))).numpy()[:, 0].astype(np.float64)
    ts = meta["target_scaler"]
    np.testing.assert_allclose(pred, out * ts["scale"] + ts["mean"], rtol=1e-6, atol=1e-7)


def test_default_run_dir_and_overwrite(tmp_path: Path, blobs_csv: Path) -> None:
    ok(cli("train", "xor", "--n-samples", 40, "--epochs", 2, "--no-plots", cwd=tmp_path))
    (made,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"xor-\d{8}-\d{6}", made.name)

    before = json.loads((made / "metrics.json").read_text())
    ok(
        cli(
            "train",
            "xor",
            "--n-samples",
            40,
            "--epochs",
            3,
            "--no-plots",
            "--out",
            made,
            "--overwrite",
        )
    )
    after = json.loads((made / "metrics.json").read_text())
    assert (before["epochs_run"], after["epochs_run"]) == (2, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # nothing left beside it

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    proc = cli("train", "xor", "--epochs", 1, "--no-plots", "--out", precious, "--overwrite")
    assert proc.returncode == 2 and "refusing to replace" in proc.stderr
    assert snapshot(precious) == {"notes.txt": b"mine"}


def test_early_stopping_and_tol(tmp_path: Path) -> None:
    run = tmp_path / "es"
    ok(
        cli(
            "train",
            "moons",
            "--n-samples",
            200,
            "--epochs",
            300,
            "--patience",
            2,
            "--lr",
            0.3,
            "--batch-size",
            "full",
            "--optimizer",
            "momentum",
            "--no-plots",
            "--out",
            run,
        )
    )
    m = json.loads((run / "metrics.json").read_text())
    assert m["stopped_reason"] == "early_stopping" and m["epochs_run"] < 300
    assert len(read_csv(run / "history.csv")) == m["epochs_run"]

    run = tmp_path / "tol"
    ok(
        cli(
            "train",
            "moons",
            "--n-samples",
            200,
            "--epochs",
            300,
            "--tol",
            10,
            "--n-iter-no-change",
            3,
            "--no-plots",
            "--out",
            run,
        )
    )
    m = json.loads((run / "metrics.json").read_text())
    assert (m["stopped_reason"], m["epochs_run"]) == ("tol", 4)  # 1 improvement, then 3 not


# ----------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    files = {
        "ragged": "a,b,y\n1,2,0\n3,1\n",
        "text_feature": "a,b,y\n1,2,0\n3,x,1\n",
        "empty": "",
        "nan": "a,b,y\n1,2,0\nnan,3,1\n",
        "missing_cell": "a,b,y\n1,2,0\n,3,1\n",
        "inf": "a,b,y\n1,2,0\n-inf,3,1\n",
        "good": "a,b,y\n1,2,0\n3,1,1\n0,0,0\n2,2,1\n1,0,0\n3,3,1\n",
        "other_columns": "a,c\n1,2\n",
    }
    out = {k: d / f"{k}.csv" for k in files}
    for k, text in files.items():
        out[k].write_text(text)
    out["binary"] = d / "binary.csv"
    out["binary"].write_bytes(b"\xff\xfe\x00\x81garbage")
    out["folder"] = d / "folder.csv"
    out["folder"].mkdir()
    return out


BAD_TRAIN = {
    "unknown dataset": (["mons"], "did you mean 'moons'"),
    "missing file": (["{d}/nothere.csv"], "does not exist"),
    "not a file": (["{folder}"], "is not a file"),
    "not text": (["{binary}"], "not a UTF-8"),
    "ragged csv": (["{ragged}"], "line 3: expected 3 fields"),
    "non-numeric feature": (["{text_feature}"], "'x' is not a number"),
    "empty csv": (["{empty}"], "empty"),
    "missing target": (["{good}", "--target", "z"], "target column 'z' not found"),
    "nan": (["{nan}"], "missing value"),
    "empty cell": (["{missing_cell}"], "missing value"),
    "inf": (["{inf}"], "infinite value"),
    "hidden": (["{good}", "--hidden", "16,,x"], "--hidden"),
    "lr zero": (["{good}", "--lr", "0"], "--lr"),
    "lr negative": (["{good}", "--lr", "-0.1"], "--lr"),
    "epochs zero": (["{good}", "--epochs", "0"], "--epochs"),
    "epochs negative": (["{good}", "--epochs", "-3"], "--epochs"),
    "batch size": (["{good}", "--batch-size", "half"], "--batch-size"),
    "activation": (["{good}", "--activation", "rleu"], "did you mean relu"),
    "loss for the task": (["{good}", "--loss", "mse"], "regression loss"),
}


def assert_one_line_error(proc: subprocess.CompletedProcess, expected: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("chainrule: error: ")
    assert expected.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_train_bad_input(case: str, bad_files: dict[str, Path], tmp_path: Path) -> None:
    args, expected = BAD_TRAIN[case]
    names = {k: str(v) for k, v in bad_files.items()}
    args = [a.format(d=bad_files["good"].parent, **names) for a in args]
    run = tmp_path / "deeper" / "run"
    proc = cli("train", *args, "--no-plots", "--out", run)
    assert_one_line_error(proc, expected)
    assert not (tmp_path / "deeper").exists()  # nothing written, not even the parent


def test_existing_run_dir_is_not_touched(bugs_run: Path, blobs_csv: Path) -> None:
    before = snapshot(bugs_run)
    proc = cli("train", blobs_csv, "--epochs", 1, "--out", bugs_run)
    assert_one_line_error(proc, "already exists; pass --overwrite")
    assert snapshot(bugs_run) == before


def test_evaluate_and_predict_bad_input(
    bugs_run: Path, bad_files: dict[str, Path], tmp_path: Path
) -> None:
    plain = tmp_path / "plain"  # a checkpoint, but not a run of `chainrule train`
    cr.save(cr.nn.mlp([3, 2], seed=0), plain)
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in bugs_run.iterdir():
        (broken / p.name).write_bytes(p.read_bytes())
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-20])
    good = bad_files["good"]
    out = tmp_path / "pred.csv"
    cases = [
        (["evaluate", tmp_path / "nope", good], "does not exist"),
        (["evaluate", good, good], "is not a run directory"),
        (["evaluate", bad_files["folder"], good], "cannot load the model"),
        (["evaluate", plain, good], "not a 'chainrule train' run"),
        (["evaluate", broken, good], "truncated"),
        (["evaluate", bugs_run, "mons"], "did you mean 'moons'"),
        (["evaluate", bugs_run, good, "--target", "y"], "expected 3 columns (u, v, w), got 2"),
        (["predict", bugs_run, good, "-o", out], "expected 3 columns (u, v, w), got 3 (a, b, y)"),
        (["predict", bugs_run, bad_files["other_columns"], "-o", out], "missing u, v, w"),
        (["predict", bugs_run, tmp_path / "none.csv", "-o", out], "does not exist"),
        (["predict", plain, good, "-o", out], "not a 'chainrule train' run"),
    ]
    for args, expected in cases:
        assert_one_line_error(cli(*args), expected)
    assert not out.exists()


# ----------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_saves_the_run(tmp_path: Path) -> None:
    run = tmp_path / "stopped"
    args = ["train", "moons", "--n-samples", "1000", "--epochs", "100000", "--batch-size", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", *args, "--no-plots", "--out", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        seen, deadline = "", time.monotonic() + 120
        while not re.search(r"epoch +1/", seen):  # training has started: fit owns SIGINT now
            line = proc.stderr.readline()
            assert line and time.monotonic() < deadline, seen
            seen += line
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, seen + stderr
    assert "Traceback" not in stderr
    m = json.loads((run / "metrics.json").read_text())
    assert m["interrupted"] is True and m["stopped_reason"] == "interrupted"
    assert 1 <= m["epochs_run"] < 100000
    assert len(read_csv(run / "history.csv")) == m["epochs_run"]
    model = cr.load(run)
    assert model.checkpoint_metadata["interrupted"] is True
    assert model(cr.zeros((2, 2))).shape == (2, 1)


# ----------------------------------------------------------------------------- explain
@pytest.mark.parametrize(
    "args",
    [
        ["--layers", "2,3,1", "--activation", "tanh", "--loss", "bce", "--seed", "3"],
        [
            "--layers",
            "3,4,2",
            "--activation",
            "sigmoid",
            "--loss",
            "mse",
            "--x=0.5,-1,2",
            "--y=0.25,-0.5",
        ],
    ],
)
def test_explain_json_matches_backward(args: list[str]) -> None:
    report = json.loads(ok(cli("explain", *args, "--format", "json")).stdout)
    sizes = report["network"]["layers"]
    cr64 = cr.float64
    weights = [
        (
            cr.tensor(report["weights"][f"W{k}"], dtype=cr64, requires_grad=True),
            cr.tensor(report["weights"][f"b{k}"], dtype=cr64, requires_grad=True),
        )
        for k in range(1, len(sizes))
    ]
    x = cr.tensor(report["x"], dtype=cr64)
    y = cr.tensor(report["y"], dtype=cr64)
    act = cr.nn.activation_fn(report["network"]["activation"])

    def loss_of(*flat: cr.Tensor) -> cr.Tensor:
        h = x
        for k in range(len(flat) // 2):
            z = flat[2 * k] @ h + flat[2 * k + 1]
            h = act(z) if k < len(flat) // 2 - 1 else z
        if report["network"]["loss"] == "bce":
            p = cr.sigmoid(h)
            return -(y * cr.log(p) + (1 - y) * cr.log(1 - p)).sum()
        return 0.5 * ((h - y) ** 2).sum()

    params = [t for pair in weights for t in pair]
    loss = loss_of(*params)
    assert loss.item() == pytest.approx(report["loss"], rel=1e-10)
    loss.backward()
    for k, (W, b) in enumerate(weights, start=1):
        np.testing.assert_allclose(
            report["gradients"][f"W{k}"], W.grad.numpy(), rtol=1e-8, atol=1e-12
        )
        np.testing.assert_allclose(
            report["gradients"][f"b{k}"], b.grad.numpy(), rtol=1e-8, atol=1e-12
        )
    assert cr.gradcheck(loss_of, *[p.detach().requires_grad_() for p in params])
    assert report["check"]["agree"] is True


def test_explain_text_and_markdown() -> None:
    text = ok(cli("explain", "--layers", "1,2,1")).stdout
    assert text.startswith("Backpropagation through a 1-2-1 tanh network")
    md = ok(cli("explain", "--format", "markdown", "--layout", "numerator")).stdout
    assert md.startswith("# Backpropagation") and "rows indexed by the node's output" in md
    assert_one_line_error(cli("explain", "--x", "1,x"), "--x")
    assert_one_line_error(cli("explain", "--layers", "2,3,2"), "one output unit")


# ----------------------------------------------------------------------------- plots
def test_vanishing_sigmoid_first_layer_gradient_is_smaller(tmp_path: Path) -> None:
    proc = ok(
        cli(
            "vanishing",
            "--depth",
            20,
            "--width",
            32,
            "--steps",
            3,
            "--format",
            "json",
            "--out",
            tmp_path,
        )
    )
    result = json.loads(proc.stdout)
    first = {name: r["init"][0] for name, r in result["results"].items()}
    assert list(first) == ["sigmoid", "tanh", "relu"]
    assert len(result["results"]["relu"]["init"]) == 20
    assert first["sigmoid"] < first["relu"] / 1000
    if mpimg is not None:
        assert_png(tmp_path / "vanishing.png")
    table = ok(
        cli(
            "vanishing",
            "--depth",
            4,
            "--width",
            8,
            "--steps",
            1,
            "--activations",
            "sigmoid,relu",
            "--no-plots",
        )
    ).stdout
    assert re.search(r"^sigmoid\s", table, re.M) and re.search(r"^relu\s", table, re.M)
    assert_one_line_error(cli("vanishing", "--activations", "sigmoid,nope"), "unknown name")


@needs_mpl
def test_activations_plot(tmp_path: Path) -> None:
    ok(cli("activations", "--names", "sigmoid,relu,tanh", "--out", tmp_path))
    assert_png(tmp_path / "activations.png")


# ----------------------------------------------------------------------------- demo
@needs_mpl
def test_demo_writes_every_linked_file(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    t0 = time.perf_counter()
    proc = ok(cli("demo", "--out", out))
    seconds = time.perf_counter() - t0
    assert seconds < 120, f"the demo took {seconds:.0f} s"
    assert "report written to" in proc.stdout
    diff = float(re.search(r"max \|Δcoef\| vs scikit-learn = (\S+)", proc.stdout)[1])
    assert diff < 1e-3
    report = (out / "report.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", report)
    pngs = [link for link in links if link.endswith(".png")]
    assert len(pngs) >= 5 and "explain.md" in links
    for link in links:
        assert not Path(link).is_absolute() and (out / link).is_file(), link
    for link in pngs:
        assert_png(out / link)
    assert "chain rule" in (out / "explain.md").read_text()
    assert not math.isnan(diff)


def test_demo_refuses_to_replace_other_folders(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert_one_line_error(cli("demo", "--out", tmp_path), "not a demo report")
    assert snapshot(tmp_path) == {"notes.txt": b"mine"}


# ----------------------------------------------------------------------------- playground
def test_playground_subcommand_has_its_own_help():
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule", "playground", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "--port" in proc.stdout and "--no-browser" in proc.stdout


def test_playground_rejects_a_bad_port():
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule", "playground", "--port", "99999", "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "port" in proc.stderr and "Traceback" not in proc.stderr


def test_playground_serves_its_page_on_loopback():
    pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
    pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "playground", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    page = resp.read().decode()
            except OSError:
                time.sleep(0.2)
        assert page is not None, "the server did not answer within 30 s"
        assert "<canvas" in page or "playground" in page.lower()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
