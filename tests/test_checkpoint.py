"""Checkpoints: exact round trips, optimiser state, atomic overwrite, and clear errors."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import chainrule as cr
from chainrule import _atomic, checkpoint, nn
from chainrule.backend import to_numpy, xp

safetensors_numpy = pytest.importorskip("safetensors.numpy")

try:
    optim = importlib.import_module("chainrule.optim")
except ImportError:
    optim = None


# ---------------------------------------------------------------------------------- fixtures
class FakeAdam:
    """A minimal Adam with the PyTorch-like state_dict API the real optimisers will have."""

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.param_groups = [
            {"lr": lr, "betas": betas, "eps": eps, "params": list(range(len(self.params)))}
        ]
        self.state: dict[int, dict] = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        group = self.param_groups[0]
        b1, b2 = group["betas"]
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad._data
            st = self.state.setdefault(
                i, {"step": 0, "exp_avg": xp.zeros_like(g), "exp_avg_sq": xp.zeros_like(g)}
            )
            st["step"] += 1
            st["exp_avg"] *= b1
            st["exp_avg"] += (1 - b1) * g
            st["exp_avg_sq"] *= b2
            st["exp_avg_sq"] += (1 - b2) * g * g
            m_hat = st["exp_avg"] / (1 - b1 ** st["step"])
            v_hat = st["exp_avg_sq"] / (1 - b2 ** st["step"])
            p._data -= (group["lr"] * m_hat / (xp.sqrt(v_hat) + group["eps"])).astype(p._data.dtype)

    def state_dict(self):
        return {
            "state": {
                i: {k: (v.copy() if hasattr(v, "shape") else v) for k, v in s.items()}
                for i, s in self.state.items()
            },
            "param_groups": [dict(g, params=list(g["params"])) for g in self.param_groups],
        }

    def load_state_dict(self, sd):
        groups = sd["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError("parameter groups do not match")
        self.param_groups = [dict(groups[0])]
        self.state = {int(i): dict(s) for i, s in sd["state"].items()}


def _optimizers():
    yield pytest.param(lambda ps: FakeAdam(ps, lr=1e-2), id="fake-adam")
    real = [
        ("SGD", "momentum", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9)),
        ("SGD", "nesterov", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
        ("Adam", "", lambda ps: optim.Adam(ps, lr=1e-2)),
        ("Adam", "amsgrad", lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True)),
        ("AdamW", "", lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1)),
        ("RMSprop", "", lambda ps: optim.RMSprop(ps, lr=1e-3)),
    ]
    for name, variant, make in real:
        ok = optim is not None and hasattr(optim, name)
        marks = () if ok else pytest.mark.skip(reason=f"chainrule.optim.{name} not available")
        yield pytest.param(make, id=f"optim-{name}-{variant}".rstrip("-"), marks=marks)


def _rich_mlp(seed: int = 0, dropout: bool = True) -> nn.Sequential:
    g = cr.Generator(seed)
    layers = [
        nn.Linear(5, 16, generator=g),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Linear(16, 16, generator=g),
        nn.LayerNorm(16),
        nn.GELU(),
        nn.Linear(16, 8, generator=g),
        nn.LeakyReLU(0.1),
        nn.Linear(8, 8, generator=g),
        nn.ELU(),
        nn.Softplus(),
        nn.Linear(8, 3, generator=g),
        nn.Tanh(),
    ]
    if dropout:
        layers.insert(3, nn.Dropout(0.25, generator=cr.Generator(seed + 100)))
    return nn.Sequential(*layers)


def _data(seed: int = 1, n: int = 32):
    g = cr.Generator(seed)
    return cr.tensor(g.normal((n, 5))), cr.tensor(g.normal((n, 3)))


def _train(model, opt, x, y, steps: int):
    model.train()
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        opt.step()


def _states_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(
        to_numpy(sa[k]).dtype == to_numpy(sb[k]).dtype
        and np.array_equal(to_numpy(sa[k]), to_numpy(sb[k]))
        for k in sa
    )


@pytest.fixture
def trained(tmp_path):
    """A trained rich MLP (BatchNorm stats moved), saved to tmp_path/'ckpt'."""
    model = _rich_mlp()
    x, y = _data()
    _train(model, FakeAdam(model.parameters()), x, y, steps=3)
    model.eval()
    path = cr.save(model, tmp_path / "ckpt", metadata={"epoch": 3})
    return model, path


# ---------------------------------------------------------------------------------- round trips
def test_round_trip_predictions_are_bit_identical(trained):
    model, path = trained
    x, _ = _data(seed=7, n=20)
    loaded = cr.load(path)
    assert loaded is not model
    assert not loaded.training and all(not m.training for m in loaded.modules())
    assert repr(loaded) == repr(model)
    assert np.array_equal(loaded(x).numpy(), model(x).numpy())
    assert _states_equal(loaded, model)


def test_buffers_round_trip(trained):
    model, path = trained
    rm = model.state_dict()["1.running_mean"]
    assert not np.array_equal(to_numpy(rm), np.zeros(16, np.float32))  # training moved them
    loaded = cr.load(path)
    for key in ("1.running_mean", "1.running_var"):
        assert np.array_equal(to_numpy(loaded.state_dict()[key]), to_numpy(model.state_dict()[key]))


def test_load_into_given_instance_in_place(trained):
    model, path = trained
    other = _rich_mlp(seed=5)
    assert not _states_equal(other, model)
    out = cr.load(path, model=other)
    assert out is other and not other.training
    assert _states_equal(other, model)


def test_config_json_contents(trained):
    model, path = trained
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["format"] == "chainrule" and cfg["format_version"] == 1
    assert cfg["chainrule_version"] == cr.__version__
    assert cfg["model"] == nn.to_config(model)
    assert cfg["parameters"]["0.weight"] == {"shape": [16, 5], "dtype": "float32"}
    assert list(cfg["parameters"]) == list(model.state_dict())
    assert cfg["optimizer"] is None
    assert checkpoint.read_config(path) == cfg
    assert checkpoint.read_config(path / "config.json") == cfg


def test_save_returns_absolute_path_and_creates_parents(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    where = cr.save(nn.Sequential(nn.Linear(2, 1)), Path("a/b/net"))
    assert where == tmp_path / "a" / "b" / "net" and where.is_absolute()
    assert cr.load("a/b/net")[0].in_features == 2


def test_metadata_round_trips(tmp_path):
    meta = {
        "epoch": 12,
        "loss": 0.125,
        "note": "ünïcode ok",
        "nested": {"history": [1.0, 0.5, None], "flags": [True, False]},
        "np_scalar": np.float32(0.5),
        "pair": (1, 2),
    }
    cr.save(nn.Sequential(nn.Linear(2, 1)), tmp_path / "m", metadata=meta)
    got = cr.load(tmp_path / "m").checkpoint_metadata
    assert type(got) is dict
    assert got == {**meta, "np_scalar": 0.5, "pair": [1, 2]}
    assert type(got["np_scalar"]) is float


def test_metadata_defaults_to_empty_dict(tmp_path):
    cr.save(nn.Sequential(nn.Linear(2, 1)), tmp_path / "m")
    assert cr.load(tmp_path / "m").checkpoint_metadata == {}


@pytest.mark.parametrize(
    ("meta", "where"),
    [
        ({"model": object()}, r"metadata\['model'\]"),
        ({"a": {"b": [1, {2, 3}]}}, r"metadata\['a'\]\['b'\]\[1\]"),
        ({"arr": np.ones(2)}, r"metadata\['arr'\].*tolist"),
        ({"d": {1: "x"}}, r"metadata\['d'\]\[1\].*keys must be strings"),
        ([("a", 1)], "metadata must be a dict"),
    ],
)
def test_bad_metadata_is_a_type_error_naming_the_key(tmp_path, meta, where):
    with pytest.raises(TypeError, match=where):
        cr.save(nn.Sequential(nn.Linear(2, 1)), tmp_path / "m", metadata=meta)
    assert os.listdir(tmp_path) == []


def test_unsupported_dtype_is_a_value_error(tmp_path):
    model = Custom()
    model.register_buffer("phase", np.ones(2, dtype=np.complex128))
    with pytest.raises(ValueError, match=r"safetensors cannot store.*complex128"):
        cr.save(model, tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_float64_model_keeps_its_dtype(tmp_path):
    model = nn.Sequential(
        nn.Linear(3, 4, dtype="float64"), nn.Tanh(), nn.BatchNorm1d(4, dtype="float64")
    )
    model.eval()
    cr.save(model, tmp_path / "m")
    loaded = cr.load(tmp_path / "m")
    assert loaded[0].weight.dtype == np.float64 and loaded[2].running_var.dtype == np.float64
    x = cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    assert np.array_equal(loaded(x).numpy(), model(x).numpy())


def test_batchnorm_without_running_stats_round_trips(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, track_running_stats=False))
    cr.save(model, tmp_path / "m")
    loaded = cr.load(tmp_path / "m")
    assert _states_equal(loaded, model)


def test_load_does_not_shift_the_global_generator(trained):
    _, path = trained
    cr.manual_seed(123)
    expected = cr.randn(4).numpy()
    cr.manual_seed(123)
    cr.load(path)
    assert np.array_equal(cr.randn(4).numpy(), expected)


@settings(max_examples=10)
@given(
    sizes=hst.lists(hst.integers(1, 6), min_size=2, max_size=4),
    activation=hst.sampled_from(["relu", "tanh", "sigmoid", "gelu", "elu"]),
    seed=hst.integers(0, 2**16),
)
def test_random_mlps_round_trip_exactly(sizes, activation, seed):
    model = nn.mlp(sizes, activation=activation, seed=seed)
    x = cr.tensor(cr.Generator(seed).normal((3, sizes[0])))
    with tempfile.TemporaryDirectory() as tmp:
        loaded = cr.load(cr.save(model, Path(tmp) / "m"))
    assert np.array_equal(loaded(x).numpy(), model(x).numpy())


# ---------------------------------------------------------------------------------- optimiser
@pytest.mark.parametrize("make_opt", list(_optimizers()))
def test_resumed_training_is_bit_identical(tmp_path, make_opt):
    x, y = _data()
    model = _rich_mlp(dropout=False)
    opt = make_opt(model.parameters())
    _train(model, opt, x, y, steps=3)
    cr.save(model, tmp_path / "ckpt", optimizer=opt)
    _train(model, opt, x, y, steps=4)  # uninterrupted

    resumed = _rich_mlp(seed=9, dropout=False)
    resumed_opt = make_opt(resumed.parameters())
    cr.load(tmp_path / "ckpt", model=resumed, optimizer=resumed_opt)
    _train(resumed, resumed_opt, x, y, steps=4)
    assert _states_equal(resumed, model)

    # the optimiser state matters: weights alone do not reproduce the run
    fresh = _rich_mlp(seed=9, dropout=False)
    fresh_opt = make_opt(fresh.parameters())
    cr.load(tmp_path / "ckpt", model=fresh)
    _train(fresh, fresh_opt, x, y, steps=4)
    assert not _states_equal(fresh, model)


def test_optimizer_state_layout(tmp_path):
    x, y = _data()
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    opt = FakeAdam(model.parameters(), lr=0.03)
    _train(model, opt, x, y, steps=2)
    path = cr.save(model, tmp_path / "ckpt", optimizer=opt)
    cfg = checkpoint.read_config(path)
    assert cfg["optimizer"]["type"] == "FakeAdam"
    assert cfg["optimizer"]["param_groups"] == [
        {"lr": 0.03, "betas": [0.9, 0.999], "eps": 1e-8, "params": [0, 1, 2, 3]}
    ]
    assert cfg["optimizer"]["state"]["0"] == {"step": 2}
    stored = safetensors_numpy.load_file(str(path / "model.safetensors"))
    assert set(stored) == set(model.state_dict()) | {
        f"optimizer.state.{i}.{n}" for i in range(4) for n in ("exp_avg", "exp_avg_sq")
    }
    assert np.array_equal(stored["optimizer.state.2.exp_avg"], to_numpy(opt.state[2]["exp_avg"]))


def test_optimizer_errors(tmp_path, trained):
    model, path = trained  # saved without optimizer
    with pytest.raises(ValueError, match="no optimizer state"):
        cr.load(path, model=_rich_mlp(), optimizer=FakeAdam(model.parameters()))
    with pytest.raises(ValueError, match="optimizer= needs model="):
        cr.load(path, optimizer=FakeAdam(model.parameters()))

    class OtherOpt(FakeAdam):
        pass

    cr.save(model, tmp_path / "with_opt", optimizer=FakeAdam(model.parameters()))
    with pytest.raises(ValueError, match="from FakeAdam, not OtherOpt"):
        cr.load(tmp_path / "with_opt", model=model, optimizer=OtherOpt(model.parameters()))


def test_extra_optimizer_state_dict_entries_round_trip(tmp_path):
    class WithScheduler(FakeAdam):
        def state_dict(self):
            return {**super().state_dict(), "scheduler": {"last_epoch": 4}}

        def load_state_dict(self, sd):
            self.loaded_extra = sd["scheduler"]
            super().load_state_dict(sd)

    model = nn.Sequential(nn.Linear(2, 1))
    cr.save(model, tmp_path / "m", optimizer=WithScheduler(model.parameters()))
    opt = WithScheduler(model.parameters())
    cr.load(tmp_path / "m", model=model, optimizer=opt)
    assert opt.loaded_extra == {"last_epoch": 4}


def test_unserialisable_optimizer_state_names_the_key(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1))
    opt = FakeAdam(model.parameters())
    opt.param_groups[0]["schedule"] = lambda step: 1.0
    with pytest.raises(TypeError, match=r"param_groups\[0\]\['schedule'\]"):
        cr.save(model, tmp_path / "m", optimizer=opt)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------- overwriting
def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_refuses_to_overwrite(trained):
    _, path = trained
    before = _snapshot(path)
    with pytest.raises(FileExistsError, match="overwrite=True") as info:
        cr.save(_rich_mlp(seed=3), path)
    assert str(path) in str(info.value)
    assert _snapshot(path) == before


def test_overwrite_replaces_and_leaves_no_temporaries(trained):
    _, path = trained
    new = _rich_mlp(seed=3).eval()
    assert cr.save(new, path, overwrite=True, metadata={"v": 2}) == path
    loaded = cr.load(path)
    assert _states_equal(loaded, new) and loaded.checkpoint_metadata == {"v": 2}
    assert os.listdir(path.parent) == ["ckpt"]


def test_failed_overwrite_leaves_old_checkpoint_intact(trained, monkeypatch):
    _, path = trained
    before = _snapshot(path)

    def broken_writer(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors_numpy, "save", broken_writer)
    monkeypatch.setattr(safetensors_numpy, "save_file", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        cr.save(_rich_mlp(seed=3), path, overwrite=True)
    assert _snapshot(path) == before
    assert os.listdir(path.parent) == ["ckpt"]
    with pytest.raises(OSError, match="disk full"):
        cr.save(_rich_mlp(seed=3), path.parent / "fresh")
    assert os.listdir(path.parent) == ["ckpt"]


def test_failed_swap_restores_old_checkpoint(trained, monkeypatch):
    _, path = trained
    before = _snapshot(path)
    real_rename = os.rename

    def rename(src, dst):
        if ".tmp-" in os.fspath(src):  # the finished new checkpoint moving into place
            raise OSError("power cut")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    # the two-rename swap used where the system has no atomic exchange (renameat2)
    monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    with pytest.raises(OSError, match="power cut"):
        cr.save(_rich_mlp(seed=3), path, overwrite=True)
    assert _snapshot(path) == before
    assert os.listdir(path.parent) == ["ckpt"]


def test_overwrite_refuses_foreign_paths(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1))
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match=r"thesis\.tex"):
        cr.save(model, precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "years of work"
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(FileExistsError, match="not a checkpoint directory"):
        cr.save(model, afile, overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    cr.save(model, empty, overwrite=True)
    assert sorted(os.listdir(empty)) == ["config.json", "model.safetensors"]


# ---------------------------------------------------------------------------------- damaged files
def _edit_config(path: Path, edit) -> None:
    cfg = json.loads((path / "config.json").read_text())
    edit(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def test_truncated_weights(trained):
    _, path = trained
    weights = path / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-10])
    with pytest.raises(ValueError, match=r"model\.safetensors is truncated"):
        cr.load(path)
    weights.write_bytes(data[:40])  # cut inside the header
    with pytest.raises(ValueError, match=r"model\.safetensors is truncated or its header"):
        cr.load(path)
    weights.write_bytes(data[:5])
    with pytest.raises(ValueError, match="too short for a safetensors header"):
        cr.load(path)
    # without the recorded size, safetensors' own check still catches it
    weights.write_bytes(data[:-10])
    _edit_config(path, lambda c: c.pop("files"))
    with pytest.raises(ValueError, match=r"model\.safetensors is corrupt: safetensors cannot read"):
        cr.load(path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:8] + b"\xff\xfe\xfd" + b[11:],  # invalid UTF-8 in the JSON header
        lambda b: b[:8] + b"#" + b[9:],  # header is no longer JSON
        lambda b: b"\x00" * 8 + b[8:],  # header length zeroed
    ],
)
def test_corrupt_header(trained, damage):
    _, path = trained
    weights = path / "model.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(ValueError, match=r"model\.safetensors is corrupt"):
        cr.load(path)


def test_corrupt_tensor_bytes_fail_the_checksum(trained):
    _, path = trained
    weights = path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"model\.safetensors is corrupt: its SHA-256"):
        cr.load(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"{not json", r"config\.json is not valid JSON"),
        (b"\xff\xfe garbage", r"config\.json is not UTF-8"),
        (b"[1, 2]", r"config\.json must hold a JSON object"),
        (b'{"format": "pytorch", "format_version": 1}', r"'format' is 'pytorch'"),
    ],
)
def test_bad_config_json(trained, content, match):
    _, path = trained
    (path / "config.json").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        cr.load(path)
    with pytest.raises(ValueError, match=match):
        checkpoint.read_config(path)


@pytest.mark.parametrize(
    ("version", "match"),
    [(2, "unsupported format_version 2.*newer chainrule"), (0, "unsupported format_version 0")],
)
def test_wrong_format_version(trained, version, match):
    _, path = trained
    _edit_config(path, lambda c: c.update(format_version=version))
    with pytest.raises(ValueError, match=match):
        cr.load(path)


def test_missing_files(trained, tmp_path):
    _, path = trained
    with pytest.raises(FileNotFoundError, match="nowhere"):
        cr.load(tmp_path / "nowhere")
    (path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        cr.load(path)
    (path / "config.json").unlink()
    with pytest.raises(ValueError, match=r"no config\.json in"):  # also a ValueError
        cr.load(path)
    afile = tmp_path / "plain.txt"
    afile.write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        cr.load(afile)


def test_table_and_file_disagree(trained):
    _, path = trained

    def shape(c):
        c["parameters"]["0.weight"]["shape"] = [16, 4]

    _edit_config(path, shape)
    with pytest.raises(ValueError, match=r"'0\.weight'.*shape \(16, 5\).*says \(16, 4\)"):
        cr.load(path)


def test_table_dtype_disagrees(trained):
    _, path = trained
    _edit_config(path, lambda c: c["parameters"]["1.running_var"].update(dtype="float64"))
    with pytest.raises(ValueError, match=r"'1\.running_var'.*dtype float32.*says float64"):
        cr.load(path)


def test_missing_tensor(trained):
    _, path = trained
    _edit_config(
        path, lambda c: c["parameters"].update({"99.weight": {"shape": [2], "dtype": "float32"}})
    )
    with pytest.raises(ValueError, match=r"lacks tensor '99\.weight'"):
        cr.load(path)


def test_unknown_layer_type(trained):
    _, path = trained
    _edit_config(path, lambda c: c["model"]["layers"][2].update(type="os.system"))
    with pytest.raises(
        ValueError, match=r"cannot rebuild the model.*unknown layer type 'os\.system'"
    ):
        cr.load(path)


def test_model_does_not_fit_weights(trained):
    _, path = trained
    wrong = nn.mlp([5, 7, 3], seed=0)
    with pytest.raises(ValueError, match=r"shape mismatch for '0\.weight'.*\(16, 5\).*\(7, 5\)"):
        cr.load(path, model=wrong)
    with pytest.raises(ValueError, match=r"the model has \['14\.weight'.*which the checkpoint"):
        cr.load(path, model=_rich_mlp().append(nn.BatchNorm1d(3)))


# ---------------------------------------------------------------------------------- custom modules
class Custom(nn.Module):
    def __init__(self, seed: int = 0):
        super().__init__()
        g = cr.Generator(seed)
        self.a = nn.Linear(3, 4, generator=g)
        self.b = nn.Linear(4, 2, generator=g)
        self.register_buffer("scale", xp.full(2, 1.5 + seed, dtype=np.float32))

    def forward(self, x):
        return self.b(cr.tanh(self.a(x))) * cr.tensor(self.scale)


def test_custom_module_needs_model_argument(tmp_path):
    model = Custom(seed=0)
    path = cr.save(model, tmp_path / "custom")
    assert checkpoint.read_config(path)["model"] is None
    with pytest.raises(ValueError, match="model=") as info:
        cr.load(path)
    assert "config.json" in str(info.value)
    loaded = cr.load(path, model=Custom(seed=1))
    x = cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    assert np.array_equal(loaded(x).numpy(), model(x).numpy())


def test_sequential_subclass_is_not_described(tmp_path):
    class Residual(nn.Sequential):
        def forward(self, x):
            return x + super().forward(x)

    path = cr.save(Residual(nn.Linear(2, 2)), tmp_path / "res")
    assert checkpoint.read_config(path)["model"] is None  # a plain Sequential would lose the skip


# ---------------------------------------------------------------------------------- file format
def test_directory_holds_no_pickle(tmp_path):
    model = _rich_mlp()
    path = cr.save(model, tmp_path / "m", optimizer=FakeAdam(model.parameters()))
    assert sorted(os.listdir(path)) == ["config.json", "model.safetensors"]
    for f in path.iterdir():
        data = f.read_bytes()
        assert data[:1] not in (b"\x80", b"(", b"]", b"}", b"c")  # pickle opcodes
        assert b"\x80\x04\x95" not in data and b"\x80\x05\x95" not in data
    json.loads((path / "config.json").read_text())
    weights = (path / "model.safetensors").read_bytes()
    n = int.from_bytes(weights[:8], "little")
    header = json.loads(weights[8 : 8 + n])
    assert header["__metadata__"]["producer"] == "chainrule"
    source = Path(checkpoint.__file__).read_text()
    assert "import pickle" not in source and "allow_pickle" not in source


def test_missing_safetensors_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[io\]"'):
        cr.save(nn.Sequential(nn.Linear(2, 1)), tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_import_chainrule_does_not_import_safetensors():
    code = "import sys, chainrule; sys.exit('safetensors' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_checkpoint_not_found_is_both_error_kinds(tmp_path):
    with pytest.raises(checkpoint.CheckpointNotFoundError) as info:
        checkpoint.read_config(tmp_path / "nope")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
