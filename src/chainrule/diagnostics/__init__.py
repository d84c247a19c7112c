"""Diagnostics that make backpropagation visible: ``explain`` (one example, step by step)."""

from chainrule.diagnostics.basis import fit_sine_basis, hidden_units
from chainrule.diagnostics.explain import explain, explain_model, render
from chainrule.diagnostics.vanishing import vanishing, vanishing_table

__all__ = [
    "explain",
    "explain_model",
    "fit_sine_basis",
    "hidden_units",
    "render",
    "vanishing",
    "vanishing_table",
]
