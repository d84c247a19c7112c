"""Learning-rate schedulers: they set ``group["lr"]`` of an optimiser's groups in place.

Call ``scheduler.step()`` once per epoch (or per batch, as you choose), after
``optimizer.step()``. A scheduler made on an optimiser sets each group's lr to its value at
step 0 at once, and records the group's starting lr as ``group["initial_lr"]`` (the base lr
``η₀`` of the formulas below; shared by every scheduler of that optimiser).

The epoch-based schedulers compute the lr in closed form from the step count, so a
``state_dict`` round trip resumes them exactly. Save and load the optimiser's state too:
it holds the current lr.

>>> import chainrule as cr
>>> from chainrule.optim import SGD, StepLR
>>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(opt.param_groups[0]["lr"])   # train with this lr, then:
...     opt.step()
...     sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.optim.optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "InverseScalingLR",
    "LRScheduler",
    "LinearWarmup",
    "ReduceLROnPlateau",
    "StepLR",
]


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")


def _copy_state(state: dict[str, Any], leave_out: str | None = None) -> dict[str, Any]:
    """A copy of a scheduler's state, its lists copied too, without the key ``leave_out``."""
    return {k: list(v) if isinstance(v, list) else v for k, v in state.items() if k != leave_out}


class _SchedulerState:
    """What every scheduler shares: ``_last_lr`` and its state as a dict (one place for both
    :class:`LRScheduler` and :class:`ReduceLROnPlateau`, whose steps differ)."""

    _last_lr: list[float]

    def get_last_lr(self) -> list[float]:
        """The lr of each group as last set by this scheduler (by its last :meth:`step`).

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, StepLR
        >>> StepLR(SGD([cr.zeros(1, requires_grad=True)], lr=0.1), step_size=3).get_last_lr()
        [0.1]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimiser, as a dict of plain values.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, StepLR
        >>> sched = StepLR(SGD([cr.zeros(1, requires_grad=True)], lr=0.1), step_size=3)
        >>> sched.step()
        >>> sched.state_dict()["last_epoch"]
        1
        """
        return _copy_state(self.__dict__, leave_out="optimizer")

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict` (load the optimiser's state too).

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, StepLR
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> a = StepLR(opt, step_size=1, gamma=0.5)
        >>> a.step()
        >>> b = StepLR(SGD([cr.zeros(1, requires_grad=True)], lr=1.0), step_size=1, gamma=0.5)
        >>> b.load_state_dict(a.state_dict())
        >>> b.step()
        >>> b.get_last_lr()
        [0.25]
        """
        self.__dict__.update(_copy_state(state_dict))


class LRScheduler(_SchedulerState):
    """Base class of the epoch-based schedulers: the lr is a function of the step count.

    Subclasses implement :meth:`get_lr`, the lr of each group at step ``self.last_epoch``
    from the base lrs ``self.base_lrs``.

    Parameters
    ----------
    optimizer : Optimizer
        Whose groups' ``"lr"`` to set.

    Attributes
    ----------
    last_epoch : int
        How many times :meth:`step` was called (0 right after construction).
    base_lrs : list of float
        Each group's ``"initial_lr"``.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, LRScheduler
    >>> class Halving(LRScheduler):
    ...     def get_lr(self):
    ...         return [lr / 2**self.last_epoch for lr in self.base_lrs]
    >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=0.8)
    >>> sched = Halving(opt)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.2]
    """

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self._set_epoch(0)

    def get_lr(self) -> list[float]:
        """The lr of each group at step ``self.last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set each group's lr.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, ExponentialLR
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ExponentialLR(opt, gamma=0.5)
        >>> sched.step()
        >>> opt.param_groups[0]["lr"]
        0.5
        """
        self._set_epoch(self.last_epoch + 1)

    def _set_epoch(self, epoch: int) -> None:
        self.last_epoch = epoch
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` steps: :math:`\eta_t = \eta_0
    \gamma^{\lfloor t / \text{step\_size} \rfloor}`.

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    step_size : int
        Steps between decays.
    gamma : float
        Decay factor (default 0.1).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, StepLR
    >>> sched = StepLR(SGD([cr.zeros(1, requires_grad=True)], lr=1.0), step_size=2)
    >>> for _ in range(4):
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.01]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """η₀ · γ^(t // step_size)."""
        k = self.last_epoch // self.step_size
        return [base * self.gamma**k for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every step: :math:`\eta_t = \eta_0 \gamma^t`.

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    gamma : float
        Decay factor per step.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, ExponentialLR
    >>> sched = ExponentialLR(SGD([cr.zeros(1, requires_grad=True)], lr=2.0), gamma=0.5)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """η₀ · γ^t."""
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the base lr down to ``eta_min`` over ``T_max`` steps.

    .. math::
        \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
        \left(1 + \cos\frac{\pi t}{T_{\max}}\right)

    Past ``T_max`` the cosine goes on, rising back towards η₀ over the next ``T_max`` steps,
    as PyTorch's ``CosineAnnealingLR`` does (no restarts).

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    T_max : int
        Steps from the base lr to ``eta_min``.
    eta_min : float
        The lowest lr (default 0).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, CosineAnnealingLR
    >>> sched = CosineAnnealingLR(SGD([cr.zeros(1, requires_grad=True)], lr=1.0), T_max=4)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step()
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if T_max <= 0:
            raise ValueError(f"T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """η_min + (η₀ - η_min)(1 + cos(π t / T_max)) / 2."""
        c = (1.0 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2.0
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class InverseScalingLR(LRScheduler):
    r"""scikit-learn's ``learning_rate="invscaling"``: :math:`\eta = \eta_0 / t^{p}`.

    ``t`` counts from 1: the lr is η₀ at construction, η₀ / 2^p after the first
    :meth:`step`, and so on, as in scikit-learn's ``learning_rate_init / pow(t, power_t)``.

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    power_t : float
        The exponent p (default 0.5, scikit-learn's ``MLPClassifier`` default).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, InverseScalingLR
    >>> sched = InverseScalingLR(SGD([cr.zeros(1, requires_grad=True)], lr=1.0))
    >>> for _ in range(3):
    ...     sched.step()
    >>> sched.get_last_lr()   # 1 / sqrt(4)
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, power_t: float = 0.5) -> None:
        if power_t < 0:
            raise ValueError(f"power_t must be >= 0, got {power_t}")
        self.power_t = power_t
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """η₀ / t^power_t with t = steps + 1."""
        t = self.last_epoch + 1
        return [base / t**self.power_t for base in self.base_lrs]


class LinearWarmup(LRScheduler):
    r"""Raise the lr linearly from ``start_factor``·η₀ to η₀ over ``warmup_steps`` steps,
    then hand over to another scheduler (or hold η₀).

    .. math::
        \eta_t = \eta_0 \left(f + (1 - f)\frac{t}{N}\right) \quad (t < N)

    From step N on, ``after`` (if given) runs as if it had just been created: its step 0 is
    warm-up step N. This is PyTorch's ``SequentialLR([LinearLR(...), after], [N])``.

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    warmup_steps : int
        N, the number of warm-up steps (0: no warm-up).
    start_factor : float
        f, the fraction of η₀ to start from, in [0, 1] (default 1/3, as PyTorch's
        ``LinearLR``).
    after : LRScheduler, optional
        An epoch-based scheduler of the same optimiser to follow the warm-up, created before
        this one. Not :class:`ReduceLROnPlateau`, which needs a metric: step that one
        yourself once the warm-up is over.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, ExponentialLR, LinearWarmup
    >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LinearWarmup(opt, 4, start_factor=0.0, after=ExponentialLR(opt, gamma=0.5))
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(6):
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.0, 0.25, 0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        start_factor: float = 1.0 / 3.0,
        after: LRScheduler | None = None,
    ) -> None:
        if int(warmup_steps) != warmup_steps or warmup_steps < 0:
            raise ValueError(f"warmup_steps must be an integer >= 0, got {warmup_steps}")
        if not 0.0 <= start_factor <= 1.0:
            raise ValueError(f"start_factor must be in [0, 1], got {start_factor}")
        if after is not None:
            if not isinstance(after, LRScheduler):
                raise TypeError(
                    f"after must be an epoch-based LRScheduler, got {type(after).__name__}"
                )
            if after.optimizer is not optimizer:
                raise ValueError("after must schedule the same optimizer as the warm-up")
        self.warmup_steps = int(warmup_steps)
        self.start_factor = start_factor
        self.after = after
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """η₀ (f + (1 - f) t / N) during the warm-up, then η₀ (or ``after``'s lr)."""
        t = self.last_epoch
        if t >= self.warmup_steps:
            if self.after is not None:
                return self.after.get_lr()
            return list(self.base_lrs)
        f = self.start_factor + (1.0 - self.start_factor) * t / self.warmup_steps
        return [base * f for base in self.base_lrs]

    def _set_epoch(self, epoch: int) -> None:
        if self.after is not None and epoch >= self.warmup_steps:
            self.last_epoch = epoch
            self.after._set_epoch(epoch - self.warmup_steps)
            self._last_lr = self.after.get_last_lr()
        else:
            super()._set_epoch(epoch)

    def state_dict(self) -> dict[str, Any]:
        """Like :meth:`LRScheduler.state_dict`, with ``after``'s state nested.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, StepLR, LinearWarmup
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sd = LinearWarmup(opt, 2, after=StepLR(opt, 5)).state_dict()
        >>> sd["warmup_steps"], sd["after"]["step_size"]
        (2, 5)
        """
        sd = super().state_dict()
        sd["after"] = None if self.after is None else self.after.state_dict()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore this scheduler's and ``after``'s state.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, LinearWarmup
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> a = LinearWarmup(opt, 4, start_factor=0.0)
        >>> a.step()
        >>> b = LinearWarmup(opt, 4, start_factor=0.0)
        >>> b.load_state_dict(a.state_dict())
        >>> b.step()
        >>> b.get_last_lr()
        [0.5]
        """
        state = dict(state_dict)
        after_state = state.pop("after", None)
        if (after_state is None) != (self.after is None):
            raise ValueError(
                "the saved LinearWarmup and this one differ in whether they wrap a scheduler"
            )
        super().load_state_dict(state)
        if self.after is not None:
            self.after.load_state_dict(after_state)  # type: ignore[arg-type]


class ReduceLROnPlateau(_SchedulerState):
    """Multiply the lr by ``factor`` once a metric has stopped improving for ``patience`` steps.

    Call ``step(metric)`` after each evaluation. The metric counts as an improvement on the
    best so far when it beats it by more than ``threshold`` (relative: ``best·(1 ∓
    threshold)``, or absolute: ``best ∓ threshold``). After more than ``patience`` steps in a
    row without improvement, every group's lr becomes ``max(lr·factor, min_lr)`` (changes
    smaller than ``eps`` are skipped), and the next ``cooldown`` steps do not count as bad.
    These are PyTorch's rules.

    Parameters
    ----------
    optimizer : Optimizer
        Whose lrs to set.
    mode : {"min", "max"}
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float
        Multiplier of the lr, in (0, 1) (default 0.1).
    patience : int
        Steps without improvement tolerated before reducing (default 10).
    threshold : float
        How much better a metric must be to count as an improvement (default 1e-4).
    threshold_mode : {"rel", "abs"}
        Whether ``threshold`` is relative to the best value or absolute.
    cooldown : int
        Steps after a reduction during which bad steps are not counted (default 0).
    min_lr : float or list of float
        A lower bound on the lr, for all groups or per group (default 0).
    eps : float
        Reductions smaller than this are skipped (default 1e-8).

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.optim import SGD, ReduceLROnPlateau
    >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> lrs = []
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]:
    ...     sched.step(loss)
    ...     lrs.append(opt.param_groups[0]["lr"])
    >>> lrs
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        _check_optimizer(optimizer)
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"min_lr has {len(min_lr)} values, the optimizer {n} groups")
            min_lrs = [float(v) for v in min_lr]
        else:
            min_lrs = [float(min_lr)] * n
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lrs = min_lrs
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, ReduceLROnPlateau
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ReduceLROnPlateau(opt, threshold=0.1)
        >>> s.is_better(0.95, 1.0), s.is_better(0.85, 1.0)
        (False, True)
        """
        if self.mode == "min":
            bound = (
                best * (1.0 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
            return current < bound
        bound = (
            best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        )
        return current > bound

    def step(self, metric: Any) -> None:
        """Record one value of the metric, and reduce the lr if it has plateaued.

        Parameters
        ----------
        metric : float or one-element Tensor
            The monitored quantity, e.g. the validation loss.

        Examples
        --------
        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, ReduceLROnPlateau
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ReduceLROnPlateau(opt, patience=0)
        >>> s.step(cr.tensor(1.0)); s.step(cr.tensor(1.0))
        >>> s.get_last_lr()
        [0.1]
        """
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(mode={self.mode!r}, factor={self.factor}, "
            f"patience={self.patience}, best={self.best}, lr={self._last_lr})"
        )


# PyTorch's other schedulers, importable from here as from torch.optim.lr_scheduler
from chainrule.optim.more_schedulers import LambdaLR, LinearLR, MultiStepLR, OneCycleLR  # noqa: E402

__all__ += ["LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR"]

from chainrule._missing import module_getattr  # noqa: E402

__getattr__ = module_getattr("torch.optim.lr_scheduler", __all__)  # others: NotImplementedError
