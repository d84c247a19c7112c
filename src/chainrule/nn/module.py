"""``Module``: the base class of layers and models, as in PyTorch.

A module owns Parameters and sub-modules, assigned as attributes; ``parameters()`` finds them in
the order they were assigned, so optimisers and checkpoints see a stable order.

>>> import chainrule as cr
>>> from chainrule import nn
>>> class TwoLayer(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.hidden = nn.Linear(2, 3, generator=cr.Generator(0))
...         self.out = nn.Linear(3, 1, generator=cr.Generator(1))
...     def forward(self, x):
...         return self.out(cr.tanh(self.hidden(x)))
>>> model = TwoLayer()
>>> [name for name, _ in model.named_parameters()]
['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
>>> model.num_parameters()
13
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from chainrule import dtypes
from chainrule.backend import xp
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

__all__ = ["Module", "RemovableHandle"]

_hook_ids = itertools.count()


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off."""

    def __init__(self, module: Module, kind: str) -> None:
        self.module, self.kind, self.id = module, kind, next(_hook_ids)

    def remove(self) -> None:
        hooks = dict(self.module.__dict__.get(self.kind, {}))
        hooks.pop(self.id, None)
        object.__setattr__(self.module, self.kind, hooks)


class Module:
    """Base class for every layer and model: subclass it and define ``forward``."""

    # class-level empty defaults: a module without hooks pays one truth test per call
    _forward_hooks: dict[int, Callable] = {}  # noqa: RUF012 - never mutated, replaced per instance
    _forward_pre_hooks: dict[int, Callable] = {}  # noqa: RUF012

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ attribute bookkeeping
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"call super().__init__() in {type(self).__name__}.__init__ first")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            # assigning to a buffer's name replaces the buffer, as in PyTorch
            self._buffers[name] = value._data if isinstance(value, Tensor) else value
            return
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        # also an ordinary attribute: ``self.weight`` in every forward then takes Python's fast
        # lookup instead of ``__getattr__`` (measured: about 1 µs per Linear call)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        if "_buffers" in d and name in d["_buffers"]:
            b = d["_buffers"][name]  # a Tensor sharing the buffer's memory, as PyTorch gives
            return b if b is None else Tensor(b)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        if name in self.__dict__:
            object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Any, persistent: bool = True) -> None:
        """Keep a non-trainable array (e.g. BatchNorm's running mean) in the state dict."""
        if not persistent:
            raise NotImplementedError(
                "chainrule does not implement torch register_buffer(persistent=False); assign "
                "the tensor as an ordinary attribute instead"
            )
        self.__dict__.pop(name, None)
        self._buffers[name] = value._data if isinstance(value, Tensor) else value

    def buffers(self) -> Iterator[Any]:
        """The buffers' arrays (running statistics and the like)."""
        for _, b in self.named_buffers():
            yield b

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter under ``name`` (None removes it)."""
        if param is None:
            self._parameters.pop(name, None)
            self.__dict__.pop(name, None)
        else:
            self._parameters[name] = param
            object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module) -> None:
        """Add a child module under ``name``."""
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ traversal
    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs in assignment order, each parameter once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, mod in modules:
            for name, p in mod._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters, in a deterministic order (see ``named_parameters``)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """``(name, buffer)`` pairs; each buffer a Tensor sharing its memory (None stays None)."""
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), b if b is None else Tensor(b)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            children = [(f"{name}.{n}" if name else n, m) for n, m in mod._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every module (children first), e.g. to re-initialise weights."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Training mode: Dropout drops, BatchNorm uses batch statistics."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout is the identity, BatchNorm uses running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``.grad = None`` on every parameter (or, with
        ``set_to_none=False``, new zero tensors)."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(xp.zeros_like(p.grad._data))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert every floating parameter and buffer to a dtype in place (float64 for checks).

        As PyTorch's ``to``, it also takes a device: the CPU is accepted (nothing to do); others
        raise ``NotImplementedError``.
        """
        from chainrule.tensor_methods import _split_to_args

        dtype = _split_to_args(args, dict(kwargs))
        if dtype is None:
            return self
        dt = dtypes.as_dtype(dtype)
        for p in self.parameters():
            p._data = p._data.astype(dt)
            p.grad = None
        for mod in self.modules():
            for name, b in list(mod._buffers.items()):
                if b is not None and dtypes.is_floating(b.dtype):
                    mod._buffers[name] = b.astype(dt)
        return self

    def cpu(self) -> Module:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Module:
        raise NotImplementedError(
            "chainrule does not implement torch.nn.Module.cuda(): it runs on the CPU (or CuPy "
            "via CHAINRULE_BACKEND=cupy)"
        )

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def float(self) -> Module:
        return self.to(dtypes.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and buffers as Tensors by dotted name, as in PyTorch: detached Tensors that
        share memory with the module, so they change as training goes on (``copy.deepcopy`` or
        ``{k: v.clone() ...}`` keeps a snapshot)."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        seen: set[int] = set()
        for mod_name, mod in self.named_modules():  # PyTorch's order: module by module
            prefix = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    state[prefix + name] = Tensor(p._data)  # no copy: PyTorch shares memory
            for name, b in mod._buffers.items():
                if b is not None:
                    b = xp.asarray(b)
                    # a buffer of a dtype no Tensor holds (complex) stays an array: save refuses it
                    state[prefix + name] = Tensor(b) if b.dtype.kind in "biuf" else b
        return state

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> tuple[list, list]:
        """Copy arrays into the parameters and buffers, in place.

        Raises ``ValueError`` naming missing keys, unexpected keys and shape mismatches (only
        shape mismatches when ``strict=False``). Returns ``(missing, unexpected)``.
        """
        own: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, mod in self.named_modules():
            for name in mod._parameters:
                own[f"{mod_name}.{name}" if mod_name else name] = (mod, name, True)
            for name, b in mod._buffers.items():
                if b is not None:  # state_dict() leaves out absent buffers, so expect none here
                    own[f"{mod_name}.{name}" if mod_name else name] = (mod, name, False)
        # a state dict from before BatchNorm counted its batches still loads, as in PyTorch
        missing = [k for k in own if k not in state_dict and not k.endswith("num_batches_tracked")]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        updates = []
        for key, value in state_dict.items():
            if key not in own:
                continue
            mod, name, is_param = own[key]
            arr = value._data if isinstance(value, Tensor) else xp.asarray(value)
            current = mod._parameters[name]._data if is_param else mod._buffers[name]
            if current is not None and tuple(arr.shape) != tuple(current.shape):
                problems.append(
                    f"shape mismatch for {key!r}: checkpoint {tuple(arr.shape)}, model {tuple(current.shape)}"
                )
            updates.append((mod, name, is_param, arr))
        if problems:
            raise ValueError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        for mod, name, is_param, arr in updates:
            if is_param:
                p = mod._parameters[name]
                p._data[...] = arr.astype(p._data.dtype, copy=False)
            else:
                current = mod._buffers[name]
                mod._buffers[name] = (
                    arr.astype(current.dtype) if current is not None else arr.copy()
                )
        return missing, unexpected

    # ------------------------------------------------------------------ calling and printing
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_hooks or self._forward_pre_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result
        replaces the output. Returns a handle whose ``remove()`` takes the hook off.

        >>> from chainrule import nn
        >>> import chainrule as cr
        >>> seen = []
        >>> layer = nn.Linear(2, 1)
        >>> handle = layer.register_forward_hook(lambda m, inp, out: seen.append(out.shape))
        >>> _ = layer(cr.ones((3, 2))); handle.remove(); _ = layer(cr.ones((3, 2)))
        >>> seen
        [(3, 1)]
        """
        return self._add_hook("_forward_hooks", hook)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before every forward; a non-None result replaces the
        inputs (a tuple, or one value)."""
        return self._add_hook("_forward_pre_hooks", hook)

    def _add_hook(self, kind: str, hook: Callable) -> RemovableHandle:
        hooks = dict(self.__dict__.get(kind, {}))
        handle = RemovableHandle(self, kind)
        hooks[handle.id] = hook
        object.__setattr__(self, kind, hooks)
        return handle

    def extra_repr(self) -> str:
        """The layer's own settings, shown in its repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self._modules.items())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, mod in children:
            body = repr(mod).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)
