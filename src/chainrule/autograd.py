"""Reverse-mode differentiation: primitives, their VJP rules, and the backward pass.

A *primitive* is one vectorised array call (``exp``, ``matmul``, ``sum``...). Each is declared with
:func:`primitive` on a forward that works on raw arrays, and gets one vector-Jacobian product (VJP)
rule per differentiable argument::

    @primitive
    def exp(x):
        return xp.exp(x)

    exp.defvjp(lambda F, g, out, x: g * out)  # d/dx e^x = e^x, so reuse the output

A rule maps the upstream gradient ``g`` = ∂L/∂out to ∂L/∂x = ∂out/∂x · ∂L/∂out, the chain rule of the
notes, without ever building the Jacobian ∂out/∂x. ``F`` is the array namespace the rule must use:
for an ordinary ``backward()`` it holds the raw forwards (fast, no graph); with
``create_graph=True`` it holds the recording Tensor ops, so the same rule builds the graph of the
backward pass and second derivatives come for free.

Broadcasting is undone in one place, :func:`_fit`: a rule may return a gradient of the broadcast
shape and the engine sums it back to the input's shape.

The readable rule is the reference. Where writing into fresh arrays in place pays, an op may also
register a *fast* rule beside it with ``op.deffast(...)``: same arguments, same result, used for an
ordinary first-order ``backward()`` only (``create_graph=True`` always runs the readable rule), and
held equal to the readable one by ``tests/test_fast_rules.py``.

While a :class:`Recorder` is installed (``chainrule.compile`` installs one to record a step), the
engine reports to it every op call, every backward pass's plan (node, rule, where each gradient
goes), every read of a tensor's value and every in-place change.

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy

from chainrule._out import write_out
from chainrule.backend import ndarray, xp
from chainrule.tensor import Tensor

__all__ = [
    "Node",
    "Recorder",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "primitive",
    "run_backward",
    "set_grad_enabled",
]


# ----------------------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True  # per thread, so a worker thread's no_grad never leaks into another


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops record the graph (outside any ``no_grad`` block)."""
    return _mode.enabled


class set_grad_enabled:
    """Turn graph recording on or off, as a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev: list[bool] = []

    def __enter__(self) -> None:
        self.prev.append(_mode.enabled)
        _mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _mode.enabled = self.prev.pop()

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Record no graph: for evaluation and for updating weights in place.

    Use it as ``with no_grad():``, or as a decorator, ``@no_grad()`` or ``@no_grad``.

    >>> import chainrule as cr
    >>> w = cr.ones(2, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @cr.no_grad
    ... def evaluate(w):
    ...     return w * 2
    >>> evaluate(w).requires_grad
    False
    """

    def __new__(cls, fn: Callable | None = None) -> Any:
        self = super().__new__(cls)
        if fn is None:
            return self
        self.__init__()
        return self(fn)  # bare @no_grad: decorate straight away

    def __init__(self, fn: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a ``no_grad`` block (also ``@enable_grad``)."""

    def __new__(cls, fn: Callable | None = None) -> Any:
        self = super().__new__(cls)
        if fn is None:
            return self
        self.__init__()
        return self(fn)

    def __init__(self, fn: Callable | None = None) -> None:
        super().__init__(True)


# ----------------------------------------------------------------------------- namespaces
class Namespace:
    """A bag of functions with NumPy-like signatures; rules call ``F.name(...)``."""

    def __repr__(self) -> str:
        return f"<namespace of {len(vars(self))} functions>"


RAW = Namespace()  # raw-array forwards: first-order backward, no graph
OPS = Namespace()  # recording Tensor ops: backward with create_graph=True


def register(name: str, raw: Callable, op: Callable) -> None:
    """Make ``F.name`` available to VJP rules in both namespaces; a name is registered once."""
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"register: {name!r} is not a public identifier for the F namespace")
    if name in vars(RAW):
        raise ValueError(
            f"register: F.{name} is already registered (by {getattr(RAW, name).__module__}); "
            "every op needs its own name"
        )
    setattr(RAW, name, raw)
    setattr(OPS, name, op)


# ----------------------------------------------------------------------------- graph
class Op:
    """A primitive's name, forward and VJP rules.

    ``vjps`` are the readable rules, ``fast`` the fast variants registered beside them (``None``
    where an argument has none), and ``first_order`` what an ordinary backward calls: the fast
    rule where there is one, else the readable one.
    """

    __slots__ = ("fast", "first_order", "forward", "name", "vjp_all", "vjps")

    def __init__(self, name: str, forward: Callable) -> None:
        self.name = name
        self.forward = forward
        self.vjps: tuple[Callable | None, ...] = ()
        self.fast: tuple[Callable | None, ...] = ()
        self.first_order: tuple[Callable | None, ...] = ()
        self.vjp_all: Callable | None = None

    def _merge(self) -> None:
        n = max(len(self.vjps), len(self.fast))
        fast = self.fast + (None,) * (n - len(self.fast))
        vjps = self.vjps + (None,) * (n - len(self.vjps))
        self.first_order = tuple(f if f is not None else r for f, r in zip(fast, vjps))


_node_counter = itertools.count()


class Node:
    """One recorded call of a primitive: what ``Tensor.grad_fn`` points to.

    It keeps the inputs (``args``, Tensors and constants as the op was called), the same arguments
    as the forward received them (``raw_args``: arrays in place of Tensors, which is what the VJP
    rules get in an ordinary backward), the keyword parameters and the output array. ``backward``
    drops them afterwards unless asked to retain the graph.
    """

    __slots__ = ("args", "kwargs", "op", "out", "raw_args", "retained", "seq")

    def __init__(self, op: Op, args: tuple, raw_args: list, kwargs: dict, out: Any) -> None:
        self.op = op
        self.args: tuple | None = args
        self.raw_args: list | None = raw_args
        self.kwargs = kwargs
        self.out = out
        self.retained: Tensor | None = None  # the output Tensor, after its retain_grad()
        # creation order: every node is made after the nodes of its inputs, so processing in
        # decreasing ``seq`` visits each node after all of its consumers (see run_backward)
        self.seq = -next(_node_counter)

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The tensors this op read (empty once the graph is freed)."""
        return tuple(a for a in self.args or () if isinstance(a, Tensor))

    def __repr__(self) -> str:
        return f"<{self.op.name}>"


# ----------------------------------------------------------------------------- recording
class Recorder:
    """What the engine reports to, while one is installed with :func:`recording`.

    ``chainrule.compile`` is the recorder in the library: it records a training step from these
    reports and replays it. Every method does nothing here; a subclass overrides what it needs,
    and may raise to refuse something it cannot record.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.autograd import Recorder, recording
    >>> class OpNames(Recorder):
    ...     def __init__(self):
    ...         self.names = []
    ...     def on_op(self, op, args, raw_args, kwargs, result):
    ...         self.names.append(op.name)
    >>> with recording(OpNames()) as rec:
    ...     y = cr.tanh(cr.ones(2) * 2.0)
    >>> rec.names
    ['mul', 'tanh']
    """

    def on_op(self, op: Op, args: tuple, raw_args: list, kwargs: dict, result: Tensor) -> None:
        """A primitive or non-differentiable op ran: ``op.forward(*raw_args, **kwargs)``."""

    def on_backward(
        self, root: Tensor, grad: Any, retain_graph: bool, create_graph: bool, inputs: Any
    ) -> None:
        """A backward pass starts from ``root`` with the seed ``grad``."""

    def on_node(self, node: Node, vjp_all: Callable | None, grads: list[tuple]) -> None:
        """The backward pass processed ``node``, in the engine's order.

        ``grads`` holds one ``(index, rule, fitted, input, parent, first)`` per gradient passed
        on: the argument's index, the rule called (None when ``vjp_all`` gave them all), whether
        :func:`_fit` summed or cast it, the input Tensor, the input's own node (None for a leaf,
        whose ``.grad`` receives it) and whether it was the first gradient to reach that node.
        """

    def on_read(self, what: str) -> None:
        """Python code reads a tensor's values (``.item()``, ``bool()``, ``.numpy()``...)."""

    def on_inplace(self, what: str) -> None:
        """A tensor is about to be changed in place."""

    def on_optimizer(self, optimizer: Any, method: str, argument: Any) -> None:
        """``optimizer.zero_grad(argument)`` or ``optimizer.step(argument)`` is called."""


# The installed recorder, or None: one global lookup per op when nothing records.
_trace_hook: Recorder | None = None


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Install ``recorder`` for the duration of a ``with`` block (one at a time).

    >>> from chainrule import autograd
    >>> with autograd.recording(autograd.Recorder()) as rec:
    ...     autograd._trace_hook is rec
    True
    >>> autograd._trace_hook is None
    True
    """
    global _trace_hook
    if _trace_hook is not None:
        raise RuntimeError("a recorder is already installed: recordings do not nest")
    _trace_hook = recorder
    try:
        yield recorder
    finally:
        _trace_hook = None


def _notify_read(what: str) -> None:
    """Tell the installed recorder, if any, that Python code reads a tensor's values."""
    if _trace_hook is not None:
        _trace_hook.on_read(what)


def _notify_inplace(what: str) -> None:
    """Tell the installed recorder, if any, that a tensor is changed in place."""
    if _trace_hook is not None:
        _trace_hook.on_inplace(what)


def _new(data: Any, requires_grad: bool, node: Node | None) -> Tensor:
    t = Tensor.__new__(Tensor)
    t._data = data
    t.grad = None
    t._requires_grad = requires_grad  # the slot: the checked setter is for users
    t.grad_fn = node
    return t


def _shapes(args: tuple) -> str:
    parts = []
    for a in args:
        shape = getattr(a, "shape", None)
        parts.append(str(tuple(shape)) if shape is not None else repr(a))
    return ", ".join(parts)


# Constants that need converting before a forward sees them: NumPy scalars (which would upcast
# float32 where a Python scalar does not) and, on a GPU backend, host arrays.
_HOST_CONSTANTS: tuple[type, ...] = (
    (numpy.generic,) if xp is numpy else (numpy.generic, numpy.ndarray)
)


def _constant(a: Any) -> Any:
    if isinstance(a, numpy.generic):
        return a.item()  # a NumPy scalar must not upcast, just as a Python one
    return xp.asarray(a)


def _op_name(forward: Callable, name: str | None) -> str:
    """The F-namespace name: given explicitly, or the forward's own name when that is public."""
    if name is not None:
        return name
    if forward.__name__.startswith("_"):
        raise TypeError(
            f"{forward.__name__}: a private forward needs its F-namespace name spelled out, "
            f"e.g. @primitive({forward.__name__.lstrip('_')!r})"
        )
    return forward.__name__


def _decorator(make: Callable, forward: Callable | str | None, name: str | None) -> Any:
    """Let ``make(forward, name)`` be used as ``@deco``, ``@deco("name")`` or ``deco(f, name=...)``."""
    if isinstance(forward, str):
        name, forward = forward, None
    if forward is None:
        return lambda f: make(f, _op_name(f, name))
    return make(forward, _op_name(forward, name))


def _without_out(apply: Callable, name: str, args: tuple, kwargs: dict) -> Tensor:
    """Called while a forward's TypeError is handled: PyTorch's ``out=`` (which no forward takes)
    is done by :func:`write_out`; any other TypeError is raised again."""
    if "out" not in kwargs:
        raise  # the TypeError being handled
    return write_out(apply, name, args, kwargs)


def _wrap(apply: Callable, op: Op, forward: Callable) -> Callable:
    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = forward.__doc__
    apply.__module__ = forward.__module__
    apply.op = op  # type: ignore[attr-defined]
    register(op.name, forward, apply)
    return apply


def primitive(forward: Callable | str | None = None, *, name: str | None = None) -> Any:
    """Turn a raw-array forward into a Tensor op that records itself for backward.

    Use it as ``@primitive`` on a forward whose name is the op's name (``def tanh``), or as
    ``@primitive("getitem")`` to give a private forward (``def _getitem``) its name. The name is
    the op's ``F.name`` in every rule, and is registered once: a second op of the same name is
    an error.

    The returned function takes Tensors (or arrays and scalars, treated as constants) and has
    ``.defvjp(*rules)``, one rule per positional argument (``None`` for a non-differentiable one),
    ``.deffast(*rules)``, optional fast variants of those rules for first-order backward passes,
    and ``.defvjp_all(rule)`` for ops with a variable number of inputs, whose rule returns one
    gradient per argument.

    Examples
    --------
    >>> import chainrule as cr
    >>> from chainrule.autograd import primitive
    >>> cr.tanh.op.name, cr.tanh.op.vjps[0] is cr.tanh.op.first_order[0]  # it has a fast rule
    ('tanh', False)
    >>> @primitive
    ... def tanh(x):
    ...     return x
    Traceback (most recent call last):
    ...
    ValueError: register: F.tanh is already registered (by chainrule.ops.activations); every op needs its own name
    """
    return _decorator(_make_primitive, forward, name)


def _make_primitive(forward: Callable, name: str) -> Callable:
    op = Op(name, forward)

    def apply(*args: Any, **kwargs: Any) -> Tensor:
        raw = []
        track = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                if a._requires_grad:
                    track = True
            elif isinstance(a, _HOST_CONSTANTS):
                raw.append(_constant(a))
            else:
                raw.append(a)
        try:
            out = forward(*raw, **kwargs)
        except ValueError as exc:
            raise ValueError(
                f"{name}: operands of shapes {_shapes(args)} do not fit: {exc}"
            ) from None
        except TypeError:
            return _without_out(apply, name, args, kwargs)
        if type(out) is not ndarray:
            out = xp.asarray(out)
        if track and _mode.enabled:
            result = _new(out, True, Node(op, args, raw, kwargs, out))
        else:
            result = _new(out, False, None)
        if _trace_hook is not None:  # a recorder (chainrule.compile) is listening
            _trace_hook.on_op(op, args, raw, kwargs, result)
        return result

    def defvjp(*rules: Callable | None) -> None:
        op.vjps = rules
        op._merge()

    def deffast(*rules: Callable | None) -> None:
        op.fast = rules
        op._merge()

    def defvjp_all(rule: Callable) -> None:
        op.vjp_all = rule

    apply.defvjp = defvjp  # type: ignore[attr-defined]
    apply.deffast = deffast  # type: ignore[attr-defined]
    apply.defvjp_all = defvjp_all  # type: ignore[attr-defined]
    return _wrap(apply, op, forward)


def nondifferentiable(forward: Callable | str | None = None, *, name: str | None = None) -> Any:
    """Wrap a raw forward whose result carries no gradient (argmax, sign, comparisons).

    Named as :func:`primitive` names its ops: ``@nondifferentiable`` or
    ``@nondifferentiable("class_targets")``.
    """
    return _decorator(_make_nondifferentiable, forward, name)


def _make_nondifferentiable(forward: Callable, name: str) -> Callable:
    op = Op(name, forward)

    def apply(*args: Any, **kwargs: Any) -> Tensor:
        raw = [
            a._data
            if isinstance(a, Tensor)
            else _constant(a)
            if isinstance(a, _HOST_CONSTANTS)
            else a
            for a in args
        ]
        try:
            out = forward(*raw, **kwargs)
        except TypeError:
            return _without_out(apply, name, args, kwargs)
        if type(out) is not ndarray:
            out = xp.asarray(out)
        result = _new(out, False, None)
        if _trace_hook is not None:
            _trace_hook.on_op(op, args, raw, kwargs, result)
        return result

    return _wrap(apply, op, forward)


# ----------------------------------------------------------------------------- backward
def _freed(node: Node) -> RuntimeError:
    return RuntimeError(
        f"trying to backward through the graph a second time (at op {node.op.name!r}): "
        "its saved values were freed after the first backward. Pass retain_graph=True "
        "to the first backward() if you need to call it twice."
    )


def _fit(F: Namespace, g: Any, shape: tuple, dtype: Any, create_graph: bool) -> Any:
    """Sum a broadcast gradient back to the input's shape and cast it to the input's dtype.

    This is the one place broadcasting is undone: no VJP rule does it itself.
    """
    if g.shape != shape:
        g = F.sum_to(g, shape)
    if g.dtype != dtype:
        g = F.astype(g, dtype)
    if not create_graph and type(g) is not ndarray:
        g = xp.asarray(g)
    return g


def _accumulate(leaf: Tensor, g: Any, create_graph: bool) -> None:
    """Add the gradient ``g`` into ``leaf.grad``, which accumulates across backward calls."""
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:  # a new gradient Tensor, built as _new does (one call less per leaf)
        t = Tensor.__new__(Tensor)
        t._data = g
        t.grad = t.grad_fn = None
        t._requires_grad = False
        leaf.grad = t
    else:
        # a new array, never +=: gradient arrays may be shared views of one another
        leaf.grad = _new(leaf.grad._data + g, False, None)


def _capture(slots: dict[int, int], captured: list[Any], t: Tensor, g: Any) -> None:
    """With ``inputs=``: add ``g`` to the returned gradient of ``t`` if ``t`` is one of them."""
    i = slots.get(id(t))
    if i is not None:
        captured[i] = g if captured[i] is None else captured[i] + g


def run_backward(
    root: Tensor,
    grad: Any,
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: tuple[Tensor, ...] | None = None,
) -> list[Any] | None:
    """Backpropagate ``grad`` = ∂L/∂root through the graph that produced ``root``.

    Without ``inputs``, gradients accumulate into ``.grad`` of every leaf that requires one. With
    ``inputs``, nothing is accumulated: the gradients with respect to those tensors are returned
    (arrays, or Tensors when ``create_graph``), ``None`` for an input the output does not use.
    """
    F = OPS if create_graph else RAW
    # with ``inputs``: where each requested tensor's gradient goes in the returned list
    slots = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    captured: list[Any] | None = None if inputs is None else [None] * len(inputs)
    rec = _trace_hook
    if rec is not None:
        rec.on_backward(root, grad, retain_graph, create_graph, inputs)

    start = root.grad_fn
    if start is None:  # a leaf: its gradient is the seed itself
        if slots is None:
            _accumulate(root, grad, create_graph)
        else:
            _capture(slots, captured, root, grad)  # type: ignore[arg-type]
        return captured

    # Nodes are processed in reverse creation order, which is a topological order: a node is
    # made after the nodes of its inputs, so all of its consumers come before it. A heap of the
    # nodes that have received a gradient so far yields them in that order, without a separate
    # sort of the graph (iterative, so a chain of 100,000 ops is fine). A node is pushed when its
    # first gradient arrives; nodes that no gradient reaches are never visited.
    pending: dict[Node, Any] = {start: grad}  # ∂L/∂(node's output), summed over its consumers
    heap: list[tuple[int, Node]] = [(start.seq, start)]
    pop, push = heapq.heappop, heapq.heappush
    previous = _mode.enabled
    _mode.enabled = create_graph  # the rules record a graph only for higher-order derivatives
    try:
        while heap:
            node = pop(heap)[1]
            g = pending.pop(node)
            if node.retained is not None and slots is None:  # Tensor.retain_grad()
                _accumulate(node.retained, g, create_graph)
            op = node.op
            args = node.args
            if args is None:
                raise _freed(node)
            kwargs = node.kwargs
            # what every rule of this node is called with: F, g, the output, then the forward's
            # arguments (Tensors when recording the backward pass, else the arrays it saw)
            if create_graph:
                rule_args = (F, g, _new(node.out, True, node), *args)
                rules = op.vjps  # the readable rules: they build the graph of the backward
            else:
                rule_args = (F, g, node.out, *node.raw_args)  # type: ignore[misc]
                rules = op.first_order  # fast variants where an op has them
            grads = op.vjp_all(*rule_args, **kwargs) if op.vjp_all is not None else None
            plan: list[tuple] | None = [] if rec is not None else None
            for i, a in enumerate(args):
                if not isinstance(a, Tensor) or not a._requires_grad:
                    continue
                if grads is not None:
                    ga = grads[i]
                    rule = None
                else:
                    rule = rules[i] if i < len(rules) else None
                    if rule is None:
                        raise RuntimeError(f"op {op.name!r} has no gradient for argument {i}")
                    ga = rule(*rule_args, **kwargs) if kwargs else rule(*rule_args)
                if ga is None:
                    continue
                # most gradients already fit their input: test that here, call _fit only if not
                data = a._data
                fitted = ga.shape != data.shape or ga.dtype != data.dtype or type(ga) is not ndarray
                if fitted:
                    ga = _fit(F, ga, data.shape, data.dtype, create_graph)
                if slots is not None:
                    _capture(slots, captured, a, ga)  # type: ignore[arg-type]
                parent = a.grad_fn
                if parent is not None:  # made by an op: pass the gradient on to that node
                    prev = pending.get(parent)
                    if prev is None:
                        pending[parent] = ga
                        push(heap, (parent.seq, parent))
                    else:
                        pending[parent] = prev + ga
                elif slots is None:  # a leaf
                    _accumulate(a, ga, create_graph)
                if plan is not None:  # (the last item: the first gradient to reach ``parent``)
                    plan.append((i, rule, fitted, a, parent, parent is not None and prev is None))
            if plan is not None:
                rec.on_node(node, op.vjp_all, plan)  # type: ignore[union-attr]
            if not retain_graph:
                node.args = None
                node.raw_args = None
                node.kwargs = {}
                node.out = None
    finally:
        _mode.enabled = previous
    return captured


# PyTorch's torch.autograd.grad and torch.autograd.functional (jacobian, hessian with the inputs
# as arguments) live in their own modules; naming the second as this module's ``functional``
# submodule lets ``from chainrule.autograd.functional import jacobian`` work.
import sys as _sys  # noqa: E402

from chainrule import autograd_functional as functional  # noqa: E402
from chainrule._missing import module_getattr as _module_getattr  # noqa: E402
from chainrule.autograd_api import Variable, grad  # noqa: E402

_sys.modules[__name__ + ".functional"] = functional
__all__ += ["Variable", "functional", "grad"]
__getattr__ = _module_getattr("torch.autograd", __all__)  # others: NotImplementedError
