"""State dicts of the scikit-learn MLP optimisers (SklearnSGD, SklearnAdam): their flat
buffers and step counts survive a round trip, so training resumes bit-identically."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

import chainrule as cr
from chainrule import checkpoint, nn
from chainrule.backend import xp
from chainrule.estimators._base import FlatParameters, SklearnAdam, SklearnSGD

OPTIMISERS = {
    "adam": lambda flat: SklearnAdam(flat, 0.01, 0.9, 0.999, 1e-8),
    "sgd-nesterov": lambda flat: SklearnSGD(flat, 0.05, "constant", 0.9, True, 0.5),
    "sgd-invscaling": lambda flat: SklearnSGD(flat, 0.05, "invscaling", 0.8, False, 0.5),
}

RNG = np.random.default_rng(0)
X = cr.tensor(RNG.standard_normal((16, 3)))
Y = cr.tensor(RNG.standard_normal((16, 2)))


def build(name: str, weights: dict | None = None) -> tuple[nn.Module, object]:
    """A 3-5-2 tanh network (float64) laid out flat, and a fresh optimiser on it."""
    model = nn.Sequential(
        nn.Linear(3, 5, dtype="float64"), nn.Tanh(), nn.Linear(5, 2, dtype="float64")
    )
    if weights is not None:
        model.load_state_dict(weights)
    lins = [model[0], model[2]]
    params = [lin.weight for lin in lins] + [lin.bias for lin in lins]
    flat = FlatParameters(params, xp.float64, n_weights=2)
    return model, OPTIMISERS[name](flat)


def train(model: nn.Module, opt: object, steps: int) -> None:
    for _ in range(steps):
        opt.zero_grad()
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
        opt.iteration_ends(16 * (opt.t if hasattr(opt, "t") else 1))  # invscaling moves lr


def snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("via", ["state_dict", "checkpoint"])
@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_round_trip_resumes_bit_identically(name, via, tmp_path):
    model, opt = build(name)
    train(model, opt, 7)
    saved_weights, saved_state = snapshot(model), opt.state_dict()
    if via == "checkpoint":
        checkpoint.save(model, tmp_path / "ck", optimizer=opt)
    train(model, opt, 6)
    expected = snapshot(model)

    if via == "checkpoint":
        fresh_model, fresh_opt = build(name)
        checkpoint.load(tmp_path / "ck", model=fresh_model, optimizer=fresh_opt)
        fresh_model.train()
    else:
        fresh_model, fresh_opt = build(name, saved_weights)
        fresh_opt.load_state_dict(saved_state)
    assert fresh_opt.param_groups[0]["lr"] == saved_state["param_groups"][0]["lr"]
    train(fresh_model, fresh_opt, 6)
    got = snapshot(fresh_model)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    # the saved dict holds copies: the training after it left it as it was
    name, buf = next(iter(opt._buffers().items()))
    assert not np.array_equal(saved_state["state"][0][name].ravel(), buf[opt.flat.slices[0]])


def test_state_dict_layout_is_pytorchs():
    model, opt = build("adam")
    train(model, opt, 3)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    entry = sd["state"][0]
    assert entry["step"] == 3 and sorted(entry) == ["exp_avg", "exp_avg_sq", "step"]
    assert entry["exp_avg"].shape == (5, 3)
    np.testing.assert_array_equal(entry["exp_avg"].ravel(), opt.m[:15])
    assert sorted(build("sgd-nesterov")[1].state_dict()["state"][3]) == ["momentum_buffer"]


def test_load_rejects_mismatched_state_before_changing_anything():
    model, opt = build("adam")
    train(model, opt, 2)
    sd = opt.state_dict()
    sd["state"][1]["step"] = 5
    _, fresh = build("adam")
    with pytest.raises(ValueError, match="one 'step' for all parameters"):
        fresh.load_state_dict(sd)
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match="shape"):
        fresh.load_state_dict(sd)
    assert fresh.t == 0 and not fresh.m.any()
