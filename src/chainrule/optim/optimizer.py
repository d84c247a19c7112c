"""``Optimizer``: parameter groups, per-parameter state, ``step``, and state dicts.

Every optimiser updates the raw arrays ``p._data`` **in place**, using state buffers allocated
once, in the parameter's dtype (float32 state for float32 parameters). Gradient arrays are
read only to an optimiser: ``p.grad._data`` may be a view shared with another parameter, or a
read-only broadcast view, so nothing here ever writes into it.

Weight decay and regularisation
-------------------------------
``weight_decay`` applies to every parameter of its group, as in PyTorch. To leave biases and
normalisation parameters undecayed, give them a group with ``weight_decay=0``:
:func:`chainrule.nn.utils.param_groups` builds those groups from a model.

>>> import chainrule as cr
>>> from chainrule.optim import SGD
>>> w = cr.tensor([1.0, 2.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward()   # ∂/∂w = 2w
>>> opt.step()
>>> w
tensor([0.8000, 1.6000], requires_grad=True)
>>> opt.zero_grad()
>>> w.grad is None
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from chainrule import autograd
from chainrule.autograd import enable_grad
from chainrule.backend import ndarray, xp
from chainrule.tensor import Tensor

__all__ = ["Optimizer", "check_hyperparameter"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]

DOCS = {
    "params": """params : iterable of Tensor or of dict
    Parameters or parameter groups (see :class:`~chainrule.optim.Optimizer`).""",
    "lr": """lr : float
    Learning rate η.""",
    "weight_decay": """weight_decay : float
    L2 penalty added to the gradient, on every parameter it is given, as in PyTorch (build
    groups with :func:`chainrule.nn.utils.param_groups` to leave biases out).""",
}
"""The parameter descriptions the optimisers share: ``%(params)s`` in their docstrings
(see :func:`chainrule._docstrings.fill`)."""


def converges_example(name: str, options: str, steps: int, tol: str) -> dict[str, str]:
    """``DOCS`` plus an ``%(example)s`` part: ``name(options)`` takes w from 3 to the minimum 1 of
    (w - 1)² within ``tol`` in ``steps`` steps, the one example the optimisers share."""
    example = f"""Examples
--------
>>> import chainrule as cr
>>> from chainrule.optim import {name}
>>> w = cr.tensor([3.0], requires_grad=True)
>>> opt = {name}([w], {options})
>>> for _ in range({steps}):
...     opt.zero_grad()
...     ((w - 1.0) ** 2).sum().backward()
...     opt.step()
>>> abs(w.item() - 1.0) < {tol}
True"""
    return {**DOCS, "example": example}


NUMERIC_OPTIONS = (
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "betas",
    "eps",
    "alpha",
    "lr_decay",
    "initial_accumulator_value",
)
"""The options that hold numbers, checked wherever they enter by :func:`check_hyperparameter`."""


def check_hyperparameter(name: str, value: Any, *, low: float | None = 0.0) -> float:
    """An optimiser option as a float: a real, finite number (>= ``low`` unless None).

    Raises TypeError for a non-number (a string, a bool, None) and ValueError for NaN, an
    infinity or a value below ``low``, naming the option. Every place an option enters (the
    constructor, ``add_param_group``, ``load_state_dict`` and so a checkpoint) checks it here.

    >>> check_hyperparameter("lr", 0.1)
    0.1
    >>> check_hyperparameter("lr", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: invalid learning rate (lr): nan (must be a finite number)
    >>> check_hyperparameter("lr", "0.1")
    Traceback (most recent call last):
    ...
    TypeError: invalid learning rate (lr): '0.1' (must be a number, got str)
    """
    label = "learning rate (lr)" if name == "lr" else name
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"invalid {label}: {value!r} (must be a number, got {type(value).__name__})"
        )
    if not math.isfinite(value):
        raise ValueError(f"invalid {label}: {value!r} (must be a finite number)")
    if low is not None and value < low:
        raise ValueError(f"invalid {label}: {value} (must be >= {low:g})")
    return float(value)


class Optimizer:
    """Base class of the optimisers: holds parameter groups and per-parameter state.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimise, or parameter groups in PyTorch style: dicts with a ``"params"``
        entry and any per-group option that overrides ``defaults``, e.g.
        ``[{"params": body, "lr": 1e-3}, {"params": head}]``.
    defaults : dict
        The default value of every option (``lr``, ``weight_decay``...).

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list of tensors) and every option.
    state : dict
        Per-parameter state (moment buffers, step counts), keyed by the parameter tensor.
        Created on a parameter's first update.

    Notes
    -----
    Subclasses implement ``_init_state(p, group) -> dict`` (fresh state) and
    ``_update(p, grad, state, group)`` (one in-place update of ``p._data``), and may
    override ``_validate(group)`` to check a group's options (options that need only be >= 0
    go in the class attribute ``_nonnegative``) and ``_update_all()`` for a faster loop over the
    parameters; ``step`` itself stays the base class's. Parameters whose ``.grad`` is None are
    skipped by :meth:`step`.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD
    >>> a, b = cr.zeros(2, requires_grad=True), cr.zeros(1, requires_grad=True)
    >>> opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.5]
    """

    _nonnegative: tuple[str, ...] = ()
    """A subclass's own options that must be >= 0, checked by :meth:`_validate`."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors or of group dicts, "
                f"got a single {type(params).__name__}; wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with options that override the defaults.

        Parameters
        ----------
        param_group : dict
            ``{"params": tensors, **options}``; options left out take the defaults.

        Raises
        ------
        TypeError
            For something that is not a floating-point Tensor, or a set of parameters (whose
            order, which state dicts rely on, is not defined).
        ValueError
            For a non-leaf tensor, or a parameter already in a group.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import Adam
        >>> opt = Adam([cr.zeros(3, requires_grad=True)])
        >>> opt.add_param_group({"params": cr.zeros(2, requires_grad=True), "lr": 0.1})
        >>> len(opt.param_groups), opt.param_groups[1]["betas"]
        (2, (0.9, 0.999))
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "parameters must be given in a defined order (a list or a generator), not a set"
            )
        else:
            params = list(params)
        seen: set[int] = set()
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"an optimiser can only update Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimise a non-leaf tensor (one computed by an op)")
            if p.dtype.kind != "f":
                raise TypeError(f"can only optimise floating-point tensors, not {p.dtype}")
            if id(p) in seen:
                raise ValueError("a parameter appears twice in one parameter group")
            seen.add(id(p))
        for other in self.param_groups:
            if any(id(q) in seen for q in other["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Check a group's options; raise TypeError or ValueError naming a bad one.

        Every numeric option (:data:`NUMERIC_OPTIONS`; ``betas`` a pair of them) must be a
        real, finite number; ``lr``, ``weight_decay`` and the options in ``_nonnegative`` also
        >= 0. Subclasses add their own ranges.
        """
        for key in NUMERIC_OPTIONS:
            if key not in group:
                continue
            value = group[key]
            if key == "betas":
                if not isinstance(value, (tuple, list)) or len(value) != 2:
                    raise TypeError(f"invalid betas: {value!r} (must be a pair of numbers)")
                for item in value:
                    check_hyperparameter(key, item, low=None)
            else:
                check_hyperparameter(key, value, low=0.0 if key in ("lr", "weight_decay") else None)
        self._check_nonnegative(group, *self._nonnegative)

    @staticmethod
    def _check_nonnegative(group: dict[str, Any], *names: str) -> None:
        """Raise ValueError naming the first of the options ``names`` that is negative."""
        for name in names:
            check_hyperparameter(name, group[name])

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter.

        Parameters
        ----------
        set_to_none : bool
            Set ``.grad`` to None (default). When False, ``.grad`` becomes a new tensor of
            zeros; the old gradient array is never written into.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.ones(2, requires_grad=True)
        >>> (3 * w).sum().backward()
        >>> opt = SGD([w], lr=0.1)
        >>> opt.zero_grad(set_to_none=False)
        >>> w.grad.tolist()
        [0.0, 0.0]
        """
        if autograd._trace_hook is not None:  # a recorder (chainrule.compile) replays this call
            autograd._trace_hook.on_optimizer(self, "zero_grad", set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor(xp.zeros_like(p.grad._data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss (zeroing grads and calling ``backward`` itself); it is called
            first, with gradient recording on, and its result is returned.

        Returns
        -------
        The closure's loss, or None.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.tensor([2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.25)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (w * w).sum()
        ...     loss.backward()
        ...     return loss
        >>> float(opt.step(closure)), w.tolist()
        (4.0, [1.0])
        """
        if autograd._trace_hook is not None:  # a recorder (chainrule.compile) replays this call
            autograd._trace_hook.on_optimizer(self, "step", closure)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._update_all()
        return loss

    def _update_all(self) -> None:
        """One in-place update of every parameter that has a gradient (``step`` after the
        closure); subclasses may override it with a faster loop for common cases."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                g = grad._data
                if g.shape != p.shape:
                    raise ValueError(
                        f"a gradient of shape {g.shape} was set on a parameter of shape {p.shape}"
                    )
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self._init_state(p, group)
                self._update(p, g, state, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        """Fresh state for ``p``: preallocated buffers in ``p``'s dtype."""
        raise NotImplementedError

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update ``p._data`` in place from the (read-only) gradient array ``grad``."""
        raise NotImplementedError

    @staticmethod
    def _decays(p: Tensor, group: dict[str, Any]) -> bool:
        """Whether weight decay applies to ``p`` in ``group``."""
        return bool(group["weight_decay"])

    def _l2_grad(self, p: Tensor, grad: Any, group: dict[str, Any]) -> Any:
        """``grad + weight_decay * p`` as a new array (the gradient of the L2 penalty), or
        ``grad`` itself where no decay applies. Never writes into ``grad``."""
        if self._decays(p, group):
            return grad + group["weight_decay"] * p._data
        return grad

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state, PyTorch style, with copies of the state arrays.

        Returns
        -------
        dict
            ``{"state": {index: {name: value}}, "param_groups": [{**options, "params":
            [index, ...]}]}``, where a parameter's index is its position counting through all
            groups in order. Arrays are copies, so the dict does not change as training goes on.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import Adam
        >>> w = cr.ones(3, requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> w.sum().backward()
        >>> opt.step()
        >>> sd = opt.state_dict()
        >>> sorted(sd["state"][0]), sd["state"][0]["step"], sd["param_groups"][0]["params"]
        (['exp_avg', 'exp_avg_sq', 'step'], 1, [0])
        """
        groups = []
        state: dict[int, dict[str, Any]] = {}
        index = 0
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                ids.append(index)
                st = self.state.get(p)
                if st is not None:
                    state[index] = {
                        k: v.copy() if isinstance(v, ndarray) else v for k, v in st.items()
                    }
                index += 1
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = ids
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load state saved by :meth:`state_dict` (options, step counts and buffers).

        Everything is checked before anything changes: the number of groups, the number of
        parameters in each group, the parameter indices, the state's entries and the shape of
        every state array. Arrays are copied and cast to the parameter's dtype.

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict` of an optimiser of the same class, over
            parameters of the same shapes in the same order.

        Raises
        ------
        ValueError
            Naming the mismatch.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.ones(3, requires_grad=True)
        >>> sd = SGD([w], lr=0.1).state_dict()
        >>> SGD([w], lr=0.5).load_state_dict(sd)  # same layout: fine
        >>> SGD([w, cr.ones(1, requires_grad=True)], lr=0.1).load_state_dict(sd)
        Traceback (most recent call last):
        ...
        ValueError: parameter group 0: the loaded state dict has 1 parameters, the optimizer has 2
        """
        if (
            not isinstance(state_dict, dict)
            or "state" not in state_dict
            or "param_groups" not in state_dict
        ):
            raise ValueError("not an optimizer state dict: it needs 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        saved_state = state_dict["state"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        where: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        new_groups = []
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {gi}: the loaded state dict has {len(saved['params'])} "
                    f"parameters, the optimizer has {len(group['params'])}"
                )
            options = {k: v for k, v in saved.items() if k != "params"}
            merged = {**group, **options}
            try:
                self._validate(merged)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"parameter group {gi} of the loaded state dict: {exc}") from None
            new_groups.append(options)
            for idx, p in zip(saved["params"], group["params"]):
                where[int(idx)] = (p, merged)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, st in saved_state.items():
            try:
                idx = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"state key {key!r} is not a parameter index") from None
            if idx not in where:
                raise ValueError(
                    f"the loaded state has an entry for parameter {idx}, which no group lists"
                )
            p, merged = where[idx]
            expected = self._init_state(p, merged)
            if set(st) != set(expected):
                raise ValueError(
                    f"state of parameter {idx} has entries {sorted(st)}, but "
                    f"{type(self).__name__} with these options expects {sorted(expected)}"
                )
            loaded: dict[str, Any] = {}
            for name, value in st.items():
                fresh = expected[name]
                if isinstance(fresh, int):  # a step count
                    loaded[name] = int(value)
                elif value is None and fresh is None:  # a buffer not yet created
                    loaded[name] = None
                else:
                    shape = tuple(getattr(value, "shape", ("not an array",)))
                    if shape != p.shape:
                        raise ValueError(
                            f"state {name!r} of parameter {idx} has shape {shape}, "
                            f"but the parameter has shape {p.shape}"
                        )
                    loaded[name] = xp.array(value, dtype=p.dtype, copy=True)
            new_state[p] = loaded
        self.state.clear()
        self.state.update(new_state)
        for group, options in zip(self.param_groups, new_groups):
            group.update(options)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)
