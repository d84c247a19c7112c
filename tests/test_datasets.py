"""Tests for chainrule.datasets: generators, scikit-learn's bundled sets, CSV and IDX files."""

from __future__ import annotations

import gzip
import importlib.util
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import creation, datasets
from chainrule.datasets import (
    DatasetInfo,
    available,
    blobs,
    checkerboard,
    circles,
    gaussians,
    load,
    load_csv,
    load_idx,
    moons,
    plane,
    read_idx,
    sine_1d,
    spiral,
    write_idx,
    xor,
)

HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None
needs_sklearn = pytest.mark.skipif(not HAVE_SKLEARN, reason="scikit-learn is not installed")

# name -> (generator, n_features, label set or None for regression)
GENERATORS = {
    "moons": (moons, 2, {0, 1}),
    "circles": (circles, 2, {0, 1}),
    "xor": (xor, 2, {0, 1}),
    "spiral": (spiral, 2, {0, 1}),
    "gaussians": (gaussians, 2, {0, 1, 2}),
    "checkerboard": (checkerboard, 2, {0, 1}),
    "sine_1d": (sine_1d, 1, None),
    "plane": (plane, 2, None),
}


@pytest.fixture
def restore_global_generator():
    gen = creation.default_generator
    saved = gen.seed, gen.rng
    yield
    gen.seed, gen.rng = saved


# --------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_shapes_dtypes_labels(name):
    f, d, labels = GENERATORS[name]
    X, y = f(n_samples=301, noise=0.1, seed=0)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == (301, d) and y.shape == (301,)
    assert X.dtype == np.float32
    if labels is None:
        assert y.dtype == np.float32
    else:
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == labels
    assert np.isfinite(X).all() and np.isfinite(y).all()
    X64, y64 = f(n_samples=10, noise=0.1, seed=0, dtype="float64")
    assert X64.dtype == np.float64
    assert y64.dtype == (np.float64 if labels is None else np.int64)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_same_seed_same_arrays_different_seed_differs(name):
    f = GENERATORS[name][0]
    X1, y1 = f(n_samples=200, noise=0.2, seed=7)
    X2, y2 = f(n_samples=200, noise=0.2, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = f(n_samples=200, noise=0.2, seed=8)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_float32_is_the_float64_draw_cast(name):
    f = GENERATORS[name][0]
    X32, y32 = f(n_samples=50, noise=0.3, seed=3)
    X64, y64 = f(n_samples=50, noise=0.3, seed=3, dtype=np.float64)
    np.testing.assert_array_equal(X32, X64.astype(np.float32))
    np.testing.assert_array_equal(y32, y64.astype(y32.dtype))


def test_seed_none_follows_chainrule_manual_seed(restore_global_generator):
    cr.manual_seed(123)
    a = moons(50, noise=0.1)
    b = moons(50, noise=0.1)
    cr.manual_seed(123)
    c = moons(50, noise=0.1)
    np.testing.assert_array_equal(a[0], c[0])
    assert not np.array_equal(a[0], b[0])  # the global stream moved on


def test_seed_accepts_generators_and_rejects_other_things():
    X1, _ = xor(20, seed=np.random.default_rng(5))
    X2, _ = xor(20, seed=np.random.default_rng(5))
    X3, _ = xor(20, seed=cr.Generator(5))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(X1, X3)
    X4, _ = xor(20, seed=np.int64(5))
    np.testing.assert_array_equal(X1, X4)
    with pytest.raises(TypeError, match="seed"):
        xor(20, seed=1.5)
    with pytest.raises(TypeError, match="seed"):
        xor(20, seed=True)
    with pytest.raises(ValueError, match="seed"):
        xor(20, seed=-1)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_argument_errors(name):
    f = GENERATORS[name][0]
    with pytest.raises(ValueError, match="n_samples"):
        f(n_samples=0)
    with pytest.raises(TypeError, match="n_samples"):
        f(n_samples=10.0)
    with pytest.raises(TypeError, match="floating"):
        f(n_samples=10, dtype="int32")
    if name != "gaussians":
        with pytest.raises(ValueError, match="noise"):
            f(n_samples=10, noise=-0.1)
        with pytest.raises(ValueError, match="noise"):
            f(n_samples=10, noise=float("nan"))


def test_moons_without_noise_lie_on_unit_half_circles():
    X, y = moons(101, noise=0.0, seed=0, dtype=np.float64)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == 50 and len(lower) == 51
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()
    # Both ends of each half circle are there.
    assert np.isclose(upper[:, 0].min(), -1.0) and np.isclose(upper[:, 0].max(), 1.0)
    assert np.isclose(lower[:, 0].min(), 0.0) and np.isclose(lower[:, 0].max(), 2.0)


def test_moons_noise_has_the_requested_scale_and_shuffle_flag():
    X0, y0 = moons(4000, noise=0.0, seed=1, shuffle=False, dtype=np.float64)
    Xn, yn = moons(4000, noise=0.05, seed=1, shuffle=False, dtype=np.float64)
    np.testing.assert_array_equal(y0, yn)
    assert y0[:2000].tolist() == [0] * 2000
    assert abs((Xn - X0).std() - 0.05) < 0.005
    _, ys = moons(4000, seed=1)
    assert ys[:2000].sum() not in (0, 2000)  # shuffled by default


def test_circles_radii_and_factor():
    X, y = circles(200, factor=0.3, seed=0, dtype=np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    assert (y == 0).sum() == 100
    for bad in (0.0, 1.0, -0.5, 2):
        with pytest.raises(ValueError, match="factor"):
            circles(10, factor=bad)


def test_xor_labels_are_sign_xor_and_margin_holds():
    X, y = xor(1000, seed=0, margin=0.2, dtype=np.float64)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    assert (np.abs(X) >= 0.2).all() and (np.abs(X) <= 1.0).all()
    # all four quadrants are used
    quadrant = (X[:, 0] > 0) * 2 + (X[:, 1] > 0)
    assert set(quadrant.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="margin"):
        xor(10, margin=1.0)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spiral_has_k_balanced_classes(k):
    X, y = spiral(301, n_arms=k, seed=0, dtype=np.float64)
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    r = np.hypot(X[:, 0], X[:, 1])
    assert (r > 0).all() and (r < 1).all()
    # Arm j starts (smallest radius) at angle 2πj/k.
    for j in range(k):
        first = X[y == j][np.argmin(r[y == j])]
        angle = np.arctan2(first[1], first[0]) % (2 * np.pi)
        expected = 2 * np.pi * j / k
        assert min(abs(angle - expected), 2 * np.pi - abs(angle - expected)) < 0.1


def test_spiral_arguments():
    _, y = spiral(30, 3, 0.0, 0)  # positional: n_samples, n_arms, noise, seed
    assert set(y.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="n_arms"):
        spiral(10, n_arms=1)
    with pytest.raises(ValueError, match="turns"):
        spiral(10, turns=0)


def test_gaussians_centres_and_spread():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 5.0]])
    X, y = gaussians(3000, centers=centers, cluster_std=[0.5, 1.0, 2.0], seed=0, dtype=np.float64)
    assert X.shape == (3000, 3)
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for j, std in enumerate([0.5, 1.0, 2.0]):
        np.testing.assert_allclose(X[y == j].mean(axis=0), centers[j], atol=0.25)
        np.testing.assert_allclose(X[y == j].std(axis=0), std, rtol=0.1)


def test_gaussians_count_features_alias_and_errors():
    X, y = gaussians(100, centers=4, n_features=5, seed=0, center_box=(-1, 1))
    assert X.shape == (100, 5) and set(y.tolist()) == {0, 1, 2, 3}
    Xa, _ = gaussians(50, noise=0.3, seed=2)
    Xb, _ = gaussians(50, cluster_std=0.3, seed=2)
    np.testing.assert_array_equal(Xa, Xb)
    assert blobs is gaussians
    with pytest.raises(ValueError, match="not both"):
        gaussians(10, noise=0.1, cluster_std=0.2)
    with pytest.raises(ValueError, match="n_features"):
        gaussians(10, centers=[[0, 0]], n_features=3)
    with pytest.raises(ValueError, match="shape"):
        gaussians(10, centers=[0, 1, 2])
    with pytest.raises(ValueError, match="cluster_std"):
        gaussians(10, centers=2, cluster_std=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="cluster_std"):
        gaussians(10, cluster_std=-1.0)


@pytest.mark.parametrize("grid", [2, 3, 5])
def test_checkerboard_labels_follow_cell_parity(grid):
    X, y = checkerboard(2000, seed=0, grid=grid, dtype=np.float64)
    assert (np.abs(X) <= 1).all()
    cell = np.floor((X + 1) / 2 * grid).astype(int)
    np.testing.assert_array_equal(y, cell.sum(axis=1) % 2)
    assert 0.35 < y.mean() < 0.65
    with pytest.raises(ValueError, match="grid"):
        checkerboard(10, grid=1)


def test_sine_1d_matches_sin_within_noise():
    X, y = sine_1d(5000, noise=0.1, seed=0, low=-2.0, high=3.0, dtype=np.float64)
    assert X.shape == (5000, 1) and y.shape == (5000,)
    assert X.min() >= -2.0 and X.max() <= 3.0
    resid = y - np.sin(X[:, 0])
    assert abs(resid.mean()) < 0.01
    assert abs(resid.std() - 0.1) < 0.01
    assert np.abs(resid).max() < 0.6
    X0, y0 = sine_1d(100, seed=0)
    np.testing.assert_allclose(y0, np.sin(X0[:, 0]), atol=1e-6)
    with pytest.raises(ValueError, match="low < high"):
        sine_1d(10, 0.0, 0, 1.0, 1.0)


def test_plane_least_squares_recovers_the_slopes():
    X, y = plane(2000, noise=0.05, seed=0, a=3.0, b=-0.5, dtype=np.float64)
    A = np.column_stack([X, np.ones(len(X))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(coef, [3.0, -0.5, 0.0], atol=0.01)
    assert abs((y - X @ [3.0, -0.5]).std() - 0.05) < 0.005


def test_generators_are_vectorised_enough_for_a_million_points():
    X, y = spiral(1_000_000, n_arms=4, noise=0.1, seed=0)
    assert X.shape == (1_000_000, 2) and np.bincount(y).tolist() == [250_000] * 4


# --------------------------------------------------------------------------- registry


def test_available_and_load():
    names = available()
    for name in [*GENERATORS, "blobs", "breast_cancer", "iris", "wine", "digits", "diabetes"]:
        assert name in names
    assert names == sorted(names)
    assert set(available("synthetic")) | set(available("real")) == set(names)
    X, _ = load("moons", n_samples=20, noise=0.1, seed=0)
    np.testing.assert_array_equal(X, moons(n_samples=20, noise=0.1, seed=0)[0])
    X, _ = load("Sine-1D", n_samples=5, seed=0)
    assert X.shape == (5, 1)
    with pytest.raises(ValueError, match="kind"):
        available("toy")


def test_load_unknown_name_suggests_close_names():
    with pytest.raises(ValueError, match=r"unknown data set 'moon'.*'moons'") as err:
        load("moon")
    assert "Available:" in str(err.value)
    with pytest.raises(ValueError, match="'circles'"):
        load("circle")
    with pytest.raises(ValueError, match="unknown data set 'zzzzzz'") as err:
        load("zzzzzz")
    assert "Did you mean" not in str(err.value)


def test_importing_chainrule_datasets_does_not_import_sklearn():
    code = "import sys, chainrule, chainrule.datasets; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_package_exports():
    for name in datasets.__all__:
        assert callable(getattr(datasets, name))


# --------------------------------------------------------------------------- real (sklearn)

REAL = {
    # name: (n, d, n_classes or None, target_names[0] or None)
    "breast_cancer": (569, 30, 2, "malignant"),
    "iris": (150, 4, 3, "setosa"),
    "wine": (178, 13, 3, "class_0"),
    "digits": (1797, 64, 10, "0"),
    "diabetes": (442, 10, None, None),
}


@needs_sklearn
@pytest.mark.parametrize("name", REAL)
def test_real_dataset_shapes_and_info(name):
    n, d, k, first = REAL[name]
    X, y, info = load(name)
    assert X.shape == (n, d) and y.shape == (n,)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    assert isinstance(info, DatasetInfo)
    assert info.name == name
    assert len(info.feature_names) == d and all(isinstance(s, str) for s in info.feature_names)
    assert isinstance(info.description, str) and 20 < len(info.description) < 400
    assert "\n" not in info.description
    assert info.target
    if k is None:
        assert info.task == "regression" and y.dtype == np.float32
        assert info.target_names == () and info.classes is None
    else:
        assert info.task == "classification" and y.dtype == np.int64
        assert sorted(set(y.tolist())) == list(range(k))
        assert len(info.target_names) == k and info.target_names[0] == first
        assert info.n_classes == k
    X64, _, _ = load(name, dtype=np.float64)
    assert X64.dtype == np.float64


@needs_sklearn
def test_real_dataset_details():
    X, y, info = datasets.iris()
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert info.feature_names[2] == "petal length (cm)"
    assert info.decode([0, 2]).tolist() == ["setosa", "virginica"]
    _, y, info = datasets.breast_cancer()
    assert np.bincount(y).tolist() == [212, 357]
    assert info.target_names == ("malignant", "benign")
    X, y, _ = datasets.digits()
    assert X.min() == 0 and X.max() == 16
    X, y, _ = datasets.digits(n_class=3)
    assert set(y.tolist()) == {0, 1, 2}
    X, y, _ = datasets.diabetes(scaled=False)
    assert X[:, 0].max() > 50  # ages in years
    assert 25 <= y.min() and y.max() <= 346


@pytest.mark.parametrize("name", list(REAL))
def test_real_dataset_without_sklearn_says_how_to_install(name, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=re.escape("pip install chainrule[sklearn]")):
        load(name)


# --------------------------------------------------------------------------- CSV


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "data.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return _write


def test_csv_categorical_target_round_trip_keeps_encoding(write):
    path = write("sepal,petal,species\n1.0,2.0,virginica\n3,4,setosa\n5,6e-1,virginica\n7,8,dog\n")
    X, y, info = load_csv(path, target="species")
    assert X.dtype == np.float32 and X.shape == (4, 2)
    np.testing.assert_allclose(X, [[1, 2], [3, 4], [5, 0.6], [7, 8]], rtol=1e-6)
    assert y.dtype == np.int64
    assert info.classes == ("dog", "setosa", "virginica")
    assert info.target_names == info.classes
    assert y.tolist() == [2, 1, 2, 0]
    assert info.decode(y).tolist() == ["virginica", "setosa", "virginica", "dog"]
    assert info.feature_names == ("sepal", "petal") and info.target == "species"
    assert info.task == "classification" and info.name == "data" and info.n_classes == 3
    # Predictions (codes) decode back to the strings.
    assert info.decode(np.array([0, 0, 1])).tolist() == ["dog", "dog", "setosa"]
    with pytest.raises(ValueError, match="out of range"):
        info.decode([3])


def test_csv_target_in_the_middle_and_by_index(write):
    path = write("a,label,b\n1,x,2\n3,y,4\n")
    X, y, info = load_csv(path, target=1)
    assert X.tolist() == [[1, 2], [3, 4]] and info.feature_names == ("a", "b")
    _, y2, _ = load_csv(path, target=-2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match=r"index 3 is out of range.*a, label, b"):
        load_csv(path, target=3)


def test_csv_numeric_targets_auto_task(write):
    ints = write("x,y\n0.1,3\n0.2,1\n0.3,3\n0.4,2\n", "ints.csv")
    _, y, info = load_csv(ints, target="y")
    assert info.task == "classification" and info.classes == (1, 2, 3)
    assert y.tolist() == [2, 0, 2, 1] and info.decode(y).tolist() == [3, 1, 3, 2]
    floats = write("x,y\n0.1,3.5\n0.2,1\n0.3,3\n", "floats.csv")
    _, y, info = load_csv(floats, target="y", dtype="float64")
    assert info.task == "regression" and info.classes is None and info.target_names == ()
    assert y.dtype == np.float64 and y.tolist() == [3.5, 1.0, 3.0]
    many = write("x,y\n" + "".join(f"{i},{i * 7}\n" for i in range(30)), "many.csv")
    assert load_csv(many, target="y")[2].task == "regression"
    # An explicit task wins.
    _, y, info = load_csv(ints, target="y", task="regression")
    assert info.task == "regression" and y.tolist() == [3.0, 1.0, 3.0, 2.0]
    _, y, info = load_csv(floats, target="y", task="classification")
    assert info.classes == (1, 3, 3.5) and y.tolist() == [2, 0, 1]


def test_csv_string_target_cannot_be_regression(write):
    path = write("x,y\n1,a\n2,b\n")
    with pytest.raises(ValueError, match=r"line 2, column 'y'.*'a'.*regression"):
        load_csv(path, target="y", task="regression")


def test_csv_without_target_header_or_with_other_delimiter(write):
    X, y, info = load_csv(write("a;b\n1;2\n3;4\n"), delimiter=";")
    assert y is None and info.target is None and info.task is None
    assert X.tolist() == [[1, 2], [3, 4]] and info.feature_names == ("a", "b")
    X, y, info = load_csv(write("1,2,0\n3,4,1\n", "nohead.csv"), target=-1, header=False)
    assert info.feature_names == ("column_0", "column_1") and info.target == "column_2"
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    _, _, info = load_csv(write("1,2,0\n3,4,1\n", "nohead.csv"), target="column_0", header=False)
    assert info.feature_names == ("column_1", "column_2")


def test_csv_quotes_bom_blank_lines_and_whitespace(write):
    path = write('\ufeff"a", "b" ,c\n\n "1.5" ,2,"x, y"\n\n3,  4 ,z\n\n', encoding="utf-8")
    X, _, info = load_csv(path, target="c")
    assert info.feature_names == ("a", "b")
    assert X.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert info.classes == ("x, y", "z")


def test_csv_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path))):
        load_csv(path)
    with pytest.raises(FileNotFoundError, match="not a file"):
        load_csv(tmp_path)


@pytest.mark.parametrize("text", ["", "\n\n", "  \n"])
def test_csv_empty_file(write, text):
    with pytest.raises(ValueError, match="is empty"):
        load_csv(write(text))


def test_csv_header_only(write):
    with pytest.raises(ValueError, match=r"header.*no data rows"):
        load_csv(write("a,b,c\n"))
    with pytest.raises(ValueError, match=r"header.*no data rows"):
        load_csv(write("a,b,c\n\n\n"), target="c")


def test_csv_missing_target_names_existing_columns(write):
    path = write("height,weight,label\n1,2,3\n")
    with pytest.raises(ValueError, match="'lable' not found") as err:
        load_csv(path, target="lable")
    msg = str(err.value)
    assert "height, weight, label" in msg and "Did you mean 'label'" in msg
    with pytest.raises(ValueError, match="height, weight, label"):
        load_csv(path, target="zzz")


def test_csv_non_numeric_feature_gives_line_and_column(write):
    path = write("a,b,y\n1,2,0\n\n3,oops,1\n4,5,0\n")
    with pytest.raises(ValueError, match=r"line 4, column 'b': 'oops' is not a number"):
        load_csv(path, target="y")
    path = write("a,colour,y\n1,red,0\n2,blue,1\n")
    with pytest.raises(ValueError, match=r"line 2, column 'colour'.*numeric"):
        load_csv(path, target="y")
    # Without a target every column is a feature, so a string column is an error too.
    with pytest.raises(ValueError, match=r"line 2, column 'colour'"):
        load_csv(path)


@pytest.mark.parametrize(
    ("text", "line", "got"),
    [("a,b,c\n1,2,3\n4,5\n", 3, 2), ("a,b,c\n1,2,3\n\n4,5,6,7\n", 4, 4)],
)
def test_csv_ragged_rows(write, text, line, got):
    with pytest.raises(ValueError, match=rf"line {line}: expected 3 fields.*got {got}"):
        load_csv(write(text))


def test_csv_ragged_without_header(write):
    with pytest.raises(
        ValueError, match=r"line 2: expected 2 fields \(as in the first row\), got 3"
    ):
        load_csv(write("1,2\n3,4,5\n"), header=False)


def test_csv_duplicate_columns(write):
    with pytest.raises(ValueError, match=r"duplicate column names.*a"):
        load_csv(write("a,b,a\n1,2,3\n"))


NAN_CSV = "a,b,y\n1,2,0\n3,,1\n5,NA,0\n7,8,nan\n9,10,1\n"


def test_csv_nan_error_names_line_and_column(write):
    with pytest.raises(ValueError, match=r"line 3, column 'b': missing value.*nan='drop'"):
        load_csv(write(NAN_CSV), target="y")
    with pytest.raises(ValueError, match=r"line 2, column 'a': missing value \('NaN'\)"):
        load_csv(write("a,y\nNaN,1\n"), target="y")


def test_csv_nan_drop_drops_rows(write):
    X, y, info = load_csv(write(NAN_CSV), target="y", nan="drop")
    assert X.tolist() == [[1, 2], [9, 10]] and y.tolist() == [0, 1]
    assert info.classes == (0, 1)
    with pytest.raises(ValueError, match="every row"):
        load_csv(write("a,b\n1,\n,2\n"), nan="drop")


def test_csv_nan_keep_keeps_nan(write):
    X, y, info = load_csv(write(NAN_CSV), target="y", nan="keep", task="regression")
    assert X.shape == (5, 2) and np.isnan(X[1:3, 1]).all() and not np.isnan(X[:, 0]).any()
    assert np.isnan(y[3]) and info.task == "regression"
    # A missing class label cannot be an integer: explicit error.
    with pytest.raises(ValueError, match=r"line 5, column 'y': missing class label"):
        load_csv(write(NAN_CSV), target="y", nan="keep")
    X, _, _ = load_csv(write("a,b\n1,\n2,3\n"), nan="keep")
    assert np.isnan(X[0, 1])


@pytest.mark.parametrize("nan", ["error", "drop", "keep"])
@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400"])
def test_csv_inf_raises(write, nan, cell):
    with pytest.raises(ValueError, match=rf"line 3, column 'b': infinite value '{cell}'"):
        load_csv(write(f"a,b,y\n1,2,0\n3,{cell},1\n"), target="y", nan=nan)


def test_csv_inf_in_target_raises(write):
    with pytest.raises(ValueError, match=r"line 2, column 'y': infinite"):
        load_csv(write("a,y\n1,inf\n"), target="y")


def test_csv_value_too_large_for_float32(write):
    with pytest.raises(ValueError, match=r"line 2, column 'a': value too large for float32"):
        load_csv(write("a\n1e300\n"))
    X, _, _ = load_csv(write("a\n1e300\n"), dtype=np.float64)
    assert X[0, 0] == 1e300


def test_csv_bad_options(write):
    path = write("a\n1\n")
    with pytest.raises(ValueError, match="nan must be"):
        load_csv(path, nan="ignore")
    with pytest.raises(ValueError, match="task must be"):
        load_csv(path, task="clustering")
    with pytest.raises(TypeError, match="target"):
        load_csv(path, target=1.0)


# --------------------------------------------------------------------------- IDX


def _idx_bytes(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


@pytest.fixture
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    img = _idx_bytes(0x08, images.shape, images.tobytes())
    lab = _idx_bytes(0x08, labels.shape, labels.tobytes())
    return images, labels, img, lab


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_handwritten_files_round_trip(tmp_path, mnist_like, gzipped):
    images, labels, img, lab = mnist_like
    assert img[:4] == b"\x00\x00\x08\x03"  # the MNIST magic number 2051
    if gzipped:
        img, lab = gzip.compress(img), gzip.compress(lab)
    ip, lp = tmp_path / "images.bin", tmp_path / "labels.bin"  # no .gz: told by magic bytes
    ip.write_bytes(img)
    lp.write_bytes(lab)
    X, y = load_idx(ip, lp)
    assert X.dtype == np.uint8 and X.shape == (5, 4, 3)
    np.testing.assert_array_equal(X, images)
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    X2, none = load_idx(str(ip))
    np.testing.assert_array_equal(X2, images)
    assert none is None


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_write_read_round_trip(tmp_path, dtype, name):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / name, arr)
    raw = (tmp_path / name).read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    out = read_idx(tmp_path / name)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_idx_big_endian_on_disk(tmp_path):
    write_idx(tmp_path / "x.idx", np.array([1, 256], dtype=np.int16))
    assert (tmp_path / "x.idx").read_bytes() == _idx_bytes(0x0B, (2,), b"\x00\x01\x01\x00")
    write_idx(tmp_path / "y.idx", np.array([1.0], dtype="<f4"))
    assert read_idx(tmp_path / "y.idx").tolist() == [1.0]


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_truncated_reports_expected_and_actual_size(tmp_path, mnist_like, gzipped):
    _, _, img, _ = mnist_like
    short = img[:-7]
    path = tmp_path / "short.idx"
    path.write_bytes(gzip.compress(short) if gzipped else short)
    expected, actual = len(img), len(short)
    with pytest.raises(ValueError, match=rf"truncated.*expected {expected} bytes.*{actual} bytes"):
        read_idx(path)
    with pytest.raises(ValueError, match="truncated"):
        load_idx(path)


def test_idx_trailing_bytes(tmp_path, mnist_like):
    _, _, img, _ = mnist_like
    (tmp_path / "long.idx").write_bytes(img + b"\x00\x00")
    with pytest.raises(ValueError, match=rf"trailing.*expected {len(img)}.*{len(img) + 2} bytes"):
        read_idx(tmp_path / "long.idx")


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "not an IDX file"),
        (b"\x00\x00", "not an IDX file"),
        (b"PK\x03\x04rest", "not an IDX file"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt or truncated gzip"),
    ],
)
def test_idx_corrupt_headers(tmp_path, raw, match):
    (tmp_path / "bad.idx").write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        read_idx(tmp_path / "bad.idx")


def test_idx_truncated_gzip_stream(tmp_path, mnist_like):
    _, _, img, _ = mnist_like
    (tmp_path / "cut.gz").write_bytes(gzip.compress(img)[:-10])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(tmp_path / "cut.gz")


def test_load_idx_checks_shapes_and_counts(tmp_path):
    write_idx(tmp_path / "img.idx", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "lab.idx", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match=r"4 labels.*but 3 images"):
        load_idx(tmp_path / "img.idx", tmp_path / "lab.idx")
    write_idx(tmp_path / "flat.idx", np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="3-D uint8"):
        load_idx(tmp_path / "flat.idx")
    write_idx(tmp_path / "f.idx", np.zeros((3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="3-D uint8"):
        load_idx(tmp_path / "f.idx")
    write_idx(tmp_path / "lab2.idx", np.zeros((3, 1), np.uint8))
    with pytest.raises(ValueError, match="1-D integer"):
        load_idx(tmp_path / "img.idx", tmp_path / "lab2.idx")
    with pytest.raises(FileNotFoundError, match=r"missing\.idx"):
        load_idx(tmp_path / "missing.idx")


def test_write_idx_rejects_unsupported(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "x.idx", np.uint8(3))
    # gzip output does not depend on the clock
    write_idx(tmp_path / "a.gz", np.ones(3, np.uint8))
    write_idx(tmp_path / "b.gz", np.ones(3, np.uint8))
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
