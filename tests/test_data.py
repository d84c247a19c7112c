"""chainrule.data: datasets, the DataLoader, train_test_split and standardisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import (
    DataLoader,
    Dataset,
    Standardizer,
    TensorDataset,
    collate,
    standardize,
    train_test_split,
)


def _dataset(n: int, d: int = 3) -> TensorDataset:
    """Row i of X is [i, i, ...] (float32) and y[i] = i, so a batch says which examples it holds."""
    X = np.repeat(np.arange(n, dtype=np.float32)[:, None], d, axis=1)
    return TensorDataset(X, np.arange(n))


class ListDataset(Dataset):
    """A Dataset that is not a TensorDataset, so the loader takes the generic per-example path."""

    def __init__(self, n: int, d: int = 3) -> None:
        self.n, self.d = n, d

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[list[float], int]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return [float(i)] * self.d, i


def _epoch(loader: DataLoader) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(xb.numpy().copy(), yb.numpy().copy()) for xb, yb in loader]


# --------------------------------------------------------------------------- Dataset
def test_tensor_dataset_indexing_and_dtypes():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    ds = TensorDataset(X, [0.5, 1.5, 2.5, 3.5], cr.tensor([1, 0, 1, 0]))
    assert len(ds) == 4
    assert [a.dtype for a in ds.arrays] == [np.float64, np.float32, np.int64]
    assert ds.arrays[0] is X  # stored without a copy
    x, f, y = ds[2]
    assert isinstance(x, cr.Tensor) and x.shape == (3,) and f.shape == () and y.item() == 1
    assert x.dtype == np.float64 and f.item() == 2.5
    assert ds[-1][0].tolist() == X[3].tolist()
    for index in ([3, 0, 3], np.array([3, 0, 3]), cr.tensor([3, 0, 3])):
        xb, _fb, yb = ds[index]
        assert xb.shape == (3, 3) and yb.tolist() == [0, 1, 0]
    assert ds[np.array([True, False, False, True])][2].tolist() == [1, 0]
    assert ds[1:3][0].shape == (2, 3)
    assert len(list(ds)) == 4  # iteration stops at the IndexError past the end
    with pytest.raises(IndexError, match="out of range"):
        ds[4]
    with pytest.raises(IndexError, match="integers or booleans"):
        ds[np.array([0.0, 1.0])]


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"\(5, 2\), \(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.zeros(3), np.float64(1.0))


def test_dataset_is_abstract():
    with pytest.raises(TypeError):
        Dataset()


# --------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("generic", [False, True], ids=["tensor-dataset", "generic"])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 30, "full"])
def test_each_example_once_per_epoch(generic, shuffle, drop_last, batch_size):
    n = 23
    ds = ListDataset(n) if generic else _dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=0)
    bs = n if batch_size == "full" else batch_size
    for _ in range(2):  # two epochs: the second must be complete too
        batches = _epoch(loader)
        assert len(batches) == len(loader)
        sizes = [len(yb) for _, yb in batches]
        full, rest = divmod(n, bs)
        expected = [bs] * full + ([rest] if rest and not drop_last else [])
        assert sizes == expected
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
        assert len(np.unique(seen)) == len(seen)  # nothing twice
        assert len(seen) == (full * bs if drop_last else n)  # everything, bar a dropped tail
        if not shuffle:
            assert seen.tolist() == list(range(len(seen)))
        for xb, yb in batches:  # rows of X and y stay together
            assert xb.shape == (len(yb), 3) and xb.dtype == np.float32
            assert (xb == yb[:, None]).all()


def test_uneven_last_batch():
    sizes = [len(yb) for _, yb in DataLoader(_dataset(10), batch_size=4)]
    assert sizes == [4, 4, 2]
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert [len(yb) for _, yb in loader] == [4, 4] and len(loader) == 2


def test_batch_size_one_is_sgd_in_random_order():
    loader = DataLoader(_dataset(50), batch_size=1, shuffle=True, seed=3)
    batches = _epoch(loader)
    assert len(loader) == len(batches) == 50
    assert all(xb.shape == (1, 3) and yb.shape == (1,) for xb, yb in batches)
    order = [int(yb[0]) for _, yb in batches]
    assert sorted(order) == list(range(50)) and order != list(range(50))


@pytest.mark.parametrize("batch_size", ["full", 40])
def test_full_batch_is_one_batch(batch_size):
    ds = _dataset(40)
    loader = DataLoader(ds, batch_size=batch_size)
    assert len(loader) == 1
    ((xb, yb),) = list(loader)
    assert np.array_equal(xb.numpy(), ds.arrays[0]) and np.array_equal(yb.numpy(), ds.arrays[1])
    ((_xs, ys),) = list(DataLoader(ds, batch_size=batch_size, shuffle=True, seed=0))
    assert sorted(ys.tolist()) == list(range(40)) and ys.tolist() != list(range(40))


def test_in_order_batches_are_read_only_views():
    ds = _dataset(6)
    xb, _ = next(iter(DataLoader(ds, batch_size=6)))
    with pytest.raises(ValueError, match="read-only"):
        xb += 1
    assert ds.arrays[0][0, 0] == 0  # the dataset is untouched


def test_same_seed_same_order_new_order_each_epoch():
    a = DataLoader(_dataset(30), batch_size=7, shuffle=True, seed=11)
    b = DataLoader(_dataset(30), batch_size=7, shuffle=True, seed=11)
    epochs_a = [np.concatenate([yb for _, yb in _epoch(a)]) for _ in range(3)]
    epochs_b = [np.concatenate([yb for _, yb in _epoch(b)]) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b):
        assert np.array_equal(ea, eb)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert not np.array_equal(epochs_a[1], epochs_a[2])
    c = DataLoader(_dataset(30), batch_size=7, shuffle=True, seed=12)
    assert not np.array_equal(np.concatenate([yb for _, yb in _epoch(c)]), epochs_a[0])


def test_generator_seed_and_global_seed():
    by_int = _epoch(DataLoader(_dataset(20), batch_size=20, shuffle=True, seed=5))
    by_gen = _epoch(DataLoader(_dataset(20), batch_size=20, shuffle=True, seed=cr.Generator(5)))
    assert np.array_equal(by_int[0][1], by_gen[0][1])
    cr.manual_seed(9)
    first = _epoch(DataLoader(_dataset(20), batch_size=20, shuffle=True))
    cr.manual_seed(9)
    again = _epoch(DataLoader(_dataset(20), batch_size=20, shuffle=True))
    assert np.array_equal(first[0][1], again[0][1])


def test_generic_path_matches_fast_path():
    fast = _epoch(DataLoader(_dataset(17), batch_size=5, shuffle=True, seed=2))
    slow = _epoch(DataLoader(ListDataset(17), batch_size=5, shuffle=True, seed=2))
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        assert np.array_equal(xf, xs) and np.array_equal(yf, ys)
        assert xs.dtype == np.float32 and ys.dtype == np.int64


def test_collate_fields_and_errors():
    xb = collate([cr.tensor([1.0, 2.0]), cr.tensor([3.0, 4.0])])  # one field: one Tensor
    assert xb.shape == (2, 2)
    xb, yb = collate([(np.float64(1.0), np.array([1])), (np.float64(2.0), np.array([2]))])
    assert xb.dtype == np.float64 and yb.shape == (2, 1)
    with pytest.raises(ValueError, match="numbers of fields"):
        collate([(1.0, 0), (2.0,)])
    with pytest.raises(ValueError, match=r"field \[0\]"):
        collate([(np.zeros(2),), (np.zeros(3),)])


def test_empty_dataset_gives_no_batches():
    loader = DataLoader(TensorDataset(np.zeros((0, 2))), batch_size="full", shuffle=True, seed=0)
    assert len(loader) == 0 and list(loader) == []


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "all", None])
def test_batch_size_validation(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_dataset(4), batch_size=bad)


def test_loader_argument_errors():
    with pytest.raises(TypeError, match="TensorDataset"):
        DataLoader(5)
    with pytest.raises(TypeError, match="seed"):
        DataLoader(_dataset(4), seed="abc")
    with pytest.raises(TypeError, match="shuffle"):
        DataLoader(_dataset(4), shuffle="yes")


# --------------------------------------------------------------------------- train_test_split
def test_split_sizes_order_and_alignment():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0)
    assert (len(X_tr), len(X_te)) == (14, 6)
    assert np.array_equal(X_tr[:, 0] // 2, y_tr) and np.array_equal(X_te[:, 0] // 2, y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(20))
    assert y_te.tolist() != sorted(y_te.tolist())  # shuffled
    a_tr, a_te = train_test_split(y, test_size=7, seed=0)
    assert (len(a_tr), len(a_te)) == (13, 7)
    _b_tr, b_te = train_test_split(y, test_size=7, seed=0)
    assert np.array_equal(a_te, b_te)  # same seed, same split
    # a fraction is rounded up to whole test examples, as in scikit-learn
    assert len(train_test_split(np.arange(10), test_size=0.25, seed=0)[1]) == 3


def test_split_without_shuffle_and_kinds():
    t_tr, t_te, l_tr, l_te = train_test_split(
        cr.arange(10), [0.5] * 10, test_size=0.2, shuffle=False
    )
    assert isinstance(t_tr, cr.Tensor) and t_te.tolist() == [8, 9] and t_tr.tolist()[:2] == [0, 1]
    assert l_tr.dtype == np.float32 and l_te.shape == (2,)
    s_tr, s_te = train_test_split(np.array(["a", "b", "c", "d"]), test_size=1, seed=0)
    assert len(s_tr) == 3 and s_te.dtype.kind == "U"


def _class_counts(labels, classes):
    return np.array([(labels == c).sum() for c in classes])


@given(
    counts=st.lists(st.integers(2, 40), min_size=2, max_size=6),
    frac=st.floats(0.1, 0.9),
    seed=st.integers(0, 2**31),
)
def test_stratified_split_keeps_proportions(counts, frac, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n, k = len(y), len(counts)
    n_test = int(np.ceil(frac * n))
    if min(n_test, n - n_test) < k:
        with pytest.raises(ValueError, match="classes"):
            train_test_split(y, test_size=frac, stratify=y, seed=seed)
        return
    X = np.arange(n)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=frac, stratify=y, seed=seed)
    assert len(y_te) == n_test and len(y_tr) == n - n_test
    assert np.array_equal(y[X_tr], y_tr) and np.array_equal(y[X_te], y_te)
    assert sorted(np.concatenate([X_tr, X_te]).tolist()) == list(range(n))
    exact = np.array(counts) * n_test / n
    test_counts = _class_counts(y_te, range(k))
    assert np.all(np.abs(test_counts - exact) < 1)  # within one example of the exact share


def test_stratified_split_is_shuffled_and_deterministic():
    y = np.array([0] * 30 + [1] * 20 + [2] * 10)
    a = train_test_split(y, test_size=0.5, stratify=cr.tensor(y), seed=4)
    b = train_test_split(y, test_size=0.5, stratify=y, seed=4)
    assert np.array_equal(a[1], b[1])
    assert _class_counts(a[1], range(3)).tolist() == [15, 10, 5]
    assert a[1].tolist() != sorted(a[1].tolist())  # not grouped by class


@pytest.mark.parametrize(
    ("test_size", "match"),
    [
        (0.0, "strictly between"),
        (1.0, "strictly between"),
        (1.5, "strictly between"),
        (-0.2, "strictly between"),
        (0, "between 1 and 9"),
        (10, "between 1 and 9"),
        (0.95, "no training examples"),
        ("half", "float"),
        (True, "float"),
    ],
)
def test_split_bad_sizes(test_size, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(np.arange(10), test_size=test_size)


def test_split_errors():
    with pytest.raises(ValueError, match=r"\[5, 4\]"):
        train_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()
    with pytest.raises(ValueError, match="at least 2 examples"):
        train_test_split(np.zeros(1))
    y = np.array([0, 0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match=r"class 2 .* only 1"):
        train_test_split(y, stratify=y, test_size=0.5)
    with pytest.raises(ValueError, match="shuffle=True"):
        train_test_split(y, stratify=y, shuffle=False)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        train_test_split(y, stratify=y[:5])


# --------------------------------------------------------------------------- Standardizer
def test_standardizer_round_trip_and_statistics():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 5.0, size=(200, 4))
    sc = Standardizer()
    Xs = sc.fit_transform(X)
    assert Xs.dtype == np.float64 and sc.mean_.shape == sc.scale_.shape == (4,)
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(sc.mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sc.scale_, X.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sc.inverse_transform(Xs), X, rtol=1e-12, atol=1e-12)
    assert sc.n_samples_seen_ == 200


def test_standardizer_zero_variance_column():
    X = np.array([[1.0, 0.1, 7.0], [2.0, 0.1, 7.0], [4.0, 0.1, 7.0]], dtype=np.float32)
    sc = Standardizer().fit(X)
    assert sc.scale_.tolist()[1:] == [1.0, 1.0] and sc.var_.tolist()[1:] == [0.0, 0.0]
    Xs = sc.transform(X)
    assert Xs.dtype == np.float32
    assert np.all(Xs[:, 1:] == 0)  # exactly, despite rounding in the mean of 0.1s
    assert np.array_equal(sc.inverse_transform(Xs)[:, 1:], X[:, 1:])


def test_standardizer_tensors_lists_and_ints():
    t = cr.tensor([[1.0, 2.0], [3.0, 6.0]])
    out = Standardizer().fit_transform(t)
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32
    assert out.tolist() == [[-1.0, -1.0], [1.0, 1.0]]
    ints = Standardizer().fit_transform(np.array([[1], [3]]))
    assert ints.dtype == cr.get_default_dtype() and ints.tolist() == [[-1.0], [1.0]]
    Xs, mean, scale = standardize([[1.0], [3.0]])
    assert Xs.dtype == np.float32 and mean.tolist() == [2.0] and scale.tolist() == [1.0]
    one_d = Standardizer().fit(np.array([2.0, 4.0]))
    assert one_d.mean_.shape == () and float(one_d.scale_) == 1.0


def test_standardizer_is_differentiable_on_tensors():
    sc = Standardizer().fit(np.array([[0.0, 1.0], [4.0, 1.0]]))
    x = cr.tensor([[1.0, 2.0]], dtype="float64", requires_grad=True)
    sc.transform(x).sum().backward()
    assert x.grad.tolist() == [[0.5, 1.0]]  # 1 / scale_


def test_standardizer_errors():
    X = np.ones((3, 4))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="column 2"):
        Standardizer().fit(X)
    X[1, 2], X[0, 0] = 1.0, np.inf
    with pytest.raises(ValueError, match="column 0"):
        standardize(X)
    sc = Standardizer()
    with pytest.raises(RuntimeError, match="not fitted"):
        sc.transform(np.ones((2, 4)))
    sc.fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"feature shape \(3,\)"):
        sc.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="column 1"):
        sc.transform(np.array([[0.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="no examples"):
        Standardizer().fit(np.ones((0, 2)))


def test_standardizer_matches_scikit_learn():
    preprocessing = pytest.importorskip(
        "sklearn.preprocessing", reason="scikit-learn is not installed"
    )
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) * [1.0, 100.0, 0.0] + [0.0, -3.0, 2.0]
    ref = preprocessing.StandardScaler().fit(X)
    sc = Standardizer().fit(X)
    np.testing.assert_allclose(sc.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(sc.scale_, ref.scale_, rtol=1e-12)
    np.testing.assert_allclose(sc.transform(X), ref.transform(X), rtol=1e-12, atol=1e-12)
