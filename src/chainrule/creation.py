"""Making tensors: zeros, ones, full, arange, rand, randn and their ``*_like`` forms.

Randomness always comes from a :class:`Generator`, so every run can be repeated from its seed.

>>> import chainrule as cr
>>> g = cr.Generator(0)
>>> cr.randn(2, 3, generator=g).shape
(2, 3)
>>> cr.arange(3).tolist(), cr.full((2,), 7.0).tolist()
([0, 1, 2], [7.0, 7.0])
"""

from __future__ import annotations

import functools
from typing import Any

from chainrule import dtypes
from chainrule.backend import default_rng, xp
from chainrule.tensor import Tensor, _shape_arg
from chainrule.tensor_methods import check_device

__all__ = [
    "Generator",
    "arange",
    "default_generator",
    "empty",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "zeros",
    "zeros_like",
]


class Generator:
    """A seeded source of random numbers: NumPy's generator on the host, results on the backend.

    >>> a = Generator(42).normal((3,))
    >>> b = Generator(42).normal((3,))
    >>> bool((a == b).all())
    True
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        """Restart the stream from ``seed``."""
        self.seed = seed
        self.rng = default_rng(seed)
        return self

    def uniform(self, shape: tuple, low: float = 0.0, high: float = 1.0, dtype: Any = None) -> Any:
        """A raw array of uniform samples in [low, high)."""
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        gen_dt = dt if dt in (dtypes.float32, dtypes.float64) else dtypes.float64
        out = self.rng.random(shape, dtype=gen_dt)
        if low != 0.0 or high != 1.0:
            out = out * (high - low) + low
        return xp.asarray(out.astype(dt, copy=False))

    def normal(self, shape: tuple, mean: float = 0.0, std: float = 1.0, dtype: Any = None) -> Any:
        """A raw array of normal samples."""
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        gen_dt = dt if dt in (dtypes.float32, dtypes.float64) else dtypes.float64
        out = self.rng.standard_normal(shape, dtype=gen_dt)
        if mean != 0.0 or std != 1.0:
            out = out * std + mean
        return xp.asarray(out.astype(dt, copy=False))

    def integers(self, low: int, high: int, shape: tuple) -> Any:
        """A raw int64 array of integers in [low, high)."""
        return xp.asarray(self.rng.integers(low, high, shape))

    def permutation(self, n: int) -> Any:
        """A random permutation of ``range(n)``."""
        return xp.asarray(self.rng.permutation(n))

    def __repr__(self) -> str:
        return f"Generator(seed={self.seed})"


default_generator = Generator(None)


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator used when no ``generator`` is passed."""
    return default_generator.manual_seed(seed)


def _make(data: Any, requires_grad: bool) -> Tensor:
    t = Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype(dtype: Any) -> Any:
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``shape`` as ints or one tuple."""
    return _make(xp.zeros(_shape_arg(shape), dtype=_dtype(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; ``shape`` as ints or one tuple."""
    return _make(xp.ones(_shape_arg(shape), dtype=_dtype(dtype)), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``; without ``dtype``, PyTorch's inference:
    bool for a bool, int64 for an int, the default float dtype for a float.

    >>> full((2,), 7).dtype, full((2,), 7.5).dtype, full((2,), True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    return _make(xp.full(shape, fill_value, dtype=_dtype(dtype)), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for integer arguments, else the default dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, stop, step))
        dtype = dtypes.int64 if ints else dtypes.get_default_dtype()
    return Tensor(xp.arange(start, stop, step, dtype=dtypes.as_dtype(dtype)))


def rand(
    *shape: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [0, 1)."""
    gen = generator or default_generator
    return _make(gen.uniform(_shape_arg(shape), dtype=dtype), requires_grad)


def randn(
    *shape: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples."""
    gen = generator or default_generator
    return _make(gen.normal(_shape_arg(shape), dtype=dtype), requires_grad)


def _like_dtype(t: Any, dtype: Any) -> Any:
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    return t.dtype


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and dtype."""
    return _make(xp.zeros(t.shape, dtype=_like_dtype(t, dtype)), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and dtype."""
    return _make(xp.ones(t.shape, dtype=_like_dtype(t, dtype)), requires_grad)


def full_like(
    t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in ``t``'s shape and dtype."""
    return _make(xp.full(t.shape, fill_value, dtype=_like_dtype(t, dtype)), requires_grad)


def rand_like(t: Tensor, generator: Generator | None = None, dtype: Any = None) -> Tensor:
    """Uniform samples in ``t``'s shape and dtype."""
    return rand(t.shape, generator=generator, dtype=_like_dtype(t, dtype))


def randn_like(t: Tensor, generator: Generator | None = None, dtype: Any = None) -> Tensor:
    """Normal samples in ``t``'s shape and dtype."""
    return randn(t.shape, generator=generator, dtype=_like_dtype(t, dtype))


# ----------------------------------------------------------------------------- PyTorch's other factories
def randint(
    low: int, high: int | None = None, size: Any = None, *, generator: Generator | None = None,
    dtype: Any = None,
) -> Tensor:  # fmt: skip
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` starts at 0), int64.

    >>> import chainrule as cr
    >>> x = cr.randint(0, 3, (4,), generator=cr.Generator(0))
    >>> x.dtype, bool(((x >= 0) & (x < 3)).all())
    (dtype('int64'), True)
    """
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    shape = (size,) if isinstance(size, int) else tuple(size)
    out = (generator or default_generator).integers(low, high, shape)
    return Tensor(out if dtype is None else out.astype(dtypes.as_dtype(dtype)))


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (int64).

    >>> import chainrule as cr
    >>> sorted(cr.randperm(4, generator=cr.Generator(0)).tolist())
    [0, 1, 2, 3]
    """
    out = (generator or default_generator).permutation(n)
    return Tensor(out if dtype is None else out.astype(dtypes.as_dtype(dtype)))


def linspace(
    start: float, end: float, steps: int, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> import chainrule as cr
    >>> cr.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    return _make(xp.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (square by default).

    >>> import chainrule as cr
    >>> cr.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return _make(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` whose values are not set; here zeros, so that nothing depends on
    leftover memory.

    >>> import chainrule as cr
    >>> cr.empty(2, 3).shape
    (2, 3)
    """
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with the NumPy ``array`` (its dtype kept), as in PyTorch.

    >>> import numpy as np
    >>> import chainrule as cr
    >>> a = np.zeros(2)
    >>> t = cr.from_numpy(a); a[0] = 5.0
    >>> t.tolist(), t.dtype
    ([5.0, 0.0], dtype('float64'))
    """
    return Tensor(array)


def _on_cpu(fn: Any) -> Any:
    """Let a factory take PyTorch's ``device=`` (the CPU only; others raise NotImplementedError)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, device: Any = None, **kwargs: Any) -> Any:
        if device is not None:
            check_device(device)
        return fn(*args, **kwargs)

    return wrapper


(zeros, ones, full, arange, rand, randn, zeros_like, ones_like, full_like, rand_like, randn_like,
 randint, randperm, linspace, eye, empty) = map(_on_cpu, (
    zeros, ones, full, arange, rand, randn, zeros_like, ones_like, full_like, rand_like, randn_like,
    randint, randperm, linspace, eye, empty))  # fmt: skip
