"""Plots of training and of what networks learn, with matplotlib (an optional extra).

Install with ``pip install 'chainrule[viz]'`` (matplotlib >= 3.7). Importing this package does
not import matplotlib; each function does, when called.

- :func:`loss_curves`: training and validation loss per epoch, and metrics.
- :func:`decision_boundary`: a classifier's class probabilities over a 2-D input plane.
- :func:`basis_functions`: the hidden units wⱼφⱼ(x) of a 1-D regression net, and their sum.
- :func:`gradient_norms`: per-layer gradient norms for several activations (vanishing
  gradients).
- :func:`activations`: activation functions and their derivatives (by autodiff).
- :func:`confusion_matrix`: an annotated heatmap.
- :func:`filters` and :func:`feature_maps`: a CNN's first-layer filters, and what they make of
  one input.
- :func:`draw_graph`: the computation graph behind a tensor, as SVG or DOT (no matplotlib).

Every function returns a ``matplotlib.figure.Figure`` (a notebook displays it), and with
``path=`` also saves it, as a PNG at 100 dpi, atomically (a temporary file, then a rename).
Figures are made without ``pyplot`` and without switching matplotlib's backend, so nothing
global changes: call ``fig.savefig(...)`` or show it in a notebook; ``plt.show()`` does not
know these figures.

>>> import chainrule.viz
>>> callable(chainrule.viz.loss_curves)
True
"""

from chainrule.viz.activation_grid import activations
from chainrule.viz.basis import basis_functions
from chainrule.viz.boundary import decision_boundary
from chainrule.viz.confusion import confusion_matrix
from chainrule.viz.filters import feature_maps, filters
from chainrule.viz.gradients import gradient_norms
from chainrule.viz.graph import ComputationGraph, draw_graph
from chainrule.viz.training import loss_curves

__all__ = [
    "ComputationGraph",
    "activations",
    "basis_functions",
    "confusion_matrix",
    "decision_boundary",
    "draw_graph",
    "feature_maps",
    "filters",
    "gradient_norms",
    "loss_curves",
]
