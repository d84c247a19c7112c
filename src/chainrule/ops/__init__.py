"""Every primitive op: a forward on raw arrays beside its VJP rules (see :mod:`chainrule.autograd`).

One module per family; this package gathers their public names.
"""

import sys

from chainrule import tensor as _tensor
from chainrule.ops.activations import elu, gelu, leaky_relu, relu, sigmoid, softplus, tanh
from chainrule.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from chainrule.ops.conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    col2im,
    conv1d,
    conv2d,
    fold,
    im2col,
    max_pool2d,
    unfold,
)
from chainrule.ops.elementwise import abs, cos, exp, expm1, log, log1p, sin, sqrt
from chainrule.ops.indexing import getitem, index_add, unwrap_index
from chainrule.ops.joining import cat, concatenate, split, stack
from chainrule.ops.logprob import log_softmax, logsumexp, softmax
from chainrule.ops.nograd import (
    argmax,
    argmin,
    equal,
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
from chainrule.ops.reductions import max, mean, min, prod, std, sum, sum_to, var
from chainrule.ops.selection import clip, maximum, minimum, where
from chainrule.ops.shape import (
    astype,
    broadcast_to,
    expand_dims,
    flatten,
    pad,
    permute,
    reshape,
    squeeze,
    swapaxes,
    transpose,
    unsqueeze,
)

_tensor._ops = sys.modules[__name__]  # Tensor's methods and operators dispatch to these ops

subtract, multiply, divide, true_divide, negative, power = sub, mul, div, div, neg, pow

__all__ = [
    "abs",
    "adaptive_avg_pool2d",
    "add",
    "argmax",
    "argmin",
    "astype",
    "avg_pool2d",
    "broadcast_to",
    "cat",
    "clip",
    "col2im",
    "concatenate",
    "conv1d",
    "conv2d",
    "cos",
    "div",
    "divide",
    "elu",
    "equal",
    "exp",
    "expand_dims",
    "expm1",
    "flatten",
    "fold",
    "gelu",
    "getitem",
    "greater",
    "greater_equal",
    "im2col",
    "index_add",
    "isfinite",
    "leaky_relu",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "matmul",
    "max",
    "max_pool2d",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "multiply",
    "neg",
    "negative",
    "not_equal",
    "one_hot",
    "pad",
    "permute",
    "pow",
    "power",
    "prod",
    "relu",
    "reshape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "subtract",
    "sum",
    "sum_to",
    "swapaxes",
    "tanh",
    "transpose",
    "true_divide",
    "unfold",
    "unsqueeze",
    "unwrap_index",
    "var",
    "where",
]  # fmt: skip
