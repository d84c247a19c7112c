"""The explainer's formulas hold in the layout they are printed in, its ∂L/∂W labels name the
layer's real input, and the playground gets its walk from the same explainer."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.cli.main import main
from chainrule.diagnostics import explain, render
from chainrule.diagnostics.explain import explain_model
from chainrule.nn.losses import cross_entropy


def test_numerator_layout_prints_the_product_that_multiplies():
    report = explain(layers=(2, 3, 2, 1), activation="tanh", seed=0, layout="numerator")
    for step in report["steps"]:
        J = np.asarray(step["jacobian"])  # rows: the node's outputs u, columns: its inputs x
        assert J.shape == (len(step["value"]), len(step["input"]))
        row = np.asarray(step["grad_out"])[None, :]  # ∂L/∂u as a row vector
        np.testing.assert_allclose((row @ J)[0], step["grad_in"], rtol=1e-12, atol=1e-15)
        assert step["chain_rule"] == "∂L/∂x = ∂L/∂u · ∂u/∂x"
    text = render(report)
    assert "∂L/∂x = ∂L/∂u · ∂u/∂x" in text and "∂u/∂x · ∂L/∂u" not in text
    den = render(explain(layers=(2, 3, 2, 1), seed=0))
    assert "∂L/∂x = ∂u/∂x · ∂L/∂u" in den and "∂L/∂u · ∂u/∂x" not in den


def test_every_jacobian_is_2d_in_json_the_loss_step_too():
    for layout in ("denominator", "numerator"):
        report = json.loads(render(explain(layers=(2, 3, 2), loss="mse", layout=layout), "json"))
        shapes = [np.asarray(s["jacobian"]).shape for s in report["steps"]]
        assert all(len(shape) == 2 for shape in shapes), shapes
        loss_step = report["steps"][-1]
        assert loss_step["name"] == "L"
        assert shapes[-1] == ((2, 1) if layout == "denominator" else (1, 2))


def test_weight_gradient_labels_name_the_layers_real_input():
    report = explain(layers=(2, 3, 2, 1), seed=0)
    rules = {s["name"]: s["grad_W_rule"] for s in report["steps"] if "grad_W" in s}
    assert rules == {
        "z1": "∂L/∂W1 = (∂L/∂z1) xᵀ",
        "z2": "∂L/∂W2 = (∂L/∂z2) h1ᵀ",
        "z3": "∂L/∂W3 = (∂L/∂z3) h2ᵀ",
    }
    for s in report["steps"]:
        if "grad_W" in s:  # and the product uses that input
            np.testing.assert_allclose(s["grad_W"], np.outer(s["grad_out"], s["input"]))
    text = render(report)
    assert "∂L/∂W2 = (∂L/∂z2) h1ᵀ" in text and "∂L/∂W2 = (∂L/∂z2) xᵀ" not in text


def test_a_network_without_hidden_layer_is_not_called_tanh(capsys):
    assert main(["explain", "--layers", "2,1"]) == 0
    title = capsys.readouterr().out.splitlines()[0]
    assert title == "Backpropagation through a 2-1 network (no hidden layer), loss bce, one example"
    assert main(["explain", "--layers", "2,1", "--layout", "numerator"]) == 0
    assert "∂L/∂x = ∂L/∂u · ∂u/∂x" in capsys.readouterr().out


def test_any_sequential_is_explained_and_checked_by_finite_differences():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 3))
    x = np.array([0.3, -0.2, 0.9], dtype=np.float32)
    report = explain_model(net, x, 2, "ce")
    assert [s["name"] for s in report["steps"]] == ["z1", "h1", "z2", "z3", "L"]
    assert report["steps"][3]["equation"] == "z3 = W3 · z2 + b3"
    assert report["steps"][3]["grad_W_rule"] == "∂L/∂W3 = (∂L/∂z3) z2ᵀ"
    # the same gradients as the engine on the float32 model, and the finite differences agree
    logits = net(cr.tensor(x[None, :]))
    cross_entropy(logits, [2]).backward()
    np.testing.assert_allclose(report["gradients"]["W1"], net[0].weight.grad.numpy(), atol=1e-5)
    rows = {r["name"]: r for r in report["check"]["rows"]}
    assert set(rows) == {"x", "W1", "b1", "W2", "b2", "W3", "b3"}
    np.testing.assert_allclose(rows["W2"]["numeric"], rows["W2"]["backprop"], atol=1e-6)
    assert report["check"]["agree"]
    with pytest.raises(ValueError, match="loss must be one of"):
        explain_model(net, x, 2, "hinge")
