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


def scripts_in(directory: str) -> list[Path]:
    """The scripts of one corpus directory under ``tests/``."""
    folder = Path(__file__).parent / directory
    return sorted(p for p in folder.glob("*.py") if p.name != "conftest.py")


SCRIPTS = scripts_in("torch_scripts")
_IMPORT = re.compile(r"^(?P<indent>[ \t]*)(?P<kw>import|from)[ \t]+torch\b(?P<rest>[^\n]*)$", re.M)
_TOKEN = re.compile(r"<\w+>|True|False|nan|-?inf|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
_NOISE = re.compile(r"grad_fn=<\w+>|requires_grad=True|device='?\w+'?|torch\.\w+")
# a dtype printed (x.dtype, a repr's dtype=...) is a token compared by name: torch.int64 = int64
_DTYPE = re.compile(r"\b(?:torch\.)?((?:float|int|uint|complex|bfloat)\d+|bool)\b")


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
    return _TOKEN.findall(_NOISE.sub(" ", _DTYPE.sub(r" <\1> ", text)))


def test_dtypes_are_compared_by_name():
    assert tokens("torch.int64 tensor([1, 2], dtype=torch.int32)") == [
        "<int64>",
        "1",
        "2",
        "<int32>",
    ]
    assert tokens("int64 tensor([1, 2], dtype=int32)") == ["<int64>", "1", "2", "<int32>"]


def test_import_lines_are_the_only_change():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nx = torch.ones(2)\n"
    assert to_chainrule(src) == (
        "import chainrule as torch\nimport chainrule.nn as nn\n"
        "from chainrule.utils.data import DataLoader\nx = torch.ones(2)\n"
    )


def test_corpus_is_large_enough():
    assert len(SCRIPTS) >= 20


def _ulp(token: str) -> float:
    """One unit in the last printed decimal place of ``token`` (0 for integers)."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    return 10.0 ** (int(exponent or 0) - len(mantissa.split(".")[1]))


def check_script(path: Path) -> None:
    """Run ``path`` under PyTorch and, imports swapped, under chainrule; compare the numbers.

    Numbers agree to float32 rounding, or to one unit in the last place printed where a
    number is printed rounded (``{loss:.4f}``, a tensor's four decimals): float32 noise can
    round either way there.
    """
    source = path.read_text()
    expected = tokens(run(source, path))
    got = tokens(run(to_chainrule(source), path))
    assert expected, f"{path.name} printed no numbers"
    assert len(got) == len(expected), f"{path.name}: {got} vs {expected}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        if e in ("True", "False") or g in ("True", "False") or e.startswith("<"):
            assert g == e, f"{path.name}: token {i}: chainrule {g}, PyTorch {e}"
        else:
            atol = max(2e-5, _ulp(g), _ulp(e))
            np.testing.assert_allclose(
                float(g), float(e), rtol=1e-5, atol=atol, err_msg=f"{path.name}: token {i}"
            )


def test_ulp_of_printed_numbers():
    assert _ulp("3") == 0.0
    assert _ulp("0.1235") == pytest.approx(1e-4)
    assert _ulp("1.2346e-05") == pytest.approx(1e-9)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_prints_the_same_numbers(path: Path):
    check_script(path)
