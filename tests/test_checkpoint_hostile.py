"""Hand-edited or hostile checkpoints fail fast with a ValueError naming the key, before any
large allocation; bad layer arguments and inputs name the argument and the shape."""

import json
import tracemalloc

import pytest

import chainrule as cr
from chainrule import nn

pytest.importorskip("safetensors")


@pytest.fixture
def saved(tmp_path):
    return cr.save(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), tmp_path / "ckpt")


def _edit(path, edit):
    cfg = json.loads((path / "config.json").read_text())
    edit(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def _load_peak(path) -> tuple[Exception, int]:
    """The error of ``cr.load(path)`` and the peak memory it allocated meanwhile (bytes)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            cr.load(path)
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_config_declaring_a_huge_layer_fails_before_allocating(saved):
    def huge(cfg):
        cfg["model"]["layers"][0]["config"].update(in_features=40000, out_features=40000)

    _edit(saved, huge)
    error, peak = _load_peak(saved)
    assert "shape mismatch for '0.weight': checkpoint (4, 3), model (40000, 40000)" in str(error)
    assert peak < 5_000_000  # a 40000x40000 float32 layer would take 6.4 GB


def test_config_tables_that_lie_about_the_weights_fail_before_reading_them(saved):
    def huge(cfg):
        cfg["model"]["layers"][0]["config"].update(in_features=100000, out_features=1000000)
        cfg["parameters"]["0.weight"]["shape"] = [1000000, 100000]
        cfg["parameters"]["0.bias"]["shape"] = [1000000]

    _edit(saved, huge)
    error, peak = _load_peak(saved)
    assert "'0.weight'" in str(error) and "config.json says (1000000, 100000)" in str(error)
    assert peak < 5_000_000


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda c: c["model"]["layers"][0]["config"].update(generator=5),
            r"unknown key.*'generator'",
        ),
        (
            lambda c: c["model"]["layers"][0]["config"].update(in_features="a"),
            "in_features must be",
        ),
        (
            lambda c: c["model"]["layers"][0]["config"].update(in_features=2.5),
            "in_features must be",
        ),
        (lambda c: c["model"]["layers"][0]["config"].update(bias="yes"), "bias must be True"),
        (lambda c: c["model"]["layers"][0]["config"].update(dtype=5), "bad arguments for Linear"),
        (lambda c: c["model"]["layers"][1].update(config=[1]), "config of Tanh must be a dict"),
        (lambda c: c["model"].update(layers={"a": 1}), "'layers' must be a list"),
        (lambda c: c["model"].update(names=["a", "a", "b"]), "repeated layer name 'a'"),
        (lambda c: c["model"]["layers"][0].update(type=["Linear"]), "unknown layer type"),
    ],
)
def test_bad_layer_configs_are_value_errors_naming_the_key(saved, edit, match):
    _edit(saved, edit)
    with pytest.raises(ValueError, match=match):
        cr.load(saved)


def test_deep_nesting_is_a_value_error_not_a_recursion_error(saved):
    text = (saved / "config.json").read_text()
    (saved / "config.json").write_text(text[:-2] + ', "deep": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(ValueError, match=r"config\.json nests its JSON too deeply"):
        cr.load(saved)

    def nest(cfg):
        model = cfg["model"]
        for _ in range(200):
            model = {"type": "Sequential", "layers": [model]}
        cfg["model"] = model

    (saved / "config.json").write_text(text)
    _edit(saved, nest)
    with pytest.raises(ValueError, match="deeper than 64 levels"):
        cr.load(saved)


def test_linear_names_the_bad_argument_and_the_input_shape():
    with pytest.raises(TypeError, match=r"in_features must be an integer, got float 2\.5"):
        nn.Linear(2.5, 2)
    with pytest.raises(TypeError, match=r"in_features must be an integer, got str 'a'"):
        nn.Linear("a", 2)
    with pytest.raises(TypeError, match="out_features must be an integer"):
        nn.Linear(2, None)
    with pytest.raises(
        ValueError, match=r"Linear\(in_features=4\) needs input of shape \(\.\.\., 4\)"
    ):
        nn.Linear(4, 2)(cr.tensor(1.0))
    with pytest.raises(ValueError, match=r"input has 3 features \(shape \(2, 3\)\)"):
        nn.Linear(4, 2)(cr.zeros((2, 3)))
