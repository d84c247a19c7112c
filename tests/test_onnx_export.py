"""ONNX export, checked by running the file in onnxruntime against chainrule's own outputs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1)),
        lambda: nn.Sequential(
            nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Dropout(0.3),
            nn.Sequential(nn.Linear(6, 6), nn.LayerNorm(6), nn.SiLU()), nn.Linear(6, 2),
            nn.LogSoftmax(dim=-1),
        ),
        lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(4, 5), nn.LeakyReLU(0.2), nn.Linear(5, 5), nn.ELU(),
            nn.Linear(5, 5), nn.Sigmoid(), nn.Linear(5, 1, bias=False), nn.Softplus(),
        ),
    ],
    ids=["mlp_softmax", "norms_nested", "activations"],
)  # fmt: skip
def test_onnxruntime_matches_chainrule(make, tmp_path):
    model = make()
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    model.train()
    model(cr.tensor(x))  # move BatchNorm's running statistics off their start
    model.eval()
    path = tmp_path / "model.onnx"
    cr.onnx.export(model, cr.tensor(x[:1]), path)
    np.testing.assert_allclose(_run(path, x), model(cr.tensor(x)).numpy(), rtol=1e-5, atol=1e-5)


def test_unsupported_module_is_named(tmp_path):
    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="does not implement Custom"):
        cr.onnx.export(
            nn.Sequential(nn.Linear(2, 2), Custom()), cr.zeros((1, 2)), tmp_path / "m.onnx"
        )
    assert not (tmp_path / "m.onnx").exists()
