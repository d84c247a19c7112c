"""Where a name is PyTorch's, the behaviour is PyTorch's: each silent difference that chainrule
used to have, checked against PyTorch itself."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)


def test_std_var_default_to_the_unbiased_estimate():
    c, t = cr.tensor(X), torch.tensor(X)
    for ours, theirs in [
        (c.std(), t.std()),
        (c.var(), t.var()),
        (cr.std(c, dim=1), torch.std(t, dim=1)),
        (cr.var(c, 0, keepdim=True), torch.var(t, 0, keepdim=True)),
        (cr.var(c, dim=1, correction=0), torch.var(t, dim=1, correction=0)),
        (cr.std(c, 1, False), torch.std(t, 1, False)),  # (dim, unbiased)
        (c.var(axis=0, ddof=0), t.var(dim=0, correction=0)),  # NumPy's spelling still works
    ]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_weight_decay_decays_every_parameter_given(name):
    def train(lib, layer_cls):
        layer = layer_cls(3, 2)
        with lib.no_grad():
            layer.weight.copy_(lib.from_numpy(X[:2, :3].copy()))
            layer.bias.copy_(lib.from_numpy(X[2, :2].copy()))
        opt = getattr(lib.optim, name)(layer.parameters(), lr=0.1, weight_decay=0.3)
        for _ in range(3):
            opt.zero_grad()
            layer(lib.from_numpy(X[:, :3].copy())).pow(2).mean().backward()
            opt.step()
        return layer.bias.detach().numpy()

    np.testing.assert_allclose(train(cr, nn.Linear), train(torch, torch.nn.Linear), rtol=1e-5)


def test_param_groups_leave_biases_and_norms_out_explicitly():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    decay, keep = nn.utils.param_groups(model, weight_decay=0.1)
    assert {id(p) for p in decay["params"]} == {id(model[0].weight), id(model[3].weight)}
    assert decay["weight_decay"] == 0.1 and keep["weight_decay"] == 0.0 and len(keep["params"]) == 6


def test_max_min_with_dim_return_values_and_indices():
    c, t = cr.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    for ours, theirs in [
        (cr.max(c, dim=1), torch.max(t, dim=1)),
        (c.min(0, keepdim=True), t.min(0, keepdim=True)),
    ]:
        assert type(ours).__name__ == type(theirs).__name__.split(".")[-1]
        np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        _, indices = ours  # unpacks as a pair
        assert indices.dtype == np.int64
    # ties: max(x, dim) sends the gradient to the indexed element only, as PyTorch
    tie_c = cr.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    tie_t = torch.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    cr.max(tie_c, dim=1).values.sum().backward()
    torch.max(tie_t, dim=1).values.sum().backward()
    np.testing.assert_array_equal(tie_c.grad.numpy(), tie_t.grad.numpy())
    assert isinstance(cr.max(c), cr.Tensor) and cr.max(c).shape == ()


def test_equal_is_one_bool_and_eq_is_elementwise():
    a, b = cr.tensor([1, 2, 3]), cr.tensor([1, 0, 3])
    assert cr.equal(a, a) is True and cr.equal(a, b) is False
    assert cr.equal(a, cr.tensor([1, 2])) is torch.equal(
        torch.tensor([1, 2, 3]), torch.tensor([1, 2])
    )
    assert (
        cr.eq(a, b).tolist() == torch.eq(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3])).tolist()
    )
    assert (a == b).tolist() == [True, False, True] and a.equal(a) is True


@pytest.mark.parametrize(
    "expr",
    ["i * 0.5", "0.5 * i", "i / 2", "i / i", "i + f", "i - 1.5", "i ** 0.5", "f * i", "i % 1.5"],
)
def test_integer_with_float_promotes_to_float32(expr):
    ours = eval(expr, {"i": cr.tensor([1, 2, 3]), "f": cr.ones(3)})
    theirs = eval(expr, {"i": torch.tensor([1, 2, 3]), "f": torch.ones(3)})
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert (cr.tensor([1, 2]) * 2).dtype == np.int64 and (cr.tensor([1, 2]) // 2).dtype == np.int64


def test_state_dict_holds_tensors_with_pytorch_keys_and_order():
    ours = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1)
    )
    sd, sd_t = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(sd_t)
    assert all(isinstance(v, cr.Tensor) for v in sd.values())
    ours.train()
    ours(cr.ones((4, 2)))
    theirs(torch.ones((4, 2)))
    # the values share memory with the module, as PyTorch's do: the forward shows in them
    assert sd["1.num_batches_tracked"].item() == sd_t["1.num_batches_tracked"].item() == 1
    np.testing.assert_allclose(sd["1.running_var"].numpy(), sd_t["1.running_var"].numpy())
    sd["0.bias"].zero_()
    sd_t["0.bias"].zero_()
    assert not ours[0].bias.detach().numpy().any() and not theirs[0].bias.detach().numpy().any()
    assert ours.state_dict()["1.num_batches_tracked"].item() == 1
    assert isinstance(ours[1].running_mean, cr.Tensor)
    other = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    other.load_state_dict(
        {k: torch.from_numpy(np.asarray(v)).numpy() for k, v in ours.state_dict().items()}
    )
    assert int(other[1].num_batches_tracked) == 1


def test_clip_grad_norm_returns_a_tensor():
    ours, theirs = cr.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    (ours**2).sum().backward()
    (theirs**2).sum().backward()
    n_c = nn.utils.clip_grad_norm_([ours], 1.0)
    n_t = torch.nn.utils.clip_grad_norm_([theirs], 1.0)
    assert isinstance(n_c, cr.Tensor) and n_c.shape == () and n_c.dtype == np.float32
    np.testing.assert_allclose(n_c.item(), n_t.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5)


def test_split_transpose_squeeze_and_one_hot_take_pytorch_meanings():
    c, t = cr.tensor(X), torch.tensor(X)
    assert [p.shape for p in cr.split(c, 2)] == [tuple(p.shape) for p in torch.split(t, 2)]
    assert [p.shape for p in c.split(3, dim=1)] == [tuple(p.shape) for p in t.split(3, dim=1)]
    x3 = np.zeros((2, 3, 4))
    assert cr.tensor(x3).transpose(0, 1).shape == tuple(torch.tensor(x3).transpose(0, 1).shape)
    assert cr.tensor(x3).squeeze(1).shape == tuple(torch.tensor(x3).squeeze(1).shape)
    oh = nn.functional.one_hot(cr.tensor([2, 0]))
    assert (
        oh.dtype == np.int64
        and oh.tolist() == torch.nn.functional.one_hot(torch.tensor([2, 0])).tolist()
    )
    assert c.size() == tuple(t.size()) and c.size(1) == t.size(1) and c.size == t.numel()
    assert c.any().shape == () and bool((c > 10).any()) is False


def test_missing_pytorch_features_raise_not_implemented_naming_them():
    with pytest.raises(NotImplementedError, match=r"torch\.fft"):
        cr.fft
    with pytest.raises(NotImplementedError, match=r"torch\.nn\.Conv3d"):
        nn.Conv3d
    with pytest.raises(NotImplementedError, match="cuda"):
        cr.ones(2).to("cuda")
    with pytest.raises(NotImplementedError, match="cuda"):
        nn.Linear(2, 2).cuda()
    with pytest.raises(NotImplementedError, match=r"torch\.Tensor\.register_hook"):
        cr.ones(2).register_hook
    assert not hasattr(cr, "fft") and getattr(nn, "Conv3d", None) is None  # probes still work
    assert cr.device("cpu") == "cpu" and cr.cuda.is_available() is False


def test_torch_save_load_safetensors_both_ways(tmp_path):
    from safetensors.torch import load_file, save_file

    ours = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    cr.save(ours.state_dict(), tmp_path / "ours.pt")
    theirs.load_state_dict(load_file(tmp_path / "ours.pt"))
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(), ours[0].weight.numpy())
    with torch.no_grad():
        theirs[0].weight.mul_(3.0)
    save_file(theirs.state_dict(), tmp_path / "theirs.safetensors")
    ours.load_state_dict(cr.load(tmp_path / "theirs.safetensors"))
    np.testing.assert_array_equal(ours[0].weight.numpy(), theirs[0].weight.detach().numpy())
    torch.save(theirs.state_dict(), tmp_path / "pickled.pt")
    with pytest.raises(
        ValueError, match=r"pickled PyTorch file.*safetensors\.torch import save_file"
    ):
        cr.load(tmp_path / "pickled.pt")
    cr.save({"model": ours.state_dict(), "epoch": 3, "best": [0.5, None]}, tmp_path / "ckpt.pt")
    back = cr.load(tmp_path / "ckpt.pt")
    assert (
        back["epoch"] == 3
        and back["best"] == [0.5, None]
        and list(back["model"]) == list(ours.state_dict())
    )
    with pytest.raises(TypeError, match="cannot store a object at x"):
        cr.save({"x": object()}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def test_data_is_a_tensor_sharing_memory_as_in_pytorch():
    ours = cr.tensor(X.copy(), requires_grad=True)
    theirs = torch.tensor(X.copy(), requires_grad=True)
    for t in (ours, theirs):
        d = t.data
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d.mul_(0.5)  # in place on the view changes the tensor itself
        d[0, 0] = 7.0
        t.data.add_(1.0)
        t.data += 1.0
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert isinstance(ours.data, cr.Tensor) and ours.requires_grad
    ours.data = cr.zeros(3)  # assignment replaces the values, shape included
    theirs.data = torch.zeros(3)
    assert ours.shape == tuple(theirs.shape) == (3,)
    # p.data under an update is not recorded: backward still sees the original graph
    w, w_t = cr.tensor([2.0], requires_grad=True), torch.tensor([2.0], requires_grad=True)
    (w * w).sum().backward()
    (w_t * w_t).sum().backward()
    w.data.sub_(0.1 * w.grad.data)
    w_t.data.sub_(0.1 * w_t.grad.data)
    np.testing.assert_allclose(w.detach().numpy(), w_t.detach().numpy())


def test_a_deep_copied_state_dict_is_a_snapshot():
    import copy

    model = nn.Linear(2, 1)
    snap = copy.deepcopy(model.state_dict())
    live = model.state_dict()
    with cr.no_grad():
        model.weight.fill_(3.0)
    assert (live["weight"].numpy() == 3.0).all() and not (snap["weight"].numpy() == 3.0).any()


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0],
        [1.0, 2.5],
        [1e-5, 1.0],
        [1e9, 1.0],
        3.0,
        1.5,
        [float("nan"), 1.0],
        [float("inf"), 1.5],
        [[1.0, -2.5], [3.0, 4.0]],
        [0.0, -0.0],
        [1, -20],
        [True, False],
        [-0.5, 1234.5678],
    ],
)
def test_repr_prints_the_text_pytorch_prints(values):
    assert repr(cr.tensor(values)) == _torch_repr(torch.tensor(values))


def _torch_repr(t) -> str:
    # chainrule's dtypes are NumPy's: "dtype=float64" is 6 characters shorter, so it may stay on
    # a line where PyTorch's "dtype=torch.float64" wraps
    return repr(t).replace("dtype=torch.", "dtype=").replace(",\n       dtype=", ", dtype=")


def _unwrapped(text: str) -> str:
    return text.replace(",\n       dtype=", ", dtype=")


@pytest.mark.parametrize("shape", [(30,), (2000,), (2, 3, 4), (30, 100), (8, 9, 10), (0, 3), (0,)])
@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e9])
def test_repr_wraps_and_summarises_as_pytorch(shape, scale):
    a = (np.random.default_rng(len(shape)).normal(size=shape) * scale).astype(np.float32)
    assert repr(cr.tensor(a)) == _torch_repr(torch.tensor(a))
    ints = (a * 100).astype(np.int64)
    assert repr(cr.tensor(ints)) == _torch_repr(torch.tensor(ints))
    t, u = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert repr(t) == _torch_repr(u)
    ours = _unwrapped(repr(cr.tensor(a, dtype=cr.float64)))
    assert ours == _torch_repr(torch.tensor(a, dtype=torch.float64))
