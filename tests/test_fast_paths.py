"""The training step's fast paths give exactly what the plain code gives: shuffled batches
gathered a few at a time, the sigmoid inside ``quiet_floats``, SGD's lr converted once, the
compiled replay's cached code."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.backend import QUIET, quiet_floats, xp
from chainrule.compile import _code
from chainrule.data import DataLoader, TensorDataset
from chainrule.nn.losses import binary_cross_entropy_with_logits
from chainrule.train import fit


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("n", "bs"), [(10, 3), (12, 4), (7, 1), (5, 8)])
def test_shuffled_batches_gathered_by_blocks_equal_the_batch_by_batch_ones(
    monkeypatch, n, bs, drop_last
):
    X = xp.arange(n * 3, dtype=xp.float32).reshape(n, 3)
    y = xp.arange(n) * 10
    ds = TensorDataset(X, y)
    big = [tuple(t.tolist() for t in b) for b in DataLoader(ds, bs, True, drop_last, seed=3)]
    monkeypatch.setattr(DataLoader, "GATHER_BYTES", 1)  # one batch per gather
    small = [tuple(t.tolist() for t in b) for b in DataLoader(ds, bs, True, drop_last, seed=3)]
    assert big == small
    rows = [r for xb, _ in big for r in xb]
    assert len(rows) == (n // bs * bs if drop_last else n)
    assert all(len(xb) == bs for xb, _ in big[:-1])
    assert len({r[0] for r in rows}) == len(rows)  # every row at most once per epoch
    for xb, yb in big:  # the targets stay with their rows
        assert [int(r[0]) // 3 * 10 for r in xb] == yb


def test_sigmoid_inside_quiet_floats_is_the_same_and_silent():
    x = np.array([-1000.0, -89.0, -88.0, -20.0, 0.0, 3.5, 1000.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, inside or outside
        outside = cr.sigmoid(cr.tensor(x)).numpy()
        with quiet_floats():
            assert QUIET.get() is True
            inside = cr.sigmoid(cr.tensor(x)).numpy()
    assert QUIET.get() is False
    np.testing.assert_array_equal(inside, outside)
    assert outside[0] == 0.0 and outside[-1] == 1.0 and 0 < outside[3] < 3e-9


def test_quiet_floats_resets_its_flag_after_an_error():
    with pytest.raises(RuntimeError), quiet_floats():
        raise RuntimeError("boom")
    assert QUIET.get() is False


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
def test_sgd_step_equals_p_minus_lr_times_g(dtype):
    rng = np.random.default_rng(0)
    w = cr.tensor(rng.standard_normal((5, 4)), dtype=dtype, requires_grad=True)
    b = cr.tensor(rng.standard_normal(4), dtype=dtype, requires_grad=True)
    g_w, g_b = rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)
    want_w, want_b = w.numpy() - 0.1 * g_w, b.numpy() - 0.1 * g_b  # a Python float lr
    opt = optim.SGD([w, b], lr=0.1)
    w.grad, b.grad = cr.tensor(g_w), cr.tensor(g_b)
    opt.step()
    np.testing.assert_array_equal(w.numpy(), want_w)
    np.testing.assert_array_equal(b.numpy(), want_b)
    assert w.dtype == b.dtype == dtype


def test_a_recompiled_step_reuses_the_generated_code_and_gives_the_same_weights():
    X = cr.randn(16, 2, generator=cr.Generator(0))
    y = (X[:, 0] > 0).astype(cr.float32)
    weights = []
    for _ in range(2):
        model = nn.mlp([2, 4, 1], "tanh", seed=0)
        fit(model, binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=0.1),
            X, y, epochs=3, batch_size=4, verbose=0, seed=0)  # fmt: skip
        weights.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)
    source = "def _replay(args, kwargs):\n    return None\n"
    assert _code(source) is _code(source)
