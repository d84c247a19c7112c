"""A hand-edited run directory is refused with one line naming the key (exit 2), never a traceback
or nan predictions."""

import json
import re

import pytest

import chainrule as cr
from chainrule import nn
from chainrule.cli.main import main

pytest.importorskip("safetensors")

META = {
    "chainrule_run": 1,
    "task": "classification",
    "loss": "cross_entropy",
    "feature_names": ["x0", "x1"],
    "target": "y",
    "classes": ["a", "b", "c"],
    "scaler": {"mean": [0.0, 0.0], "scale": [1.0, 2.0]},
    "target_scaler": None,
}


@pytest.fixture
def run(tmp_path):
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    path = cr.save(model, tmp_path / "run", metadata=META)
    (tmp_path / "new.csv").write_text("x0,x1\n0.5,1.0\n-1.0,2.0\n")
    return path


def _edit(run, edit):
    cfg = json.loads((run / "config.json").read_text())
    edit(cfg["metadata"])
    (run / "config.json").write_text(json.dumps(cfg))


def _predict(run, capsys):
    code = main(["predict", str(run), str(run.parent / "new.csv")])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_intact_run_predicts(run, capsys):
    code, out, _ = _predict(run, capsys)
    assert code == 0 and out.splitlines()[0] == "prediction,p_a,p_b,p_c"
    assert len(out.splitlines()) == 3 and "nan" not in out


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: m.update(classes=["a", "b"]), "expects 2 classes in 'classes'.*has 3 output"),
        (lambda m: m.update(classes="abc"), "'classes' must list the class labels"),
        (lambda m: m.update(loss="hinge"), "'loss' is 'hinge', not a known loss"),
        (lambda m: m.update(task=5), "'task' is 5"),
        (lambda m: m["scaler"].update(scale=[1.0, 0.0]), r"'scaler'\['scale'\]\[1\] is 0"),
        (lambda m: m["scaler"].update(mean=[1.0, float("nan")]), r"'scaler'\['mean'\]\[1\] is nan"),
        (lambda m: m["scaler"].update(mean=[1.0]), r"'scaler'\['mean'\] must be a list of 2"),
        (lambda m: m.update(feature_names=["x0"], scaler=None), "does not take the 1 features"),
        (lambda m: m.update(feature_names=[1, 2]), "'feature_names' must be a non-empty list"),
    ],
)
def test_edited_metadata_is_one_line_and_exit_2(run, capsys, edit, match):
    _edit(run, edit)
    code, out, err = _predict(run, capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("chainrule: error: ")
    assert re.search(match, err), err


def test_edited_layer_config_is_one_line_and_exit_2(run, capsys):
    cfg = json.loads((run / "config.json").read_text())
    cfg["model"]["layers"][0]["config"]["generator"] = 5
    (run / "config.json").write_text(json.dumps(cfg))
    code, out, err = _predict(run, capsys)
    assert code == 2 and out == "" and "'generator'" in err and len(err.splitlines()) == 1
