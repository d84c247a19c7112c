"""Convolution and pooling: gradcheck (float64, hypothesis shapes), second order, PyTorch, layers.

The geometry strategy draws batch, channels, groups, kernel, stride, padding and dilation together,
then an input just large enough for the dilated kernel, so every drawn case is a valid convolution.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

seeds = st.integers(0, 2**32 - 1)


@st.composite
def conv_geometry(draw):
    groups = draw(st.integers(1, 2))
    c = groups * draw(st.integers(1, 2))
    o = groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = tuple(draw(st.integers(0, 1)) for _ in range(2))
    hw = tuple(d[i] * (k[i] - 1) + 1 - 2 * p[i] + draw(st.integers(0, 3)) for i in range(2))
    hw = tuple(max(v, 1) for v in hw)
    n = draw(st.integers(1, 2))
    return {"n": n, "c": c, "o": o, "hw": hw, "k": k, "s": s, "p": p, "d": d, "groups": groups}


def _arrays(seed: int, g: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (g["n"], g["c"], *g["hw"]))
    w = rng.uniform(-1, 1, (g["o"], g["c"] // g["groups"], *g["k"]))
    return x, w, rng.uniform(-1, 1, g["o"])


def _conv(g: dict):
    return lambda x, w, b: F.conv2d(x, w, b, g["s"], g["p"], g["d"], g["groups"])


def _distinct(seed: int, shape: tuple) -> np.ndarray:
    """All-different values at least 0.05 apart: no ties, so max pooling is differentiable."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.05, n)).reshape(shape) - n * 0.05


# ============================================================================= finite differences
@given(conv_geometry(), seeds)
@settings(max_examples=50)
def test_conv2d_gradcheck(g, seed):
    assert cr.gradcheck(_conv(g), *_arrays(seed, g))


@given(conv_geometry(), seeds)
@settings(max_examples=10)
def test_conv1d_gradcheck(g, seed):
    x, w, b = _arrays(seed, g)
    x, w = x[:, :, 0, :], w[:, :, 0, :]

    def f(x, w, b):
        return F.conv1d(x, w, b, g["s"][1], g["p"][1], g["d"][1], g["groups"])

    assert cr.gradcheck(f, x, w, b)


@given(conv_geometry(), seeds)
@settings(max_examples=15)
def test_unfold_fold_gradcheck(g, seed):
    x, _, _ = _arrays(seed, g)
    geo = {"kernel_size": g["k"], "dilation": g["d"], "padding": g["p"], "stride": g["s"]}
    assert cr.gradcheck(lambda x: F.unfold(x, **geo) ** 2, x)
    cols = F.unfold(cr.tensor(x, dtype=cr.float64), **geo).numpy()
    assert cr.gradcheck(lambda c: F.fold(c, g["hw"], **geo) ** 2, cols)


@st.composite
def pool_geometry(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, k[i] // 2)) for i in range(2))
    hw = tuple(max(k[i] - 2 * p[i], 1) + draw(st.integers(0, 3)) for i in range(2))
    return {
        "shape": (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *hw),
        "k": k,
        "s": s,
        "p": p,
    }


@given(pool_geometry(), seeds)
def test_max_pool2d_gradcheck(g, seed):
    x = _distinct(seed, g["shape"])
    assert cr.gradcheck(lambda x: F.max_pool2d(x, g["k"], g["s"], g["p"]), x)


@given(pool_geometry(), st.booleans(), seeds)
def test_avg_pool2d_gradcheck(g, include_pad, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, g["shape"])
    f = lambda x: F.avg_pool2d(x, g["k"], g["s"], g["p"], count_include_pad=include_pad)
    assert cr.gradcheck(f, x)


@given(pool_geometry(), st.integers(1, 4), st.integers(1, 4), seeds)
def test_adaptive_avg_pool2d_gradcheck(g, oh, ow, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, g["shape"])
    assert cr.gradcheck(lambda x: F.adaptive_avg_pool2d(x, (oh, ow)) ** 2, x)


# ============================================================================= second order
def _first_derivative(f, seed: int = 5):
    """x -> ∂⟨v, f(x)⟩/∂(all inputs), recorded with create_graph so it can be gradchecked."""

    def df(*xs):
        with cr.enable_grad():
            out = f(*xs)
            v = np.random.default_rng(seed).standard_normal(out.shape)
            for x in xs:
                x.grad = None
            out.backward(v, create_graph=True)
            grads = [x.grad for x in xs]
            for x in xs:
                x.grad = None
        return cr.concatenate([cr.reshape(gr, (-1,)) for gr in grads])

    return df


@pytest.mark.parametrize(
    "name",
    ["conv2d", "conv2d_groups_stride", "max_pool", "avg_pool", "adaptive", "unfold_fold"],
)
def test_second_order_through_create_graph(name):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 2, 5, 5))
    w = rng.uniform(-1, 1, (2, 2, 3, 3))
    cases = {
        "conv2d": (lambda x, w: F.conv2d(x, w, padding=1) ** 2, [x, w]),
        "conv2d_groups_stride": (
            lambda x, w: cr.tanh(F.conv2d(x, w[:, :1], stride=2, dilation=(1, 2), groups=2)),
            [x, w],
        ),
        "max_pool": (
            lambda x: F.max_pool2d(x * x, 2, 1) * x[:, :, :4, :4],
            [_distinct(1, x.shape)],
        ),
        "avg_pool": (lambda x: F.avg_pool2d(x * x, 3, 2, 1), [x]),
        "adaptive": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 3)), [x]),
        "unfold_fold": (lambda x: F.fold(F.unfold(x * x, 2), (5, 5), 2) * x, [x]),
    }
    f, inputs = cases[name]
    assert cr.gradcheck(_first_derivative(f), *inputs)


# ============================================================================= exact conventions
def test_max_pool_ties_go_to_the_first_in_the_window():
    x = cr.tensor([[[[1.0, 3.0, 3.0], [3.0, 2.0, 3.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, (2, 2), stride=1, return_indices=True)
    y.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]]]
    assert idx.tolist() == [[[[1, 1]]]] and idx.dtype == cr.int64


def test_conv_is_a_matrix_multiply_on_patches():
    x = cr.randn(2, 3, 6, 6, generator=cr.Generator(0), dtype=cr.float64)
    w = cr.randn(4, 3, 3, 3, generator=cr.Generator(1), dtype=cr.float64)
    cols = F.unfold(x, 3)  # (N, C·9, L)
    by_hand = (w.reshape(4, -1) @ cols).reshape(2, 4, 4, 4)
    np.testing.assert_allclose(F.conv2d(x, w).numpy(), by_hand.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.conv2d(cr.ones((2, 3)), cr.ones((4, 3, 3, 3))), r"\(N, C, H, W\).*\(2, 3\)"),
        (lambda: F.conv2d(cr.ones((1, 3, 5, 5)), cr.ones((4, 2, 3, 3))), "3 channels"),
        (lambda: F.conv2d(cr.ones((1, 3, 2, 2)), cr.ones((4, 3, 3, 3))), "smaller than"),
        (lambda: F.conv2d(cr.ones((1, 3, 5, 5)), cr.ones((4, 3, 3, 3)), stride=0), "stride"),
        (lambda: F.conv2d(cr.ones((1, 3, 5, 5)), cr.ones((4, 3, 3, 3)), padding="full"), "padding"),
        (lambda: F.max_pool2d(cr.ones((1, 1, 4, 4)), 2, padding=2), "half the kernel"),
        (lambda: F.max_pool2d(cr.ones((1, 1, 4, 4)), 2, ceil_mode=True), "ceil_mode"),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
        (lambda: nn.Conv2d(0, 4, 3), "in_channels"),
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="reflect"), "padding_mode"),
    ],
)
def test_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
        call()


# ============================================================================= layers
def test_layer_shapes_names_and_init_follow_pytorch():
    conv = nn.Conv2d(6, 16, 5, groups=2, generator=cr.Generator(0))
    assert conv.weight.shape == (16, 3, 5, 5) and conv.bias.shape == (16,)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 25)  # PyTorch's U(±1/√fan_in), fan_in = in/groups · kernel area
    w = conv.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert nn.Conv1d(2, 4, 3).weight.shape == (4, 2, 3)
    assert conv.weight.dtype == cr.float32


def test_batchnorm2d_and_dropout2d():
    x = cr.randn(8, 3, 4, 4, generator=cr.Generator(0)) * 3 + 1
    bn = nn.BatchNorm2d(3)
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, atol=1e-3)
    per_channel = x.numpy().transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(bn.running_mean, 0.1 * per_channel.mean(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        bn(cr.ones((2, 3)))
    drop = nn.Dropout2d(0.5, generator=cr.Generator(1))
    out = drop(cr.ones((4, 6, 3, 3))).numpy().reshape(24, 9)
    assert set(np.unique(out)) == {0.0, 2.0} and (out.std(axis=1) == 0).all()
    drop.eval()
    assert (drop(cr.ones((4, 6, 3, 3))).numpy() == 1).all()


def _lenet(seed: int = 0) -> nn.Sequential:
    gen = cr.Generator(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, generator=gen),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 3, padding=1, generator=gen),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 32, generator=gen),
        nn.ReLU(),
        nn.Linear(32, 10, generator=gen),
    )


def test_save_and_load_a_cnn(tmp_path):
    pytest.importorskip("safetensors")
    model = _lenet()
    model.eval()
    x = cr.randn(3, 1, 8, 8, generator=cr.Generator(2))
    cr.save(model, tmp_path / "cnn")
    again = cr.load(tmp_path / "cnn")
    again.eval()
    np.testing.assert_array_equal(model(x).numpy(), again(x).numpy())
    assert "Conv2d" in repr(again) and "BatchNorm2d" in repr(again)


def test_lenet_learns_the_bundled_digits():
    """A LeNet-style CNN reaches >= 97% test accuracy on scikit-learn's 8×8 digits."""
    pytest.importorskip("sklearn")
    from chainrule import datasets, optim
    from chainrule.data import train_test_split
    from chainrule.nn.losses import cross_entropy
    from chainrule.train import fit

    X, y, _ = datasets.digits()
    X = (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, seed=0)
    model = _lenet(0)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    fit(model, cross_entropy, opt, Xtr, ytr, epochs=15, batch_size=32, seed=0, verbose=0)
    model.eval()
    with cr.no_grad():
        accuracy = (model(cr.tensor(Xte)).numpy().argmax(axis=1) == np.asarray(yte)).mean()
    assert accuracy >= 0.97, accuracy


def test_gradcheck_perturbs_non_contiguous_inputs():
    """Regression: a transposed input was copied F-ordered, so its perturbations were lost."""
    x = np.arange(6.0).reshape(2, 3).T + 1.0
    assert cr.gradcheck(lambda a: a**2, x)


def test_cnn_training_memory_is_flat_over_50_epochs():
    """Every step frees its graph, its im2col patches and its pooling choices."""
    import tracemalloc

    from chainrule import optim
    from chainrule.nn.losses import cross_entropy
    from chainrule.train import fit
    from tests.test_memory import EPOCHS, _check_flat, _Probe

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = _lenet(1)
    probe = _Probe()
    tracemalloc.start()
    try:
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.01), X, y,
            epochs=EPOCHS, batch_size=32, verbose=0, seed=0, callbacks=[probe])  # fmt: skip
    finally:
        tracemalloc.stop()
    _check_flat(probe)


def test_filters_and_feature_maps_are_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.viz import feature_maps, filters

    model = _lenet(0)
    fig = filters(model, tmp_path / "filters.png")
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(images) == 6 and images[0].shape == (5, 5)
    np.testing.assert_allclose(images[2], model[0].weight.numpy()[2, 0])
    x = cr.randn(1, 8, 8, generator=cr.Generator(3))
    fig = feature_maps(model, x, tmp_path / "maps.png")
    maps = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(maps) == 7 and maps[1].shape == (8, 8)  # the input, then 6 maps after the ReLU
    expected = np.maximum(model[0](x.reshape(1, 1, 8, 8)).numpy()[0, 1], 0)
    np.testing.assert_allclose(maps[2], expected, rtol=1e-6)
    for name in ("filters.png", "maps.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no Conv2d"):
        filters(nn.Sequential(nn.Linear(2, 2)))


def test_compiled_cnn_step_gives_the_eager_weights():
    """Pooling records its argmax as an op, so a compiled step replays it for each new batch."""
    from chainrule import optim
    from chainrule.nn.losses import cross_entropy
    from chainrule.train.step import compilable

    def net():
        g = cr.Generator(0)
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, generator=g), nn.ReLU(), nn.MaxPool2d(2),
            nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(16, 3, generator=g),
        )  # fmt: skip

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 8, 1, 9, 9)).astype(np.float32)
    Y = rng.integers(0, 3, (6, 8))
    weights = []
    for compiled in (False, True):
        model = net()
        opt = optim.SGD(model.parameters(), lr=0.1)
        assert compilable(model, opt)

        def step(xb, yb, model=model, opt=opt):
            opt.zero_grad()
            loss = cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        run = cr.compile(step) if compiled else step
        for xb, yb in zip(X, Y):
            run(cr.tensor(xb), cr.tensor(yb))
        weights.append([p.numpy().copy() for p in model.parameters()])
    for eager, replayed in zip(*weights):
        np.testing.assert_array_equal(eager, replayed)


def test_loading_a_cnn_draws_no_random_numbers(tmp_path):
    """Conv layers are built without drawing weights while a checkpoint loads (as Linear is)."""
    pytest.importorskip("safetensors")
    path = cr.save(_lenet(0), tmp_path / "cnn")
    cr.manual_seed(3)
    expected = cr.randn(4).numpy()
    cr.manual_seed(3)
    loaded = cr.load(path)
    np.testing.assert_array_equal(cr.randn(4).numpy(), expected)
    np.testing.assert_array_equal(loaded[0].weight.numpy(), _lenet(0)[0].weight.numpy())
