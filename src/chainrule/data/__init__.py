"""Data: datasets, minibatch loading, train/test splits and standardisation.

A training loop over minibatches, from raw arrays:

>>> import chainrule as cr
>>> from chainrule.data import DataLoader, TensorDataset, standardize, train_test_split
>>> g = cr.Generator(0)
>>> X, y = cr.randn(100, 3, generator=g), cr.tensor([0, 1] * 50)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
>>> X_train, mean, scale = standardize(X_train)
>>> loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)
>>> [xb.shape[0] for xb, yb in loader]
[32, 32, 16]

``batch_size=1`` gives the lecture's stochastic gradient descent (one random example per step),
``batch_size="full"`` full-batch gradient descent.
"""

from chainrule.data.dataset import Dataset, TensorDataset
from chainrule.data.loader import DataLoader, collate
from chainrule.data.preprocessing import Standardizer, standardize
from chainrule.data.split import train_test_split
from chainrule.data.subset import Subset, random_split

__all__ = [
    "DataLoader",
    "Dataset",
    "Standardizer",
    "Subset",
    "TensorDataset",
    "collate",
    "random_split",
    "standardize",
    "train_test_split",
]
