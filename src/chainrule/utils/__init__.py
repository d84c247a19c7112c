"""``chainrule.utils``: where PyTorch code finds ``utils.data`` (``from torch.utils.data import
DataLoader`` becomes ``from chainrule.utils.data import DataLoader``)."""

from chainrule._missing import module_getattr
from chainrule.utils import data

__all__ = ["data"]

__getattr__ = module_getattr("torch.utils", __all__)  # others: NotImplementedError
