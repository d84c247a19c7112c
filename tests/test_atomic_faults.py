"""Fault injection for the directory publisher: a save killed (SIGKILL) at every step of its work
leaves a path that loads, as the old checkpoint or the new one, and the next load or save removes
what the killed save left behind."""

import os
import random
import shutil
import signal
import time

import pytest

import chainrule as cr
from chainrule import _atomic, checkpoint, nn

pytest.importorskip("safetensors")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked writer")

# every step a save passes, in order (_atomic.fault_point); "aside" only without an exchange
STEPS = [
    "tmp-created",
    "weights-written",
    "config-written",
    "locked",
    "staged",
    "aside",
    "swapped",
    "cleaned",
]


def _model(value: float) -> nn.Module:
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for p in net.parameters():
        p.data[...] = value
    return net


def _value(path) -> float:
    """The one value all weights of the checkpoint at ``path`` hold (it must load)."""
    loaded = cr.load(path)
    values = {float(v) for p in loaded.parameters() for v in p.numpy().ravel()}
    assert len(values) == 1
    (value,) = values
    assert loaded.checkpoint_metadata["value"] == value  # config and weights of one version
    return value


def _killed_at(step: str, work) -> bool:
    """Run ``work`` in a forked child that SIGKILLs itself at ``step``; True if it was killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:

            def hook(name):
                if name == step:
                    os.kill(os.getpid(), signal.SIGKILL)

            _atomic.fault_hook = hook
            work()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1), "the child save failed"
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _leftovers(path) -> list[str]:
    return sorted(n for n in os.listdir(path.parent) if n != path.name)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_save_killed_at_every_step_leaves_a_loadable_checkpoint(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    elif not _atomic._exchange(tmp_path, tmp_path):
        pytest.skip("this system or file system has no atomic exchange")
    path = tmp_path / "ckpt"
    cr.save(_model(1.0), path, metadata={"value": 1.0})
    kills = 0
    for i, step in enumerate(STEPS):
        old = _value(path)
        new = 10.0 + i

        def overwrite(new=new):
            cr.save(_model(new), path, metadata={"value": new}, overwrite=True)

        killed = _killed_at(step, overwrite)
        assert killed == (not exchange or step != "aside"), step
        kills += killed
        before_swap = STEPS.index(step) < STEPS.index("swapped")
        # the path holds the old or the new checkpoint: loading works whatever is left beside it
        assert _value(path) == (old if killed and before_swap else new), step
        assert _leftovers(path) == [], f"killed at {step!r}: {_leftovers(path)}"
    assert kills == len(STEPS) - exchange


def test_kill_between_the_two_renames_is_recovered_by_load(tmp_path, monkeypatch):
    """Without an atomic exchange, a kill right after the old copy is renamed aside leaves no
    directory at the path; load finds the aside copy, and moves it back."""
    monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    path = tmp_path / "ckpt"
    cr.save(_model(1.0), path, metadata={"value": 1.0})

    def overwrite():
        cr.save(_model(2.0), path, metadata={"value": 2.0}, overwrite=True)

    assert _killed_at("aside", overwrite)
    assert not path.exists() and any(".ckpt.old-" in n for n in _leftovers(path))
    assert checkpoint.read_config(path)["metadata"] == {"value": 1.0}  # read from the aside copy
    assert _value(path) == 1.0
    assert path.is_dir() and _leftovers(path) == []


def test_first_save_killed_leaves_nothing_or_a_checkpoint(tmp_path):
    path = tmp_path / "fresh"
    for step in ("tmp-created", "config-written", "locked", "renamed"):

        def save():
            cr.save(_model(3.0), path, metadata={"value": 3.0})

        assert _killed_at(step, save)
        if step == "renamed":
            assert _value(path) == 3.0  # the load also removed the killed save's lock file
        else:
            assert not path.exists() and _leftovers(path) != []
            cr.save(_model(3.0), path, metadata={"value": 3.0})  # cleans up and succeeds
            assert _value(path) == 3.0
        assert _leftovers(path) == []
        shutil.rmtree(path)


def test_load_without_write_access_skips_the_cleanup(tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    cr.save(_model(4.0), path, metadata={"value": 4.0})
    (tmp_path / ".ckpt.tmp-deadbeef").mkdir()  # a killed save's leftover

    def read_only(target, wait):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(_atomic, "_try_lock", read_only)
    assert _value(path) == 4.0
    assert _leftovers(path) == [".ckpt.tmp-deadbeef"]


def test_writer_killed_at_random_moments(tmp_path):
    """No hook: a writer overwriting in a loop is SIGKILLed at random times, 25 times."""
    path = tmp_path / "ckpt"
    cr.save(_model(0.0), path, metadata={"value": 0.0})
    rng = random.Random(0)
    survived = 0
    for round_ in range(25):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: overwrite until killed
            try:
                value = 1000.0 * (round_ + 1)
                while True:
                    value += 1
                    cr.save(_model(value), path, metadata={"value": value}, overwrite=True)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        _value(path)  # loads, config and weights of one save
        survived += 1
        assert _leftovers(path) == []
    assert survived == 25
