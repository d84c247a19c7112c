"""Toy data sets drawn from a seed: 2-D classification shapes and small regression problems.

Every generator has the form ``f(n_samples, noise, seed, *, ..., dtype=None) -> (X, y)``:

- ``X`` is a NumPy array of shape ``(n_samples, n_features)`` in ``dtype`` (chainrule's default
  float dtype, float32, unless given); the maths is done in float64 and cast once.
- ``y`` holds int64 class labels ``0..k-1`` for classification and floats (``dtype``) for
  regression.
- ``noise`` is the standard deviation of Gaussian noise: added to the points for classification
  (the labels come from the clean shape, so noise blurs the boundary) and to ``y`` for regression.
- ``seed`` is an int, a NumPy or chainrule ``Generator``, or ``None`` (chainrule's global
  generator, set by ``chainrule.manual_seed``). The same int gives the same arrays.

No Python loop runs over samples.

>>> from chainrule.datasets import moons
>>> X, y = moons(6, noise=0.1, seed=0)
>>> X.shape, X.dtype, sorted(set(y.tolist()))
((6, 2), dtype('float32'), [0, 1])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from chainrule.datasets._common import (
    SeedLike,
    _check_n,
    _check_nonneg,
    _check_range,
    _float_dtype,
    _ramp,
    _rng,
    _split,
)

__all__ = [
    "blobs",
    "checkerboard",
    "circles",
    "gaussians",
    "moons",
    "plane",
    "sine_1d",
    "spiral",
    "xor",
]


def _finish(
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    noise: float,
    shuffle: bool,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle (optionally), add position noise, cast."""
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(0.0, noise, X.shape)
    return X.astype(dtype), y.astype(np.int64)


def moons(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    shuffle: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as in scikit-learn's ``make_moons``.

    Class 0 lies on the upper half of the unit circle centred at (0, 0); class 1 on the lower
    half of the unit circle centred at (1, 0.5). Points are evenly spaced in angle.

    Parameters
    ----------
    n_samples : int
        Total number of points; class 0 gets ``n_samples // 2``, class 1 the rest.
    noise : float
        Standard deviation of Gaussian noise added to the points.
    seed : int, Generator or None
        Source of randomness (see the module notes).
    shuffle : bool
        Shuffle the rows; otherwise class 0 comes first.
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,)

    Examples
    --------
    >>> X, y = moons(4, shuffle=False)
    >>> X.round(3).tolist(), y.tolist()
    ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    dt, rng = _float_dtype(dtype), _rng(seed)
    n_out = n // 2
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n - n_out)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner])
    y = np.repeat([0, 1], [n_out, n - n_out])
    return _finish(X, y, rng, noise, shuffle, dt)


def circles(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    factor: float = 0.5,
    shuffle: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A circle inside a circle, as in scikit-learn's ``make_circles``.

    Parameters
    ----------
    n_samples : int
        Total number of points; the outer circle (class 0) gets ``n_samples // 2``.
    noise : float
        Standard deviation of Gaussian noise added to the points.
    seed : int, Generator or None
        Source of randomness.
    factor : float
        Radius of the inner circle (class 1), in (0, 1); the outer one has radius 1.
    shuffle : bool
        Shuffle the rows; otherwise class 0 comes first.
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,)

    Examples
    --------
    >>> X, y = circles(8, factor=0.3, seed=0)
    >>> import numpy as np
    >>> np.hypot(X[:, 0], X[:, 1])[y == 1].round(3).tolist()
    [0.3, 0.3, 0.3, 0.3]
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    if not isinstance(factor, numbers.Real) or not 0.0 < float(factor) < 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    dt, rng = _float_dtype(dtype), _rng(seed)
    counts = np.array([n // 2, n - n // 2])
    cls, pos = _ramp(counts)
    theta = 2.0 * np.pi * pos / counts[cls]
    radius = np.where(cls == 0, 1.0, float(factor))
    X = radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _finish(X, cls, rng, noise, shuffle, dt)


def xor(
    n_samples: int = 200,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    margin: float = 0.0,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the four quadrants of [-1, 1]², labelled by the XOR of their signs.

    As in the TensorFlow Playground: ``y = 1`` where exactly one coordinate is positive (quadrants
    II and IV), ``y = 0`` in quadrants I and III. No straight line separates the classes.

    Parameters
    ----------
    n_samples : int
        Number of points, drawn uniformly.
    noise : float
        Standard deviation of Gaussian noise added to the points after labelling.
    seed : int, Generator or None
        Source of randomness.
    margin : float
        Keep every coordinate at least this far from the axes (``0 <= margin < 1``), leaving an
        empty band between the quadrants.
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,)

    Examples
    --------
    >>> X, y = xor(100, seed=0, margin=0.1)
    >>> bool((y == ((X[:, 0] > 0) ^ (X[:, 1] > 0))).all()), bool((abs(X) >= 0.1).all())
    (True, True)
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    margin = _check_nonneg(margin, "margin")
    if margin >= 1.0:
        raise ValueError(f"margin must be < 1, got {margin}")
    dt, rng = _float_dtype(dtype), _rng(seed)
    sign = np.where(rng.random((n, 2)) < 0.5, -1.0, 1.0)
    X = sign * rng.uniform(margin, 1.0, (n, 2))
    y = (X[:, 0] > 0) ^ (X[:, 1] > 0)
    return _finish(X, y, rng, noise, False, dt)


def spiral(
    n_samples: int = 300,
    n_arms: int = 2,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    turns: float = 1.0,
    shuffle: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_arms`` interleaved spiral arms from the origin, one class per arm.

    Arm ``k`` is ``r·(cos θ, sin θ)`` with ``r`` evenly spaced in (0, 1) and
    ``θ = 2π·(turns·r + k / n_arms)``.

    Parameters
    ----------
    n_samples : int
        Total number of points, split as evenly as possible between the arms.
    n_arms : int
        Number of arms, which is the number of classes (at least 2).
    noise : float
        Standard deviation of Gaussian noise added to the points.
    seed : int, Generator or None
        Source of randomness.
    turns : float
        How many full turns each arm makes (> 0).
    shuffle : bool
        Shuffle the rows; otherwise the arms come in order.
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,), labels ``0 .. n_arms - 1``

    Examples
    --------
    >>> X, y = spiral(90, n_arms=3, noise=0.05, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((90, 2), [0, 1, 2])
    """
    n = _check_n(n_samples)
    k = _check_n(n_arms, "n_arms", minimum=2)
    noise = _check_nonneg(noise, "noise")
    if _check_nonneg(turns, "turns") == 0.0:
        raise ValueError("turns must be > 0")
    dt, rng = _float_dtype(dtype), _rng(seed)
    counts = _split(n, k)
    arm, pos = _ramp(counts)
    r = (pos + 0.5) / counts[arm]
    theta = 2.0 * np.pi * (float(turns) * r + arm / k)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _finish(X, arm, rng, noise, shuffle, dt)


def gaussians(
    n_samples: int = 100,
    noise: float | None = None,
    seed: SeedLike = None,
    *,
    centers: int | Any = 3,
    cluster_std: float | Any | None = None,
    n_features: int | None = None,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one class per centre (scikit-learn's ``make_blobs``).

    Also available as :func:`blobs`.

    Parameters
    ----------
    n_samples : int
        Total number of points, split as evenly as possible between the clusters.
    noise : float, optional
        Another name for ``cluster_std`` (a single float), so that every generator takes
        ``noise``; give one or the other.
    seed : int, Generator or None
        Source of randomness.
    centers : int or array_like of shape (k, n_features)
        The number of clusters, whose centres are then drawn uniformly from ``center_box``, or
        the centres themselves.
    cluster_std : float or array_like of shape (k,), optional
        Standard deviation of each cluster (default 1.0).
    n_features : int, optional
        Dimension of the points when ``centers`` is a count (default 2); it must match the
        centres' width when they are given.
    center_box : (float, float)
        Bounds for random centres.
    shuffle : bool
        Shuffle the rows; otherwise the clusters come in order.
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, n_features)
    y : numpy.ndarray of int64, shape (n_samples,), labels ``0 .. k - 1``

    Examples
    --------
    >>> X, y = gaussians(6, centers=[[0, 0], [5, 5]], cluster_std=0.0, shuffle=False)
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0], [5.0, 5.0]], [0, 0, 0, 1, 1, 1])
    """
    n = _check_n(n_samples)
    dt, rng = _float_dtype(dtype), _rng(seed)
    if noise is not None and cluster_std is not None:
        raise ValueError("give noise or cluster_std, not both (noise is another name for it)")
    std: Any = noise if noise is not None else (1.0 if cluster_std is None else cluster_std)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _check_n(centers, "centers")
        d = 2 if n_features is None else _check_n(n_features, "n_features")
        low, high = _check_range(*center_box)
        mu = rng.uniform(low, high, (k, d))
    else:
        mu = np.asarray(centers, dtype=np.float64)
        if mu.ndim != 2 or mu.shape[0] == 0 or mu.shape[1] == 0:
            raise ValueError(
                f"centers must be an int or an array of shape (k, n_features), got shape {mu.shape}"
            )
        if not np.isfinite(mu).all():
            raise ValueError("centers must be finite")
        k, d = mu.shape
        if n_features is not None and n_features != d:
            raise ValueError(f"n_features={n_features} does not match centers of width {d}")
    std_arr = np.asarray(std, dtype=np.float64)
    if std_arr.ndim == 0:
        std_arr = np.full(k, float(std_arr))
    if std_arr.shape != (k,):
        raise ValueError(f"cluster_std must be a float or have one value per centre ({k})")
    if not (np.isfinite(std_arr).all() and (std_arr >= 0).all()):
        raise ValueError("cluster_std must be finite and >= 0")
    label, _ = _ramp(_split(n, k))
    X = mu[label] + std_arr[label, None] * rng.standard_normal((n, d))
    return _finish(X, label, rng, 0.0, shuffle, dt)


blobs = gaussians


def checkerboard(
    n_samples: int = 400,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    grid: int = 4,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [-1, 1]² coloured like a ``grid × grid`` chessboard.

    The cell in column ``i`` and row ``j`` (counted from the lower left) has label
    ``(i + j) % 2``.

    Parameters
    ----------
    n_samples : int
        Number of points, drawn uniformly.
    noise : float
        Standard deviation of Gaussian noise added to the points after labelling.
    seed : int, Generator or None
        Source of randomness.
    grid : int
        Cells per side (at least 2).
    dtype : dtype, optional
        Floating dtype of ``X`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray of int64, shape (n_samples,), labels 0 and 1

    Examples
    --------
    >>> X, y = checkerboard(500, seed=0, grid=2)
    >>> bool((y == ((X[:, 0] > 0) ^ (X[:, 1] > 0))).all())
    True
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    g = _check_n(grid, "grid", minimum=2)
    dt, rng = _float_dtype(dtype), _rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    cell = np.minimum(np.floor((X + 1.0) * (g / 2.0)), g - 1).astype(np.int64)
    y = (cell[:, 0] + cell[:, 1]) % 2
    return _finish(X, y, rng, noise, False, dt)


def sine_1d(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: SeedLike = None,
    low: float = -np.pi,
    high: float = np.pi,
    *,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression: ``y = sin(x) + noise·ε`` with ``x`` uniform in [low, high].

    Parameters
    ----------
    n_samples : int
        Number of points.
    noise : float
        Standard deviation of the Gaussian noise ``ε`` added to ``y``.
    seed : int, Generator or None
        Source of randomness.
    low, high : float
        The interval ``x`` is drawn from.
    dtype : dtype, optional
        Floating dtype of ``X`` and ``y`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 1)
    y : numpy.ndarray, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> X, y = sine_1d(50, seed=0)
    >>> X.shape, y.shape, bool(np.allclose(y, np.sin(X[:, 0]), atol=1e-6))
    ((50, 1), (50,), True)
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    low, high = _check_range(low, high)
    dt, rng = _float_dtype(dtype), _rng(seed)
    x = rng.uniform(low, high, n)
    y = np.sin(x)
    if noise > 0:
        y = y + rng.normal(0.0, noise, n)
    return x[:, None].astype(dt), y.astype(dt)


def plane(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: SeedLike = None,
    *,
    a: float = 2.0,
    b: float = -1.0,
    low: float = -1.0,
    high: float = 1.0,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """2-D linear regression: ``y = a·x1 + b·x2 + noise·ε``, ``x`` uniform in [low, high]².

    Parameters
    ----------
    n_samples : int
        Number of points.
    noise : float
        Standard deviation of the Gaussian noise ``ε`` added to ``y``.
    seed : int, Generator or None
        Source of randomness.
    a, b : float
        The plane's slopes along ``x1`` and ``x2``.
    low, high : float
        The interval each coordinate is drawn from.
    dtype : dtype, optional
        Floating dtype of ``X`` and ``y`` (default float32).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
    y : numpy.ndarray, shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> X, y = plane(20, seed=0, a=3.0, b=0.5)
    >>> bool(np.allclose(y, 3.0 * X[:, 0] + 0.5 * X[:, 1], atol=1e-5))
    True
    """
    n = _check_n(n_samples)
    noise = _check_nonneg(noise, "noise")
    low, high = _check_range(low, high)
    dt, rng = _float_dtype(dtype), _rng(seed)
    X = rng.uniform(low, high, (n, 2))
    y = X @ np.array([float(a), float(b)])
    if noise > 0:
        y = y + rng.normal(0.0, noise, n)
    return X.astype(dt), y.astype(dt)
