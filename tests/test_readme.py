"""Every code block and console command of README.md runs, and prints what the README shows.

- ```python blocks run in README order, each in a fresh interpreter, all in one temporary folder
  (a file one block writes, a later one may read), and must exit 0.
- ```console blocks: each ``$ command`` runs in bash in that folder, with this interpreter's
  ``chainrule`` first on PATH. The lines after it, up to the next ``$``, are what it prints: its
  standard output, or its standard error when it prints nothing else (errors, notes such as
  ``chainrule graph``'s). A command shown printing ``chainrule: error:`` must exit 2, any other 0.
- Output is matched line by line, except that
  * a line ``...`` stands for any number of lines, and a line ending in ``...`` for any line
    that starts with what comes before;
  * a number with a decimal point or an exponent matches within one unit of its last printed
    digit or 0.1 % (results can differ in the last digits between machines and BLAS builds);
    whole numbers match exactly;
  * a number of seconds (``in 0.7 s``) matches any number: timings vary by machine;
  * ``ls`` prints columns on a terminal and one name a line in a pipe: its names are compared as
    a set.
- A block right after ``<!-- readme-test: skip REASON -->`` is skipped, giving REASON; one after
  ``<!-- readme-test: excerpt PATH -->`` is checked to appear, line for line, in the file PATH.
- ```bash blocks are instructions (``make demo``, ``chainrule playground``) and are not run.

The harness knows nothing of particular sections, so sections added later are tested as they are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

_BLOCK = re.compile(
    r"(?:<!--\s*readme-test:\s*(?P<mark>[^>]*?)\s*-->[ \t]*\n)?^```(?P<lang>[\w-]*)[ \t]*\n"
    r"(?P<body>.*?)^```[ \t]*$",
    re.S | re.M,
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _blocks() -> list[tuple[int, str, str, str]]:
    """(line number, language, marker, body) of every fenced block of the README."""
    text = README.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("lang")) + 1
        out.append((line, m["lang"], (m["mark"] or "").strip(), m["body"]))
    return out


BLOCKS = [b for b in _blocks() if b[1] in ("python", "console")]


def _numbers_match(expected: str, actual: str, seconds: bool) -> bool:
    if seconds:
        return True
    if not re.search(r"[.eE]", expected):
        return expected.lstrip("+") == actual.lstrip("+")
    try:
        e, a = float(expected), float(actual)
    except ValueError:
        return False
    mantissa = re.split(r"[eE]", expected)[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(re.split(r"[eE]", expected)[1]) if re.search(r"[eE]", expected) else 0
    unit = 10.0 ** (exponent - decimals)
    return abs(e - a) <= max(unit * 1.0000001, 1e-3 * abs(e))


def line_matches(expected: str, actual: str) -> bool:
    """One expected line against one printed line (see the module docstring).

    >>> line_matches("  50 epochs in 0.1 s, stopped", "  50 epochs in 0.7 s, stopped")
    True
    >>> line_matches("largest difference 1.1e-10.", "largest difference 1.30e-10.")
    False
    >>> line_matches("loss 0.0002", "loss 0.0003"), line_matches("2-2-1 network", "2-3-1 network")
    (True, False)
    >>> line_matches("Available: blobs, ...", "Available: blobs, circles")
    True
    """
    expected, actual = expected.rstrip(), actual.rstrip()
    if expected.endswith("...") and expected != "...":
        return actual.startswith(expected[:-3].rstrip())
    e_parts, a_parts = _NUMBER.split(expected), _NUMBER.split(actual)
    e_nums, a_nums = _NUMBER.findall(expected), _NUMBER.findall(actual)
    if e_parts != a_parts or len(e_nums) != len(a_nums):
        return False
    return all(
        _numbers_match(e, a, seconds=re.match(r" ?s\b", after) is not None)
        for e, a, after in zip(e_nums, a_nums, e_parts[1:])
    )


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Expected lines (with ``...`` wildcards) against the printed ones.

    >>> output_matches(["a", "...", "z 1.0"], ["a", "b", "c", "z 1.04"])
    True
    >>> output_matches(["a", "..."], ["a", "b"]), output_matches(["a"], ["a", "b"])
    (True, False)
    """
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(output_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and line_matches(head, actual[0]) and output_matches(rest, actual[1:])


def _commands(body: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"console block line before any '$ ' command: {line!r}")
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readme")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "100"
    env.pop("CHAINRULE_BACKEND", None)
    return env


@pytest.mark.parametrize("line, lang, mark, body", BLOCKS, ids=[f"L{b[0]}-{b[1]}" for b in BLOCKS])
def test_readme_block(line: int, lang: str, mark: str, body: str, workdir: Path) -> None:
    if mark.startswith("skip"):
        pytest.skip(f"README line {line}: {mark[4:].strip() or 'marked skip'}")
    if mark.startswith("excerpt"):
        source = (ROOT / mark.split(None, 1)[1]).read_text(encoding="utf-8").splitlines()
        wanted = [s.rstrip() for s in body.splitlines() if s.strip()]
        have = [s.rstrip() for s in source if s.strip()]
        positions = [i for i in range(len(have)) if have[i : i + len(wanted)] == wanted]
        assert positions, f"README line {line}: the excerpt is not in {mark.split(None, 1)[1]}"
        return
    if lang == "python":
        proc = subprocess.run(
            [sys.executable, "-c", body],
            cwd=workdir,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == 0, f"README line {line}:\n{proc.stderr[-3000:]}"
        return
    for command, expected in _commands(body):
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=workdir,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        printed = proc.stdout if proc.stdout.strip() else proc.stderr
        want_rc = 2 if expected and expected[0].startswith("chainrule: error:") else 0
        assert proc.returncode == want_rc, f"$ {command}\n{proc.stderr[-3000:]}"
        got = printed.rstrip("\n").splitlines() if printed.strip() else []
        if command.startswith("ls "):
            assert sorted(printed.split()) == sorted(" ".join(expected).split()), printed
            continue
        while expected and not expected[-1].strip():
            expected = expected[:-1]
        assert output_matches(expected, got), (
            f"README line {line}: $ {command}\n--- README shows:\n"
            + "\n".join(expected)
            + "\n--- it printed:\n"
            + "\n".join(got)
        )


def test_the_readme_has_blocks_of_each_kind() -> None:
    langs = [b[1] for b in BLOCKS]
    assert langs.count("python") >= 3 and langs.count("console") >= 3
    assert any("$ chainrule explain" in b[3] for b in BLOCKS)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run_as_their_docstring_says(path: Path, tmp_path: Path) -> None:
    """Each example says how to run it (``python examples/NAME.py``); that command works."""
    doc = path.read_text(encoding="utf-8").split('"""')[1]
    assert f"``python examples/{path.name}``" in doc
    proc = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, env=_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()
