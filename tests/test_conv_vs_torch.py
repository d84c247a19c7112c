"""Convolution, pooling and the CNN layers against PyTorch, on hypothesis shapes (float64).

Skipped without torch (CI installs the CPU wheel), since PyTorch is only a reference here.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these comparisons")
TF = torch.nn.functional

from tests.test_conv import _arrays, conv_geometry, pool_geometry  # noqa: E402

seeds = st.integers(0, 2**32 - 1)


def _both(fn_cr, fn_torch, *arrays, upstream_seed=0):
    """Forward and every input gradient under both libraries, for one upstream gradient."""
    cx = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    cy, ty = fn_cr(*cx), fn_torch(*tx)
    g = np.random.default_rng(upstream_seed).standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    (cy * cr.tensor(g, dtype=cr.float64)).sum().backward()
    np.testing.assert_allclose(cy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for c, t in zip(cx, tx):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@given(conv_geometry(), seeds)
@settings(max_examples=50)
def test_conv2d_matches_torch(g, seed):
    args = (g["s"], g["p"], g["d"], g["groups"])
    _both(lambda x, w, b: F.conv2d(x, w, b, *args), lambda x, w, b: TF.conv2d(x, w, b, *args),
          *_arrays(seed, g), upstream_seed=seed)  # fmt: skip


@given(conv_geometry(), seeds)
@settings(max_examples=20)
def test_conv1d_matches_torch(g, seed):
    x, w, b = _arrays(seed, g)
    args = (g["s"][1], g["p"][1], g["d"][1], g["groups"])
    _both(lambda x, w, b: F.conv1d(x, w, b, *args), lambda x, w, b: TF.conv1d(x, w, b, *args),
          x[:, :, 0], w[:, :, 0], b)  # fmt: skip


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own copy
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("kernel", [(2, 2), (3, 2), (4, 3)])
def test_conv2d_padding_same_matches_torch(kernel, dilation):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, *kernel))
    _both(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation),
          lambda x, w: TF.conv2d(x, w, padding="same", dilation=dilation), x, w)  # fmt: skip


@given(pool_geometry(), seeds, st.booleans())
@settings(max_examples=40)
def test_max_pool2d_matches_torch_with_ties(g, seed, ties):
    rng = np.random.default_rng(seed)
    # small integers make ties common: the gradient must go where PyTorch sends it
    x = rng.integers(-2, 3, g["shape"]).astype(float) if ties else rng.standard_normal(g["shape"])
    args = (g["k"], g["s"], g["p"])
    _both(
        lambda x: F.max_pool2d(x, *args), lambda x: TF.max_pool2d(x, *args), x, upstream_seed=seed
    )
    _, ci = F.max_pool2d(cr.tensor(x), *args, return_indices=True)
    _, ti = TF.max_pool2d(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(ci.numpy(), ti.numpy())


@given(pool_geometry(), seeds, st.booleans())
@settings(max_examples=40)
def test_avg_pool2d_matches_torch(g, seed, include_pad):
    x = np.random.default_rng(seed).standard_normal(g["shape"])
    kw = {"count_include_pad": include_pad}
    args = (g["k"], g["s"], g["p"])
    _both(lambda x: F.avg_pool2d(x, *args, **kw), lambda x: TF.avg_pool2d(x, *args, **kw), x)


@given(pool_geometry(), st.integers(1, 5), st.integers(1, 5), seeds)
@settings(max_examples=40)
def test_adaptive_avg_pool2d_matches_torch(g, oh, ow, seed):
    x = np.random.default_rng(seed).standard_normal(g["shape"])
    _both(lambda x: F.adaptive_avg_pool2d(x, (oh, ow)),
          lambda x: TF.adaptive_avg_pool2d(x, (oh, ow)), x)  # fmt: skip


@given(conv_geometry(), seeds)
@settings(max_examples=20)
def test_unfold_and_fold_match_torch(g, seed):
    x, _, _ = _arrays(seed, g)
    geo = {"kernel_size": g["k"], "dilation": g["d"], "padding": g["p"], "stride": g["s"]}
    _both(lambda x: F.unfold(x, **geo), lambda x: TF.unfold(x, **geo), x)
    cols = TF.unfold(torch.tensor(x), **geo).numpy()
    _both(lambda c: F.fold(c, g["hw"], **geo), lambda c: TF.fold(c, g["hw"], **geo), cols)


def test_cnn_state_dict_moves_between_the_libraries_by_name():
    """Same parameter names and shapes: PyTorch's weights load into chainrule's layers, and the
    two nets then agree in train mode (batch statistics) and eval mode (running statistics)."""
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1, groups=2), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Identity(),
        torch.nn.AdaptiveAvgPool2d((2, 2)), torch.nn.Flatten(), torch.nn.Linear(16, 3),
    ).double()  # fmt: skip
    cnet = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, groups=2, dtype=cr.float64), nn.BatchNorm2d(4, dtype=cr.float64),
        nn.ReLU(), nn.MaxPool2d(2), nn.Identity(), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
        nn.Linear(16, 3, dtype=cr.float64),
    )  # fmt: skip
    tparams = dict(tnet.named_parameters())
    assert [n for n, _ in cnet.named_parameters()] == list(tparams)
    for name, p in cnet.named_parameters():
        assert p.shape == tuple(tparams[name].shape)
        p.data[...] = tparams[name].detach().numpy()
    x = np.random.default_rng(1).standard_normal((5, 2, 6, 6))
    for _ in range(2):  # train mode twice: running statistics are updated alike
        np.testing.assert_allclose(
            cnet(cr.tensor(x, dtype=cr.float64)).numpy(),
            tnet(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12,
        )  # fmt: skip
    np.testing.assert_allclose(cnet[1].running_var, tnet[1].running_var.numpy(), rtol=1e-12)
    cnet.eval(), tnet.eval()
    np.testing.assert_allclose(
        cnet(cr.tensor(x, dtype=cr.float64)).numpy(), tnet(torch.tensor(x)).detach().numpy(),
        rtol=1e-10, atol=1e-12,
    )  # fmt: skip


def test_conv_init_matches_torch_distribution():
    """PyTorch's default Conv2d init is U(±1/√fan_in) for weight and bias: same bounds here."""
    t = torch.nn.Conv2d(6, 16, 5)
    c = nn.Conv2d(6, 16, 5, generator=cr.Generator(0))
    bound = 1 / np.sqrt(6 * 25)
    for name in ("weight", "bias"):
        tb = float(getattr(t, name).detach().abs().max())
        cb = float(np.abs(getattr(c, name).numpy()).max())
        assert tb <= bound and cb <= bound
    # 2,400 weights: the largest comes within 1% of the bound under either library
    assert float(t.weight.detach().abs().max()) > 0.99 * bound
    assert float(np.abs(c.weight.numpy()).max()) > 0.99 * bound
