"""Gradient clipping, also reachable from :mod:`chainrule.optim` (it lives in
:mod:`chainrule.nn.utils.clip_grad`, where PyTorch has it)."""

from chainrule.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
