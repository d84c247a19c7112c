"""``chainrule.nn.utils``: gradient clipping and parameter groups, where PyTorch has them.

>>> import chainrule as cr
>>> from chainrule import nn
>>> w = cr.zeros(2, requires_grad=True)
>>> w.grad = cr.tensor([3.0, 4.0])
>>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
5.0
"""

from chainrule._missing import module_getattr
from chainrule.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from chainrule.nn.utils.convert import parameters_to_vector, vector_to_parameters
from chainrule.nn.utils.param_groups import param_groups

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "param_groups",
    "parameters_to_vector",
    "vector_to_parameters",
]

__getattr__ = module_getattr("torch.nn.utils", __all__)  # others: NotImplementedError
