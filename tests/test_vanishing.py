"""Diagnostics: vanishing gradients measured (``vanishing``), and learned basis functions
(``fit_sine_basis``, ``hidden_units``). None of these need matplotlib."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.diagnostics import fit_sine_basis, hidden_units, vanishing, vanishing_table
from chainrule.diagnostics.vanishing import init_for


# ----------------------------------------------------------------------------- vanishing
@pytest.fixture(scope="module")
def default_run() -> dict:
    return vanishing(depth=20)  # the documented default call (about a second)


def test_sigmoid_gradients_vanish_relu_do_not(default_run):
    res = default_run["results"]
    sig, tanh, relu = (res[a]["init"][0] for a in ("sigmoid", "tanh", "relu"))
    assert sig * 10 < relu  # the brief's bar; in fact about 11 orders of magnitude
    assert sig < 1e-6 * relu
    assert sig < tanh < relu  # tanh in between
    # the vanishing is in the first layers, not everywhere: sigmoid's last layer is not small
    assert res["sigmoid"]["ratio_first_last"] < 1e-6
    assert res["sigmoid"]["init"][-1] > 0.1
    for a in ("tanh", "relu"):  # with their standard init, first and last are the same order
        assert 0.1 < res[a]["ratio_first_last"] < 10
    # and during training too
    assert res["sigmoid"]["trained"][0] * 1e6 < res["relu"]["trained"][0]


def test_result_shapes_and_contents(default_run):
    r = default_run
    assert (r["depth"], r["width"], r["n_classes"], r["steps"], r["init"]) == (
        20,
        64,
        10,
        50,
        "auto",
    )
    assert list(r["results"]) == ["sigmoid", "tanh", "relu"]
    json.dumps(r, allow_nan=False)  # plain JSON, for the CLI's --format json
    for name, res in r["results"].items():
        assert len(res["init"]) == 20 and len(res["trained"]) == 20
        assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in res["init"])
        assert all(math.isfinite(v) and v > 0 for v in res["trained"])
        assert res["ratio_first_last"] == pytest.approx(res["init"][0] / res["init"][-1])
        assert res["init_scheme"] == init_for(name)
        # a 10-class problem starts near chance, log 10 ≈ 2.3
        assert 1.8 < res["loss_start"] < 3.0
    # ReLU and tanh learn in 50 steps
    for a in ("tanh", "relu"):
        assert r["results"][a]["loss_end"] < r["results"][a]["loss_start"] - 0.1


def test_deterministic_for_a_seed_and_seed_matters():
    kw = {"depth": 6, "width": 16, "steps": 5, "n_samples": 64, "batch_size": 16}
    a, b = vanishing(seed=3, **kw), vanishing(seed=3, **kw)
    assert a == b
    c = vanishing(seed=4, **kw)
    assert c["results"]["relu"]["init"] != a["results"]["relu"]["init"]


def test_library_default_init_makes_every_activation_vanish():
    """With U(±1/√fan_in) for all, even ReLU's gradients shrink: the claim needs He init."""
    r = vanishing(depth=20, steps=0, init=None)
    for a in ("sigmoid", "tanh", "relu"):
        assert r["results"][a]["init_scheme"] is None
        assert r["results"][a]["ratio_first_last"] < 1e-2
    assert r["results"]["sigmoid"]["init"][0] < 1e-6 * r["results"]["tanh"]["init"][0]


def test_no_training_steps():
    r = vanishing(depth=4, width=8, steps=0, n_samples=32, activations=("relu",))
    res = r["results"]["relu"]
    assert res["trained"] == [] and res["ratio_first_last_trained"] is None
    assert res["loss_end"] == res["loss_start"]
    json.dumps(r, allow_nan=False)  # the result is plain JSON


def test_one_init_for_all_is_applied():
    r = vanishing(depth=4, width=8, steps=1, n_samples=32, init="kaiming_uniform")
    assert {v["init_scheme"] for v in r["results"].values()} == {"kaiming_uniform"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depth": 1},
        {"steps": -1},
        {"activations": ()},
        {"n_classes": 1},
        {"activations": ["relux"]},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        vanishing(**{"depth": 3, "width": 4, "steps": 1, "n_samples": 16, **kwargs})


def test_table(default_run):
    text = vanishing_table(default_run)
    lines = text.splitlines()
    assert len(lines) == 2 + 3
    assert "depth 20" in lines[0] and "first/last" in lines[1]
    for line, name in zip(lines[2:], ("sigmoid", "tanh", "relu")):
        assert line.startswith(name)
        assert "→" in line
    sig = default_run["results"]["sigmoid"]
    assert f"{sig['init'][0]:.2e}" in lines[2]


# ----------------------------------------------------------------------------- saturation (issue 13.4)
@pytest.fixture(scope="module")
def naive_and_standard() -> tuple[dict, dict]:
    kw = {"depth": 20, "steps": 0, "activations": ("sigmoid", "tanh")}
    return vanishing(init="normal", **kw), vanishing(**kw)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_naive_init_saturates_sigmoid_and_tanh(naive_and_standard):
    naive, standard = naive_and_standard
    for a in ("sigmoid", "tanh"):
        big, small = naive["results"][a]["saturation"], standard["results"][a]["saturation"]
        assert len(big["preact_std"]) == 20 and len(big["slope"]) == 19  # 19 hidden activations
        # N(0, 1) weights: z is √64 = 8 times wider at layer 1 (standardised inputs), and stays wide
        assert 7 < big["preact_std"][0] < 9.5 and _mean(big["preact_std"]) > 4
        assert 0.8 < small["preact_std"][0] < 1.3 and _mean(small["preact_std"]) < 1.2
    # the units sit on the flat tails: φ′ far below its maximum (1 for tanh, 1/4 for sigmoid)
    tanh_big = naive["results"]["tanh"]["saturation"]["slope"]
    tanh_small = standard["results"]["tanh"]["saturation"]["slope"]
    assert _mean(tanh_big) < 0.15 < 0.8 < _mean(tanh_small)
    assert _mean(naive["results"]["sigmoid"]["saturation"]["slope"]) < 0.1
    # the slope is what autodiff gives: tanh′(z) = 1 − tanh²(z) at the first layer's z
    model = nn.mlp([64] * 20 + [10], activation="tanh", init="normal", seed=0)
    from chainrule.diagnostics.vanishing import _blobs

    X, _ = _blobs(512, 64, 10, 0)
    z = model[0](X).numpy()
    assert tanh_big[0] == pytest.approx(float(np.mean(1 - np.tanh(z) ** 2)), rel=1e-5)


def test_saturation_note_states_what_was_measured(naive_and_standard):
    from chainrule.diagnostics.vanishing import saturation_note

    naive, standard = naive_and_standard
    note = saturation_note(naive)
    tanh = naive["results"]["tanh"]
    # with N(0, 1), tanh is saturated, yet its gradient explodes: the note says so from the numbers
    assert tanh["ratio_first_last"] > 1e3
    assert "tanh (init 'normal'): z has std" in note and "explodes towards the input" in note
    assert "sigmoid (init 'normal')" in note and "vanishes towards the input" in note
    assert "√64 = 8" in note and "saturation" in note
    assert "keeps its size" in saturation_note(standard)
    table = vanishing_table(naive)
    assert "z std" in table.splitlines()[1] and "mean φ′" in table.splitlines()[1]


def test_relu_overflow_is_reported_as_an_overflow():
    # N(0, 1) weights grow ReLU pre-activations about ×5.6 per layer (√(64/2)): past layer ~50 the
    # forward pass leaves float32, which is reported as an overflow, not as a NaN further on
    r = vanishing(depth=60, steps=0, init="normal", activations=("relu", "tanh"))
    relu = r["results"]["relu"]
    assert relu["overflow"].startswith("overflow: with init 'normal'")
    assert "per layer" in relu["overflow"] and "at layer 5" in relu["overflow"]
    assert "float32" in relu["overflow"] and "NaN" not in relu["overflow"].split("(")[0]
    assert relu["init"] == [] and relu["ratio_first_last"] is None
    assert r["results"]["tanh"]["overflow"] is None and len(r["results"]["tanh"]["init"]) == 60
    json.dumps(r, allow_nan=False)
    table = vanishing_table(r)
    assert re.search(r"^relu\s+normal\s+overflow: ", table, re.M)


def test_relu_at_depth_20_explodes_without_overflowing():
    """At depth 20 the values stay inside float32: the gradients are measured, not refused."""
    relu = vanishing(depth=20, steps=0, init="normal", activations=("relu",))["results"]["relu"]
    assert relu["overflow"] is None and len(relu["init"]) == 20
    assert all(math.isfinite(v) and v > 1e6 for v in relu["init"])


def test_overflow_in_training_keeps_the_init_measurement():
    r = vanishing(depth=8, width=16, steps=3, init="normal", activations=("relu",))
    relu = r["results"]["relu"]
    assert len(relu["init"]) == 8 and all(math.isfinite(v) for v in relu["init"])
    assert "overflows float32" in relu["overflow"]
    assert relu["overflow"].endswith(("after training", "in SGD step 1", "in SGD step 2",
                                      "in SGD step 3"))  # fmt: skip
    assert "→ overflow" in vanishing_table(r)


def test_dead_relu_net_says_why_every_gradient_is_zero():
    r = vanishing(depth=7, width=2, activations=("relu",), steps=0, n_samples=64, seed=0)
    relu = r["results"]["relu"]
    assert relu["init"][0] == 0.0  # not a small gradient: exactly none
    assert "exactly 0" in relu["dead"] and "ReLU" in relu["dead"]
    table = vanishing_table(r)
    assert table.splitlines()[-1] == "relu: " + relu["dead"]
    alive = vanishing(depth=7, width=16, activations=("relu",), steps=0, n_samples=64)
    assert alive["results"]["relu"]["dead"] is None


def test_cli_init_option(tmp_path, capsys):
    from chainrule.cli.main import main

    args = ["vanishing", "--depth", "6", "--width", "16", "--steps", "0", "--no-plots"]
    assert main([*args, "--init", "normal", "--activations", "tanh,relu"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^tanh\s+normal\s", out, re.M) and "Pre-activation size" in out
    assert main([*args, "--init", "default", "--activations", "tanh", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]["tanh"]["init_scheme"] is None
    dead = ["vanishing", "--depth", "7", "--width", "2", "--activations", "relu", "--steps", "0"]
    assert main([*dead, "--no-plots"]) == 0
    assert "relu: The gradient of the first layer is exactly 0" in capsys.readouterr().out
    assert main([*args, "--init", "norml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule: error: --init: unknown initialiser 'norml'")
    assert "did you mean normal" in err and err.count("\n") == 1


# ----------------------------------------------------------------------------- basis functions
@pytest.fixture(scope="module")
def sine_fit():
    return fit_sine_basis(hidden=8, activation="tanh", seed=0)


def test_fit_sine_basis_fits_to_the_noise(sine_fit):
    model, X, y, info = sine_fit
    assert X.shape == (200, 1) and y.shape == (200,)
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear"]
    assert model[0].out_features == 8
    assert info["loss"] < 2 * info["noise"]  # noise variance 0.01
    assert info["history"]["loss"][-1] == pytest.approx(info["loss"])
    assert info["loss"] < info["history"]["loss"][0] / 10


def test_hidden_units_reconstruct_the_output(sine_fit):
    model, X, _, _ = sine_fit
    phi, w, b = hidden_units(model, X)
    assert phi.shape == (200, 8) and w.shape == (8,) and isinstance(b, float)
    out = model(X).numpy()[:, 0]
    np.testing.assert_allclose(phi @ w + b, out, rtol=1e-5, atol=1e-6)
    # φ is the tanh of the first layer, so bounded by 1
    assert np.abs(phi).max() <= 1.0


@pytest.mark.parametrize("sizes", [[1, 5, 1], [1, 6, 4, 1], [2, 3, 1]])
@pytest.mark.parametrize("act", ["relu", "sigmoid"])
def test_hidden_units_identity_for_other_nets(sizes, act):
    model = nn.mlp(sizes, activation=act, seed=1)
    x = cr.randn(50, sizes[0], generator=cr.Generator(2), dtype=cr.float64).numpy()
    phi, w, b = hidden_units(model, x)
    assert phi.shape == (50, sizes[-2])
    np.testing.assert_allclose(phi @ w + b, model(x).numpy()[:, 0], rtol=1e-5, atol=1e-6)


def test_hidden_units_accepts_tensors_and_flat_inputs():
    model = nn.mlp([1, 4, 1], activation="tanh", seed=0)
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    a = hidden_units(model, x)[0]
    b = hidden_units(model, cr.tensor(x.reshape(-1, 1)))[0]
    c = hidden_units(model, x.astype(np.float64))[0]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert model.training  # the mode is put back


def test_hidden_units_rejects_other_models():
    with pytest.raises(ValueError, match="Linear"):
        hidden_units(nn.mlp([1, 4, 1], "tanh", output_activation="sigmoid", seed=0), [0.0])
    with pytest.raises(ValueError, match="Linear"):
        hidden_units(nn.mlp([1, 4, 2], "tanh", seed=0), [0.0])
    with pytest.raises(TypeError):
        hidden_units(nn.Linear(1, 1), [0.0])
