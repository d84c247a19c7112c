"""The notebooks run top to bottom, none stores outputs, and the lecture's solutions check themselves.

Each notebook in ``notebooks/`` is executed in a fresh kernel with nbclient; any error (a failed
``assert`` in a solution cell included) fails the test. Widgets (ipywidgets ``interact``) draw
once with their default values and do not wait for input.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # every notebook runs
LECTURE = [p for p in NOTEBOOKS if p.stem[:2].isdigit()]  # 01_..., the lecture's parts, in order
PARTS = ["basis_functions", "logistic_regression", "activations", "vanishing_gradients",
         "sgd_minibatch", "backprop_chain_rule"]  # fmt: skip


def test_one_notebook_per_lecture_part():
    assert [p.stem.split("_", 1)[1] for p in LECTURE] == PARTS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "clear the outputs"


@pytest.mark.parametrize("path", LECTURE, ids=lambda p: p.stem)
def test_exercises_have_checked_solutions(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    solutions = [c for c in code if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2 and all("assert" in c.source for c in solutions)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert text.count("**Exercise") == len(solutions)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path, tmp_path: Path):
    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no display needed
    try:
        client = nbclient.NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # every solution cell printed or returned something: it ran to its end
    for c in nb.cells:
        if "solution" in c.metadata.get("tags", []):
            assert c.outputs, c.source[:60]
