"""Every primitive op: a forward on raw arrays beside its VJP rules (see :mod:`chainrule.autograd`).

One module per family; this package gathers their public names.
"""

from chainrule.ops.activations import elu, gelu, leaky_relu, relu, sigmoid, softplus, tanh
from chainrule.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
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
