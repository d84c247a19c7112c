"""Optimisers, learning-rate schedulers and gradient clipping.

All optimisers update ``p._data`` in place from ``p.grad``, skip parameters whose gradient is
None, never write into gradient arrays, and apply weight decay to every parameter they are
given, as PyTorch does (to leave biases and normalisation parameters out, pass the groups that
:func:`chainrule.nn.utils.param_groups` builds). Their update equations are PyTorch's.

>>> import chainrule as cr
>>> from chainrule import optim
>>> w = cr.tensor([4.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.5)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)
>>> for _ in range(100):
...     opt.zero_grad()
...     ((w - 1.0) ** 2).sum().backward()
...     norm = optim.clip_grad_norm_([w], max_norm=5.0)
...     opt.step()
...     sched.step()
>>> round(w.item(), 3)
1.0
"""

from chainrule._missing import module_getattr
from chainrule.optim import lr_scheduler
from chainrule.optim.adadelta import Adadelta
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam
from chainrule.optim.adamw import AdamW
from chainrule.optim.clip import clip_grad_norm_, clip_grad_value_
from chainrule.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseScalingLR,
    LambdaLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseScalingLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "LinearWarmup",
    "MultiStepLR",
    "OneCycleLR",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]

__getattr__ = module_getattr("torch.optim", __all__)  # other optimisers: NotImplementedError
