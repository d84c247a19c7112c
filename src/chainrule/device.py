"""``device`` and ``cuda``: chainrule runs on the CPU (or on a GPU through CuPy, with
``CHAINRULE_BACKEND=cupy``), so PyTorch code that picks a device gets ``"cpu"``.

>>> import chainrule as cr
>>> dev = cr.device("cuda" if cr.cuda.is_available() else "cpu")
>>> dev, cr.ones(2).to(dev).shape
(device(type='cpu'), (2,))
"""

from __future__ import annotations

from typing import Any

from chainrule._missing import missing

__all__ = ["device"]


class device:
    """A device name; only ``"cpu"`` is available."""

    def __init__(self, type: str, index: int | None = None) -> None:
        name = str(type).split(":")[0]
        if name != "cpu":
            raise missing(
                f"torch.device({str(type)!r})",
                "chainrule runs on the CPU (or CuPy via CHAINRULE_BACKEND=cupy)",
            )
        self.type, self.index = "cpu", index

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type={self.type!r})"

    def __eq__(self, other: Any) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")
