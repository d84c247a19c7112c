"""Small real data sets that ship inside scikit-learn (nothing is downloaded).

scikit-learn is an optional extra (``pip install chainrule[sklearn]``) and is imported only when
one of these functions is called, never by ``import chainrule``. Each loader returns
``(X, y, info)``: ``X`` in ``dtype`` (float32 by default), ``y`` int64 class labels (float for
:func:`diabetes`), and a :class:`~chainrule.datasets.DatasetInfo`.

=================  =========  ========  =======================================
loader             samples    features  target
=================  =========  ========  =======================================
``breast_cancer``  569        30        2 classes (malignant, benign)
``iris``           150        4         3 species
``wine``           178        13        3 cultivars
``digits``         1797       64        10 digits (8×8 images, values 0-16)
``diabetes``       442        10        disease progression (regression)
=================  =========  ========  =======================================

>>> from chainrule.datasets import iris
>>> X, y, info = iris()
>>> X.shape, info.target_names
((150, 4), ('setosa', 'versicolor', 'virginica'))
"""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Any

import numpy as np

from chainrule._docstrings import fill
from chainrule.datasets._common import _float_dtype
from chainrule.datasets.info import DatasetInfo

__all__ = ["breast_cancer", "diabetes", "digits", "iris", "wine"]

_INSTALL_HINT = "pip install chainrule[sklearn]"


def _sklearn_datasets() -> Any:
    try:
        import sklearn.datasets
    except ImportError as exc:
        raise ImportError(
            "the real data sets are read from files bundled with scikit-learn, which is not "
            f"installed; install the optional extra with `{_INSTALL_HINT}` "
            "(or `pip install scikit-learn`)"
        ) from exc
    return sklearn.datasets


# name: (what y is, DatasetInfo.description); scikit-learn's loader is ``load_<name>``
_SOURCES = {
    "breast_cancer": (
        "diagnosis",
        "Breast Cancer Wisconsin (Diagnostic), UCI: 569 breast-mass aspirates described by 30 "
        "real-valued features of their cell nuclei; diagnosis malignant (0) or benign (1).",
    ),
    "iris": (
        "species",
        "Fisher's iris data (1936): sepal and petal length and width of 150 iris flowers, "
        "50 from each of three species (setosa, versicolor, virginica).",
    ),
    "wine": (
        "cultivar",
        "Wine recognition, UCI: 13 constituents found by chemical analysis of 178 wines grown "
        "in the same region of Italy from three cultivars.",
    ),
    "digits": (
        "digit",
        "Optical recognition of handwritten digits, UCI: 1797 8×8 images of the digits 0-9 "
        "whose pixels count the ink in 4×4 blocks of a 32×32 bitmap (values 0-16).",
    ),
    "diabetes": (
        "progression",
        "Diabetes (Efron et al., 2004): age, sex, BMI, blood pressure and six serum "
        "measurements of 442 patients; target: disease progression one year after baseline.",
    ),
}

# the docstring parts every loader shares (see chainrule._docstrings)
_DOCS = {
    "dtype": """dtype : dtype, optional
    Floating dtype of ``X`` (default float32).""",
    "raises": """Raises
------
ImportError
    Without scikit-learn (``pip install chainrule[sklearn]``).""",
}


def _load(
    name: str, dtype: Any, regression: bool = False, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    target, description = _SOURCES[name]
    dt = _float_dtype(dtype)
    bunch = getattr(_sklearn_datasets(), f"load_{name}")(**kwargs)
    X = np.asarray(bunch.data).astype(dt)
    features = tuple(str(f) for f in bunch.feature_names)
    if regression:
        y = np.asarray(bunch.target).astype(dt)
        names: tuple[str, ...] = ()
        classes = None
        task = "regression"
    else:
        y = np.asarray(bunch.target).astype(np.int64)
        names = tuple(str(t) for t in bunch.target_names)
        classes = names
        task = "classification"
    info = DatasetInfo(name, features, names, description, target, task, classes)
    return X, y, info


@fill(_DOCS)
def breast_cancer(*, dtype: Any = None) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Breast Cancer Wisconsin (Diagnostic): binary classification, 569 × 30.

    Parameters
    ----------
    %(dtype)s

    Returns
    -------
    X : numpy.ndarray, shape (569, 30)
        Features of cell nuclei measured on images of breast-mass aspirates (mean, standard
        error and worst value of 10 measurements). The scales differ widely: standardise.
    y : numpy.ndarray of int64, shape (569,)
        0 = malignant (212), 1 = benign (357).
    info : DatasetInfo

    %(raises)s

    Examples
    --------
    >>> X, y, info = breast_cancer()
    >>> X.shape, info.target_names
    ((569, 30), ('malignant', 'benign'))
    """
    return _load("breast_cancer", dtype)


@fill(_DOCS)
def iris(*, dtype: Any = None) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Fisher's iris flowers: 3 classes, 150 × 4.

    Parameters
    ----------
    %(dtype)s

    Returns
    -------
    X : numpy.ndarray, shape (150, 4)
        Sepal length, sepal width, petal length, petal width, in cm.
    y : numpy.ndarray of int64, shape (150,)
        0 = setosa, 1 = versicolor, 2 = virginica (50 each).
    info : DatasetInfo

    %(raises)s

    Examples
    --------
    >>> X, y, info = iris()
    >>> X.shape, info.feature_names[0], int(y.max())
    ((150, 4), 'sepal length (cm)', 2)
    """
    return _load("iris", dtype)


@fill(_DOCS)
def wine(*, dtype: Any = None) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Wine recognition: 3 classes, 178 × 13.

    Parameters
    ----------
    %(dtype)s

    Returns
    -------
    X : numpy.ndarray, shape (178, 13)
        Results of a chemical analysis (alcohol, malic acid, ash, ... proline).
    y : numpy.ndarray of int64, shape (178,)
        The cultivar, 0, 1 or 2 (59, 71 and 48 wines).
    info : DatasetInfo

    %(raises)s

    Examples
    --------
    >>> X, y, info = wine()
    >>> X.shape, info.n_classes
    ((178, 13), 3)
    """
    return _load("wine", dtype)


@fill(_DOCS)
def digits(*, n_class: int = 10, dtype: Any = None) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Handwritten digits as 8×8 images: 10 classes, 1797 × 64.

    Parameters
    ----------
    n_class : int
        Keep only the digits ``0 .. n_class - 1`` (between 1 and 10).
    %(dtype)s

    Returns
    -------
    X : numpy.ndarray, shape (1797, 64)
        Pixel counts 0-16, row by row; ``X.reshape(-1, 8, 8)`` gives the images.
    y : numpy.ndarray of int64, shape (1797,)
        The digit.
    info : DatasetInfo

    %(raises)s

    Examples
    --------
    >>> X, y, info = digits()
    >>> X.shape, float(X.max()), info.n_classes
    ((1797, 64), 16.0, 10)
    """
    return _load("digits", dtype, n_class=n_class)


@fill(_DOCS)
def diabetes(
    *, scaled: bool = True, dtype: Any = None
) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Diabetes progression: regression, 442 × 10.

    Parameters
    ----------
    scaled : bool
        scikit-learn's default: each feature mean-centred and scaled to unit Euclidean norm.
        ``False`` gives the original values.
    dtype : dtype, optional
        Floating dtype of ``X`` and ``y`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (442, 10)
        Age, sex, body-mass index, blood pressure and six blood serum measurements.
    y : numpy.ndarray, shape (442,)
        A measure of disease progression one year after baseline (25 to 346).
    info : DatasetInfo
        ``task`` is ``"regression"``; ``target_names`` is empty.

    %(raises)s

    Examples
    --------
    >>> X, y, info = diabetes()
    >>> X.shape, y.dtype, info.task
    ((442, 10), dtype('float32'), 'regression')
    """
    return _load("diabetes", dtype, regression=True, scaled=scaled)


# The examples above need scikit-learn; without it, mark them skipped for doctest runners
# (find_spec looks for the package without importing it).
if importlib.util.find_spec("sklearn") is None:  # pragma: no cover - depends on the environment
    _mod = sys.modules[__name__]
    for _obj in (_mod, breast_cancer, iris, wine, digits, diabetes):
        if _obj.__doc__:
            _obj.__doc__ = re.sub(
                r"^(\s*>>> .*)$", r"\1  # doctest: +SKIP", _obj.__doc__, flags=re.M
            )
