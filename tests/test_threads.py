"""Loading and building in one thread does not change what another thread builds: load draws no
random numbers, and ``default_dtype(...)`` holds in its own thread only."""

import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import deferred

pytest.importorskip("safetensors")

ROUNDS = 150


def _run_together(*targets) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            try:
                start.wait()
                fn()
            except BaseException as exc:  # reported to the test thread
                errors.append(exc)

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_load_in_one_thread_does_not_disturb_seeded_draws_in_another(tmp_path):
    path = cr.save(nn.mlp([4] + [64] * 12 + [2], seed=0), tmp_path / "ckpt")
    gen = cr.creation.default_generator
    cr.manual_seed(7)
    reference = nn.Linear(16, 16).weight.numpy().copy()
    started, finished, differing, swapped = threading.Event(), threading.Event(), [], []

    def draw():  # seeded draws from the global generator, for as long as the loads run
        started.wait(timeout=30)
        while not finished.is_set():
            rng = cr.manual_seed(7).rng
            differing.append(not np.array_equal(nn.Linear(16, 16).weight.numpy(), reference))
            swapped.extend(gen.rng is not rng for _ in range(50))

    def load():
        started.set()
        for _ in range(30):
            cr.load(path)
        finished.set()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the threads finely
    try:
        assert _run_together(draw, load) == []
    finally:
        sys.setswitchinterval(switch)
    assert differing and sum(differing) == 0
    assert sum(swapped) == 0  # nobody replaced the global generator's stream meanwhile


def test_default_dtype_is_per_thread():
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, set] = {"f64": set(), "default": set()}

    def in_float64():
        with cr.default_dtype(cr.float64):
            inside.set()
            seen["f64"].add(nn.Linear(3, 3).weight.dtype)
            done.wait(timeout=30)  # keep the block open while the other thread builds
            seen["f64"].add(cr.zeros(2).dtype)

    def in_default():
        inside.wait(timeout=30)
        for _ in range(ROUNDS):
            seen["default"].add(nn.Linear(3, 3).weight.dtype)
            seen["default"].add(cr.zeros(2).dtype)
        done.set()

    assert _run_together(in_float64, in_default) == []
    assert seen == {"f64": {np.dtype("float64")}, "default": {np.dtype("float32")}}
    assert cr.get_default_dtype() == np.dtype("float32")


def test_no_weights_is_per_thread():
    kinds = []

    def build_placeholders():
        with deferred.no_weights():
            for _ in range(ROUNDS):
                kinds.append(("deferred", deferred.is_placeholder(nn.Linear(8, 8).weight._data)))

    def build_real():
        for _ in range(ROUNDS):
            kinds.append(("real", deferred.is_placeholder(nn.Linear(8, 8).weight._data)))

    assert _run_together(build_placeholders, build_real) == []
    assert set(kinds) == {("deferred", True), ("real", False)}
