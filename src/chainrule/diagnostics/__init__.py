"""Diagnostics that make backpropagation visible: ``explain`` (one example, step by step)."""

from chainrule.diagnostics.explain import explain, render

__all__ = ["explain", "render"]
