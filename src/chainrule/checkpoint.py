"""Checkpoints: save a model (and its optimiser) to a directory and load it back, without pickle.

A checkpoint is a directory holding exactly two files, and loading one never runs code:

``config.json``
    The format tag and version, the architecture (:func:`chainrule.nn.to_config`, or ``null`` for
    a custom Module), a table of every tensor's shape and dtype, the user's metadata, the
    optimiser's hyperparameters and scalar state, and the size and SHA-256 of the weights file.
``model.safetensors``
    The parameters and buffers under their ``state_dict`` names, and the optimiser's state arrays
    under ``optimizer.state.<param index>.<name>``, in the `safetensors` format.

Saving is atomic: the files are written and fsynced in a temporary directory beside the target,
then swapped into place by :func:`chainrule._atomic.publish_dir`, so that at every instant
``path`` holds a complete checkpoint, the old one or the new one, whoever is killed or reading
meanwhile. Concurrent saves of one path take turns (a lock file beside it); a load reads both
files from one version. Loading checks ``config.json`` against the weights file's header before
allocating anything, and builds the model without drawing random weights.
Reading needs the optional ``safetensors`` package (``pip install "chainrule[io]"``).

>>> import tempfile
>>> import chainrule as cr
>>> from chainrule import nn
>>> net = nn.Sequential(nn.Linear(2, 4, generator=cr.Generator(0)), nn.ReLU(), nn.Linear(4, 1))
>>> x = cr.tensor([[0.5, -1.0]])
>>> with tempfile.TemporaryDirectory() as tmp:
...     where = cr.save(net, f"{tmp}/net", metadata={"epoch": 3})
...     sorted(p.name for p in where.iterdir())
...     again = cr.load(where)
['config.json', 'model.safetensors']
>>> bool((again(x).numpy() == net(x).numpy()).all()), again.checkpoint_metadata
(True, {'epoch': 3})
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import stat
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy

from chainrule import _atomic
from chainrule.backend import to_numpy, xp
from chainrule.nn import deferred
from chainrule.nn.config import from_config, to_config
from chainrule.nn.layers import Sequential
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = [
    "CONFIG_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "WEIGHTS_NAME",
    "CheckpointNotFoundError",
    "load",
    "read_config",
    "save",
]

FORMAT = "chainrule"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
_OPT_PREFIX = "optimizer.state."
_OPT_KEY = re.compile(r"^optimizer\.state\.([^.]+)\.(.+)$")
_INSTALL_HINT = 'pip install "chainrule[io]"'


class CheckpointNotFoundError(FileNotFoundError, ValueError):
    """A checkpoint directory or one of its files is missing.

    Both a ``FileNotFoundError`` and a ``ValueError``, so either ``except`` clause catches it.
    """


# ---------------------------------------------------------------------------------- public API
def save(
    model: Module,
    path: str | os.PathLike[str],
    optimizer: Any = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``model`` (and optionally ``optimizer``'s state) to the directory ``path``.

    Parameters
    ----------
    model : Module
        The model. A Sequential of built-in layers is described in ``config.json`` so that
        :func:`load` can rebuild it; any other Module is saved with ``"model": null`` and must be
        rebuilt in code and passed to ``load(path, model=...)``.
    path : str or PathLike
        The checkpoint directory to create (its parent directories are created if needed).
    optimizer : optional
        An optimiser with a PyTorch-like ``state_dict()``: ``{"state": {index: {name: array or
        number}}, "param_groups": [...]}``. Arrays go to ``model.safetensors`` under
        ``optimizer.state.<index>.<name>``; numbers and hyperparameters go to ``config.json``.
    metadata : dict, optional
        JSON-serialisable data to keep with the model (epoch, metrics, notes...). String keys only;
        NumPy scalars are converted to Python numbers, tuples become lists, and NaN and infinities
        are kept (as Python's ``json`` writes and reads them), so a diverged metric never blocks a
        save.
    overwrite : bool
        Replace an existing checkpoint at ``path``. The old directory is swapped with the new one
        in one step once the new one is complete, and only if it is a chainrule checkpoint
        (regular files with a readable chainrule ``config.json``).

    Returns
    -------
    Path
        The absolute path of the checkpoint directory.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False, or it is not a checkpoint directory.
    ValueError
        ``path`` names no new directory (``""``, ``"."``, ``".."``).
    TimeoutError
        Another process kept saving to ``path`` for over two minutes.
    TypeError
        ``metadata`` or the optimiser state holds something JSON cannot represent (the message
        names the key).
    ImportError
        The ``safetensors`` package is missing.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save() needs a chainrule Module, got {type(model).__name__}")
    st = _safetensors()
    raw = os.fspath(path)
    if not isinstance(raw, str) or not raw.strip() or Path(raw).name in ("", ".", ".."):
        raise ValueError(f"cannot save a checkpoint as {raw!r}: name a directory to create")
    target = Path(os.path.abspath(raw))
    meta = None if metadata is None else _metadata_to_json(metadata)

    tensors: dict[str, numpy.ndarray] = {}
    table: dict[str, dict[str, Any]] = {}
    for name, arr in model.state_dict().items():
        # reshape: ascontiguousarray turns a 0-d buffer (num_batches_tracked) into shape (1,)
        tensors[name] = numpy.ascontiguousarray(to_numpy(arr)).reshape(arr.shape)
        table[name] = _spec(tensors[name])
    opt_cfg = None
    if optimizer is not None:
        opt_cfg, opt_tensors = _optimizer_to_checkpoint(optimizer)
        clash = sorted(tensors.keys() & opt_tensors.keys())
        if clash:
            raise ValueError(f"model tensor names clash with the optimiser's state: {clash}")
        tensors.update(opt_tensors)

    import chainrule

    config: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "chainrule_version": chainrule.__version__,
        "model": _describe(model),
        "parameters": table,
        "metadata": meta,
        "optimizer": opt_cfg,
    }

    if os.path.lexists(target):  # fail fast; checked again under the lock
        if not overwrite:
            raise _exists(target)
        _check_replaceable(target)
    try:
        blob = st.save(tensors, metadata={"format": "np", "producer": FORMAT})
    except (OSError, MemoryError):
        raise
    except Exception as exc:  # SafetensorError, e.g. for an unsupported dtype
        raise ValueError(f"safetensors cannot store these tensors: {exc}") from exc
    config["files"] = {
        WEIGHTS_NAME: {"size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    }
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    with _atomic.dir_lock(target):
        _atomic.clean_orphans(target)
        if os.path.lexists(target) and not overwrite:
            raise _exists(target)
        tmp = _atomic.fresh_sibling(target, "tmp", create=True)
        try:
            _atomic.fault_point("tmp-created")
            _write_file(tmp / WEIGHTS_NAME, blob)
            _atomic.fault_point("weights-written")
            _write_file(tmp / CONFIG_NAME, text.encode("utf-8"))
            _atomic.fsync_dir(tmp)
            _atomic.fault_point("config-written")
            _atomic.publish_dir(tmp, target, overwrite, check=_check_replaceable)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _exists(target: Path) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST,
        "the path already exists; pass overwrite=True to replace the checkpoint there",
        str(target),
    )


def load(
    path: str | os.PathLike[str],
    model: Module | None = None,
    optimizer: Any = None,
) -> Module:
    """Load a checkpoint written by :func:`save`; the model comes back in eval mode.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint directory (or its ``config.json``).
    model : Module, optional
        A model to load the weights into, in place. Needed when the checkpoint holds a custom
        Module (``"model": null`` in ``config.json``) and when ``optimizer`` is given; otherwise
        the model is rebuilt from ``config.json`` with the saved dtypes.
    optimizer : optional
        An optimiser over ``model``'s parameters whose state is restored with
        ``optimizer.load_state_dict``, so that training continues exactly where it stopped.

    Returns
    -------
    Module
        The model in eval mode, with the saved metadata as ``model.checkpoint_metadata`` (a dict,
        empty when none was saved). Call ``model.train()`` to continue training.

    Raises
    ------
    CheckpointNotFoundError
        The directory, ``config.json`` or ``model.safetensors`` is missing (it is both a
        ``FileNotFoundError`` and a ``ValueError``).
    ValueError
        A file is corrupt or truncated, the format or version is wrong, a tensor is missing or has
        the wrong shape or dtype, the model does not fit the weights, ``model=`` is needed, or
        ``optimizer=`` was given but the checkpoint has no optimiser state. The message names the
        file and the key.
    """
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"model= must be a chainrule Module, got {type(model).__name__}")
    directory = _checkpoint_dir(path)
    _atomic.clean_orphans(directory)
    with _open_files(directory) as files:
        config = _parse_config(files[CONFIG_NAME], directory)
        return _load(directory, config, files[WEIGHTS_NAME], model, optimizer)


def _load(
    directory: Path, config: dict[str, Any], weights: IO[bytes] | None, model: Any, optimizer: Any
) -> Module:
    """:func:`load` on open files of one checkpoint version."""
    config_file = directory / CONFIG_NAME
    opt_cfg = config["optimizer"]
    if optimizer is not None:
        if model is None:
            raise ValueError(
                "optimizer= needs model= too: the optimiser must update the parameters the "
                "weights are loaded into, so build the model, make the optimiser over its "
                "parameters and pass both"
            )
        if opt_cfg is None:
            raise ValueError(
                f"{config_file}: the checkpoint holds no optimizer state (it was saved without "
                "optimizer=)"
            )
        if opt_cfg["type"] != type(optimizer).__name__:
            raise ValueError(
                f"{config_file}: the optimizer state is from {opt_cfg['type']}, "
                f"not {type(optimizer).__name__}"
            )
    if model is None and config["model"] is None:
        raise ValueError(
            f"{config_file} has no model description (the saved model was a custom Module, "
            "whose architecture is code, not config): build the model in your code and pass "
            "it, as load(path, model=MyModel())"
        )
    st = _safetensors()
    file = directory / WEIGHTS_NAME
    table = {name: tuple(spec["shape"]) for name, spec in config["parameters"].items()}
    _check_header(file, weights, config)
    assert weights is not None  # _check_header refuses a missing file
    if model is None:  # placeholders first: a config cannot make us allocate what it declares
        model = _rebuild(config["model"], config_file)
        _check_fits(model, table, file)
        arrays = _read_weights(file, weights, config, st)
        deferred.fill(model, arrays)
    else:
        _check_fits(model, table, file)
        arrays = _read_weights(file, weights, config, st)
        model.load_state_dict(
            OrderedDict((name, arrays[name]) for name in config["parameters"]), strict=False
        )
    if optimizer is not None:
        optimizer.load_state_dict(_optimizer_state(opt_cfg, arrays))
    model.eval()
    model.checkpoint_metadata = dict(config["metadata"] or {})
    return model


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a checkpoint's ``config.json`` without touching the weights.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint directory (or its ``config.json``).

    Returns
    -------
    dict
        The parsed config: ``format``, ``format_version``, ``chainrule_version``, ``model``,
        ``parameters``, ``metadata``, ``optimizer`` (and ``files`` when present).

    Raises
    ------
    CheckpointNotFoundError
        The directory or ``config.json`` is missing.
    ValueError
        The file is not valid JSON or not a chainrule config of a supported version.
    """
    directory = _checkpoint_dir(path)
    with _open_files(directory) as files:
        return _parse_config(files[CONFIG_NAME], directory)


def _open_files(directory: Path) -> Any:
    """Both files of the checkpoint at ``directory``, opened from one version (ValueError for
    one that is not a regular file)."""
    return _atomic.open_published(directory, (CONFIG_NAME, WEIGHTS_NAME))


def _parse_config(f: IO[bytes] | None, directory: Path) -> dict[str, Any]:
    file = directory / CONFIG_NAME
    if f is None:
        raise CheckpointNotFoundError(
            errno.ENOENT,
            f"no {CONFIG_NAME} in {directory}: it is not a chainrule checkpoint directory",
            str(file),
        )
    try:
        config = json.loads(f.read().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file} is not UTF-8 text, so not a chainrule config: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file} is not valid JSON ({exc}): the file is corrupt") from None
    except RecursionError:
        raise ValueError(f"{file} nests its JSON too deeply to be a chainrule config") from None
    _validate_config(config, file)
    return config


# ---------------------------------------------------------------------------------- helpers
def _safetensors() -> Any:
    """Import ``safetensors.numpy`` on demand, with an install hint when it is missing."""
    try:
        import safetensors.numpy as st
    except ImportError as exc:
        raise ImportError(
            "chainrule checkpoints are stored with the safetensors package, which is not "
            f"installed: {_INSTALL_HINT}"
        ) from exc
    return st


def _checkpoint_dir(path: str | os.PathLike[str]) -> Path:
    p = Path(os.path.abspath(os.fspath(path)))
    if p.name == CONFIG_NAME and p.is_file():
        p = p.parent
    if not _atomic.current_dir(p).exists():
        raise CheckpointNotFoundError(errno.ENOENT, "no checkpoint directory at this path", str(p))
    if not _atomic.current_dir(p).is_dir():
        raise ValueError(
            f"{p} is not a directory: a chainrule checkpoint is a directory holding "
            f"{CONFIG_NAME} and {WEIGHTS_NAME}"
        )
    return p


def _spec(arr: numpy.ndarray) -> dict[str, Any]:
    return {"shape": [int(n) for n in arr.shape], "dtype": arr.dtype.name}


def _describe(model: Module) -> dict[str, Any] | None:
    """``to_config(model)``, or None when the model is not made of built-in layers only."""
    for m in model.modules():
        if isinstance(m, Sequential) and type(m) is not Sequential:
            return None  # a Sequential subclass may override forward(); config would lose it
    try:
        return to_config(model)
    except TypeError:
        return None


def _to_json(value: Any, where: str) -> Any:
    """A JSON-ready copy of ``value``; TypeError naming ``where`` for anything else."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(
                    f"{where}[{k!r}]: keys must be strings to survive JSON, got {type(k).__name__}"
                )
            out[k] = _to_json(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    hint = " (use .tolist())" if hasattr(value, "tolist") else ""
    raise TypeError(f"{where} is a {type(value).__name__}, which is not JSON-serialisable{hint}")


def _metadata_to_json(metadata: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    return _to_json(metadata, "metadata")


def _is_array(value: Any) -> bool:
    return isinstance(value, (numpy.ndarray, xp.ndarray))


def _optimizer_to_checkpoint(optimizer: Any) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """Split ``optimizer.state_dict()`` into JSON (numbers, hyperparameters) and arrays."""
    name = type(optimizer).__name__
    sd = optimizer.state_dict()
    if not isinstance(sd, Mapping) or "state" not in sd or "param_groups" not in sd:
        raise TypeError(
            f"{name}.state_dict() must return a dict with 'state' and 'param_groups', got {sd!r}"
        )
    state_json: dict[str, dict[str, Any]] = {}
    tensors: dict[str, numpy.ndarray] = {}
    table: dict[str, dict[str, Any]] = {}
    for index, entries in sd["state"].items():
        key = str(index)
        if isinstance(index, bool) or not isinstance(index, (int, str)) or "." in key:
            raise TypeError(f"{name} state keys must be parameter indices, got {index!r}")
        scalars: dict[str, Any] = {}
        for field, value in entries.items():
            if isinstance(value, Tensor):
                value = value._data
            if _is_array(value):
                tkey = f"{_OPT_PREFIX}{key}.{field}"
                tensors[tkey] = numpy.ascontiguousarray(to_numpy(value))
                table[tkey] = _spec(tensors[tkey])
            else:
                scalars[str(field)] = _to_json(value, f"optimizer state[{index!r}][{field!r}]")
        state_json[key] = scalars
    groups = [
        _to_json(dict(group), f"optimizer param_groups[{i}]")
        for i, group in enumerate(sd["param_groups"])
    ]
    extra = {
        k: _to_json(v, f"optimizer state_dict()[{k!r}]")
        for k, v in sd.items()
        if k not in ("state", "param_groups")
    }
    cfg: dict[str, Any] = {
        "type": name,
        "param_groups": groups,
        "state": state_json,
        "tensors": table,
    }
    if extra:
        cfg["extra"] = extra
    return cfg, tensors


def _optimizer_state(opt_cfg: dict[str, Any], arrays: Mapping[str, Any]) -> dict[str, Any]:
    """Reassemble the ``state_dict()`` that :func:`_optimizer_to_checkpoint` split."""

    def index(key: str) -> int | str:
        return int(key) if re.fullmatch(r"-?\d+", key) else key

    state: dict[int | str, dict[str, Any]] = {
        index(k): dict(v) for k, v in opt_cfg["state"].items()
    }
    for tkey in opt_cfg["tensors"]:
        match = _OPT_KEY.match(tkey)
        assert match is not None  # checked by _validate_config
        # a writable device copy: optimisers update their state in place
        state.setdefault(index(match[1]), {})[match[2]] = xp.array(arrays[tkey], copy=True)
    sd = dict(opt_cfg.get("extra") or {})
    sd["state"] = state
    sd["param_groups"] = [dict(g) for g in opt_cfg["param_groups"]]
    return sd


def _write_file(file: Path, data: bytes) -> None:
    with open(file, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _check_replaceable(target: Path) -> None:
    """Refuse (FileExistsError naming ``target``) to replace anything but a chainrule checkpoint
    directory: regular files named as a checkpoint's, with a readable chainrule config."""

    def refuse(why: str) -> FileExistsError:
        return FileExistsError(errno.EEXIST, f"{why}; refusing to replace it", str(target))

    if target.is_symlink() or not target.is_dir():
        raise refuse("exists and is not a checkpoint directory")
    names = os.listdir(target)
    others = sorted(set(names) - {CONFIG_NAME, WEIGHTS_NAME})
    if others:
        raise refuse(
            f"holds files that are not part of a checkpoint ({', '.join(others)}): remove it "
            "yourself or choose another path"
        )
    for name in names:
        if not stat.S_ISREG(os.lstat(target / name).st_mode):
            raise refuse(f"holds {name}, which is not a regular file, so it is not a checkpoint")
    if not names:
        return  # an empty directory: nothing to lose
    try:
        with open(target / CONFIG_NAME, "rb") as f:
            config = json.loads(f.read().decode("utf-8"))
        ok = isinstance(config, dict) and config.get("format") == FORMAT
    except (OSError, ValueError, RecursionError):
        ok = False
    if not ok:
        raise refuse(f"is not a chainrule checkpoint (no readable chainrule {CONFIG_NAME})")


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value
    )


def _check_table(table: Any, file: Path, what: str) -> None:
    if not isinstance(table, dict):
        raise ValueError(f"{file}: {what!r} must be an object, got {type(table).__name__}")
    for key, spec in table.items():
        if not isinstance(spec, dict) or not _is_shape(spec.get("shape")):
            raise ValueError(f"{file}: {what}[{key!r}] needs a 'shape' list of sizes, got {spec!r}")
        dtype = spec.get("dtype")
        if not isinstance(dtype, str) or not _is_dtype_name(dtype):
            raise ValueError(f"{file}: {what}[{key!r}] has an unknown dtype {dtype!r}")


def _is_dtype_name(name: str) -> bool:
    try:
        return numpy.dtype(name).name == name
    except TypeError:
        return False


def _validate_config(config: Any, file: Path) -> None:
    """ValueError naming ``file`` and the problem, unless ``config`` is a usable config."""
    if not isinstance(config, dict):
        raise ValueError(f"{file} must hold a JSON object, not a {type(config).__name__}")
    if config.get("format") != FORMAT:
        raise ValueError(
            f"{file} is not a chainrule checkpoint config: 'format' is "
            f"{config.get('format')!r}, expected {FORMAT!r}"
        )
    version = config.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{file}: 'format_version' must be an integer, got {version!r}")
    if version != FORMAT_VERSION:
        newer = " (written by a newer chainrule: upgrade chainrule)" if version > 1 else ""
        raise ValueError(
            f"{file}: unsupported format_version {version}{newer}; this chainrule reads "
            f"format_version {FORMAT_VERSION}"
        )
    _check_table(config.get("parameters"), file, "parameters")
    for field in ("model", "metadata", "optimizer"):
        if config.get(field) is not None and not isinstance(config[field], dict):
            raise ValueError(
                f"{file}: {field!r} must be an object or null, got {type(config[field]).__name__}"
            )
        config.setdefault(field, None)
    opt = config["optimizer"]
    if opt is not None:
        if not isinstance(opt.get("type"), str):
            raise ValueError(f"{file}: optimizer['type'] must be the optimiser's class name")
        groups = opt.get("param_groups")
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise ValueError(f"{file}: optimizer['param_groups'] must be a list of objects")
        state = opt.get("state", {})
        if not isinstance(state, dict) or not all(isinstance(v, dict) for v in state.values()):
            raise ValueError(f"{file}: optimizer['state'] must map parameter indices to objects")
        opt.setdefault("state", {})
        opt.setdefault("tensors", {})
        _check_table(opt["tensors"], file, "optimizer.tensors")
        for key in opt["tensors"]:
            if not _OPT_KEY.match(key):
                raise ValueError(
                    f"{file}: optimizer tensor {key!r} is not named '{_OPT_PREFIX}<index>.<name>'"
                )
            if key in config["parameters"]:
                raise ValueError(f"{file}: {key!r} is both a model and an optimizer tensor")
        if opt.get("extra") is not None and not isinstance(opt["extra"], dict):
            raise ValueError(f"{file}: optimizer['extra'] must be an object")
    files = config.get("files")
    if files is not None:
        entry = files.get(WEIGHTS_NAME) if isinstance(files, dict) else None
        if not isinstance(entry, dict):
            raise ValueError(f"{file}: 'files' must record {WEIGHTS_NAME!r}'s size and sha256")
        size, digest = entry.get("size"), entry.get("sha256")
        if (isinstance(size, bool) or not isinstance(size, int) or size < 0) or not (
            isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)
        ):
            raise ValueError(f"{file}: files[{WEIGHTS_NAME!r}] has a bad size or sha256: {entry}")


_ST_DTYPES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "U16": "uint16", "I16": "int16",
    "U32": "uint32", "I32": "int32", "U64": "uint64", "I64": "int64",
    "F16": "float16", "F32": "float32", "F64": "float64",
}  # fmt: skip
"""safetensors' dtype codes, as numpy names."""

_MAX_HEADER = 100_000_000
"""The largest safetensors header read (safetensors' own limit)."""


def _header_table(f: IO[bytes], size: int) -> dict[str, tuple[tuple[int, ...], str]] | None:
    """``{name: (shape, dtype name)}`` from a safetensors header whose byte ranges are all
    consistent with ``size``; None when the header is malformed (safetensors then says why)."""
    f.seek(0)
    header_len = int.from_bytes(f.read(8), "little")
    if header_len > _MAX_HEADER:
        return None
    try:
        header = json.loads(f.read(header_len).decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    table: dict[str, tuple[tuple[int, ...], str]] = {}
    data_size = size - 8 - header_len
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict):
            return None
        shape, dtype, offsets = entry.get("shape"), entry.get("dtype"), entry.get("data_offsets")
        if not (_is_shape(shape) and _is_shape(offsets) and len(offsets) == 2):
            return None
        name_np = _ST_DTYPES.get(dtype) if isinstance(dtype, str) else None
        begin, end = offsets
        if name_np is None or not begin <= end <= data_size:
            return None
        if end - begin != math.prod(shape) * numpy.dtype(name_np).itemsize:
            return None
        table[name] = (tuple(shape), name_np)
    return table


def _compare_tables(
    file: Path, found: Mapping[str, tuple[tuple[int, ...], str]], tables: Mapping[str, Any]
) -> None:
    """ValueError naming the tensor where ``found`` (the file's) and ``config.json``'s differ."""
    for key, spec in tables.items():
        if key not in found:
            raise ValueError(f"{file} lacks tensor {key!r}, which {CONFIG_NAME} lists")
        shape, dtype = found[key]
        if list(shape) != spec["shape"]:
            raise ValueError(
                f"tensor {key!r} in {file} has shape {shape}, but {CONFIG_NAME} says "
                f"{tuple(spec['shape'])}"
            )
        if dtype != spec["dtype"]:
            raise ValueError(
                f"tensor {key!r} in {file} has dtype {dtype}, but {CONFIG_NAME} says "
                f"{spec['dtype']}"
            )
    extra = sorted(found.keys() - tables.keys())
    if extra:
        raise ValueError(f"{file} holds tensors that {CONFIG_NAME} does not list: {extra}")


def _tables(config: dict[str, Any]) -> dict[str, Any]:
    tables = dict(config["parameters"])
    if config["optimizer"] is not None:
        tables.update(config["optimizer"]["tensors"])
    return tables


def _check_header(file: Path, f: IO[bytes] | None, config: dict[str, Any]) -> None:
    """Check ``model.safetensors`` (open as ``f``) against ``config.json`` from its size and
    header alone, so that a lying config costs no memory."""
    if f is None:
        raise CheckpointNotFoundError(
            errno.ENOENT, "the checkpoint's weights file is missing", str(file)
        )
    size = os.fstat(f.fileno()).st_size
    if size < 8:
        raise ValueError(f"{file} is truncated: {size} bytes, too short for a safetensors header")
    f.seek(0)
    header_len = int.from_bytes(f.read(8), "little")
    if 8 + header_len > size:
        raise ValueError(
            f"{file} is truncated or its header is corrupt: the header claims {header_len} "
            f"bytes but only {size - 8} follow"
        )
    record = (config.get("files") or {}).get(WEIGHTS_NAME)
    if record is not None and record["size"] != size:
        how = "truncated" if size < record["size"] else "corrupt (it has extra bytes)"
        raise ValueError(
            f"{file} is {how}: {size} bytes, but {CONFIG_NAME} records {record['size']}"
        )
    header = _header_table(f, size)
    if header is not None:
        _compare_tables(file, header, _tables(config))


def _read_weights(
    file: Path, f: IO[bytes], config: dict[str, Any], st: Any
) -> dict[str, numpy.ndarray]:
    """Every tensor of ``model.safetensors`` (open as ``f``, checked by :func:`_check_header`),
    verified against ``config.json``'s checksum and tables."""
    record = (config.get("files") or {}).get(WEIGHTS_NAME)
    f.seek(0)
    data = f.read()
    try:
        arrays = st.load(data)
    except BaseException as exc:  # safetensors raises SafetensorError, or a Rust panic
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise ValueError(
            f"{file} is corrupt: safetensors cannot read it ({type(exc).__name__}: {exc})"
        ) from exc
    if record is not None and hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ValueError(
            f"{file} is corrupt: its SHA-256 differs from the one recorded in {CONFIG_NAME} "
            "(the file was damaged or modified after saving)"
        )
    found = {k: (tuple(a.shape), a.dtype.name) for k, a in arrays.items()}
    _compare_tables(file, found, _tables(config))
    return arrays


def _rebuild(description: dict[str, Any], config_file: Path) -> Module:
    """``from_config`` with placeholder weights: nothing allocated, nothing drawn."""
    try:
        with deferred.no_weights():
            return from_config(description)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{config_file}: cannot rebuild the model: {exc}") from None


def _check_fits(model: Module, weights: Mapping[str, tuple[int, ...]], file: Path) -> None:
    """ValueError naming the keys when the ``weights`` shapes do not fit ``model``."""
    own = {name: tuple(p.shape) for name, p in model.named_parameters()}
    own.update((name, tuple(b.shape)) for name, b in model.named_buffers() if b is not None)
    problems = []
    missing = [k for k in own if k not in weights]
    unexpected = [k for k in weights if k not in own]
    if missing:
        problems.append(f"the model has {missing}, which the checkpoint lacks")
    if unexpected:
        problems.append(f"the checkpoint has {unexpected}, which the model lacks")
    for key, shape in weights.items():
        if key in own and shape != own[key]:
            problems.append(f"shape mismatch for {key!r}: checkpoint {shape}, model {own[key]}")
    if problems:
        raise ValueError(
            f"the weights in {file} do not fit {type(model).__name__}: " + "; ".join(problems)
        )
