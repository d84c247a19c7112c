"""Input checks of issue 11 below the CLI: CSV headers and files, ``requires_grad``, and
probability targets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import load_csv
from chainrule.datasets.csv import MAX_COLUMNS, sniff_delimiter
from chainrule.nn.losses import cross_entropy


# ----------------------------------------------------------------------------- CSV files
def test_wide_header_duplicates_are_found(tmp_path: Path) -> None:
    # 40,000 columns: the old per-column names.count(n) took 15.7 s here
    names = [f"c{i}" for i in range(40_000)] + ["c7", "c123", "y"]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n")
    with pytest.raises(ValueError, match=r"duplicate column names in the header: c123, c7$"):
        load_csv(path, target="y")


def test_too_many_columns_are_refused_before_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n1\n")
    with pytest.raises(ValueError, match=rf"huge.csv, line 1: {MAX_COLUMNS + 1:,} columns"):
        load_csv(path)


def test_long_field_is_a_value_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,y\n1,0\n" + "2" * 140_000 + ",1\n")
    with pytest.raises(ValueError, match=r"long.csv, line 3: a field is longer than 131,072"):
        load_csv(path, target="y")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it would block: nobody writes
    with pytest.raises(FileNotFoundError, match=r"pipe.csv' is not a file but a device, FIFO"):
        load_csv(fifo)
    with pytest.raises(FileNotFoundError, match="FIFO"):
        sniff_delimiter(fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_is_refused_without_reading_it() -> None:
    with pytest.raises(FileNotFoundError, match="'/dev/zero' is not a file"):
        load_csv("/dev/zero")


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("a;b;y\n1,5;2;0\n", ";"),
        ("a\tb\ty\n1\t2\t0\n", "\t"),
        ("a|b|y\n1|2|0\n", "|"),
        ('"a;x",b,y\n1,2,0\n', ","),
        ("y\n1\n", ","),
    ],
)
def test_sniff_delimiter(tmp_path: Path, text: str, sep: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    assert sniff_delimiter(path) == sep


def test_detected_delimiter_loads_decimal_commas_as_text(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("a;b;y\n1.5;2;0\n3;4.25;1\n")
    X, y, info = load_csv(path, target="y", delimiter=None)
    assert info.feature_names == ("a", "b")
    assert X.tolist() == [[1.5, 2.0], [3.0, 4.25]] and y.tolist() == [0, 1]


def test_single_column_says_no_features_and_suggests_the_separator(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("a;b;y\n1;2;0\n3;4;1\n")
    with pytest.raises(ValueError, match=r"no feature columns found.*'a;b;y'.*delimiter=';'"):
        load_csv(path, target=-1)  # read with the default ','


# ----------------------------------------------------------------------------- requires_grad
def test_requires_grad_setter_refuses_integers_like_requires_grad_() -> None:
    x = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        x.requires_grad = True
    assert x.requires_grad is False
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        x.requires_grad_()


def test_requires_grad_setter_refuses_turning_off_a_non_leaf() -> None:
    w = cr.tensor([1.0, 2.0])
    w.requires_grad = True
    y = w * 3
    assert y.requires_grad is True
    with pytest.raises(RuntimeError, match="only be turned off on a leaf"):
        y.requires_grad = False
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    w.requires_grad = False
    assert (w * 3).requires_grad is False


def test_requires_grad_setter_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        t.requires_grad = True
    f = torch.tensor([1.0])
    f.requires_grad = True
    with pytest.raises(RuntimeError):
        (f * 2).requires_grad = False


# ----------------------------------------------------------------------------- probabilities
def test_probability_targets_must_sum_to_one() -> None:
    z = cr.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, -1.0]])
    with pytest.raises(ValueError, match=r"must sum to 1 .*axis 1.*target 1 sums to 0.9\b"):
        cross_entropy(z, cr.tensor([[0.2, 0.3, 0.5], [0.3, 0.3, 0.3]]))
    with pytest.raises(ValueError, match=r"the target sums to 2"):
        cross_entropy(z[0], cr.tensor([1.0, 1.0, 0.0]))


def test_probability_targets_within_rounding_are_accepted() -> None:
    rng = np.random.default_rng(0)
    p = rng.random((4, 5)).astype(np.float32)
    p /= p.sum(axis=1, keepdims=True)  # float32 rounding: sums off by ~1e-7
    z = rng.standard_normal((4, 5)).astype(np.float32)
    loss = cross_entropy(cr.tensor(z), cr.tensor(p), label_smoothing=0.1)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    q = 0.9 * p + 0.1 / 5
    np.testing.assert_allclose(loss.item(), -(q * logp).sum(1).mean(), rtol=1e-5)


def test_probability_targets_on_another_class_axis() -> None:
    z = cr.zeros((2, 3, 4))
    t = np.full((2, 3, 4), 1 / 3)
    np.testing.assert_allclose(cross_entropy(z, cr.tensor(t)).item(), np.log(3), rtol=1e-6)
    t[1, :, 2] = 0.5
    with pytest.raises(ValueError, match=r"target \(1, 2\) sums to 1.5"):
        cross_entropy(z, cr.tensor(t))
