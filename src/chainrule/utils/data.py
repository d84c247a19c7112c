"""PyTorch's ``torch.utils.data`` names, backed by :mod:`chainrule.data`.

>>> import chainrule as cr
>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(cr.arange(6).reshape(3, 2), cr.arange(3)), batch_size=2)
>>> [yb.tolist() for xb, yb in loader]
[[0, 1], [2]]
"""

from chainrule._missing import module_getattr
from chainrule.data.dataset import Dataset, TensorDataset
from chainrule.data.loader import DataLoader
from chainrule.data.loader import collate as default_collate
from chainrule.data.subset import Subset, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


__getattr__ = module_getattr("torch.utils.data", __all__)
