"""Networks learn their own basis functions φ(x): the hidden units of a 1-H-1 regression net.

A network ``Linear(1, H) → φ → Linear(H, 1)`` computes

    f(x) = Σⱼ wⱼ φⱼ(x) + b,    φⱼ(x) = φ(aⱼ x + cⱼ),

a linear model in the features φⱼ, exactly like polynomial or radial-basis regression, except
that the features are not fixed in advance: their slopes aⱼ and offsets cⱼ are trained along with
the output weights wⱼ. :func:`fit_sine_basis` trains such a net on a noisy sine;
:func:`hidden_units` takes it apart into (φ, w, b), and :func:`chainrule.viz.basis_functions`
draws the pieces and their sum.

>>> from chainrule.diagnostics import fit_sine_basis, hidden_units
>>> model, X, y, info = fit_sine_basis(hidden=4, epochs=300, seed=0)
>>> phi, w, b = hidden_units(model, X)
>>> phi.shape, w.shape
((200, 4), (4,))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import datasets, nn, optim, train
from chainrule.autograd import no_grad
from chainrule.backend import to_numpy
from chainrule.nn.layers import Linear, Sequential
from chainrule.nn.losses import mse_loss
from chainrule.tensor import Tensor

__all__ = ["fit_sine_basis", "hidden_units"]


def fit_sine_basis(
    hidden: int = 8,
    activation: str = "tanh",
    n_samples: int = 200,
    noise: float = 0.1,
    epochs: int = 1000,
    seed: int = 0,
    *,
    lr: float = 0.01,
) -> tuple[Sequential, np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit y = sin(x) + noise on [-π, π] with a ``1 → hidden → 1`` net, by full-batch Adam.

    Parameters
    ----------
    hidden : int
        Number of hidden units H: the number of basis functions the net can learn.
    activation : str
        The hidden activation, any name of :func:`chainrule.nn.activation_names` ('tanh',
        'relu', 'sigmoid', ...).
    n_samples, noise : int, float
        Size and noise level of :func:`chainrule.datasets.sine_1d`.
    epochs : int
        Full-batch Adam steps (1000 take well under a second and fit the sine to the noise
        level with the defaults).
    seed : int
        Seeds the data and the initial weights.
    lr : float
        Adam's learning rate.

    Returns
    -------
    model : Sequential
        ``Linear(1, H), activation, Linear(H, 1)``, trained.
    X : numpy.ndarray, shape (n_samples, 1)
    y : numpy.ndarray, shape (n_samples,)
    info : dict
        ``history`` (the :class:`~chainrule.train.History` of the fit), ``loss`` (final
        training MSE), ``hidden``, ``activation``, ``epochs``, ``noise`` (the noise variance
        noise², the MSE a perfect fit would leave).

    Examples
    --------
    >>> model, X, y, info = fit_sine_basis(hidden=8, activation="tanh", seed=0)
    >>> model
    Sequential(
      (0): Linear(in_features=1, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
    >>> info["loss"] < 0.02    # the noise variance is 0.01
    True
    """
    if hidden < 1:
        raise ValueError(f"hidden must be at least 1, got {hidden}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    X, y = datasets.sine_1d(n_samples, noise=noise, seed=seed)
    model = nn.mlp([1, hidden, 1], activation=activation, seed=seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    history = train.fit(
        model, mse_loss, opt, X, y, epochs=epochs, batch_size="full", verbose=0, seed=seed
    )
    info = {
        "history": history,
        "loss": float(history["loss"][-1]),
        "hidden": hidden,
        "activation": activation,
        "epochs": history.epochs,
        "noise": float(noise) ** 2,
    }
    return model, X, y, info


def _split(model: Any) -> tuple[Sequential, Linear]:
    """The body (everything before the output layer) and the output layer Linear(H, 1)."""
    if not isinstance(model, Sequential) or len(model) < 2:
        raise TypeError(
            "hidden_units needs a Sequential ending in Linear(H, 1), e.g. "
            f"nn.mlp([1, H, 1], 'tanh'); got {type(model).__name__}"
        )
    head = model[-1]
    if not isinstance(head, Linear) or head.out_features != 1:
        raise ValueError(
            "hidden_units needs a model whose last layer is Linear(H, 1) (no output activation: "
            f"the output must be linear in the basis functions); the last layer is {head!r}"
        )
    return model[:-1], head


def hidden_units(model: Sequential, x: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Each hidden unit's output φⱼ(x), and the output weights and bias that combine them.

    For a model ``Linear(1, H) → φ → Linear(H, 1)`` (or any Sequential ending in
    ``Linear(H, 1)``: then φⱼ is unit j of the last hidden layer) the model's output is exactly
    ``phi @ weights + bias``.

    Parameters
    ----------
    model : Sequential
        The network; it runs in eval mode without recording gradients.
    x : array-like or Tensor, shape (n,) or (n, 1)
        Inputs (a 1-D array is taken as n inputs of one feature).

    Returns
    -------
    phi : numpy.ndarray, shape (n, H)
        φⱼ(x) for every input and hidden unit.
    weights : numpy.ndarray, shape (H,)
        The output weights wⱼ.
    bias : float
        The output bias b (0.0 when the layer has none).

    Examples
    --------
    >>> import numpy as np
    >>> from chainrule import nn
    >>> model = nn.mlp([1, 3, 1], activation="tanh", seed=0)
    >>> x = np.linspace(-2, 2, 5, dtype=np.float32)
    >>> phi, w, b = hidden_units(model, x)
    >>> out = model(x.reshape(-1, 1)).numpy()[:, 0]
    >>> bool(np.allclose(phi @ w + b, out, atol=1e-6))
    True
    """
    body, head = _split(model)
    xt = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if xt.ndim == 1:
        xt = xt.reshape(-1, 1)
    dtype = head.weight.dtype
    if xt.dtype != dtype:
        xt = Tensor(xt._data.astype(dtype))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            phi = body(xt)
    finally:
        model.train(was_training)
    phi_h = to_numpy(phi._data)
    if phi_h.ndim != 2 or phi_h.shape[1] != head.in_features:
        raise ValueError(
            f"the hidden layer gives shape {phi_h.shape}, expected (n, {head.in_features})"
        )
    weights = to_numpy(head.weight._data)[0].copy()
    bias = float(to_numpy(head.bias._data)[0]) if head.bias is not None else 0.0
    return phi_h, weights, bias
