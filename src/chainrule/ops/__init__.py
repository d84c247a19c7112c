"""Every primitive op: a forward on raw arrays beside its VJP rules (see :mod:`chainrule.autograd`).

One module per family; this package gathers their public names.
"""

import sys

from chainrule import tensor as _tensor
from chainrule.ops.activations import elu, gelu, leaky_relu, relu, sigmoid, softplus, tanh
from chainrule.ops.arithmetic import add, div, matmul, mul, neg, pow, sub

# PyTorch's signatures and meanings (dim=/keepdim=, named tuples, unbiased var, torch.split,
# torch.equal) over the NumPy-style primitives above, which the VJP rules keep calling
from chainrule.ops.compare import (
    all,
    allclose,
    any,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isinf,
    isnan,
    le,
    lt,
    ne,
)
from chainrule.ops.cumulative import cumsum
from chainrule.ops.dims import (
    amax,
    amin,
    argmax,
    argmin,
    cat,
    chunk,
    concat,
    concatenate,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    prod,
    softmax,
    split,
    squeeze,
    stack,
    std,
    sum,
    unsqueeze,
    var,
)
from chainrule.ops.einsum import einsum
from chainrule.ops.elementwise import abs, cos, exp, expm1, log, log1p, sin, sqrt
from chainrule.ops.gather import gather, index_add, index_select, masked_fill, scatter, scatter_add
from chainrule.ops.indexing import getitem, unwrap_index
from chainrule.ops.integer import ceil, floor, floor_divide, remainder, round
from chainrule.ops.nograd import (
    greater,
    greater_equal,
    isfinite,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    one_hot,
    sign,
)
from chainrule.ops.norms import clamp, norm
from chainrule.ops.reductions import sum_to
from chainrule.ops.selection import clip, maximum, minimum, where
from chainrule.ops.shape import (
    astype,
    broadcast_to,
    expand_dims,
    flatten,
    pad,
    permute,
    reshape,
    swapaxes,
)
from chainrule.ops.sorting import argsort, sort, topk
from chainrule.ops.tiling import bmm, expand, mm, repeat, t, transpose, unflatten

_tensor._ops = sys.modules[__name__]  # Tensor's methods and operators dispatch to these ops

subtract, multiply, divide, true_divide, negative, power = sub, mul, div, div, neg, pow

__all__ = [
    "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "cat", "clip", "concatenate",
    "cos", "div", "divide", "elu", "equal", "exp", "expand_dims", "expm1", "flatten", "gelu",
    "getitem", "greater", "greater_equal", "index_add", "isfinite", "leaky_relu", "less",
    "less_equal", "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "multiply", "neg",
    "negative", "not_equal", "one_hot", "pad", "permute", "pow", "power", "prod", "relu",
    "reshape", "sigmoid", "sign", "sin", "softmax", "softplus", "split", "sqrt", "squeeze",
    "stack", "std", "sub", "subtract", "sum", "sum_to", "swapaxes", "tanh", "transpose",
    "true_divide", "unsqueeze", "unwrap_index", "var", "where",
]  # fmt: skip

# the PyTorch-named ops (see chainrule.ops.dims and the modules beside it)
__all__ += [
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argsort",
    "bmm",
    "ceil",
    "chunk",
    "clamp",
    "concat",
    "cumsum",
    "einsum",
    "eq",
    "expand",
    "floor",
    "floor_divide",
    "gather",
    "ge",
    "gt",
    "index_select",
    "isclose",
    "isinf",
    "isnan",
    "le",
    "lt",
    "masked_fill",
    "mm",
    "ne",
    "norm",
    "remainder",
    "repeat",
    "round",
    "scatter",
    "scatter_add",
    "sort",
    "t",
    "topk",
    "unflatten",
]  # fmt: skip
