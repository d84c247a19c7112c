"""chainrule: neural networks from first principles.

Backpropagation is the chain rule applied as vector-Jacobian products, one small readable rule per
op (see :mod:`chainrule.autograd`), on a PyTorch-like ``Tensor``.

>>> import chainrule as cr
>>> x = cr.tensor([0.5, -1.0], requires_grad=True)
>>> y = cr.sigmoid(x).sum()
>>> y.backward()
>>> x.grad   # σ'(x) = σ(x)(1 - σ(x))
tensor([0.2350, 0.1966])
"""

# Tensor first: the engine and the ops are built on it, and tensor.py imports them at its end
from chainrule import tensor as _tensor  # noqa: F401

# isort: split
# PyTorch's names too: dtypes (torch.long ...), devices, utils.data, autograd.grad; and
# NotImplementedError naming the PyTorch feature for any other public name (see _missing)
from chainrule import autograd as autograd
from chainrule import (
    backend,
    cuda,
    nn,
    onnx,
    optim,
    train,
    utils,
)
from chainrule._missing import module_getattr as _module_getattr
from chainrule.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.compile import compile
from chainrule.creation import (
    Generator,
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from chainrule.device import device
from chainrule.dtypes import (
    bool,
    bool_,
    default_dtype,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from chainrule.dtypes import float as float
from chainrule.functional import grad, hessian, jacobian, jvp, value_and_grad, vjp
from chainrule.gradcheck import GradcheckError, gradcheck
from chainrule.ops import *  # noqa: F403 - the op namespace is the public API
from chainrule.ops import __all__ as _ops_all
from chainrule.tensor import Tensor, as_tensor, is_floating_point, is_tensor, tensor
from chainrule.tensor_files import load, save  # torch.save of state dicts; else checkpoint

# isort: split
# PyTorch's meaning for these names, over the op namespace's (F.one_hot: int64; F.pad: widths
# from the last dim back); NumPy's spellings stay in chainrule.ops
from chainrule.nn.torch_functional import one_hot as one_hot
from chainrule.nn.torch_functional import pad as pad

inference_mode = no_grad  # PyTorch's faster no_grad; here the same thing

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Generator",
    "Tensor",
    "arange",
    "as_tensor",
    "backend",
    "bool_",
    "compile",
    "default_dtype",
    "enable_grad",
    "float16",
    "float32",
    "float64",
    "full",
    "full_like",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "hessian",
    "int32",
    "int64",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "load",
    "manual_seed",
    "nn",
    "optim",
    "train",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "tensor",
    "value_and_grad",
    "vjp",
    "zeros",
    "zeros_like",
    *_ops_all,
    "autograd", "bool", "cuda", "inference_mode", "onnx", "device", "double", "empty", "eye", "float", "from_numpy",
    "half", "int", "int8", "int16", "linspace", "long", "randint", "randperm", "uint8", "utils",
    "is_floating_point", "is_tensor",
]  # fmt: skip

__getattr__ = _module_getattr("torch", __all__)
