"""``chainrule.onnx.export``: write a model as an ONNX file, for onnxruntime and other runtimes.

An optional extra (``pip install "chainrule[onnx]"``). It exports a :class:`~chainrule.nn.Sequential`
(nested ones too) of the built-in layers: ``Linear``, the activations, ``Softmax``/``LogSoftmax``,
``Dropout`` and ``Identity`` (identities at inference), ``Flatten``, ``BatchNorm1d`` (running
statistics) and ``LayerNorm``. Any other module raises ``NotImplementedError`` naming it. The
file is written atomically, with the weights inside (ONNX is protobuf, never pickle).

>>> import chainrule as cr
>>> from chainrule import nn
>>> model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
>>> cr.onnx.export(model, cr.zeros((1, 3)), "model.onnx")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

import numpy

from chainrule._atomic import atomic_open
from chainrule.autograd import no_grad
from chainrule.backend import to_numpy
from chainrule.tensor import Tensor

__all__ = ["export"]

_OPSET = 17  # LayerNormalization needs 17
_ELEMENTWISE = {"ReLU": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Identity": "Identity"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            'chainrule.onnx.export needs the onnx package: pip install "chainrule[onnx]"'
        ) from exc
    return onnx


class _Graph:
    """The nodes and weights of the graph being built, with fresh value names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx, self.nodes, self.weights, self.count = onnx, [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def weight(self, hint: str, value: Any) -> str:
        arr = to_numpy(value._data if isinstance(value, Tensor) else value)
        name = self.name(hint)
        self.weights.append(self.onnx.numpy_helper.from_array(numpy.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], **attrs))
        return out


def _layer(g: _Graph, m: Any, x: str, ndim: int) -> tuple[str, int]:
    """Add ``m`` applied to the value ``x`` (of ``ndim`` dims); return the output and its ndim."""
    kind = type(m).__name__
    if kind == "Sequential":
        for child in m:
            x, ndim = _layer(g, child, x, ndim)
        return x, ndim
    if kind in _ELEMENTWISE or kind == "Dropout":
        return g.node(_ELEMENTWISE.get(kind, "Identity"), [x], kind.lower()), ndim
    if kind == "Linear":
        y = g.node("MatMul", [x, g.weight("weight_t", m.weight._data.T)], "linear")
        if m.bias is not None:
            y = g.node("Add", [y, g.weight("bias", m.bias)], "linear")
        return y, ndim
    if kind == "LeakyReLU":
        return g.node("LeakyRelu", [x], "leaky_relu", alpha=float(m.negative_slope)), ndim
    if kind == "ELU":
        return g.node("Elu", [x], "elu", alpha=float(m.alpha)), ndim
    if kind == "Softplus" and m.beta == 1.0:
        return g.node("Softplus", [x], "softplus"), ndim
    if kind == "SiLU":
        return g.node("Mul", [x, g.node("Sigmoid", [x], "silu")], "silu"), ndim
    if kind in ("Softmax", "LogSoftmax"):
        return g.node(kind, [x], kind.lower(), axis=int(m.dim)), ndim
    if kind == "Flatten":
        if m.start_dim != 1 or m.end_dim not in (-1, ndim - 1):
            raise NotImplementedError(
                "chainrule.onnx.export: only Flatten(start_dim=1) is supported"
            )
        return g.node("Flatten", [x], "flatten", axis=1), 2
    if kind == "BatchNorm1d" and m.running_mean is not None:
        n = m.num_features
        scale = m.weight if m.weight is not None else numpy.ones(n, numpy.float32)
        shift = m.bias if m.bias is not None else numpy.zeros(n, numpy.float32)
        ins = [x] + [g.weight(h, v) for h, v in [("bn_scale", scale), ("bn_shift", shift), ("bn_mean", m.running_mean), ("bn_var", m.running_var)]]  # fmt: skip
        return g.node("BatchNormalization", ins, "batch_norm", epsilon=float(m.eps)), ndim
    if kind == "LayerNorm" and m.weight is not None:
        axis = ndim - len(m.normalized_shape)
        ins = [x, g.weight("ln_scale", m.weight), g.weight("ln_shift", m.bias)]
        return g.node(
            "LayerNormalization", ins, "layer_norm", axis=axis, epsilon=float(m.eps)
        ), ndim
    raise NotImplementedError(
        f"chainrule.onnx.export does not implement {kind} (it exports Sequentials of Linear, "
        "activations, Softmax, Dropout, Flatten, BatchNorm1d and LayerNorm)"
    )


def export(model: Any, args: Any, f: str | os.PathLike[str], *, input_names: Any = None,
           output_names: Any = None, opset_version: int = _OPSET) -> None:  # fmt: skip
    """Write ``model`` as an ONNX file at ``f``, for inputs shaped like ``args`` (the batch dim is
    left free).

    Parameters
    ----------
    model : Sequential
        The model; it is exported as in eval mode (Dropout off, BatchNorm's running statistics).
    args : Tensor
        An example input (or a one-tuple of it), for its dtype and number of dims.
    f : path
        Where to write; the file appears complete or not at all.
    input_names, output_names : list of str, optional
        One name each (default ``["input"]`` and ``["output"]``).
    opset_version : int
        The ONNX opset (at least 17).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> cr.onnx.export(nn.Sequential(nn.Linear(2, 1)), cr.zeros((1, 2)), "m.onnx")  # doctest: +SKIP
    """
    onnx = _onnx()
    x = args[0] if isinstance(args, (tuple, list)) else args
    data = to_numpy(x._data if isinstance(x, Tensor) else numpy.asarray(x))
    if data.dtype != numpy.float32:
        raise NotImplementedError(f"chainrule.onnx.export exports float32 models, not {data.dtype}")
    if opset_version < _OPSET:
        raise ValueError(
            f"chainrule.onnx.export needs opset_version >= {_OPSET}, got {opset_version}"
        )
    in_name = (input_names or ["input"])[0]
    out_name = (output_names or ["output"])[0]
    g = _Graph(onnx)
    y, _ = _layer(g, model, in_name, data.ndim)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out_shape = ["batch", *model(Tensor(data)).shape[1:]]
    finally:
        model.train(was_training)
    g.nodes.append(onnx.helper.make_node("Identity", [y], [out_name]))
    elem = onnx.TensorProto.FLOAT
    batch_first = ["batch", *data.shape[1:]]
    graph = onnx.helper.make_graph(
        g.nodes,
        "chainrule",
        [onnx.helper.make_tensor_value_info(in_name, elem, batch_first)],
        [onnx.helper.make_tensor_value_info(out_name, elem, out_shape)],
        initializer=g.weights,
    )
    proto = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", opset_version)],
        producer_name="chainrule",
    )
    onnx.checker.check_model(proto)
    with atomic_open(os.fspath(f), "wb") as out:
        out.write(proto.SerializeToString())
