"""Export a playground run: the model as a chainrule checkpoint, its data, and a script to redo it.

The zip holds ``config.json`` and ``model.safetensors`` (load them with ``chainrule.load``),
``data.csv`` (x1, x2, label, test), ``playground.json`` (the parameters) and ``reproduce.py``,
a plain chainrule training loop that retrains the same network from the same seed, step for
step, and so ends with the same weights.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

import chainrule
from chainrule.nn import Module
from chainrule.playground.features import FEATURES

__all__ = ["RELU_LIKE", "build_export", "init_for", "reproduce_script"]

RELU_LIKE = ("relu", "leaky_relu", "elu", "gelu")


def init_for(activation: str) -> str:
    """The weight initialiser for a layer followed by ``activation``: He for ReLU-like, else Glorot."""
    return "kaiming_uniform" if activation in RELU_LIKE else "xavier_uniform"


def build_export(
    model: Module,
    params: dict[str, Any],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    steps: int,
    info: dict[str, Any],
) -> bytes:
    """The zip archive (bytes) of a trained ``model``.

    ``data`` is ``(X, y, is_test)``; ``steps`` the number of optimiser steps taken; ``info``
    the run's facts that go into the checkpoint's metadata (epoch, losses, output meaning, and
    whether hyperparameters changed during the run).
    """
    X, y, is_test = data
    meta = {"playground": params, "steps": steps, **info}
    with tempfile.TemporaryDirectory(prefix="chainrule-export-") as tmp:
        where = chainrule.save(model, Path(tmp) / "model", metadata=meta)
        files = {p.name: p.read_bytes() for p in sorted(where.iterdir())}
    rows = [f"{a:.9g},{b:.9g},{c:.9g},{int(t)}" for (a, b), c, t in zip(X.tolist(), y, is_test)]
    files["data.csv"] = ("x1,x2,label,test\n" + "\n".join(rows) + "\n").encode()
    files["playground.json"] = json.dumps(params, indent=2).encode()
    files["reproduce.py"] = reproduce_script(params, steps, info).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


_OPTIMIZER = {
    "sgd": "optim.SGD(model.parameters(), lr={lr!r})",
    "momentum": "optim.SGD(model.parameters(), lr={lr!r}, momentum={momentum!r})",
    "adam": "optim.Adam(model.parameters(), lr={lr!r})",
}
_LOSS = {
    "bce": "losses.binary_cross_entropy_with_logits(out[:, 0], target)",
    "ce": "losses.cross_entropy(out, target)",
    "mse": "losses.mse_loss(out[:, 0], target)",
}
_TARGET = {
    "bce": "y.astype(np.float32)",
    "ce": "y.astype(np.int64)",
    "mse": "y.astype(np.float32)",
    "mse_pm1": "(2 * y - 1).astype(np.float32)  # classes 0/1 as -1/+1 for the tanh output",
}
_HIDDEN_INIT = {
    "standard": 'init = "kaiming_uniform" if act in {relu_like!r} else "xavier_uniform"',
    "normal": 'init = "normal"  # naive: every weight from N(0, 1)',
}
_OUTPUT_INIT = {"standard": "xavier_uniform", "normal": "normal"}
_PENALTY = {
    "none": "",
    "l1": "\n    loss = loss + {rate!r} * losses.l1_penalty(model)",
    "l2": "\n    loss = loss + 0.5 * {rate!r} * losses.l2_penalty(model)",
}


def reproduce_script(params: dict[str, Any], steps: int, info: dict[str, Any]) -> str:
    """The text of ``reproduce.py`` for a run of ``steps`` optimiser steps with ``params``."""
    p = params
    feats = "\n".join(f'        "{n}": {FEATURES[n].source},' for n in p["features"])
    changed = (
        "# Note: hyperparameters changed during the run; this script uses the final ones, so its\n"
        "# numbers can differ from the playground's.\n"
        if info.get("changed_during_run")
        else ""
    )
    return f'''"""Reproduce a chainrule playground run: {p["dataset"]} data, a {_arch(p)} network.

Run it beside data.csv from the same zip:  python reproduce.py
It trains for {steps} steps ({info.get("epoch", 0)} epochs and {info.get("batch", 0)} batches) and saves
the result to ./reproduced (load it with chainrule.load).
"""

from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.nn import losses

{changed}SEED = {p["seed"]}
STEPS = {steps}
BATCH_SIZE = {p["batch_size"]}
FEATURES = {p["features"]!r}
LAYERS = {p["layers"]!r}
ACTIVATIONS = {p["activations"]!r}
OUTPUTS = {info["outputs"]}


def features(X):
    """The network's inputs, computed from the points (x1, x2) in float32."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {{
{feats}
    }}
    return np.stack([columns[name] for name in FEATURES], axis=1).astype(np.float32)


data = np.loadtxt(Path(__file__).with_name("data.csv"), delimiter=",", skiprows=1, ndmin=2)
X, y, test = data[:, :2].astype(np.float32), data[:, 2], data[:, 3] == 1
target = {_TARGET[info["target"]]}
X_train, y_train = features(X[~test]), target[~test]
X_test, y_test = features(X[test]), target[test]

gen = cr.Generator(SEED)
layers, width = [], len(FEATURES)
for units, act in zip(LAYERS, ACTIVATIONS):
    {_HIDDEN_INIT[p["init"]].format(relu_like=RELU_LIKE)}
    layers += [nn.Linear(width, units, init=init, generator=gen), nn.activation(act)]
    width = units
layers.append(nn.Linear(width, OUTPUTS, init={_OUTPUT_INIT[p["init"]]!r}, generator=gen))
{"layers.append(nn.Tanh())" if info["target"] == "mse_pm1" else "# the last layer gives logits (or the prediction, for regression)"}
model = nn.Sequential(*layers)
opt = {_OPTIMIZER[p["optimizer"]].format(lr=p["learning_rate"], momentum=p["momentum"])}


def loss_fn(out, target):
    return {_LOSS[info["loss"]]}


rng = np.random.default_rng((SEED, 2))  # the order of the mini-batches
order, pos = rng.permutation(len(X_train)), 0
for step in range(STEPS):
    idx = order[pos : pos + BATCH_SIZE]
    pos += BATCH_SIZE
    if pos >= len(X_train):
        order, pos = rng.permutation(len(X_train)), 0
    loss = loss_fn(model(cr.tensor(X_train[idx])), y_train[idx]){_PENALTY[p["regularization"]].format(rate=p["reg_rate"])}
    opt.zero_grad()
    loss.backward()
    opt.step()

with cr.no_grad():
    train_loss = loss_fn(model(cr.tensor(X_train)), y_train).item()
    test_loss = loss_fn(model(cr.tensor(X_test)), y_test).item() if len(X_test) else float("nan")
print(f"after {{STEPS}} steps: train loss {{train_loss:.4f}}, test loss {{test_loss:.4f}}")
cr.save(model, Path("reproduced"), overwrite=True)
'''


def _arch(p: dict[str, Any]) -> str:
    sizes = [str(len(p["features"])), *map(str, p["layers"])]
    return "-".join(sizes) + f" {'/'.join(dict.fromkeys(p['activations'])) or 'linear'}"
