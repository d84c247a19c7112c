"""The playground's WebSocket protocol: message schemas, validation and clamping, binary frames.

The browser sends JSON text messages of at most 64 KiB, each an object with a ``type``:

``config``
    ``{"type": "config", "params": {...}}``: change any parameters (see :data:`SPEC`). Every value
    is validated and clamped; the reply is a ``params`` message with the values in use and a
    note for each change the server made. Data and architecture changes restart the network;
    learning rate, optimiser, regularisation, batch size and stopping criteria apply live.
``play``, ``pause``, ``step``, ``reset``
    Train continuously, stop, train to the end of the current epoch, or redraw the weights.
``explain``
    ``{"type": "explain", "split": "train", "index": 3}``: backpropagation for one point.
``add_point``
    ``{"type": "add_point", "x": 1.5, "y": -2, "label": 1}``: add a training point.
``export``
    Ask for the trained model as a zip (config.json, model.safetensors, reproduce.py, data.csv).

A binary message is a CSV upload (``x1,x2,label`` rows, at most 1 MiB and 10,000 points).

The server sends JSON text (``hello``, ``params``, ``status``, ``explain``, ``error``) and
binary envelopes (``data``, ``frame``, ``export``): a little-endian uint32 header length, a
JSON header padded to a multiple of 4 bytes, then the arrays the header's ``blobs`` list names
(``name``, ``dtype``, ``shape``, ``offset`` into the payload). See :func:`pack`.

>>> params, notes = apply_params(defaults(), {"learning_rate": 50, "layers": [4, 40]})
>>> params["learning_rate"], params["layers"]
(10.0, [4, 16])
>>> notes[0]
'learning_rate: 50 is above the maximum 10; using 10'
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.playground.features import CLASSIFICATION, DOMAIN, FEATURES, REGRESSION

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "MAX_MESSAGE_BYTES",
    "SPEC",
    "ProtocolError",
    "apply_params",
    "defaults",
    "options",
    "pack",
    "parse_message",
    "unpack",
]

MAX_MESSAGE_BYTES = 64 * 1024
"""The largest text message the server reads; a larger one closes the socket (code 1009)."""

MAX_LAYERS = 6
MAX_NEURONS = 16
DATASETS = (*CLASSIFICATION, *REGRESSION, "custom")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity", "leaky_relu", "elu", "gelu", "softplus")
OPTIMIZERS = ("sgd", "momentum", "adam")

DATA_KEYS = frozenset({"problem", "dataset", "classes", "n_points", "noise", "train_ratio", "seed"})
"""Parameters that redraw the data (and so restart the network)."""
MODEL_KEYS = frozenset({"features", "layers", "activation", "activations", "loss", "init"})
"""Parameters that rebuild the network."""


class ProtocolError(ValueError):
    """A client message that breaks the protocol; its text goes back to the client."""


# ----------------------------------------------------------------------------------- schemas
@dataclass(frozen=True)
class Number:
    """A number in [lo, hi]; ``integer`` rounds it."""

    default: float
    lo: float
    hi: float
    integer: bool = False

    def clean(self, name: str, value: Any, old: Any, notes: list[str]) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            notes.append(f"{name}: expected a number, got {_show(value)}; keeping {_num(old)}")
            return old
        v = _as_float(value)  # JSON integers have no size limit: 10**400 is one
        if math.isnan(v) or (math.isinf(v) and isinstance(value, float)):
            notes.append(f"{name}: {value} is not a finite number; keeping {_num(old)}")
            return old
        value = v if isinstance(value, int) and math.isinf(v) else value
        if v < self.lo or v > self.hi:
            bound = self.lo if v < self.lo else self.hi
            side = "below the minimum" if v < self.lo else "above the maximum"
            notes.append(f"{name}: {_num(value)} is {side} {_num(bound)}; using {_num(bound)}")
            v = bound
        if self.integer:
            if v != round(v):
                notes.append(f"{name}: {_num(value)} is not a whole number; using {round(v)}")
            return round(v)
        return v


@dataclass(frozen=True)
class Choice:
    """One of ``options``."""

    default: str
    options: tuple[str, ...]

    def clean(self, name: str, value: Any, old: Any, notes: list[str]) -> Any:
        key = value.strip().lower() if isinstance(value, str) else value
        if key not in self.options:
            notes.append(
                f"{name}: {_show(value)} is not one of {', '.join(self.options)}; keeping {old}"
            )
            return old
        return key


@dataclass(frozen=True)
class ListOf:
    """A list of ``item`` values, ``max_len`` long at most (longer lists are cut)."""

    default: tuple
    item: Number | Choice
    min_len: int
    max_len: int
    unique: bool = False

    def clean(self, name: str, value: Any, old: Any, notes: list[str]) -> Any:
        if not isinstance(value, list):
            notes.append(f"{name}: expected a list, got {_show(value)}; keeping {old}")
            return old
        if len(value) > self.max_len:
            notes.append(
                f"{name}: {len(value)} entries is more than {self.max_len}; keeping the first {self.max_len}"
            )
            value = value[: self.max_len]
        out = [
            self.item.clean(f"{name}[{i}]", v, self.item.default, notes)
            for i, v in enumerate(value)
        ]
        if self.unique:
            out = list(dict.fromkeys(out))
        if len(out) < self.min_len:
            notes.append(f"{name}: needs at least {self.min_len} entries; keeping {old}")
            return old
        return out


SPEC: dict[str, Number | Choice | ListOf] = {
    "problem": Choice("classification", ("classification", "regression")),
    "dataset": Choice("circle", DATASETS),
    "classes": Number(2, 2, 6, integer=True),
    "n_points": Number(500, 20, 5000, integer=True),
    "noise": Number(0.0, 0.0, 0.5),
    "train_ratio": Number(0.5, 0.1, 0.9),
    "batch_size": Number(10, 1, 1000, integer=True),
    "seed": Number(1, 0, 2**31 - 1, integer=True),
    "features": ListOf(("x1", "x2"), Choice("x1", tuple(FEATURES)), 1, len(FEATURES), True),
    "layers": ListOf((4, 2), Number(4, 1, MAX_NEURONS, integer=True), 0, MAX_LAYERS),
    "activation": Choice("tanh", ACTIVATIONS),
    "activations": ListOf(("tanh", "tanh"), Choice("tanh", ACTIVATIONS), 0, MAX_LAYERS),
    "loss": Choice("cross_entropy", ("cross_entropy", "mse")),
    # 'standard': Xavier for tanh/sigmoid, He for ReLU; 'normal': every weight N(0, 1), which saturates tanh
    "init": Choice("standard", ("standard", "normal")),
    "learning_rate": Number(0.03, 1e-5, 10.0),
    "optimizer": Choice("sgd", OPTIMIZERS),
    "momentum": Number(0.9, 0.0, 0.999),
    "regularization": Choice("none", ("none", "l1", "l2")),
    "reg_rate": Number(0.0, 0.0, 10.0),
    "max_epochs": Number(0, 0, 1_000_000, integer=True),
    "patience": Number(0, 0, 10_000, integer=True),
    "min_delta": Number(1e-4, 0.0, 1.0),
}
"""Every parameter: its type, default and allowed range. ``max_epochs`` and ``patience`` (epochs
without a relative improvement of ``min_delta`` in the training loss) are stopping criteria; 0
turns them off."""


def defaults() -> dict[str, Any]:
    """Every parameter at its default, as TensorFlow Playground starts (circle, 4-2 tanh)."""
    return {k: list(s.default) if isinstance(s, ListOf) else s.default for k, s in SPEC.items()}


def options() -> dict[str, Any]:
    """What the page builds its controls from: choices, ranges and feature labels."""
    out: dict[str, Any] = {}
    for name, s in SPEC.items():
        if isinstance(s, Choice):
            out[name] = {"choices": list(s.options)}
        elif isinstance(s, Number):
            out[name] = {"min": s.lo, "max": s.hi, "integer": s.integer}
    out["features"] = {"choices": [{"name": f.name, "label": f.label} for f in FEATURES.values()]}
    out["layers"] = {"max_layers": MAX_LAYERS, "max_neurons": MAX_NEURONS}
    out["activations"] = {"choices": list(ACTIVATIONS)}
    out["datasets"] = {"classification": list(CLASSIFICATION), "regression": list(REGRESSION)}
    out["domain"] = DOMAIN
    return out


def apply_params(current: dict[str, Any], update: Any) -> tuple[dict[str, Any], list[str]]:
    """Validate and clamp ``update`` onto ``current``: the new parameters and notes on changes.

    Unknown keys are ignored with a note. The result is always consistent: a regression data set
    means the 'regression' problem and the 'mse' loss; more than two classes need the
    'cross_entropy' loss; ``activations`` has one entry per hidden layer.
    """
    notes: list[str] = []
    if not isinstance(update, dict):
        raise ProtocolError(f"'params' must be an object, got {_show(update)}")
    params = dict(current)
    for key, value in update.items():
        if key not in SPEC:
            notes.append(f"unknown parameter {_show(key)} ignored")
            continue
        params[key] = SPEC[key].clean(key, value, current[key], notes)
    _reconcile(params, update, notes)
    # regression forced mse; back to classification, the loss is cross-entropy again
    if current["problem"] == "regression" and params["problem"] == "classification":
        if "loss" not in update:
            params["loss"] = "cross_entropy"
    return params, notes


def _reconcile(p: dict[str, Any], update: dict[str, Any], notes: list[str]) -> None:
    """Make the parameters agree with each other, preferring what ``update`` just set."""
    kind = "regression" if p["dataset"] in REGRESSION else "classification"
    if p["dataset"] != "custom" and kind != p["problem"]:
        if "dataset" in update and "problem" not in update:
            p["problem"] = kind
        else:
            p["dataset"] = "plane" if p["problem"] == "regression" else "circle"
            if "dataset" in update:
                notes.append(
                    f"dataset: {update['dataset']} is not a {p['problem']} data set; using {p['dataset']}"
                )
    if p["problem"] == "regression" and p["loss"] != "mse":
        if update.get("loss") == "cross_entropy":
            notes.append("loss: regression uses mse")
        p["loss"] = "mse"
    if p["dataset"] in ("gaussian", "spiral") and p["classes"] > 2 and p["loss"] == "mse":
        if "loss" in update:
            notes.append("loss: more than two classes need cross_entropy (softmax)")
        p["loss"] = "cross_entropy"
    n = len(p["layers"])
    acts = list(p["activations"])
    if "activation" in update and "activations" not in update:
        acts = [p["activation"]] * n
    p["activations"] = (acts + [p["activation"]] * n)[:n]


# ----------------------------------------------------------------------------------- messages
_SIMPLE = frozenset({"play", "pause", "step", "reset", "export", "ping"})


def parse_message(text: str) -> dict[str, Any]:
    """A client text message as a validated dict with a ``type``; ``ProtocolError`` if malformed.

    >>> parse_message('{"type": "explain", "split": "test", "index": 2}')
    {'type': 'explain', 'split': 'test', 'index': 2}
    >>> parse_message('{"type": "launch"}')
    Traceback (most recent call last):
    ...
    chainrule.playground.protocol.ProtocolError: unknown message type "launch"
    """
    if len(text) > MAX_MESSAGE_BYTES or len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("a message must be a JSON object") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("a message must be a JSON object with a string 'type'")
    kind = msg["type"]
    if kind in _SIMPLE:
        return {"type": kind}
    if kind == "config":
        if not isinstance(msg.get("params"), dict):
            raise ProtocolError("config needs an object 'params'")
        return {"type": kind, "params": msg["params"]}
    if kind == "explain":
        split = msg.get("split", "train")
        if split not in ("train", "test"):
            raise ProtocolError("explain: 'split' must be 'train' or 'test'")
        return {"type": kind, "split": split, "index": _integer(msg.get("index"), "explain: index")}
    if kind == "add_point":
        x, y = (_finite(msg.get(k), f"add_point: {k}") for k in ("x", "y"))
        label = _finite(msg.get("label"), "add_point: label")
        return {
            "type": kind,
            "x": min(max(x, -DOMAIN), DOMAIN),
            "y": min(max(y, -DOMAIN), DOMAIN),
            "label": label,
        }
    raise ProtocolError(f"unknown message type {_show(kind)}")


def _as_float(value: int | float) -> float:
    """``float(value)``, with integers beyond the float range as ±inf instead of an
    OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _finite(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(_as_float(value))
    ):
        raise ProtocolError(f"{what} must be a finite number, got {_show(value)}")
    return float(value)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProtocolError(f"{what} must be a non-negative integer, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return f"{'-' if value < 0 else ''}an integer of {len(str(abs(value)))} digits"
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = _as_float(value)  # f"{10**400:g}" raises OverflowError
    return f"{value:g}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------------- envelopes
_DTYPE_NAMES = {np.dtype(t): np.dtype(t).name for t in (np.uint8, np.float32, np.int32, np.int64)}


def pack(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """A binary envelope: uint32 header length, JSON header (padded to 4 bytes), then arrays.

    Each array is stored C-contiguous at an offset that is a multiple of 4, so the browser can
    view it as a typed array without copying.

    >>> import numpy as np
    >>> msg = pack({"type": "frame"}, {"output": np.arange(3, dtype=np.uint8)})
    >>> header, arrays = unpack(msg)
    >>> header["blobs"][0]["shape"], arrays["output"].tolist()
    ([3], [0, 1, 2])
    """
    blobs, chunks, offset = [], [], 0
    for name, arr in (arrays or {}).items():
        data = np.ascontiguousarray(arr).tobytes()
        dtype = _DTYPE_NAMES.get(arr.dtype) or str(arr.dtype)
        blobs.append({"name": name, "dtype": dtype, "shape": list(arr.shape), "offset": offset})
        pad = -len(data) % 4
        chunks.append(data + b"\0" * pad)
        offset += len(data) + pad
    head = json.dumps({**header, "blobs": blobs}, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 4)
    return struct.pack("<I", len(head)) + head + b"".join(chunks)


def unpack(message: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a :func:`pack` envelope (for tests and Python clients)."""
    (n,) = struct.unpack_from("<I", message)
    header = json.loads(message[4 : 4 + n])
    base = 4 + n
    arrays = {}
    for b in header.get("blobs", []):
        dt = np.dtype(b["dtype"])
        count = int(np.prod(b["shape"], dtype=np.int64))
        arr = np.frombuffer(message, dtype=dt, count=count, offset=base + b["offset"])
        arrays[b["name"]] = arr.reshape(b["shape"])
    return header, arrays
