"""``param_groups``: optimiser parameter groups that leave biases and normalisation parameters
out of weight decay.

Optimisers decay every parameter they are given, as in PyTorch. Skipping biases and the scales
and shifts of normalisation layers is a common practice (decaying a bias only shifts the decision
boundary); this helper makes that choice explicit. Layers mark those parameters with
``regularize=False`` (see :class:`~chainrule.nn.Parameter`), which is what it reads.

>>> from chainrule import nn, optim
>>> model = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3), nn.Linear(3, 1))
>>> groups = nn.utils.param_groups(model, weight_decay=1e-2)
>>> [(len(g["params"]), g["weight_decay"]) for g in groups]
[(2, 0.01), (4, 0.0)]
>>> opt = optim.AdamW(groups, lr=1e-3)
"""

from __future__ import annotations

from typing import Any

__all__ = ["param_groups"]


def param_groups(
    model: Any, weight_decay: float, no_decay: str | None = "bias_and_norm"
) -> list[dict[str, Any]]:
    """Two parameter groups: decayed weights, and undecayed biases and normalisation parameters.

    Parameters
    ----------
    model : Module or iterable of Tensor
        Where the parameters come from (``model.parameters()`` is used when it has one).
    weight_decay : float
        The decay of the first group.
    no_decay : {"bias_and_norm", None}
        ``"bias_and_norm"``: parameters created with ``regularize=False`` (biases, LayerNorm and
        BatchNorm scales and shifts) go to a group with ``weight_decay=0``. None: one group,
        everything decayed (what passing ``model.parameters()`` does).

    Returns
    -------
    list of dict
        ``[{"params": [...], "weight_decay": weight_decay}, {"params": [...], "weight_decay":
        0.0}]``, leaving out an empty group.

    Examples
    --------
    >>> from chainrule import nn
    >>> groups = nn.utils.param_groups(nn.Linear(4, 2), weight_decay=0.1)
    >>> [p.shape for p in groups[0]["params"]], [p.shape for p in groups[1]["params"]]
    ([(2, 4)], [(2,)])
    """
    params = list(model.parameters() if hasattr(model, "parameters") else model)
    if no_decay is None:
        return [{"params": params, "weight_decay": weight_decay}]
    if no_decay != "bias_and_norm":
        raise ValueError(f"no_decay must be 'bias_and_norm' or None, got {no_decay!r}")
    decay = [p for p in params if getattr(p, "regularize", True)]
    keep = [p for p in params if not getattr(p, "regularize", True)]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": keep, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]
