"""shared/DESIGN.md's layer picture, held by the imports: each layer uses only the ones above it.

Every ``import`` in ``src/chainrule`` (at module level or inside a function: a lazy import is
still a dependency) is mapped to its layer, and an import of a lower layer fails the test.
The package root ``chainrule`` itself is left out: Python imports it before any submodule.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "chainrule"

ORDER = ["backend", "engine", "nn", "optim", "data", "distributed", "train", "surfaces"]
ENGINE = {
    "_atomic", "_docstrings", "_missing", "_out", "_threadlocal", "autograd", "autograd_api",
    "autograd_functional", "compile", "creation", "cuda", "device", "dtypes", "functional",
    "gradcheck", "ops", "tensor", "tensor_methods", "tensor_print",
}  # fmt: skip
BY_PACKAGE = {
    "backend": "backend",
    "nn": "nn",
    "optim": "optim",
    "data": "data",
    "datasets": "data",
    "distributed": "distributed",
    "train": "train",
    "metrics": "train",
    "checkpoint": "train",  # model files: what train saves and the surfaces load
    "tensor_files": "train",  # torch.save/load: tensors, or a Module through checkpoint
}


def layer(module: str) -> str | None:
    """The layer of ``chainrule.x.y`` (None for the package root and for other packages)."""
    parts = module.split(".")
    if parts[0] != "chainrule" or len(parts) == 1:
        return None
    top = parts[1]
    if top == "utils":  # PyTorch's spellings: torch.utils.data over data, the rest over nn
        return "data" if parts[2:3] == ["data"] else "nn"
    if top in ENGINE:
        return "engine"
    return BY_PACKAGE.get(top, "surfaces")


def imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "chainrule":  # from chainrule import dtypes: the submodules
                found += [(f"chainrule.{a.name}", node.lineno) for a in node.names]
            else:
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return found


def test_the_map_knows_the_layers():
    assert layer("chainrule.backend") == "backend" and layer("chainrule.ops.conv") == "engine"
    assert layer("chainrule.nn.functional") == "nn" and layer("chainrule.cli.main") == "surfaces"
    assert layer("chainrule.utils.data") == "data" and layer("chainrule") is None
    assert ORDER.index(layer("chainrule.train.loop")) > ORDER.index(layer("chainrule.nn.module"))


def test_no_module_imports_a_layer_below_its_own():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(("chainrule", *rel)).removesuffix(".__init__")
        own = layer(module)
        for target, line in imports(path):
            other = layer(target)
            if own and other and ORDER.index(other) > ORDER.index(own):
                upward.append(f"{module} ({own}) imports {target} ({other}), line {line}")
    assert not upward, "imports against shared/DESIGN.md's layer order:\n" + "\n".join(upward)
