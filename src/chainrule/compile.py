"""``chainrule.compile``: record one training step, then replay it without the framework around it.

An eager step pays, for every op, for a Tensor, a graph Node and the engine's bookkeeping, and
for every ``backward()`` the walk over the graph. On a tiny network that Python overhead is most of
the step. ``compile(step_fn)`` runs the first call eagerly while recording what it does:

* every primitive op (its raw forward, its arguments, its output),
* every ``backward()``: the engine's own plan, the nodes in order, the VJP rule it called for
  each input and where each gradient went,
* every ``optimizer.zero_grad()`` and ``optimizer.step()``.

It learns all of that from the engine, which reports to an installed
:class:`chainrule.autograd.Recorder`; nothing is patched. From that record it generates one
straight-line Python function on raw arrays, and later calls with arguments of the same shapes
and dtypes run that function instead: the same raw forwards and VJP rules in the same order, and
the optimiser's own ``zero_grad`` and ``step``, so the weights come out the same as eagerly,
without a Tensor or a Node per op. Arguments of another shape or dtype (the last, smaller batch of
an epoch, a change to float64) are recorded again; past ``max_cache`` signatures the step runs
eagerly.

>>> import chainrule as cr
>>> from chainrule import nn, optim
>>> from chainrule.nn.losses import mse_loss
>>> model = nn.mlp([3, 8, 1], "tanh", seed=0)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> @cr.compile
... def step(x, y):
...     opt.zero_grad()
...     loss = mse_loss(model(x), y)
...     loss.backward()
...     opt.step()
...     return loss
>>> x, y = cr.randn(16, 3, generator=cr.Generator(0)), cr.zeros(16, 1)
>>> first = step(x, y).item()                 # recorded (and run eagerly)
>>> for _ in range(20):
...     last = step(x, y).item()              # replayed
>>> last < first, step.stats["compiles"], step.stats["replays"]
(True, 1, 20)

What a compiled step may do
---------------------------
The step is replayed as it was recorded, so what it does may depend only on the shapes and
dtypes of its Tensor and array arguments (and on the values of its other arguments, which are
part of the cache key): the usual training step, ``zero_grad`` / forward / loss / ``backward`` /
``step``, qualifies. Python code between the ops runs only while recording: checks, logging,
``if`` statements on shapes. Returned Tensors are detached results (values only). Refused with a
:class:`CompileError`, when recording:

* reading a tensor's value in Python (``.item()``, ``float()``, ``bool()``, ``.tolist()``,
  ``.numpy()``): return the tensor and read it after the call;
* in-place tensor operations (``t += 1``, ``t[i] = v``, ``t.zero_()``);
* tensors made inside the step other than by ops (random numbers such as Dropout's masks,
  ``cr.tensor(...)`` of new data): they would be frozen at their recorded values;
* ``backward(create_graph=True)``, gradients with respect to a tensor that was made inside the
  step, and ``optimizer.step(closure)``;
* changing a parameter that received a gradient other than through an optimiser's ``step``
  (writing into its array, ``np.asarray(p)[...] -= ...``): the replay would not repeat it. An
  in-place tensor method (``p.data.sub_(...)``, ``p -= ...``) is refused while recording.

Not detected: other raw array code that changes state (BatchNorm's running statistics, gradient
clipping between ``backward`` and ``step``, ``Module.zero_grad()``: use the optimiser's) runs only
while recording. Keep such steps eager. Gradient arrays (``p.grad``) are fresh each step, as
eagerly; parameters must keep their arrays (update them in place, as optimisers and
``load_state_dict`` do). On the CuPy backend pass device arrays or Tensors: a host NumPy array is
copied to the device inside each op, and the copy counts as made outside ops (a ``CompileError``
says so). Only the recording thread's ops are recorded; one step is recorded at a time.
"""

from __future__ import annotations

import builtins
import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from chainrule import autograd
from chainrule.autograd import RAW, _accumulate, _fit, _new
from chainrule.backend import ndarray, xp
from chainrule.tensor import Tensor

__all__ = ["CompileError", "CompiledStep", "compile"]

_SCALARS = (int, float, complex, bool, str, bytes, type(None))


class CompileError(RuntimeError):
    """The step does something that a recorded replay cannot reproduce."""


def compile(step_fn: Callable | None = None, *, max_cache: int = 8) -> Any:
    """Compile a training step: record its first call, replay it for arguments of the same kind.

    Parameters
    ----------
    step_fn : callable
        The step, e.g. ``zero_grad`` / forward / loss / ``backward`` / ``step``, returning the
        loss Tensor (or a tuple, list or dict of Tensors, or None).
    max_cache : int
        How many argument signatures (shapes, dtypes, non-tensor values) to keep recordings of;
        calls with further signatures run eagerly.

    Returns
    -------
    CompiledStep
        Call it as you would ``step_fn``. Usable as a decorator, with or without arguments.

    Examples
    --------
    >>> import chainrule as cr
    >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = cr.optim.SGD([w], lr=0.25)
    >>> def step(x):
    ...     opt.zero_grad()
    ...     loss = ((w * x) ** 2).sum()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> fast = cr.compile(step)
    >>> [round(fast(cr.ones(2)).item(), 4) for _ in range(3)]
    [5.0, 1.25, 0.3125]
    >>> fast.stats
    {'compiles': 1, 'replays': 2, 'eager': 0}
    """
    if step_fn is None:
        return functools.partial(compile, max_cache=max_cache)
    if not callable(step_fn):
        raise TypeError(f"compile() needs a callable step, got {type(step_fn).__name__}")
    if max_cache < 0:
        raise ValueError(f"compile: max_cache must be >= 0, got {max_cache}")
    return CompiledStep(step_fn, max_cache)


class CompiledStep:
    """A step function with recorded replays, one per argument signature (see :func:`compile`).

    Attributes
    ----------
    stats : dict
        ``compiles`` (recordings made), ``replays`` (calls served by a recording) and ``eager``
        (calls run eagerly because the cache was full or an argument was not hashable).
    """

    def __init__(self, fn: Callable, max_cache: int = 8) -> None:
        self.fn = fn
        self.max_cache = max_cache
        self._programs: dict[Any, _Program] = {}
        self.stats = {"compiles": 0, "replays": 0, "eager": 0}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = _signature(args, kwargs)
        try:  # hashing the key is the test of whether every argument is hashable
            program = self._programs.get(key)
        except TypeError:
            key = program = None
        if program is not None:
            self.stats["replays"] += 1
            return program.run(args, kwargs)
        if key is None or len(self._programs) >= self.max_cache:
            self.stats["eager"] += 1
            return self.fn(*args, **kwargs)
        program, result = _record(self.fn, args, kwargs)
        self._programs[key] = program
        self.stats["compiles"] += 1
        return result

    def reset(self) -> None:
        """Forget every recording (the next call records again); the stats are kept."""
        self._programs.clear()

    @property
    def sources(self) -> list[str]:
        """The generated Python source of each recording (for inspection)."""
        return [p.source for p in self._programs.values()]

    def __repr__(self) -> str:
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!r}: {self.stats}>"


def _arg_key(a: Any) -> Any:
    if isinstance(a, Tensor):
        d = a._data
        return (d.shape, d.dtype, a.requires_grad)
    if isinstance(a, ndarray):
        return (a.shape, a.dtype)
    if isinstance(a, _SCALARS):
        return (type(a), a)
    return ("id", id(a))  # a model, an optimiser...: the same object


def _signature(args: tuple, kwargs: dict) -> Any:
    """The cache key of a call, hashable when every argument is."""
    key = []
    for a in args:  # a loop, not a comprehension: this runs before every replay
        if type(a) is Tensor:
            d = a._data
            key.append((d.shape, d.dtype, a._requires_grad))
        else:
            key.append(_arg_key(a))
    if kwargs:
        key += sorted((k, _arg_key(v)) for k, v in kwargs.items())  # the names are unique
    key.append(autograd._mode.enabled)
    return tuple(key)


# ----------------------------------------------------------------------------- recording
class _Op:
    """One recorded primitive call."""

    __slots__ = ("args", "forward", "kwargs", "name", "out")

    def __init__(self, forward: Callable, name: str, args: list, kwargs: dict, out: int) -> None:
        self.forward = forward
        self.name = name
        self.args = args  # specs: ("s", slot) | ("x", external) | ("c", const)
        self.kwargs = kwargs
        self.out = out  # slot


class _Grad:
    """One gradient a node's VJP rule passes on, as recorded."""

    __slots__ = ("dtype", "fit", "index", "rule", "shape", "target")

    def __init__(self, index, rule, fit, shape, dtype, target) -> None:
        self.index = index
        self.rule = rule  # None with vjp_all
        self.fit = fit
        self.shape = shape
        self.dtype = dtype
        self.target = target  # ("node", slot, first) | ("leaf", spec)


class _Backward:
    __slots__ = ("nodes", "root", "seed")

    def __init__(self, root: int, seed: Any) -> None:
        self.root = root
        self.seed = seed  # ("ones",) | spec
        self.nodes: list[tuple[_Op, Any, list[_Grad]]] = []  # (op record, vjp_all, grads)


class _Recorder(autograd.Recorder):
    """Builds the record of one call of the step from what the engine reports."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        self.thread = threading.get_ident()  # ops of other threads are not the step's
        # ("op", _Op) | ("bwd", _Backward) | ("call", bound method, args), in program order
        self.items: list[tuple] = []
        self.slot_of: dict[int, int] = {}  # id(array) -> slot
        self.ptr_of: dict[int, int] = {}  # data pointer -> slot (for views)
        self.slot_arrays: list[Any] = []  # keeps every slot array alive while recording
        self.slot_source: list[Any] = []  # ("arg", where, is_tensor) | ("op", _Op)
        self.op_of_node: dict[int, _Op] = {}
        self.externals: list[dict] = []
        self.ext_index: dict[int, int] = {}  # id(tensor or array) -> external
        self.consts: list[Any] = []
        self.arg_tensors: dict[int, Any] = {}  # id(tensor) -> where, for leaves among the args
        self.current: _Backward | None = None  # the backward pass being recorded
        self.stepped: set[int] = set()  # ids of the parameters of every optimiser that stepped
        self.leaves: dict[int, tuple[Tensor, Any]] = {}  # id -> (leaf, its values at backward)
        for i, a in enumerate(args):
            self._bind_arg(a, ("pos", i))
        for k, v in kwargs.items():
            self._bind_arg(v, ("kw", k))

    # -- slots and specs
    def _new_slot(self, array: Any, source: Any) -> int:
        slot = len(self.slot_arrays)
        self.slot_arrays.append(array)
        self.slot_source.append(source)
        self.slot_of[id(array)] = slot
        try:
            self.ptr_of[array.__array_interface__["data"][0]] = slot
        except (AttributeError, KeyError, TypeError):  # pragma: no cover - other backends
            pass
        return slot

    def _bind_arg(self, a: Any, where: tuple) -> None:
        if isinstance(a, Tensor):
            self.arg_tensors[id(a)] = where
            if id(a._data) not in self.slot_of:
                self._new_slot(a._data, ("arg", where, True))
        elif isinstance(a, ndarray) and id(a) not in self.slot_of:
            self._new_slot(a, ("arg", where, False))

    def _const(self, value: Any) -> tuple:
        self.consts.append(value)
        return ("c", len(self.consts) - 1)

    def _external(self, obj: Any, array: Any, is_tensor: bool) -> tuple:
        key = id(obj)
        j = self.ext_index.get(key)
        if j is None:
            j = len(self.externals)
            self.ext_index[key] = j
            self.externals.append(
                {
                    "strong": obj,
                    "tensor": weakref.ref(obj) if is_tensor else None,
                    "array": weakref.ref(array),
                    "view": self._view_of(array),
                    "is_tensor": is_tensor,
                }
            )
        return ("x", j)

    def _view_of(self, array: Any) -> tuple | None:
        """(slot, shape) when ``array`` is a whole-array reshape of a slot array, else None."""
        try:
            ptr = array.__array_interface__["data"][0]
        except (AttributeError, KeyError, TypeError):  # pragma: no cover
            return None
        slot = self.ptr_of.get(ptr)
        if slot is None:
            return None
        base = self.slot_arrays[slot]
        if (
            base.size == array.size
            and base.dtype == array.dtype
            and base.flags.c_contiguous
            and array.flags.c_contiguous
        ):
            return (slot, array.shape)
        return None

    def spec(self, raw: Any, arg: Any) -> tuple:
        if isinstance(raw, ndarray):
            slot = self.slot_of.get(id(raw))
            if slot is not None:
                return ("s", slot)
            if isinstance(arg, Tensor):
                return self._external(arg, raw, True)
            return self._external(raw, raw, False)
        if isinstance(raw, _SCALARS) or isinstance(raw, (tuple, frozenset, slice, type)):
            if isinstance(raw, tuple) and any(isinstance(v, (ndarray, Tensor)) for v in raw):
                raise CompileError("compile: an op received a tuple of arrays; not supported")
            return self._const(raw)
        if isinstance(raw, (list, dict)):
            raise CompileError(
                f"compile: an op received a {type(raw).__name__} argument; not supported"
            )
        return self._const(raw)  # dtypes and other immutable objects

    # -- what the engine reports
    def on_op(self, op: Any, args: tuple, raw: list, kwargs: dict, result: Tensor) -> None:
        if threading.get_ident() != self.thread:
            return
        specs = [self.spec(r, a) for r, a in zip(raw, args)]
        kw = {k: self.spec(v, v) for k, v in kwargs.items()}
        record = _Op(op.forward, op.name, specs, kw, -1)
        record.out = self._new_slot(result._data, ("op", record))
        if result.grad_fn is not None:
            self.op_of_node[id(result.grad_fn)] = record
        self.items.append(("op", record))

    def on_backward(
        self, root: Tensor, grad: Any, retain_graph: bool, create_graph: bool, inputs: Any
    ) -> None:
        if threading.get_ident() != self.thread:
            return
        if create_graph or inputs is not None:
            raise CompileError(
                "compile: backward(create_graph=True) and gradients with respect to chosen "
                "inputs are not supported in a compiled step"
            )
        root_slot = self.slot_of.get(id(root._data))
        if root.grad_fn is None or root_slot is None:
            raise CompileError("compile: backward() from a tensor not computed inside the step")
        if id(grad) in self.slot_of:
            seed: Any = ("s", self.slot_of[id(grad)])
        elif (
            grad.shape == root._data.shape
            and grad.dtype == root._data.dtype
            and bool((grad == 1).all())
        ):
            seed = ("ones",)
        else:
            seed = self._external(grad, grad, False)
        self.current = _Backward(root_slot, seed)
        self.items.append(("bwd", self.current))

    def on_node(self, node: Any, vjp_all: Callable | None, grads: list[tuple]) -> None:
        if threading.get_ident() != self.thread:
            return
        op_record = self.op_of_node.get(id(node))
        if op_record is None:  # pragma: no cover - every node is made by a recorded op
            raise CompileError(f"compile: op {node.op.name!r} was not recorded")
        recorded: list[_Grad] = []
        for i, rule, fitted, a, parent, first in grads:
            if parent is not None:
                parent_record = self.op_of_node.get(id(parent))
                if parent_record is None:
                    raise CompileError(
                        "compile: the gradient flows into a graph built outside the step; "
                        "detach the step's inputs"
                    )
                target: tuple = ("node", parent_record.out, first)
            else:
                target = ("leaf", self._leaf(a, op_record.args[i]))
                if id(a) not in self.leaves:
                    self.leaves[id(a)] = (a, a._data.copy())
            recorded.append(_Grad(i, rule, fitted, a._data.shape, a._data.dtype, target))
        self.current.nodes.append((op_record, vjp_all, recorded))  # type: ignore[union-attr]

    def on_read(self, what: str) -> None:
        self._refuse(what)

    def on_inplace(self, what: str) -> None:
        self._refuse(what)

    def _refuse(self, what: str) -> None:
        if threading.get_ident() == self.thread:
            raise CompileError(
                f"compile: {what} inside a compiled step is not supported; "
                "return the tensor and read or change it after the call"
            )

    def on_optimizer(self, optimizer: Any, method: str, argument: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        if method == "step":
            if argument is not None:
                raise CompileError("compile: optimizer.step(closure) is not supported")
            self.stepped.update(id(p) for g in optimizer.param_groups for p in g["params"])
            self.items.append(("call", optimizer.step, ()))
        else:
            self.items.append(("call", optimizer.zero_grad, (bool(argument),)))

    def check_updates(self) -> None:
        """Refuse a step that changed a parameter the replay would not change again."""
        for leaf, before in self.leaves.values():
            if id(leaf) not in self.stepped and not xp.array_equal(
                leaf._data, before, equal_nan=True
            ):
                raise CompileError(
                    "compile: the step changed a parameter other than through an optimizer's "
                    "step() (e.g. writing into np.asarray(p)); a replay would not repeat that. Use an "
                    "optimizer, or keep this step eager"
                )

    def _leaf(self, a: Tensor, spec: tuple) -> tuple:
        if spec[0] == "x":
            return spec
        where = self.arg_tensors.get(id(a))
        if where is not None:
            return ("arg", where)
        raise CompileError(
            "compile: the step asks for the gradient of a tensor it made itself "
            "(requires_grad=True inside the step); make it outside the step or pass it in"
        )


def _record(fn: Callable, args: tuple, kwargs: dict) -> tuple[_Program, Any]:
    if autograd._trace_hook is not None:
        raise CompileError("compile: a compiled step is already being recorded")
    rec = _Recorder(args, kwargs)
    with autograd.recording(rec):
        result = fn(*args, **kwargs)
    rec.check_updates()
    out_spec = _result_spec(rec, result)
    # Decide what each external is, now that the step is over: whatever it made for itself
    # (and did not keep) is dead by now; a live one is state the replay reads each time.
    detached = _detach_graph(result)
    for ext in rec.externals:
        ext["strong"] = None
    plan = []
    for j, ext in enumerate(rec.externals):
        t = ext["tensor"]() if ext["tensor"] is not None else None
        arr = ext["array"]()
        if t is not None:
            plan.append(("tensor", t))
        elif arr is not None:
            plan.append(("array", arr))
        elif ext["view"] is not None:
            plan.append(("view", *ext["view"]))
        else:
            plan.append(("dead", j))
    for t, node in detached:
        t.grad_fn = node
    program = _Program(rec, plan, out_spec, args, kwargs)
    return program, result


def _detach_graph(result: Any) -> list[tuple[Tensor, Any]]:
    """Cut the returned tensors from their graphs for a moment, so only real state stays alive."""
    found = []

    def walk(v: Any) -> None:
        if isinstance(v, Tensor):
            if v.grad_fn is not None:
                found.append((v, v.grad_fn))
                v.grad_fn = None
        elif isinstance(v, (tuple, list)):
            for u in v:
                walk(u)
        elif isinstance(v, dict):
            for u in v.values():
                walk(u)

    walk(result)
    return found


def _result_spec(rec: _Recorder, value: Any) -> Any:
    if isinstance(value, Tensor):
        slot = rec.slot_of.get(id(value._data))
        if slot is not None:
            return ("tensor", slot)
        if value.grad_fn is None and value.requires_grad:
            return ("same", rec._const(value)[1])  # a parameter, returned as it is
        raise CompileError(
            "compile: the step returns a tensor that no op inside it computed; return op results"
        )
    if isinstance(value, (tuple, list)):
        return (type(value), [_result_spec(rec, v) for v in value])
    if isinstance(value, dict):
        return (dict, {k: _result_spec(rec, v) for k, v in value.items()})
    if isinstance(value, _SCALARS):
        return ("const", value)
    raise CompileError(
        f"compile: the step returns a {type(value).__name__}; return Tensors (or None)"
    )


# ----------------------------------------------------------------------------- code generation
_CODE: dict[str, Any] = {}  # generated source -> its code object (the names differ per program)
_CODE_MAX = 32


def _code(source: str) -> Any:
    """The compiled code of a generated source, cached: a step recorded again with the same
    model and step (a new ``fit`` of the same network) gives the same text, and Python's
    compiler costs milliseconds for a deep network's replay."""
    code = _CODE.get(source)
    if code is None:
        if len(_CODE) >= _CODE_MAX:
            _CODE.pop(next(iter(_CODE)), None)
        code = _CODE[source] = builtins.compile(source, "<chainrule.compile>", "exec")
    return code


class _Program:
    """The generated replay of one recorded call."""

    def __init__(self, rec: _Recorder, plan: list, out_spec: Any, args: tuple, kwargs: dict):
        # the engine's own pieces: RAW (the rules' namespace), _accumulate, _fit, _new
        self.ns: dict[str, Any] = {
            "RAW": RAW,
            "asarray": xp.asarray,
            "ACC": _accumulate,
            "NEW": _new,
            "FIT": _fit,
        }
        self.rec = rec
        self.plan = plan
        self.names = 0
        used = self._liveness(out_spec)
        body: list[str] = []
        bound_ext: set[int] = set()
        # the arguments
        for slot, src in enumerate(rec.slot_source):
            if src[0] != "arg" or slot not in used:
                continue
            _, (kind, key), is_tensor = src
            ref = f"args[{key}]" if kind == "pos" else f"kwargs[{key!r}]"
            body.append(f"s{slot} = {ref}._data" if is_tensor else f"s{slot} = {ref}")
        n_bwd = 0
        for item in rec.items:
            kind = item[0]
            if kind == "op":
                op = item[1]
                if op.out not in used:
                    continue
                self._bind_externals(op, body, bound_ext)
                call = self._call(self._name(op.forward), op.args, op.kwargs)
                body.append(f"s{op.out} = {call}")
                if rec.slot_arrays[op.out].ndim == 0:
                    body.append(f"s{op.out} = asarray(s{op.out})")
            elif kind == "bwd":
                self._backward(item[1], n_bwd, body)
                n_bwd += 1
            else:  # an optimiser's own zero_grad or step
                _, method, margs = item
                body.append(f"{self._name(method)}({', '.join(map(repr, margs))})")
        body.append(f"return {self._result(out_spec)}")
        self.source = "def _replay(args, kwargs):\n" + "\n".join("    " + b for b in body) + "\n"
        exec(_code(self.source), self.ns)  # our own generated code
        self.run = self.ns["_replay"]
        self.rec = None  # the recording itself is no longer needed
        self.plan = None

    # -- names and expressions
    def _name(self, obj: Any) -> str:
        self.names += 1
        name = f"K{self.names}"
        self.ns[name] = obj
        return name

    def _expr(self, spec: tuple) -> str:
        kind = spec[0]
        if kind == "s":
            return f"s{spec[1]}"
        if kind == "c":
            value = self.rec.consts[spec[1]]
            if isinstance(value, (bool, int, float, type(None))):
                return (
                    repr(value) if repr(value) not in ("inf", "-inf", "nan") else self._name(value)
                )
            return self._name(value)
        return f"x{spec[1]}"  # an external, bound once per replay

    def _call(self, fn: str, args: list, kwargs: dict) -> str:
        parts = [self._expr(s) for s in args]
        parts += [f"{k}={self._expr(s)}" for k, s in kwargs.items()]
        return f"{fn}({', '.join(parts)})"

    def _bind_externals(self, op: _Op, body: list[str], bound: set[int]) -> None:
        for spec in (*op.args, *op.kwargs.values()):
            if spec[0] != "x" or spec[1] in bound:
                continue
            j = spec[1]
            bound.add(j)
            plan = self.plan[j]
            if plan[0] == "tensor":
                body.append(f"x{j} = {self._name(plan[1])}._data")
            elif plan[0] == "array":
                body.append(f"x{j} = {self._name(plan[1])}")
            elif plan[0] == "view":
                body.append(f"x{j} = s{plan[1]}.reshape({plan[2]!r})")
            else:
                raise CompileError(
                    f"compile: op {op.name!r} reads a tensor or array that the step made "
                    "outside chainrule ops (random numbers, cr.tensor(...), a NumPy "
                    "conversion); its values would be frozen. Build it with ops, pass it in "
                    "as an argument, or keep this step eager"
                )

    def _liveness(self, out_spec: Any) -> set[int]:
        """Slots that are read: by a later op, a backward, a view or the result."""
        used: set[int] = set()

        def use_spec(spec: tuple) -> None:
            if spec[0] == "s":
                used.add(spec[1])
            elif spec[0] == "x" and self.plan[spec[1]][0] == "view":
                used.add(self.plan[spec[1]][1])

        def use_result(spec: Any) -> None:
            if spec[0] == "tensor":
                used.add(spec[1])
            elif spec[0] in (tuple, list):
                for s in spec[1]:
                    use_result(s)
            elif spec[0] is dict:
                for s in spec[1].values():
                    use_result(s)

        use_result(out_spec)
        for item in reversed(self.rec.items):
            if item[0] == "bwd":
                bwd = item[1]
                used.add(bwd.root)
                if bwd.seed[0] != "ones":
                    use_spec(bwd.seed)
                for op, _, _ in bwd.nodes:
                    used.add(op.out)
                    for s in (*op.args, *op.kwargs.values()):
                        use_spec(s)
            elif item[0] == "op" and item[1].out in used:
                for s in (*item[1].args, *item[1].kwargs.values()):
                    use_spec(s)
        return used

    # -- backward
    def _backward(self, bwd: _Backward, e: int, body: list[str]) -> None:
        """The engine's plan, replayed: each rule it called, each _fit, sum and accumulation."""
        root = bwd.root
        if bwd.seed[0] == "ones":
            ones = xp.ones_like(self.rec.slot_arrays[root])
            ones.flags.writeable = False  # shared by every replay: no rule may write into it
            body.append(f"g{e}_{root} = {self._name(ones)}")
        else:
            body.append(f"g{e}_{root} = {self._expr(bwd.seed)}")
        for op, vjp_all, grads in bwd.nodes:
            args = ", ".join(self._expr(s) for s in op.args)
            kw = "".join(f", {k}={self._expr(s)}" for k, s in op.kwargs.items())
            head = f"RAW, g{e}_{op.out}, s{op.out}" + (f", {args}" if args else "") + kw
            if vjp_all is not None:
                body.append(f"rs = {self._name(vjp_all)}({head})")
            for gr in grads:
                if vjp_all is not None:
                    body.append(f"r = rs[{gr.index}]")
                else:
                    body.append(f"r = {self._name(gr.rule)}({head})")
                if gr.fit:
                    body.append(f"r = FIT(RAW, r, {gr.shape!r}, {self._name(gr.dtype)}, False)")
                target = gr.target
                if target[0] == "node":
                    name = f"g{e}_{target[1]}"
                    body.append(f"{name} = r" if target[2] else f"{name} = {name} + r")
                else:
                    body.append(f"ACC({self._leaf(target[1])}, r, False)")

    def _leaf(self, spec: tuple) -> str:
        if spec[0] == "x":
            plan = self.plan[spec[1]]
            if plan[0] != "tensor":
                raise CompileError(
                    "compile: the step asks for the gradient of a tensor it made itself"
                )
            return self._name(plan[1])
        kind, key = spec[1]
        return f"args[{key}]" if kind == "pos" else f"kwargs[{key!r}]"

    # -- result
    def _result(self, spec: Any) -> str:
        kind = spec[0]
        if kind == "tensor":
            return f"NEW(s{spec[1]}, False, None)"
        if kind == "same":
            return self._name(self.rec.consts[spec[1]])
        if kind == "const":
            return self._name(spec[1])
        if kind is dict:
            return "{" + ", ".join(f"{k!r}: {self._result(s)}" for k, s in spec[1].items()) + "}"
        inner = ", ".join(self._result(s) for s in spec[1])
        if kind is tuple:
            return f"({inner},)" if len(spec[1]) == 1 else f"({inner})"
        return f"[{inner}]"
