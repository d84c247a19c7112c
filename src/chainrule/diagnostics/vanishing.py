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

Saturation, the notes' "sigmoid and tanh gradients vanish for large x", is about the size of the
pre-activations z. With the naive ``init="normal"`` (N(0, 1) weights) z is about √fan_in times
wider than under Xavier, and the result records it: the std of z per layer and the mean slope
φ′(z) per hidden layer (``saturation``). Measured, depth 20 and width 64: tanh's mean φ′ falls
from 0.91 to 0.10, yet its gradient *explodes* (first/last 7e5), because the same large weights
multiply it by about 8 per layer on the way back; ReLU, with no flat tail, grows about
√(64/2) ≈ 5.7 times per layer, and in a deep enough net (about 50 layers) its values overflow
float32, which is reported as such (``overflow``) rather than as a NaN further on.

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

import numpy

from chainrule import dtypes, optim
from chainrule.autograd import no_grad
from chainrule.backend import default_rng, xp
from chainrule.functional import grad
from chainrule.nn import mlp
from chainrule.nn.activations import Identity, Sigmoid, Tanh, activation
from chainrule.nn.layers import Linear
from chainrule.nn.losses import cross_entropy
from chainrule.tensor import Tensor
from chainrule.train.dead import dead_units

__all__ = ["init_for", "saturation_note", "vanishing", "vanishing_table"]

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
        [float(xp.sqrt(xp.sum(xp.square(w.grad._data.astype(xp.float64))))) for w in weights]
    )


def _ratio(a: float, b: float) -> float | None:
    """a / b, or None where undefined (a last layer with no gradient): JSON has no NaN."""
    return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else None


class _Overflow(Exception):
    """A value stopped being finite; the message says where."""


def _forward(model: Any, X: Tensor) -> tuple[Tensor, list[Tensor]]:
    """The logits, and the pre-activations z = Wh + b of every Linear layer."""
    zs = []
    h = X
    for layer in model:
        h = layer(h)
        if isinstance(layer, Linear):
            zs.append(h)
    return h, zs


def _saturation(model: Any, zs: list[Tensor]) -> dict[str, list[float]]:
    """Per layer: the standard deviation of z, and (hidden layers) the mean slope φ′(z)."""
    acts = [m for m in model if not isinstance(m, Linear)]
    slope = [
        float(xp.mean(grad(lambda t, act=act: act(t).sum())(z.detach())._data))
        for act, z in zip(acts, zs)
    ]
    return {"preact_std": [float(xp.std(z._data.astype(xp.float64))) for z in zs], "slope": slope}


def _growth(std: list[float]) -> str:
    """How the pre-activations grow through the net, in words."""
    finite = [v for v in std if math.isfinite(v) and v > 0]
    if len(finite) < 2:
        return "the pre-activations are not finite from the first layer"
    k = len(finite)
    per_layer = (finite[-1] / finite[0]) ** (1 / (k - 1))
    return f"the pre-activations grow about ×{per_layer:.1f} per layer, to a std of {finite[-1]:.1e} at layer {k}"


def _loss_and_zs(model: Any, X: Tensor, labels: Any, when: str) -> tuple[Tensor, list[Tensor]]:
    logits, zs = _forward(model, X)
    if not bool(xp.isfinite(logits._data).all()):
        std = [float(xp.std(z._data.astype(xp.float64))) for z in zs]
        raise _Overflow(f"{_growth(std)}, and the forward pass overflows float32 {when}")
    return cross_entropy(logits, labels), zs


def _checked_norms(weights: list[Any], zs: list[Tensor], when: str) -> Any:
    norms = _norms(weights)
    if not bool(xp.isfinite(norms).all()):
        std = [float(xp.std(z._data.astype(xp.float64))) for z in zs]
        raise _Overflow(f"{_growth(std)}, and the gradients overflow float32 (inf/NaN) {when}")
    return norms


def _measure(
    model: Any, X: Tensor, labels: Any, init_idx: list, train_idx: list, lr: float
) -> dict[str, Any]:
    """Gradient norms at init and in training, saturation at init, or where it overflowed."""
    weights = [m.weight for m in model if isinstance(m, Linear)]
    depth = len(weights)
    out: dict[str, Any] = {"init": [], "trained": [], "loss_start": None, "loss_end": None}
    out.update(ratio_first_last=None, ratio_first_last_trained=None, overflow=None, dead=None)
    try:
        with no_grad():
            loss, zs = _loss_and_zs(model, X, labels, "at initialisation")
            out["loss_start"] = out["loss_end"] = float(loss.item())
        out["saturation"] = _saturation(model, zs)
        total = xp.zeros(depth)
        for idx in init_idx:
            model.zero_grad()
            loss, zs = _loss_and_zs(model, X[idx], labels[idx], "at initialisation")
            loss.backward()
            total += _checked_norms(weights, zs, "at initialisation")
            out["dead"] = out["dead"] or dead_units(model, X[idx])
        out["init"] = [float(v) for v in total / len(init_idx)]
        out["ratio_first_last"] = _ratio(out["init"][0], out["init"][-1])

        opt = optim.SGD(model.parameters(), lr=lr)
        total = xp.zeros(depth)
        for step, idx in enumerate(train_idx, 1):
            opt.zero_grad()
            loss, zs = _loss_and_zs(model, X[idx], labels[idx], f"in SGD step {step}")
            loss.backward()
            total += _checked_norms(weights, zs, f"in SGD step {step}")
            opt.step()
        if train_idx:
            out["trained"] = [float(v) for v in total / len(train_idx)]
            out["ratio_first_last_trained"] = _ratio(out["trained"][0], out["trained"][-1])
            with no_grad():
                out["loss_end"] = float(_loss_and_zs(model, X, labels, "after training")[0].item())
    except _Overflow as exc:
        out["overflow"] = str(exc)
    return out


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
        ``"kaiming_uniform"``, or ``"normal"``: N(0, 1), the naive init that saturates sigmoid
        and tanh) for every activation; or None for the library's default
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
        - ``init_scheme``: the initialiser used (None: the library default);
        - ``saturation``: ``preact_std``, the std of every layer's pre-activations z, and
          ``slope``, the mean φ′(z) of every hidden layer, on the whole data set at init;
        - ``overflow``: None, or a message saying how the values grew and where they stopped
          being finite (then the lists measured after that point are empty, and the losses may
          be None);
        - ``dead``: None, or :func:`chainrule.train.dead_units`' explanation when no gradient
          reached the first layer (every unit of some ReLU layer dead).

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

    results: dict[str, dict[str, Any]] = {}
    for name in names:
        scheme = init_for(name) if init == "auto" else init
        model = mlp([width] * depth + [n_classes], activation=name, init=scheme, seed=seed)
        with numpy.errstate(over="ignore", invalid="ignore"):  # an overflow is reported, below
            results[name] = _measure(model, X, labels, init_idx, train_idx, lr)
        results[name]["init_scheme"] = scheme
        if results[name]["overflow"]:
            results[name]["overflow"] = (
                f"overflow: with init {scheme or 'default'!r} " + results[name]["overflow"]
            )
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
    initialisation and their ratio, the size of the pre-activations z (their standard deviation,
    averaged over layers), the mean slope φ′(z) of the hidden units, and the loss before → after
    the training run. An activation whose values overflowed gets the message instead, and one
    whose units are all dead gets a note below the table.

    Examples
    --------
    >>> r = vanishing(depth=6, width=16, activations=("sigmoid", "relu"), steps=5, n_samples=64)
    >>> print(vanishing_table(r))  # doctest: +ELLIPSIS
    Gradient norms ‖∂L/∂W‖ at initialisation: depth 6, width 16, 10 classes
    activation  init             first layer  last layer  first/last  z std  mean φ′  loss: 5 SGD steps, lr 0.01
    sigmoid     xavier_uniform   ...
    relu        kaiming_uniform  ...
    """
    results = result["results"]
    rows = [
        f"Gradient norms ‖∂L/∂W‖ at initialisation: depth {result['depth']}, "
        f"width {result['width']}, {result.get('n_classes', '?')} classes",
        f"{'activation':<11} {'init':<16} {'first layer':>11} {'last layer':>11} "
        f"{'first/last':>11} {'z std':>6} {'mean φ′':>8}  "
        f"loss: {result['steps']} SGD steps, lr {result['lr']:g}",
    ]
    notes = []
    for name, r in results.items():
        scheme = r.get("init_scheme") or "default"
        if not r["init"]:  # it overflowed before any gradient could be measured
            rows.append(f"{name:<11} {scheme:<16} {r['overflow']}")
            continue
        z_std, slope = _mean_saturation(r)
        end = "overflow" if r.get("overflow") else f"{r['loss_end']:.3f}"
        rows.append(
            f"{name:<11} {scheme:<16} {r['init'][0]:>11.2e} {r['init'][-1]:>11.2e} "
            f"{_fmt(r['ratio_first_last'])} {z_std:>6.3g} {slope:>8.2f}  "
            f"{r['loss_start']:.3f} → {end}"
        )
        if r.get("overflow"):
            notes.append(f"{name}: {r['overflow']}")
        if r.get("dead"):
            notes.append(f"{name}: {r['dead']}")
    return "\n".join(rows + [""] * bool(notes) + notes)


def _mean_saturation(r: dict[str, Any]) -> tuple[float, float]:
    """The std of z averaged over layers, and φ′(z) averaged over hidden layers (nan if absent)."""
    sat = r.get("saturation") or {}
    std, slope = sat.get("preact_std") or [math.nan], sat.get("slope") or [math.nan]
    return sum(std) / len(std), sum(slope) / len(slope)


def _verdict(ratio: float | None) -> str:
    if ratio is None:
        return "cannot be compared (no gradient at the last layer)"
    if ratio < 0.1:
        return f"vanishes towards the input (first/last layer {ratio:.1e})"
    if ratio > 10:
        return f"explodes towards the input (first/last layer {ratio:.1e})"
    return f"keeps its size through the net (first/last layer {ratio:.2f})"


def saturation_note(*results: dict[str, Any]) -> str:
    """What the pre-activation size did to each activation of each result, in a few sentences.

    >>> r = vanishing(depth=6, width=16, activations=("tanh",), steps=0, n_samples=64,
    ...               init="normal")
    >>> print(saturation_note(r))  # doctest: +ELLIPSIS
    tanh (init 'normal'): z has std 3.7, mean φ′(z) = 0.20; the gradient keeps its size ...
    Pre-activation size decides saturation: ...
    """
    lines = []
    for name, r in ((k, v) for result in results for k, v in result["results"].items()):
        scheme = r.get("init_scheme") or "default"
        if not r["init"]:
            lines.append(f"{name} (init {scheme!r}): {r['overflow']}.")
            continue
        z_std, slope = _mean_saturation(r)
        lines.append(
            f"{name} (init {scheme!r}): z has std {z_std:.3g}, mean φ′(z) = {slope:.2f}; "
            f"the gradient {_verdict(r['ratio_first_last'])}."
        )
    width = results[0]["width"]
    lines.append(
        "Pre-activation size decides saturation: z = Σᵢ wᵢhᵢ + b adds up fan_in = "
        f"{width} terms, so its spread is the weights' spread times about √{width} = "
        f"{math.sqrt(width):.0f}. Xavier and He scale the weights by 1/√fan_in and keep z of "
        "order 1, where φ′ is near its maximum. N(0, 1) weights make z about "
        f"{math.sqrt(width):.0f} times larger: sigmoid and tanh then sit on their flat tails, "
        "where φ′(z) ≈ 0 (saturation, the vanishing derivative of the notes). The gradient "
        "that reaches layer 1 is a product, layer after layer, of Wᵀ and φ′(z): flat slopes "
        "shrink it, large weights grow it, and which wins is what the table shows."
    )
    return "\n".join(lines)
