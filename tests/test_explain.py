"""``diagnostics.explain``: the step-by-step chain rule equals backward() and finite differences."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.diagnostics import explain, render
from chainrule.nn.losses import binary_cross_entropy_with_logits, mse_loss


def _loss_from_report(report, loss):
    """Rebuild L(x, W, b) from the printed numbers and differentiate it with the engine."""
    w = report["weights"]
    n = len(report["network"]["layers"]) - 1
    act = cr.nn.activation_fn(report["network"]["activation"])

    def L(x, *params):
        v = x
        for k in range(n):
            v = params[2 * k] @ v + params[2 * k + 1]
            if k < n - 1:
                v = act(v)
        y = cr.tensor(report["y"], dtype=cr.float64)
        if loss == "bce":
            return binary_cross_entropy_with_logits(v, y, reduction="sum")
        return 0.5 * mse_loss(v, y, reduction="sum")

    args = [cr.tensor(report["x"], dtype=cr.float64)]
    for k in range(1, n + 1):
        args += [cr.tensor(w[f"W{k}"], dtype=cr.float64), cr.tensor(w[f"b{k}"], dtype=cr.float64)]
    return L, args


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_explained_gradients_equal_backprop_and_gradcheck(activation, loss):
    report = explain(layers=(3, 4, 1), activation=activation, loss=loss, seed=3)
    L, args = _loss_from_report(report, loss)
    assert report["loss"] == pytest.approx(L(*args).item(), rel=1e-12)
    grads = cr.grad(L, argnums=tuple(range(len(args))))(*args)
    names = ["x"] + [f"{p}{k}" for k in range(1, 3) for p in ("W", "b")]
    got = {"x": report["grad_x"], **report["gradients"]}
    for name, g in zip(names, grads):
        np.testing.assert_allclose(np.asarray(got[name]), g.numpy(), rtol=1e-10, atol=1e-12)
    assert cr.gradcheck(L, *args)
    assert report["check"]["agree"] and report["check"]["max_abs_error"] < 1e-6


def test_chain_rule_holds_step_by_step_in_the_notes_layout():
    report = explain(layers=(2, 3, 2, 1), activation="tanh", seed=0)
    for step in report["steps"]:
        J = np.atleast_2d(np.asarray(step["jacobian"], dtype=float))
        J = J.reshape(len(np.atleast_1d(step["input"])), -1)
        upstream = np.asarray(step["grad_out"], dtype=float)
        np.testing.assert_allclose(J @ upstream, step["grad_in"], rtol=1e-12, atol=1e-15)
    # each step's ∂L/∂x is the next step's upstream ∂L/∂u
    for a, b in zip(report["steps"][:-1], report["steps"][1:]):
        np.testing.assert_allclose(a["grad_out"], b["grad_in"], rtol=1e-12, atol=1e-15)


def test_numerator_layout_is_the_transpose():
    den = explain(layers=(2, 3, 1), seed=1)
    num = explain(layers=(2, 3, 1), seed=1, layout="numerator")
    J_den = np.asarray(den["steps"][0]["jacobian"])
    J_num = np.asarray(num["steps"][0]["jacobian"])
    assert J_den.shape == (2, 3)
    np.testing.assert_array_equal(J_num, J_den.T)


def test_render_formats():
    report = explain(layers=(2, 2, 1), seed=0, x=[0.5, -1.0], y=[0.0])
    text = render(report, "text")
    assert "∂L/∂x = ∂u/∂x · ∂L/∂u" in text and "agree" in text
    md = render(report, "markdown")
    assert md.startswith("# Backpropagation") and "| W1 |" in md
    back = json.loads(render(report, "json"))
    assert back["x"] == [0.5, -1.0] and back["y"] == [0.0]
    with pytest.raises(ValueError, match="format"):
        render(report, "html")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "hinge"}, "loss"),
        ({"layout": "diagonal"}, "layout"),
        ({"layers": (2,)}, "layers"),
        ({"layers": (2, 3, 2)}, "one output"),
        ({"x": [1.0, 2.0, 3.0]}, "x must have 2"),
        ({"y": [0.5]}, "needs y in"),
        ({"activation": "swish"}, "unknown activation"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explain(**{"layers": (2, 3, 1), **kwargs})
