"""The one error for PyTorch features chainrule does not implement.

It is a ``NotImplementedError`` (what the user sees, naming the PyTorch feature) and an
``AttributeError`` (so ``hasattr`` and ``getattr(obj, name, default)`` still answer False or the
default, as tools that probe modules expect).

>>> from chainrule._missing import missing
>>> isinstance(missing("torch.fft"), NotImplementedError)
True
"""

from __future__ import annotations

__all__ = ["TorchFeatureMissing", "missing"]


class TorchFeatureMissing(NotImplementedError, AttributeError):
    """A PyTorch name that chainrule does not implement."""


def missing(feature: str, hint: str = "") -> TorchFeatureMissing:
    """The error for ``feature`` (e.g. ``"torch.fft"``), with an optional hint."""
    extra = f"; {hint}" if hint else ""
    return TorchFeatureMissing(f"chainrule does not implement {feature}{extra}")


def module_getattr(namespace: str, public: list[str]) -> object:
    """A module-level ``__getattr__`` for ``namespace`` that raises :func:`missing` for public
    names (dunder and private names keep the plain AttributeError)."""

    def __getattr__(name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(
                f"module {namespace.replace('torch', 'chainrule', 1)!r} has no attribute {name!r}"
            )
        raise missing(f"{namespace}.{name}", f"see chainrule's README for what {namespace} offers")

    return __getattr__
