"""A second corpus of PyTorch scripts, written as tutorials write them, not from chainrule's list.

The scripts in ``tests/torch_scripts_holdout/`` were written from PyTorch's own tutorials,
examples and course idioms without checking which names chainrule has; they run through the same
runner as the first corpus (``test_torch_scripts.check_script``): under PyTorch, then with only
their import lines swapped, under chainrule, comparing every number printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_torch_scripts import check_script, scripts_in

HOLDOUT = scripts_in("torch_scripts_holdout")


def test_holdout_corpus_is_large_enough():
    assert len(HOLDOUT) >= 10


@pytest.mark.parametrize("path", HOLDOUT, ids=[p.stem for p in HOLDOUT])
def test_holdout_script_prints_the_same_numbers(path: Path):
    check_script(path)
