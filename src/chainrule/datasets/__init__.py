"""Data sets as NumPy arrays: toy generators, scikit-learn's bundled sets, CSV and IDX files.

Nothing here downloads anything.

- Generators (:mod:`~chainrule.datasets.synthetic`), ``f(n_samples, noise, seed) -> (X, y)``:
  :func:`moons`, :func:`circles`, :func:`xor`, :func:`spiral`, :func:`gaussians` (or
  :func:`blobs`), :func:`checkerboard`, and for regression :func:`sine_1d` and :func:`plane`.
- Real data read from files inside scikit-learn (optional: ``pip install chainrule[sklearn]``),
  ``f() -> (X, y, info)``: :func:`breast_cancer`, :func:`iris`, :func:`wine`, :func:`digits`,
  :func:`diabetes`.
- Files: :func:`load_csv` and :func:`load_idx` (MNIST format; :func:`read_idx`,
  :func:`write_idx`).
- By name: :func:`load` and :func:`available`.

>>> from chainrule import datasets
>>> X, y = datasets.load("xor", n_samples=8, seed=1)
>>> X.dtype, y.dtype
(dtype('float32'), dtype('int64'))
"""

from chainrule.datasets.csv import load_csv
from chainrule.datasets.idx import load_idx, read_idx, write_idx
from chainrule.datasets.info import DatasetInfo
from chainrule.datasets.real import breast_cancer, diabetes, digits, iris, wine
from chainrule.datasets.registry import available, load
from chainrule.datasets.synthetic import (
    blobs,
    checkerboard,
    circles,
    gaussians,
    moons,
    plane,
    sine_1d,
    spiral,
    xor,
)

__all__ = [
    "DatasetInfo",
    "available",
    "blobs",
    "breast_cancer",
    "checkerboard",
    "circles",
    "diabetes",
    "digits",
    "gaussians",
    "iris",
    "load",
    "load_csv",
    "load_idx",
    "moons",
    "plane",
    "read_idx",
    "sine_1d",
    "spiral",
    "wine",
    "write_idx",
    "xor",
]
