"""``save``/``load`` as PyTorch code calls them: ``torch.save(model.state_dict(), "m.pt")`` and
``model.load_state_dict(torch.load("m.pt"))``.

A dict of tensors (nested dicts, lists and plain numbers too, e.g. ``{"model": ..., "epoch": 3}``)
is written as one safetensors file, whatever the extension: never pickle, so loading a file runs
no code. The nesting and the plain values go in the file's metadata; a flat state dict keeps its
key names, so ``safetensors.torch.load_file`` reads it in PyTorch, and a file that PyTorch wrote
with ``safetensors.torch.save_file`` loads here by the same names. A pickled PyTorch file is
refused with how to convert it. A Module (or a checkpoint directory) goes to chainrule's model
checkpoints, :func:`chainrule.checkpoint.save` and :func:`chainrule.checkpoint.load`.

>>> import os, tempfile
>>> import chainrule as cr
>>> from chainrule import nn
>>> model = nn.Linear(2, 1)
>>> with tempfile.TemporaryDirectory() as d:
...     cr.save(model.state_dict(), os.path.join(d, "m.pt"))
...     state = cr.load(os.path.join(d, "m.pt"))
>>> sorted(state), type(state["weight"]).__name__
(['bias', 'weight'], 'Tensor')
>>> _ = model.load_state_dict(state)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy

from chainrule import checkpoint
from chainrule._atomic import atomic_open
from chainrule.backend import to_numpy
from chainrule.tensor import Tensor

__all__ = ["load", "save"]

_STRUCTURE = "chainrule.structure"  # the metadata key holding the nesting and plain values
_CONVERT = (
    "chainrule never unpickles files; convert it in PyTorch with: "
    "from safetensors.torch import save_file; save_file(torch.load(path), 'model.safetensors')"
)


def _encode(value: Any, name: str, tensors: dict[str, numpy.ndarray]) -> Any:
    """The JSON description of ``value``, with every tensor moved into ``tensors``."""
    if (
        isinstance(value, Tensor)
        or hasattr(value, "__array_interface__")
        or hasattr(value, "__cuda_array_interface__")
    ):
        if name in tensors:
            raise ValueError(f"save: two tensors would both be stored as {name!r}")
        arr = to_numpy(value._data if isinstance(value, Tensor) else value)
        tensors[name] = numpy.ascontiguousarray(arr).reshape(arr.shape)
        return {"tensor": name}
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r}")
            items.append([k, _encode(v, f"{name}.{k}" if name else str(k), tensors)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        parts = [
            _encode(v, f"{name}.{i}" if name else str(i), tensors) for i, v in enumerate(value)
        ]
        return {"tuple" if isinstance(value, tuple) else "list": parts}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(
        f"save: cannot store a {type(value).__name__} at {name or 'the top'}: only tensors, "
        "arrays, numbers, strings and dicts/lists of them (no pickle)"
    )


def _decode(node: dict[str, Any], tensors: Mapping[str, Any]) -> Any:
    if "tensor" in node:
        return Tensor(tensors[node["tensor"]])
    if "dict" in node:
        return {k: _decode(v, tensors) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, tensors) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, tensors) for v in node["tuple"])
    return node["value"]


def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> Any:
    """Save a (nested) dict of tensors as one safetensors file at ``f`` (a path or a binary file
    object), atomically; a Module goes to :func:`chainrule.checkpoint.save`.

    Raises ``TypeError`` for a value it cannot store without pickle (naming where it is).
    """
    from chainrule.nn.module import Module

    if isinstance(obj, Module):
        return checkpoint.save(obj, f, *args, **kwargs)
    st = checkpoint._safetensors()
    tensors: dict[str, numpy.ndarray] = {}
    structure = _encode(obj, "", tensors)
    data = st.save(tensors, metadata={_STRUCTURE: json.dumps(structure)})
    if hasattr(f, "write"):
        f.write(data)
        return None
    with atomic_open(os.fspath(f), "wb") as out:
        out.write(data)
    return None


def _metadata(data: bytes, where: str) -> dict[str, str]:
    n = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8 : 8 + n])
    except ValueError:
        raise ValueError(f"{where} its header is not JSON") from None
    return header.get("__metadata__") or {}


def load(
    f: Any, *args: Any, map_location: Any = None, weights_only: Any = None, **kwargs: Any
) -> Any:
    """Load what :func:`save` wrote (or any safetensors file): tensors come back as Tensors, in
    the saved nesting. A directory is a model checkpoint: :func:`chainrule.checkpoint.load`.

    Raises ``ValueError`` for a pickled PyTorch file, saying how to convert it.
    """
    if map_location is not None and str(map_location).split(":")[0] != "cpu":
        from chainrule.tensor_methods import check_device

        check_device(map_location)
    if hasattr(f, "read"):
        data, where = f.read(), "the file object is not a safetensors file:"
    else:
        path = Path(os.fspath(f))
        if path.is_dir() or not path.exists() or path.name == checkpoint.CONFIG_NAME:
            return checkpoint.load(f, *args, **kwargs)
        data = path.read_bytes()
        where = f"{path} is not a directory (a chainrule checkpoint) nor a safetensors file:"
    if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
        raise ValueError(f"{where} it is a pickled PyTorch file; {_CONVERT}")
    if len(data) < 8:
        raise ValueError(f"{where} it is only {len(data)} bytes long")
    meta = _metadata(data, where)
    try:
        tensors = checkpoint._safetensors().load(data)
    except Exception as exc:  # safetensors raises its own error type
        raise ValueError(f"{where} {exc}") from None
    if _STRUCTURE in meta:
        return _decode(json.loads(meta[_STRUCTURE]), tensors)
    return {k: Tensor(v) for k, v in tensors.items()}
