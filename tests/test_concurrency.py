"""Two processes overwrite one checkpoint while a third loads it: every load sees a whole
checkpoint (config and weights of one save), and every save either wins or fails clearly."""

import errno
import json
import os
import time

import pytest

import chainrule as cr
from chainrule import nn

pytest.importorskip("safetensors")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks writers and a reader")

SECONDS = 1.5


def _model(value: float) -> nn.Module:
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    for p in net.parameters():
        p.data[...] = value
    return net


def _writer(path, first: int, report) -> None:
    saves, value, end = 0, first, time.monotonic() + SECONDS
    while time.monotonic() < end:
        cr.save(_model(value), path, metadata={"value": value}, overwrite=True)
        saves, value = saves + 1, value + 2
    report.write_text(json.dumps({"saves": saves}))


def _reader(path, report) -> None:
    complete, failed, seen, end = 0, [], set(), time.monotonic() + SECONDS
    while time.monotonic() < end:
        try:
            m = cr.load(path)
        except Exception as exc:
            failed.append(f"{type(exc).__name__}: {exc}")
            continue
        values = {float(v) for p in m.parameters() for v in p.numpy().ravel()}
        if values != {m.checkpoint_metadata["value"]}:
            failed.append(f"mixed checkpoint: weights {values}, metadata {m.checkpoint_metadata}")
            continue
        complete += 1
        seen.add(values.pop())
    report.write_text(json.dumps({"complete": complete, "failed": failed, "seen": len(seen)}))


def _fork(work, *args) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            work(*args)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def test_two_writers_and_a_reader(tmp_path):
    path = tmp_path / "ckpt"
    cr.save(_model(0.0), path, metadata={"value": 0.0})
    reports = [tmp_path / f"report{i}.json" for i in range(3)]
    pids = [
        _fork(_writer, path, 1.0, reports[0]),
        _fork(_writer, path, 2.0, reports[1]),
        _fork(_reader, path, reports[2]),
    ]
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    w1, w2, r = (json.loads(p.read_text()) for p in reports)
    print(f"saves {w1['saves']} + {w2['saves']}, loads {r['complete']}, failed {len(r['failed'])}")
    assert r["failed"] == []
    assert w1["saves"] > 0 and w2["saves"] > 0 and r["complete"] > 0
    assert sorted(os.listdir(tmp_path)) == ["ckpt"] + [p.name for p in reports]
    assert cr.load(path).checkpoint_metadata["value"] > 0


def test_overwrite_false_on_an_existing_checkpoint_is_file_exists(tmp_path):
    path = tmp_path / "ckpt"
    cr.save(_model(0.0), path, metadata={"value": 0.0})
    with pytest.raises(FileExistsError, match="overwrite=True") as info:
        cr.save(_model(1.0), path)
    assert info.value.errno == errno.EEXIST and info.value.filename == str(path)


def test_replacing_checks_that_the_path_really_holds_a_checkpoint(tmp_path):
    model = _model(1.0)
    fake = tmp_path / "fake"
    (fake / "config.json").mkdir(parents=True)  # a directory named like a checkpoint file
    (fake / "config.json" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"config\.json, which is not a regular file.*fake"):
        cr.save(model, fake, overwrite=True)
    assert (fake / "config.json" / "notes.txt").read_text() == "keep me"
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text('{"format": "not ours"}')
    (other / "model.safetensors").write_bytes(b"weights someone else made")
    with pytest.raises(FileExistsError, match=r"not a chainrule checkpoint.*other"):
        cr.save(model, other, overwrite=True)
    assert (other / "model.safetensors").read_bytes() == b"weights someone else made"


@pytest.mark.parametrize("path", ["", " ", ".", "..", "a/.."])
def test_save_refuses_a_path_that_names_no_new_directory(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="name a directory"):
        cr.save(_model(1.0), path)
    assert os.listdir(tmp_path) == []


def test_two_first_saves_of_one_path_one_wins_one_file_exists(tmp_path):
    def save_once(path, value):
        try:
            cr.save(_model(value), path, metadata={"value": value})
        except FileExistsError:
            os._exit(3)

    for round_ in range(8):
        path = tmp_path / f"ckpt{round_}"
        pids = [_fork(save_once, path, 1.0), _fork(save_once, path, 2.0)]
        codes = sorted(os.WEXITSTATUS(os.waitpid(pid, 0)[1]) for pid in pids)
        assert codes == [0, 3], codes
        assert cr.load(path).checkpoint_metadata["value"] in (1.0, 2.0)
    assert sorted(os.listdir(tmp_path)) == [f"ckpt{i}" for i in range(8)]
