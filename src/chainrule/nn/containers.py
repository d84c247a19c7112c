"""Containers that register what they hold: ``ModuleList``, ``ModuleDict``, ``ParameterList``.

A plain Python list of layers would hide them from ``parameters()``, ``state_dict()`` and the
optimiser; these containers name each item by its position (or key), as PyTorch does.

>>> from chainrule import nn
>>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
>>> len(list(layers.parameters())), list(layers.state_dict())[:2]
(6, ['0.weight', '0.bias'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["ModuleDict", "ModuleList", "ParameterList"]


def _check_module(m: Any, where: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{where} holds Modules, got {type(m).__name__}")
    return m


class _IndexedList(Module):
    """What ModuleList and ParameterList share: items registered under "0", "1", ... in the
    registry dict named by ``_registry``; subclasses define ``append``."""

    _registry = "_modules"
    _no_forward = ""  # the NotImplementedError message of forward

    def __init__(self, items: Iterable[Any] | None = None) -> None:
        super().__init__()
        if items is not None:
            self.extend(items)

    def append(self, item: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def extend(self, items: Iterable[Any]) -> Any:
        for item in items:
            self.append(item)
        return self

    def __len__(self) -> int:
        return len(getattr(self, self._registry))

    def __iter__(self) -> Iterator[Any]:
        return iter(list(getattr(self, self._registry).values()))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(self._no_forward)


class ModuleList(_IndexedList):
    """A list of modules, each registered under its index.

    >>> from chainrule import nn
    >>> blocks = nn.ModuleList([nn.Linear(4, 4)])
    >>> blocks.append(nn.ReLU())
    ModuleList(
      (0): Linear(in_features=4, out_features=4, bias=True)
      (1): ReLU()
    )
    """

    _no_forward = "a ModuleList has no forward: iterate over it in yours"

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(modules)  # PyTorch's argument name

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), _check_module(module, "ModuleList"))
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, _check_module(module, "ModuleList"))
        self._reset(items)

    def _reset(self, items: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[i]) if isinstance(i, slice) else items[i]

    def __setitem__(self, i: int, module: Module) -> None:
        items = list(self._modules.values())
        items[i] = _check_module(module, "ModuleList")
        self._reset(items)

    def __delitem__(self, i: int | slice) -> None:
        items = list(self._modules.values())
        del items[i]
        self._reset(items)


class ModuleDict(Module):
    """A dict of modules, each registered under its key.

    >>> from chainrule import nn
    >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    >>> list(heads.keys()), heads["b"].out_features
    (['a', 'b'], 3)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, m in items:
            self[key] = m

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a ModuleDict has no forward: pick its modules in yours")


class ParameterList(_IndexedList):
    """A list of parameters, each registered under its index.

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> ps = nn.ParameterList([nn.Parameter(cr.zeros(2)) for _ in range(2)])
    >>> [name for name, _ in ps.named_parameters()]
    ['0', '1']
    """

    _registry = "_parameters"
    _no_forward = "a ParameterList has no forward"

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__(values)  # PyTorch's argument name

    def append(self, value: Any) -> ParameterList:
        p = value if isinstance(value, Parameter) else Parameter(value)
        self.register_parameter(str(len(self._parameters)), p)
        return self

    def __getitem__(self, i: int) -> Parameter:
        return list(self._parameters.values())[i]
