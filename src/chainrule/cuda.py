"""``chainrule.cuda``: PyTorch's device checks, answering that no CUDA device is in use.

>>> import chainrule as cr
>>> cr.cuda.is_available(), cr.cuda.device_count()
(False, 0)
"""

from __future__ import annotations

from chainrule._missing import module_getattr

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """False: chainrule's tensors live on the CPU (CuPy is chosen by CHAINRULE_BACKEND)."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed without CUDA (``chainrule.manual_seed`` seeds chainrule's generator)."""


manual_seed_all = manual_seed

__getattr__ = module_getattr("torch.cuda", __all__)
