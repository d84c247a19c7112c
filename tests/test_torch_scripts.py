"""PyTorch scripts that run unchanged under chainrule but for their import lines.

Each script in ``tests/torch_scripts/`` runs under PyTorch, then with its import lines rewritten
to chainrule by text substitution (nothing else in the script changes), and every number, True
and False printed must agree to float32 rounding (the scripts print rounded values).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

SCRIPTS = sorted(
    p for p in (Path(__file__).parent / "torch_scripts").glob("*.py") if p.name != "conftest.py"
)
_IMPORT = re.compile(r"^(?P<indent>[ \t]*)(?P<kw>import|from)[ \t]+torch\b(?P<rest>[^\n]*)$", re.M)
_TOKEN = re.compile(r"True|False|nan|-?inf|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
_NOISE = re.compile(r"dtype=[\w.]+|grad_fn=<\w+>|requires_grad=True|device='?\w+'?|torch\.\w+")


def to_chainrule(source: str) -> str:
    """The script with ``torch`` swapped for ``chainrule`` on its import lines only."""

    def swap(m: re.Match) -> str:
        indent, kw, rest = m["indent"], m["kw"], m["rest"]
        if kw == "from":
            return f"{indent}from chainrule{rest}"
        if not rest.strip():
            return f"{indent}import chainrule as torch"
        if " as " in rest:
            return f"{indent}import chainrule{rest}"
        return f"{indent}import chainrule as torch; import chainrule{rest}"

    return _IMPORT.sub(swap, source)


def run(source: str, path: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(path), "exec"), {"__name__": "__main__"})
    return out.getvalue()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(_NOISE.sub(" ", text))


def test_import_lines_are_the_only_change():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nx = torch.ones(2)\n"
    assert to_chainrule(src) == (
        "import chainrule as torch\nimport chainrule.nn as nn\n"
        "from chainrule.utils.data import DataLoader\nx = torch.ones(2)\n"
    )


def test_corpus_is_large_enough():
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_prints_the_same_numbers(path: Path):
    source = path.read_text()
    expected = tokens(run(source, path))
    got = tokens(run(to_chainrule(source), path))
    assert expected, f"{path.name} printed no numbers"
    assert len(got) == len(expected), f"{path.name}: {got} vs {expected}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        if e in ("True", "False") or g in ("True", "False"):
            assert g == e, f"{path.name}: token {i}: chainrule {g}, PyTorch {e}"
        else:
            np.testing.assert_allclose(
                float(g), float(e), rtol=1e-5, atol=2e-5, err_msg=f"{path.name}: token {i}"
            )
