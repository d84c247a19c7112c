"""The playground's data: 2-D points in the view square, their input features, and CSV uploads.

Every point lies in the square [-6, 6]², as in TensorFlow Playground, so that sin x₁ shows its
waves and x₁² its bowl. Class labels are 0 .. C-1; regression targets lie in [-1, 1].

>>> import numpy as np
>>> X, y, classes = make_dataset("circle", 200, noise=0.0, seed=0)
>>> X.shape, classes, float(np.abs(X).max()) <= DOMAIN
((200, 2), 2, True)
>>> feature_matrix(np.array([[2.0, 3.0]], dtype=np.float32), ["x1", "x1x2", "x2sq"]).tolist()
[[2.0, 6.0, 9.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from chainrule.datasets import synthetic

__all__ = [
    "CLASSIFICATION",
    "DOMAIN",
    "FEATURES",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_POINTS",
    "REGRESSION",
    "CSVError",
    "Feature",
    "feature_matrix",
    "grid",
    "make_dataset",
    "parse_csv",
    "split_mask",
]

DOMAIN = 6.0
"""Half the side of the view square: every point and heatmap covers [-DOMAIN, DOMAIN]²."""

RADIUS = 5.0
"""Generated and uploaded data are scaled to fit in a disc (or square) of this radius."""

MAX_UPLOAD_BYTES = 1 << 20
MAX_UPLOAD_POINTS = 10_000
MAX_UPLOAD_CLASSES = 6

CLASSIFICATION = ("circle", "xor", "gaussian", "spiral", "moons")
REGRESSION = ("plane", "reg_gaussian")


class Feature(NamedTuple):
    """An input feature: its name, how the page labels it, the map, and that map as code."""

    name: str
    label: str
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    source: str


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", "x₁", lambda a, b: a, "x1"),
        Feature("x2", "x₂", lambda a, b: b, "x2"),
        Feature("x1sq", "x₁²", lambda a, b: a * a, "x1 * x1"),
        Feature("x2sq", "x₂²", lambda a, b: b * b, "x2 * x2"),
        Feature("x1x2", "x₁x₂", lambda a, b: a * b, "x1 * x2"),
        Feature("sinx1", "sin x₁", lambda a, b: np.sin(a), "np.sin(x1)"),
        Feature("sinx2", "sin x₂", lambda a, b: np.sin(b), "np.sin(x2)"),
    )
}
"""The input features of TensorFlow Playground, by name, in the order the page shows them."""


def feature_matrix(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's input: one float32 column per feature name, for points ``X`` of shape (n, 2).

    The arithmetic is done in float32, exactly as the exported ``reproduce.py`` does it.
    """
    X = np.asarray(X, dtype=np.float32)
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([FEATURES[n].fn(x1, x2) for n in names], axis=1).astype(np.float32)


def grid(size: int) -> np.ndarray:
    """Cell centres of a ``size × size`` grid over the view square, row by row from the top left.

    >>> grid(2).tolist()
    [[-3.0, 3.0], [3.0, 3.0], [-3.0, -3.0], [3.0, -3.0]]
    """
    c = (np.arange(size) + 0.5) / size * 2 * DOMAIN - DOMAIN
    x1, x2 = np.meshgrid(c, -c)
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)


# ------------------------------------------------------------------------------------ data sets
def make_dataset(
    name: str, n: int, noise: float, seed: int, classes: int = 2
) -> tuple[np.ndarray, np.ndarray, int]:
    """Points ``X`` (n, 2), labels or targets ``y`` (n,) as float32, and the number of classes.

    ``noise`` is a standard deviation relative to the shape's own size (0 to 0.5). ``classes``
    applies to 'gaussian' and 'spiral'; the other classification sets have 2. Regression sets
    ('plane', 'reg_gaussian') return 0 classes.
    """
    if name in REGRESSION:
        return (*_regression(name, n, noise, seed), 0)
    if name == "circle":
        X, y = synthetic.circles(n, noise, seed, factor=0.5)
    elif name == "xor":
        X, y = synthetic.xor(n, noise, seed, margin=0.05)
    elif name == "moons":
        X, y = synthetic.moons(n, noise, seed)
        X = (X - np.array([0.5, 0.25], dtype=np.float32)) / 1.5
    elif name == "spiral":
        X, y = synthetic.spiral(n, classes, noise, seed, turns=1.25)
    elif name == "gaussian":
        angle = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
        centres = 0.55 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        X, y = synthetic.gaussians(n, seed=seed, centers=centres, cluster_std=0.12 + 0.5 * noise)
    else:
        raise ValueError(f"unknown data set {name!r}")
    num = classes if name in ("spiral", "gaussian") else 2
    return (X * RADIUS).astype(np.float32), y.astype(np.float32), num


_BUMPS = np.array([[-3.0, 2.5, 1], [0.0, 2.5, -1], [3.0, 2.5, 1], [-3.0, -2.5, -1], [0, -2.5, 1]])


def _regression(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    if name == "plane":
        y = (X[:, 0] + X[:, 1]) / (2 * RADIUS)
    else:  # a sum of signed Gaussian bumps, as TensorFlow Playground's "regress gaussian"
        d2 = ((X[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(-1)
        y = np.clip((_BUMPS[:, 2] * np.exp(-d2 / 2.0)).sum(1), -1.0, 1.0)
    y = y + rng.normal(0.0, noise, n) if noise > 0 else y
    return X.astype(np.float32), np.clip(y, -1.0, 1.0).astype(np.float32)


def split_mask(n: int, train_ratio: float, seed: int) -> np.ndarray:
    """A boolean mask of the test points: a seeded ``1 - train_ratio`` share, at least one.

    >>> int(split_mask(10, 0.7, seed=0).sum())
    3
    """
    n_test = min(n - 1, max(1, round(n * (1.0 - train_ratio))))
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng((seed, 1)).permutation(n)[:n_test]] = True
    return mask


# ------------------------------------------------------------------------------------ CSV upload
class CSVError(ValueError):
    """An uploaded CSV file that cannot be used; the message says where and why."""


def parse_csv(data: bytes) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Read ``x1,x2,label`` rows into points scaled to the view, labels, classes and a note.

    Lines starting with '#' are comments; a first row that is not numeric is taken as a header; commas, semicolons or tabs separate
    the fields. Labels that are all whole numbers in 0 .. 5 (or -1 and 1) are classes; any other
    labels are regression targets, scaled into [-1, 1]. The points are centred and scaled, the
    same factor on both axes, to fit a square of half-side 5.

    Raises
    ------
    CSVError
        For a file over 1 MiB or 10,000 points, text that is not UTF-8, a row without exactly
        three numbers, a value that is not finite, or fewer than 4 points.

    Examples
    --------
    >>> X, y, classes, note = parse_csv(b"x1,x2,label\\n0,0,0\\n1,0,1\\n0,1,1\\n1,1,0\\n")
    >>> X.tolist()[0], y.tolist(), classes
    ([-5.0, -5.0], [0.0, 1.0, 1.0, 0.0], 2)
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise CSVError(f"the file has {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CSVError(f"the file is not UTF-8 text (byte {exc.start})") from None
    rows: list[tuple[float, float, float]] = []
    header = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.replace(";", ",").replace("\t", ",").split(",")]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not rows and not header:
                header = True  # the first row that is not a comment may name the columns
                continue
            raise CSVError(f"line {lineno}: {line[:40]!r} is not three numbers") from None
        if len(values) != 3:
            raise CSVError(f"line {lineno}: expected 3 numbers (x1, x2, label), got {len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise CSVError(f"line {lineno}: values must be finite numbers")
        rows.append((values[0], values[1], values[2]))
        if len(rows) > MAX_UPLOAD_POINTS:
            raise CSVError(f"more than {MAX_UPLOAD_POINTS:,} points")
    if len(rows) < 4:
        raise CSVError(f"need at least 4 points, found {len(rows)}")
    arr = np.array(rows, dtype=np.float64)
    X, labels = arr[:, :2], arr[:, 2]
    lo, hi = X.min(0), X.max(0)
    centre = lo / 2 + hi / 2  # halves first: (lo + hi) / 2 overflows for values near ±1e308
    half = float((hi / 2 - lo / 2).max())
    scale = RADIUS / half if half > 0 else 1.0
    if not math.isfinite(scale):  # a spread below 1e-308: the points coincide
        scale = 1.0
    X = (X / 2 - centre / 2) * (2 * scale)
    note = f"points centred at ({centre[0]:.4g}, {centre[1]:.4g}) and scaled by {scale:.4g}"
    y, classes, what = _labels(labels)
    return (
        X.astype(np.float32),
        y.astype(np.float32),
        classes,
        f"{len(rows)} points, {what}; {note}",
    )


def _labels(labels: np.ndarray) -> tuple[np.ndarray, int, str]:
    values = set(np.unique(labels).tolist())
    if values <= {-1.0, 1.0} and len(values) == 2:
        return (labels > 0).astype(np.float64), 2, "classes -1 and 1 read as 0 and 1"
    whole = bool(np.all(labels == np.round(labels)))
    if whole and min(values) >= 0 and max(values) < MAX_UPLOAD_CLASSES and len(values) >= 2:
        classes = max(2, int(max(values)) + 1)
        return labels, classes, f"{classes} classes"
    top = float(np.abs(labels).max())
    scale = 1.0 / top if top > 0 and math.isfinite(1.0 / top) else 1.0
    return labels * scale, 0, f"regression targets scaled by {scale:.4g} into [-1, 1]"
