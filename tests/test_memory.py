"""Memory: training frees its graph every step (no growth over 50 epochs, eager or compiled), and
``import chainrule`` stays light (no matplotlib, scikit-learn or scipy at start-up).

No timing is asserted here: the import time is reported by ``benchmarks/suite.py``.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.autograd import Node
from chainrule.nn.losses import binary_cross_entropy_with_logits, cross_entropy
from chainrule.train import Callback, fit

EPOCHS = 50


def _live_nodes(holding: bool = False) -> int:
    """Graph nodes alive; with ``holding``, only those still holding their inputs."""
    return sum(
        1 for o in gc.get_objects() if type(o) is Node and (not holding or o.args is not None)
    )


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


class _Probe(Callback):
    """At every epoch's end: live graph nodes, traced Python memory and the process's RSS."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[int] = []
        self.holding: list[int] = []
        self.traced: list[int] = []
        self.rss: list[int | None] = []

    def on_epoch_end(self, epoch, logs) -> None:
        gc.collect()
        self.nodes.append(_live_nodes())
        self.holding.append(_live_nodes(holding=True))
        self.traced.append(tracemalloc.get_traced_memory()[0])
        self.rss.append(_rss_bytes())


def _check_flat(probe: _Probe) -> None:
    assert len(probe.nodes) == EPOCHS
    # the graph is freed after every backward: no node keeps its inputs past the step, and the
    # few nodes alive at an epoch's end (the last loss held by the loop) do not pile up
    assert max(probe.holding) == 0, probe.holding
    assert max(probe.nodes) <= 4 and probe.nodes[-1] == probe.nodes[9], probe.nodes
    # after a few warm-up epochs (caches, scratch arrays, History lists), traced memory is flat:
    # what History keeps per epoch is a few hundred bytes, far under this bound
    growth = probe.traced[-1] - probe.traced[9]
    assert growth < 64 * 1024, f"traced memory grew by {growth} bytes over {EPOCHS - 10} epochs"
    if probe.rss[0] is not None:
        rss_growth = probe.rss[-1] - probe.rss[9]
        assert rss_growth < 8 * 2**20, f"RSS grew by {rss_growth / 2**20:.1f} MiB"


@pytest.fixture
def traced():
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_fit_memory_is_flat_over_50_epochs(traced):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 20)).astype(np.float32)
    y = rng.integers(0, 4, 256)
    model = nn.mlp((20, 32, 32, 4), "relu", seed=0)
    probe = _Probe()
    h = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.05), X, y,
            epochs=EPOCHS, batch_size=32, verbose=0, seed=0, callbacks=[probe])  # fmt: skip
    assert h.epochs == EPOCHS
    _check_flat(probe)


def test_compiled_loop_memory_is_flat_over_50_epochs(traced):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    model = nn.mlp((2, 16, 16, 1), "tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.05)

    @cr.compile
    def step(xb, yb):
        opt.zero_grad()
        loss = binary_cross_entropy_with_logits(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    probe = _Probe()
    for _ in range(EPOCHS):
        for start in range(0, 64, 8):
            step(cr.Tensor(X[start : start + 8]), cr.Tensor(y[start : start + 8]))
        probe.on_epoch_end(0, {})
    assert step.stats["compiles"] == 1
    _check_flat(probe)


def test_a_step_leaves_no_graph_behind():
    model = nn.mlp((4, 8, 2), "sigmoid", seed=0)
    x = cr.randn(16, 4, generator=cr.Generator(0))
    gc.collect()
    before = _live_nodes()
    loss = cross_entropy(model(x), cr.zeros(16, dtype=cr.int64))
    assert _live_nodes() > before  # the graph exists until backward
    loss.backward()
    del loss
    gc.collect()
    assert _live_nodes() == before


def test_import_loads_no_heavy_modules():
    code = (
        "import json, sys\n"
        "import chainrule\n"
        "heavy = ['matplotlib', 'sklearn', 'scipy']\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
