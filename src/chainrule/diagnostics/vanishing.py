"""Vanishing gradients, measured: per-layer gradient norms of deep sigmoid, tanh and ReLU nets.

The claim: backpropagation multiplies, layer after layer, by Wᵀ and by the activation's
derivative φ′(z). The sigmoid's derivative is at most 1/4, so in a deep sigmoid net the gradient
of the first layer is a product of many factors below one and vanishes; tanh′ ≤ 1 and ReLU′ = 1
where a unit is active, so they fare better. :func:`vanishing` builds the same deep MLP with each
activation, trains it briefly on the same task, and reports ‖∂L/∂Wₗ‖ for every layer l.

What it shows (the default call, with each activation's standard initialisation): the sigmoid
net's first-layer gradient is about 10⁻¹² of its last layer's, so in training only its top
layers move; tanh and ReLU keep first- and last-layer gradients of the same order. With
``init=None`` (the library's default init for every activation, which shrinks the signal's
variance threefold per layer) tanh's and ReLU's gradients vanish too: the claim "ReLU's do not
vanish" holds only with an initialisation scaled for ReLU.

>>> from chainrule.diagnostics import vanishing
>>> r = vanishing(depth=10, width=32, steps=5, n_samples=128)
>>> sig, relu = r["results"]["sigmoid"], r["results"]["relu"]
>>> len(sig["init"]), sig["init"][0] < relu["init"][0] / 10
(10, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chainrule import dtypes, optim
from chainrule.autograd import no_grad
from chainrule.backend import default_rng, xp
from chainrule.nn import mlp
from chainrule.nn.activations import Identity, Sigmoid, Tanh, activation
from chainrule.nn.layers import Linear
from chainrule.nn.losses import cross_entropy
from chainrule.tensor import Tensor

__all__ = ["init_for", "vanishing", "vanishing_table"]

_XAVIER = "xavier_uniform"
_KAIMING = "kaiming_uniform"


def init_for(name: str) -> str:
    """The standard initialisation for an activation: Xavier for sigmoid, tanh and identity,
    He (Kaiming) for the ReLU family.

    Xavier/Glorot keeps the variance of the signal (and of the gradient) steady for an
    activation with slope 1 at 0; He doubles it to make up for ReLU zeroing half the units.

    >>> init_for("tanh"), init_for("relu")
    ('xavier_uniform', 'kaiming_uniform')
    """
    return _XAVIER if isinstance(activation(name), (Sigmoid, Tanh, Identity)) else _KAIMING


def _blobs(n: int, width: int, n_classes: int, seed: int) -> tuple[Tensor, Any]:
    """Gaussian blobs: class centres ~ N(0, I) in ``width`` dimensions, unit noise, standardised."""
    rng = default_rng(seed)
    centres = rng.standard_normal((n_classes, width))
    labels = rng.integers(0, n_classes, n)
    X = centres[labels] + rng.standard_normal((n, width))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return Tensor(X.astype(dtypes.get_default_dtype())), labels


def _norms(weights: list[Any]) -> Any:
    """‖∂L/∂Wₗ‖ (Frobenius) of every layer, as a float64 array."""
    return xp.asarray(
        [float(xp.sqrt(xp.sum(xp.square(w.grad.data.astype(xp.float64))))) for w in weights]
    )


def _ratio(a: float, b: float) -> float | None:
    """a / b, or None where undefined (a last layer with no gradient): JSON has no NaN."""
    return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else None


def vanishing(
    depth: int = 20,
    width: int = 64,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    steps: int = 50,
    batch_size: int = 64,
    seed: int = 0,
    lr: float = 0.01,
    n_samples: int = 512,
    *,
    init: str | None = "auto",
    n_classes: int = 10,
    init_batches: int = 4,
) -> dict[str, Any]:
    """Measure per-layer gradient norms of a deep MLP for each activation, at init and in training.

    For each activation the same network is built, ``depth`` Linear layers (``width`` → ...
    → ``width`` → ``n_classes``) with the activation between them, from the same seed; it
    classifies the same ``n_classes`` Gaussian blobs in ``width`` dimensions with softmax
    cross-entropy. The norms ‖∂L/∂Wₗ‖ of the weight gradients are averaged over
    ``init_batches`` mini-batches at initialisation, then over ``steps`` steps of plain SGD.

    The initialisation matters as much as the activation, so the scheme is explicit. The
    default, ``"auto"``, gives each activation its standard initialisation
    (:func:`init_for`: Xavier for sigmoid and tanh, He for ReLU), i.e. each at its best: what
    still vanishes then is the activation's fault, not the init's.

    Parameters
    ----------
    depth : int
        Number of Linear layers (at least 2).
    width : int
        Units per hidden layer, and input dimension.
    activations : sequence of str
        Activation names (:func:`chainrule.nn.activation_names`).
    steps : int
        SGD steps of the training run (0: no training).
    batch_size : int
        Mini-batch size, for the initial measurement and the training run.
    seed : int
        Seeds the data, the batches and the weights (the same for every activation).
    lr : float
        SGD learning rate.
    n_samples : int
        Size of the synthetic data set.
    init : "auto", str or None
        "auto" (see above); an initialiser name of :func:`chainrule.nn.init.get` (e.g.
        ``"kaiming_uniform"``) for every activation; or None for the library's default
        :class:`~chainrule.nn.Linear` initialisation, U(±1/√fan_in), for every activation.
    n_classes : int
        Classes of the task (the output width).
    init_batches : int
        Mini-batches averaged for the norms at initialisation.

    Returns
    -------
    dict
        ``depth``, ``width``, ``n_classes``, ``steps``, ``lr``, ``batch_size``, ``seed``,
        ``init`` and ``results``: for each activation a dict with

        - ``init``: mean ‖∂L/∂Wₗ‖ at initialisation, one float per layer, first layer first;
        - ``trained``: the same averaged over the training steps (empty when ``steps=0``);
        - ``loss_start``, ``loss_end``: the cross-entropy on the whole data set before and
          after training (log ``n_classes`` ≈ 2.30 is chance);
        - ``ratio_first_last``: first-layer / last-layer norm at initialisation, and
          ``ratio_first_last_trained`` (None where undefined: no training steps, or a last
          layer without gradient);
        - ``init_scheme``: the initialiser used (None: the library default).

    Examples
    --------
    >>> r = vanishing(depth=20, steps=10, seed=0)
    >>> s, t, u = (r["results"][a]["init"][0] for a in ("sigmoid", "tanh", "relu"))
    >>> bool(s < 1e-6 < t < u)
    True
    """
    if depth < 2:
        raise ValueError(f"depth must be at least 2 layers, got {depth}")
    if width < 1 or n_classes < 2:
        raise ValueError(f"width must be >= 1 and n_classes >= 2, got {width} and {n_classes}")
    if steps < 0 or init_batches < 1 or batch_size < 1 or n_samples < 1:
        raise ValueError("steps must be >= 0, and init_batches, batch_size, n_samples >= 1")
    names = list(activations)
    if not names:
        raise ValueError("activations is empty")
    X, labels = _blobs(n_samples, width, n_classes, seed)
    batch_size = min(batch_size, n_samples)
    rng = default_rng(seed + 1)

    def batches(count: int) -> list[Any]:
        """``count`` mini-batch index arrays, reshuffling after each pass over the data."""
        out: list[Any] = []
        while len(out) < count:
            order = rng.permutation(n_samples)
            out += [
                order[i : i + batch_size] for i in range(0, n_samples - batch_size + 1, batch_size)
            ]
        return out[:count]

    init_idx = batches(init_batches)
    train_idx = batches(steps)  # the same batches, in the same order, for every activation

    def loss_on(model: Any, idx: Any = None) -> Tensor:
        if idx is None:
            return cross_entropy(model(X), labels)
        return cross_entropy(model(X[idx]), labels[idx])

    results: dict[str, dict[str, Any]] = {}
    for name in names:
        scheme = init_for(name) if init == "auto" else init
        model = mlp([width] * depth + [n_classes], activation=name, init=scheme, seed=seed)
        weights = [m.weight for m in model if isinstance(m, Linear)]
        with no_grad():
            loss_start = float(loss_on(model).item())

        total = xp.zeros(depth)
        for idx in init_idx:
            model.zero_grad()
            loss_on(model, idx).backward()
            total += _norms(weights)
        at_init = total / len(init_idx)

        opt = optim.SGD(model.parameters(), lr=lr)
        total = xp.zeros(depth)
        for idx in train_idx:
            opt.zero_grad()
            loss_on(model, idx).backward()
            total += _norms(weights)
            opt.step()
        trained = total / len(train_idx) if train_idx else None
        with no_grad():
            loss_end = float(loss_on(model).item()) if train_idx else loss_start

        init_list = [float(v) for v in at_init]
        trained_list = [float(v) for v in trained] if trained is not None else []
        results[name] = {
            "init": init_list,
            "trained": trained_list,
            "loss_start": loss_start,
            "loss_end": loss_end,
            "ratio_first_last": _ratio(init_list[0], init_list[-1]),
            "ratio_first_last_trained": (
                _ratio(trained_list[0], trained_list[-1]) if trained_list else None
            ),
            "init_scheme": scheme,
        }
    return {
        "depth": depth,
        "width": width,
        "n_classes": n_classes,
        "steps": steps,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "init": init,
        "results": results,
    }


def _fmt(v: float | None) -> str:
    return f"{v:>11.2e}" if v is not None else f"{'n/a':>11}"


def vanishing_table(result: dict[str, Any]) -> str:
    """A plain-text table of :func:`vanishing`'s result: one row per activation.

    Columns: the activation, its initialiser, the first- and last-layer gradient norms at
    initialisation, their ratio, and the loss before → after the training run.

    Examples
    --------
    >>> r = vanishing(depth=6, width=16, activations=("sigmoid", "relu"), steps=5, n_samples=64)
    >>> print(vanishing_table(r))  # doctest: +ELLIPSIS
    Gradient norms ‖∂L/∂W‖ at initialisation: depth 6, width 16, 10 classes
    activation  init             first layer  last layer  first/last  loss: 5 SGD steps, lr 0.01
    sigmoid     xavier_uniform   ...
    relu        kaiming_uniform  ...
    """
    results = result["results"]
    rows = [
        f"Gradient norms ‖∂L/∂W‖ at initialisation: depth {result['depth']}, "
        f"width {result['width']}, {result.get('n_classes', '?')} classes",
        f"{'activation':<11} {'init':<16} {'first layer':>11} {'last layer':>11} "
        f"{'first/last':>11}  loss: {result['steps']} SGD steps, lr {result['lr']:g}",
    ]
    for name, r in results.items():
        scheme = r.get("init_scheme") or "default"
        rows.append(
            f"{name:<11} {scheme:<16} {r['init'][0]:>11.2e} {r['init'][-1]:>11.2e} "
            f"{_fmt(r['ratio_first_last'])}  {r['loss_start']:.3f} → {r['loss_end']:.3f}"
        )
    return "\n".join(rows)
