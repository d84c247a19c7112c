"""Server-side parameters behind the playground's teaching views (issue 13).

The init choice (``init``: 'standard' Xavier/He, or 'normal', every weight N(0, 1)) that lets
a student see tanh saturate, and the loss going back to cross-entropy when the problem goes
back from regression to classification.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.playground.protocol import MODEL_KEYS, apply_params, defaults, options, unpack
from chainrule.playground.trainer import Trainer, build_model


def test_regression_then_classification_gives_cross_entropy_back():
    p, _ = apply_params(defaults(), {"problem": "regression"})
    assert (p["problem"], p["dataset"], p["loss"]) == ("regression", "plane", "mse")
    p, _ = apply_params(p, {"problem": "classification"})
    assert (p["problem"], p["dataset"], p["loss"]) == ("classification", "circle", "cross_entropy")
    # a classification data set picked from regression does the same
    p, _ = apply_params(apply_params(defaults(), {"dataset": "plane"})[0], {"dataset": "xor"})
    assert (p["problem"], p["loss"]) == ("classification", "cross_entropy")
    # unless the same update asks for squared error
    p, _ = apply_params(
        apply_params(defaults(), {"problem": "regression"})[0],
        {"problem": "classification", "loss": "mse"},
    )
    assert p["loss"] == "mse"
    # classification to classification keeps the loss the student chose
    p, _ = apply_params(apply_params(defaults(), {"loss": "mse"})[0], {"dataset": "xor"})
    assert p["loss"] == "mse"


def test_init_is_a_model_parameter_with_two_choices():
    assert defaults()["init"] == "standard"
    assert options()["init"] == {"choices": ["standard", "normal"]}
    assert "init" in MODEL_KEYS  # changing it redraws the network
    p, notes = apply_params(defaults(), {"init": "Normal"})
    assert p["init"] == "normal" and notes == []
    p, notes = apply_params(p, {"init": "xavier"})
    assert p["init"] == "normal"
    assert notes == ['init: "xavier" is not one of standard, normal; keeping normal']


def test_naive_init_draws_n01_weights_and_saturates_tanh():
    def model(init: str) -> nn.Sequential:
        return build_model(2, [16, 16], ["tanh", "tanh"], 1, False, 3, init)

    standard, naive = model("standard"), model("normal")
    w_std, w_naive = standard[2].weight.numpy(), naive[2].weight.numpy()  # 16 × 16
    assert np.allclose(w_std.std(), np.sqrt(2 / 32), rtol=0.2)  # Xavier: 2 / (fan_in + fan_out)
    assert np.allclose(w_naive.std(), 1.0, rtol=0.2)
    assert np.allclose(naive[-1].weight.numpy().std(), 1.0, rtol=0.5)  # the output layer too
    # points of the playground's plane: under N(0, 1) the second tanh layer sits near ±1, where
    # tanh' = 1 − h² ≈ 0 and the backward pass multiplies by it
    x = cr.tensor(np.random.default_rng(0).uniform(-6, 6, (200, 2)).astype(np.float32))
    with cr.no_grad():
        h_std, h_naive = standard[:4](x).numpy(), naive[:4](x).numpy()
    assert np.mean(1 - h_naive**2) < 0.3 < 0.6 < np.mean(1 - h_std**2)
    assert np.mean(np.abs(h_naive) > 0.99) > 0.4 > 0.01 > np.mean(np.abs(h_std) > 0.99)
    # ReLU layers under the standard init are drawn with He's bound, not Xavier's
    relu = build_model(2, [16, 16], ["relu", "relu"], 1, False, 3)
    assert np.abs(relu[2].weight.numpy()).max() <= np.sqrt(6 / 16) + 1e-6


def test_reproduce_script_draws_the_same_naive_network(tmp_path):
    params = {
        **defaults(),
        "n_points": 40,
        "layers": [3],
        "activations": ["tanh"],
        "init": "normal",
    }
    t = Trainer(params)
    for _ in range(5):
        t.step()
    _, arrays = unpack(t.export())
    zipfile.ZipFile(io.BytesIO(arrays["zip"].tobytes())).extractall(tmp_path)
    assert 'init = "normal"' in (tmp_path / "reproduce.py").read_text()
    run = subprocess.run(
        [sys.executable, "reproduce.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    again = cr.load(tmp_path / "reproduced")
    for (name, a), (_, b) in zip(t.model.state_dict().items(), again.state_dict().items()):
        assert np.array_equal(a, b), name
