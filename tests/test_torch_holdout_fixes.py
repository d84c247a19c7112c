"""Fixes found by the second corpus (tests/torch_scripts_holdout) and the name audit, each
checked against PyTorch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as CF
from chainrule import nn, optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._data)


def test_retain_grad_on_a_non_leaf_matches_torch():
    def run(lib):
        p = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        q = p.exp()
        q.retain_grad()
        r = (q * lib.sin(p)).sum()
        r.backward()
        return q, p

    (qc, pc), (qt, pt) = run(cr), run(torch)
    assert qc.retains_grad and qt.retains_grad
    np.testing.assert_allclose(_np(qc.grad), _np(qt.grad), rtol=1e-6)
    np.testing.assert_allclose(_np(pc.grad), _np(pt.grad), rtol=1e-6)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        cr.ones(2).retain_grad()


def test_autograd_grad_takes_torch_positional_order_and_only_inputs():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    unused = cr.tensor([1.0], requires_grad=True)
    # PyTorch's order: outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
    # allow_unused
    g = cr.autograd.grad((x * x).sum(), [x, unused], None, None, False, True, True)
    assert g[1] is None and g[0].tolist() == [2.0, 4.0]
    (g,) = cr.autograd.grad((x**3).sum(), x, only_inputs=True)
    assert g.tolist() == [3.0, 12.0]
    with pytest.raises(NotImplementedError, match="is_grads_batched"):
        cr.autograd.grad((x * x).sum(), x, is_grads_batched=True)


def test_new_init_functions_match_torch():
    w = nn.init.trunc_normal_(cr.empty(300, 200), std=0.5, a=-1.0, b=1.0)
    assert float(w.abs().max()) <= 1.0 and abs(float(w.std()) - 0.5) < 0.1
    q = nn.init.orthogonal_(cr.empty(6, 4), gain=2.0)
    np.testing.assert_allclose(_np(q.t() @ q), 4 * np.eye(4), atol=1e-5)
    wide = nn.init.orthogonal_(cr.empty(3, 7))
    np.testing.assert_allclose(_np(wide @ wide.t()), np.eye(3), atol=1e-5)
    e = nn.init.eye_(cr.empty(3, 5))
    np.testing.assert_array_equal(_np(e), _np(torch.nn.init.eye_(torch.empty(3, 5))))


def test_kaiming_default_nonlinearity_is_leaky_relu_as_torch():
    # nn.Linear's own reset: kaiming_uniform_(w, a=√5) gives U(±1/√fan_in) in PyTorch
    w = nn.init.kaiming_uniform_(cr.empty(500, 100), a=math.sqrt(5))
    t = torch.nn.init.kaiming_uniform_(torch.empty(500, 100), a=math.sqrt(5))
    bound = 1 / math.sqrt(100)
    assert float(w.abs().max()) <= bound and float(t.abs().max()) <= bound
    assert float(w.abs().max()) > 0.95 * bound


def test_adadelta_matches_torch():
    w0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.7]], dtype=np.float32)
    wc = cr.tensor(w0, requires_grad=True)
    wt = torch.tensor(w0, requires_grad=True)
    oc = optim.Adadelta([wc], lr=1.0, rho=0.8, eps=1e-5, weight_decay=0.1)
    ot = torch.optim.Adadelta([wt], lr=1.0, rho=0.8, eps=1e-5, weight_decay=0.1)
    for _ in range(5):
        for w, o in ((wc, oc), (wt, ot)):
            o.zero_grad()
            ((w**2).sum() + w[0, 0] * 3).backward()
            o.step()
    np.testing.assert_allclose(_np(wc), _np(wt), rtol=1e-5, atol=1e-7)


def test_missing_optim_and_init_names_raise_not_implemented():
    with pytest.raises(NotImplementedError, match=r"torch\.optim\.LBFGS"):
        optim.LBFGS
    with pytest.raises(NotImplementedError, match=r"torch\.nn\.init\.dirac_"):
        nn.init.dirac_
    with pytest.raises(NotImplementedError, match=r"torch\.optim\.lr_scheduler\.CyclicLR"):
        optim.lr_scheduler.CyclicLR


def test_format_spec_on_a_0d_tensor_formats_its_number():
    for lib in (cr, torch):
        loss = lib.tensor(0.123456)
        assert f"{loss:.4f}" == "0.1235"
        assert f"{lib.tensor(7):>3d}" == "  7"
        with pytest.raises(TypeError):
            f"{lib.ones(2):.4f}"


def test_out_keyword_writes_into_the_given_tensor_as_torch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    yc, yt = cr.zeros(2, 2), torch.zeros(2, 2)
    rc = cr.matmul(cr.tensor(a), cr.tensor(a).T, out=yc)
    torch.matmul(torch.tensor(a), torch.tensor(a).T, out=yt)
    assert rc is yc
    np.testing.assert_array_equal(_np(yc), _np(yt))
    zc, zt = cr.zeros(1), torch.zeros(1)  # resized, as PyTorch does
    cr.mul(cr.tensor(a), 2.0, out=zc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.mul(torch.tensor(a), 2.0, out=zt)
    np.testing.assert_array_equal(_np(zc), _np(zt))
    with pytest.raises(RuntimeError, match="out="):
        cr.exp(cr.ones(2, requires_grad=True), out=cr.zeros(2))


def test_is_tensor_and_is_floating_point():
    for lib in (cr, torch):
        assert lib.is_tensor(lib.ones(1)) and not lib.is_tensor([1.0])
        assert lib.is_floating_point(lib.ones(1)) and not lib.is_floating_point(lib.arange(2))


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "sigmoid"])
@pytest.mark.parametrize("data", [[1, 2, 3], [True, True]])  # (log 0 would warn)
def test_float_ops_on_integer_or_bool_input_give_the_default_dtype(name, data):
    rc = getattr(cr, name)(cr.tensor(data))
    rt = getattr(torch, name)(torch.tensor(data))
    assert str(rc.dtype) == str(rt.dtype).replace("torch.", "") == "float32"
    np.testing.assert_allclose(_np(rc), _np(rt), rtol=1e-6)


def test_logsumexp_of_integers_is_float32():
    rc = cr.logsumexp(cr.tensor([[1, 2], [3, 4]]), dim=1)
    rt = torch.logsumexp(torch.tensor([[1, 2], [3, 4]]), dim=1)
    assert rc.dtype == cr.float32 and rt.dtype == torch.float32
    np.testing.assert_allclose(_np(rc), _np(rt), rtol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, f, i: lib.clamp(f, i),
        lambda lib, f, i: lib.clamp(i, 0.5),
        lambda lib, f, i: lib.clamp(i, 0, 2),
        lambda lib, f, i: lib.maximum(f, i),
        lambda lib, f, i: lib.minimum(i, f),
        lambda lib, f, i: lib.max(f, i),
        lambda lib, f, i: lib.where(f > 0, f, i),
        lambda lib, f, i: f.clip(max=i),
    ],
)
def test_binary_selection_ops_promote_as_torch(call):
    def run(lib):
        return call(lib, lib.tensor([1.5, -2.0, 0.5]), lib.tensor([1, 0, 3]))

    rc, rt = run(cr), run(torch)
    assert str(rc.dtype) == str(rt.dtype).replace("torch.", "")
    np.testing.assert_array_equal(_np(rc), _np(rt))


@pytest.mark.parametrize("fill", [7, 7.5, True])
def test_full_infers_the_dtype_of_its_fill_value(fill):
    rc, rt = cr.full((2, 2), fill), torch.full((2, 2), fill)
    assert str(rc.dtype) == str(rt.dtype).replace("torch.", "")
    np.testing.assert_array_equal(_np(rc), _np(rt))


def test_argsort_of_a_0d_tensor_is_0d():
    assert cr.argsort(cr.tensor(2.5)).shape == tuple(torch.argsort(torch.tensor(2.5)).shape) == ()


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_without_dim_picks_torch_implicit_dim(shape, name):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        rc = getattr(CF, name)(cr.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rt = getattr(TF, name)(torch.tensor(x))
        rm = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(_np(rc), _np(rt), rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(_np(nn.Softmax()(cr.tensor(x))), _np(rm), rtol=1e-5, atol=1e-6)


def test_unfold_of_unbatched_input_has_no_batch_dim():
    x = np.arange(18, dtype=np.float32).reshape(2, 3, 3)
    rc, rt = CF.unfold(cr.tensor(x), 2), TF.unfold(torch.tensor(x), 2)
    assert rc.shape == tuple(rt.shape) == (8, 4)
    np.testing.assert_array_equal(_np(rc), _np(rt))


def test_square_of_bool_is_int64():
    rc, rt = cr.tensor([True, False]).square(), torch.tensor([True, False]).square()
    assert rc.dtype == cr.int64 and rt.dtype == torch.int64


def test_tensor_constructor_is_torch_tensor_legacy_constructor():
    assert cr.Tensor(2, 3).shape == tuple(torch.Tensor(2, 3).shape)
    assert cr.Tensor(5).shape == tuple(torch.Tensor(5).shape) == (5,)
    for data in ([1, 2, 3], (2, 3), [[True, False]]):
        rc, rt = cr.Tensor(data), torch.Tensor(data)
        assert rc.dtype == cr.float32 and rt.dtype == torch.float32
        np.testing.assert_array_equal(_np(rc), _np(rt))
    assert cr.Tensor(np.arange(3)).dtype == cr.int64  # arrays keep their dtype (engine use)


def test_as_tensor_takes_device():
    assert cr.as_tensor([1.0], device="cpu").tolist() == [1.0]
    with pytest.raises(NotImplementedError, match="cuda"):
        cr.as_tensor([1.0], device="cuda")


def test_device_and_legacy_type_names_as_torch():
    for dtype in ("float32", "float64", "int64", "int32", "bool", "uint8"):
        xc, xt = cr.zeros(2, dtype=getattr(cr, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
        assert xc.type() == xt.type()
    xc, xt = cr.ones(2), torch.ones(2)
    assert xc.device.type == xt.device.type == "cpu" and str(xc.device) == str(xt.device)
    assert xc.device == cr.device("cpu") and repr(xc.device) == repr(xt.device)
    assert cr.zeros(2, device=xc.device).shape == (2,)


def test_where_with_only_a_condition_and_nonzero_match_torch():
    x = np.array([[1.0, -2.0, 0.0], [3.0, 0.0, -1.0]], dtype=np.float32)
    for got, want in zip(cr.where(cr.tensor(x) > 0), torch.where(torch.tensor(x) > 0), strict=True):
        np.testing.assert_array_equal(_np(got), _np(want))
    np.testing.assert_array_equal(_np(cr.tensor(x).nonzero()), _np(torch.tensor(x).nonzero()))
    for got, want in zip(
        cr.nonzero(cr.tensor(x), as_tuple=True),
        torch.nonzero(torch.tensor(x), as_tuple=True),
        strict=True,
    ):
        np.testing.assert_array_equal(_np(got), _np(want))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_inplace_activations_change_their_input_as_torch(name):
    x = np.array([-8.0, -0.5, 0.5, 8.0], dtype=np.float32)
    xc, xt = cr.tensor(x), torch.tensor(x)
    rc, rt = getattr(CF, name)(xc, inplace=True), getattr(TF, name)(xt, inplace=True)
    assert rc is xc and rt is xt
    np.testing.assert_allclose(_np(xc), _np(xt), rtol=1e-6)


def _both(fn, x, y):
    """fn's value and the gradient of its sum with respect to x, in chainrule and in PyTorch."""
    out = []
    for lib, F in ((cr, CF), (torch, TF)):
        a = lib.tensor(x, requires_grad=True)
        r = fn(lib, F, a, lib.tensor(y))
        r.sum().backward()
        out.append((_np(r), _np(a.grad)))
    return out


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, F, a, b: F.hardtanh(a, -0.5, 0.7),
        lambda L, F, a, b: F.relu6(a * 5),
        lambda L, F, a, b: F.logsigmoid(a * 50),
        lambda L, F, a, b: F.cosine_similarity(a, b),
        lambda L, F, a, b: F.cosine_similarity(a, b, dim=0),
        lambda L, F, a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean"),
        lambda L, F, a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="none"),
        lambda L, F, a, b: F.kl_div(F.log_softmax(a, 1), F.log_softmax(b, 1), log_target=True),
        lambda L, F, a, b: L.nn.KLDivLoss(reduction="sum")(F.log_softmax(a, 1), F.softmax(b, 1)),
        lambda L, F, a, b: L.nn.CosineSimilarity(dim=1)(a, b),
        lambda L, F, a, b: L.nn.ReLU6()(a * 5) + L.nn.Hardtanh()(a) + L.nn.LogSigmoid()(a),
    ],
)
def test_new_functional_names_match_torch_with_gradients(fn):
    rng = np.random.default_rng(3)
    x, y = (rng.normal(size=(3, 4)).astype(np.float32) for _ in range(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note on kl_div's 'mean'
        (vc, gc), (vt, gt) = _both(fn, x, y)
    np.testing.assert_allclose(vc, vt, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gc, gt, rtol=1e-5, atol=1e-6)


def test_kl_div_gradcheck():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=(2, 3))
    p[0, 0] = 0.0  # a zero target: 0·log 0 = 0
    target = cr.tensor(p / p.sum(1, keepdims=True), dtype=cr.float64)
    logq = rng.normal(size=(2, 3))
    assert cr.gradcheck(lambda z: CF.kl_div(z, target, reduction="batchmean"), logq)
    assert cr.gradcheck(lambda z: CF.cosine_similarity(z, z * z + 1.0), logq)


def test_parameters_to_vector_round_trip_as_torch():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    lc, lt = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    for layer, lib in ((lc, cr), (lt, torch)):
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
            layer.bias.fill_(-1.0)
    vc, vt = (
        nn.utils.parameters_to_vector(lc.parameters()),
        torch.nn.utils.parameters_to_vector(lt.parameters()),
    )
    np.testing.assert_array_equal(_np(vc), _np(vt))
    nn.utils.vector_to_parameters(cr.zeros(8), lc.parameters())
    assert float(lc.weight.abs().sum()) == 0.0 and float(lc.bias.abs().sum()) == 0.0


def test_autograd_variable_and_missing_autograd_names():
    v = cr.autograd.Variable(cr.ones(2), requires_grad=True)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    with pytest.raises(NotImplementedError, match=r"torch\.autograd\.Function"):
        cr.autograd.Function
    with pytest.raises(NotImplementedError, match=r"torch\.utils\.checkpoint"):
        cr.utils.checkpoint


def test_top_level_one_hot_and_pad_are_torch_functional_ones():
    labels = np.array([2, 0, 1])
    rc, rt = cr.one_hot(cr.tensor(labels), 4), TF.one_hot(torch.tensor(labels), 4)
    assert rc.dtype == cr.int64 and rt.dtype == torch.int64
    np.testing.assert_array_equal(_np(rc), _np(rt))
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(
        _np(cr.pad(cr.tensor(x), (1, 2, 0, 1), value=5.0)),
        _np(TF.pad(torch.tensor(x), (1, 2, 0, 1), value=5.0)),
    )


@pytest.mark.parametrize(
    "make",
    [
        "nn.ReLU(inplace=True)",
        "nn.ReLU()",
        "nn.LeakyReLU(0.2, inplace=True)",
        "nn.ELU(alpha=0.5, inplace=True)",
        "nn.Softplus(beta=2)",
        "nn.Dropout(0.2)",
        "nn.BatchNorm1d(4)",
        "nn.BatchNorm2d(3, momentum=0.2)",
        "nn.LayerNorm(4)",
        "nn.MaxPool2d(2)",
        "nn.Sequential(nn.Linear(4, 8), nn.ReLU(True), nn.Dropout(), nn.BatchNorm1d(8))",
    ],
)
def test_module_reprs_read_as_torch(make):
    # print(model) is in every tutorial: the same settings, in the same words
    assert repr(eval(make, {"nn": nn})) == repr(eval(make, {"nn": torch.nn}))


def test_dropout_with_p_1_drops_everything_as_pytorch():
    import chainrule as cr
    import chainrule.nn as cnn

    torch = pytest.importorskip("torch")
    x, xt = cr.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    cnn.functional.dropout(x, 1.0).sum().backward()
    torch.nn.functional.dropout(xt, 1.0).sum().backward()
    assert x.grad.numpy().tolist() == xt.grad.tolist() == [0.0, 0.0, 0.0]
    assert cnn.Dropout(1.0)(cr.ones(3)).numpy().tolist() == [0.0, 0.0, 0.0]
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\], got"):
            cnn.Dropout(bad)


@pytest.mark.parametrize("p", [0, -1, -2.5, 0.5, 3])
def test_norm_takes_every_p_that_pytorch_takes(p):
    a = np.array([[0.0, -2.0, 3.0], [1.5, 0.0, -0.5]], dtype=np.float32)
    x, xt = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with np.errstate(divide="ignore"):  # p < 0 with a zero element: the norm is 0, as PyTorch's
        ours = cr.norm(x, p=p, dim=1)
    theirs = torch.norm(xt, p=p, dim=1)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    if p == 0:  # PyTorch leaves no gradient; chainrule's is 0
        assert xt.grad is None and not x.grad.numpy().any()
    else:  # zeros get gradient 0, as in PyTorch (for p < 1 the derivative there is infinite)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("p", [-1.5, 0.5, 3.0])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_p_gradient_matches_finite_differences(p, dim):
    from chainrule.gradcheck import gradcheck

    a = np.random.default_rng(3).uniform(0.5, 2.0, size=(3, 4)) * [1, -1, 1, -1]
    assert gradcheck(lambda t: cr.norm(t, p=p, dim=dim), [cr.tensor(a, dtype=cr.float64)])
