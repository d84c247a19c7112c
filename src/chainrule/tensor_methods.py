"""The PyTorch ``Tensor`` methods beyond the core ones: sizes and dtypes (``size()``, ``numel``,
``.long()``, ``.to``), copies (``clone``, ``contiguous``), in-place updates (``add_``, ``fill_``,
``copy_``, ``uniform_`` ...), and the methods of the PyTorch-named ops.

In-place methods follow :meth:`Tensor._check_inplace`: allowed on tensors that record no graph,
which includes parameters inside ``no_grad()`` (how PyTorch code initialises and updates them).

>>> import chainrule as cr
>>> w = cr.zeros(2, 3, requires_grad=True)
>>> w.size(), w.size(1), w.numel(), w.dim()
((2, 3), 3, 6, 2)
>>> with cr.no_grad():
...     _ = w.fill_(0.5).mul_(2)
>>> w.sum().item()
6.0
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule import tensor as _tensor_module
from chainrule._missing import missing
from chainrule.backend import xp
from chainrule.device import device as _device

__all__ = ["Size", "TorchMethods"]


class Size(int):
    """``Tensor.size``: the element count as an int (NumPy's meaning, used by older chainrule
    code), and callable as PyTorch's ``size()`` (the shape) or ``size(dim)`` (one length)."""

    def __new__(cls, n: int, shape: tuple) -> Size:
        self = super().__new__(cls, n)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


def _ops() -> Any:
    return _tensor_module._ops


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, _tensor_module.Tensor) else x


_DEVICE_HINT = "chainrule runs on the CPU (or CuPy via CHAINRULE_BACKEND=cupy); use .to('cpu')"


def check_device(device: Any) -> None:
    """Accept the CPU as a device (``"cpu"``, ``chainrule.device("cpu")``); refuse the others."""
    name = str(device).split(":")[0]
    if name != "cpu":
        raise NotImplementedError(
            f"chainrule does not implement torch device {str(device)!r}: {_DEVICE_HINT}"
        )


def _split_to_args(args: tuple, kwargs: dict) -> Any:
    """The dtype in ``.to(...)``'s arguments (None to keep it), after checking any device."""
    dtype = kwargs.pop("dtype", None)
    if "device" in kwargs:
        check_device(kwargs.pop("device"))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _tensor_module.Tensor):
            dtype = a.dtype
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu"):
            check_device(a)
        elif type(a).__name__ == "device":
            check_device(a)
        else:
            dtype = a
    return dtype


class TorchMethods:
    """Mixed into :class:`~chainrule.Tensor`; holds no state of its own."""

    __slots__ = ()

    # ------------------------------------------------------------------ sizes and dtypes
    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> Any:
        return _CPU  # a torch.device-like object: .type, ==, str() all as PyTorch's

    @property
    def is_cuda(self) -> bool:
        return False

    def long(self) -> Any:
        return self.astype(dtypes.int64)

    def int(self) -> Any:
        return self.astype(dtypes.int32)

    def half(self) -> Any:
        return self.astype(dtypes.float16)

    def bool(self) -> Any:
        return self.astype(dtypes.bool_)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """``.to(dtype)``, ``.to("cpu")``, ``.to(other)``; another device raises NotImplementedError."""
        dtype = _split_to_args(args, dict(kwargs))
        if dtype is None or dtypes.as_dtype(dtype) == self._data.dtype:
            return self
        return self.astype(dtype)

    def type(self, dtype: Any = None) -> Any:
        """With no argument PyTorch's legacy type name (``'torch.FloatTensor'``, so code that
        compares it runs unchanged); else ``.to(dtype)``.

        >>> import chainrule as cr
        >>> cr.ones(1).type(), cr.tensor([1]).type(), cr.tensor([True]).type()
        ('torch.FloatTensor', 'torch.LongTensor', 'torch.BoolTensor')
        """
        if dtype is None:
            return f"torch.{_LEGACY_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
        return self.to(dtype)

    def type_as(self, other: Any) -> Any:
        return self.to(other.dtype)

    def cpu(self) -> Any:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"chainrule does not implement torch.Tensor.cuda(): {_DEVICE_HINT}"
        )

    # ------------------------------------------------------------------ copies and views
    def clone(self) -> Any:
        """A copy that stays in the graph (gradients flow back to the original)."""
        return self * 1 if self.requires_grad else _tensor_module.Tensor(self._data.copy())

    def contiguous(self) -> Any:
        return self

    def view_as(self, other: Any) -> Any:
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand(self, *sizes: Any) -> Any:
        return _ops().expand(self, *sizes)

    def expand_as(self, other: Any) -> Any:
        return _ops().expand(self, *other.shape)

    def repeat(self, *sizes: Any) -> Any:
        return _ops().repeat(self, *sizes)

    def unflatten(self, dim: int, sizes: Any) -> Any:
        return _ops().unflatten(self, dim, sizes)

    def t(self) -> Any:
        return _ops().t(self)

    def chunk(self, chunks: int, dim: int = 0) -> Any:
        return _ops().chunk(self, chunks, dim)

    def split(self, split_size: Any, dim: int = 0) -> Any:
        return _ops().split(self, split_size, dim)

    # ------------------------------------------------------------------ PyTorch-named ops
    def clamp(self, min: Any = None, max: Any = None) -> Any:
        return _ops().clamp(self, min, max)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
        return _ops().norm(self, p, dim, keepdim)

    def amax(self, *args: Any, **kwargs: Any) -> Any:
        return _ops().amax(self, *args, **kwargs)

    def amin(self, *args: Any, **kwargs: Any) -> Any:
        return _ops().amin(self, *args, **kwargs)

    def cumsum(self, dim: Any = None, **kwargs: Any) -> Any:
        return _ops().cumsum(self, dim, **kwargs)

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        return _ops().sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False) -> Any:
        return _ops().argsort(self, dim, descending)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return _ops().topk(self, k, dim, largest, sorted)

    def gather(self, dim: int, index: Any) -> Any:
        return _ops().gather(self, dim, index)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Any:
        return _ops().scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return _ops().scatter_add(self, dim, index, src)

    def index_select(self, dim: int, index: Any) -> Any:
        return _ops().index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
        return _ops().index_add(self, dim, index, source, alpha=alpha)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return _ops().nonzero(self, as_tuple=as_tuple)

    def masked_fill(self, mask: Any, value: Any) -> Any:
        return _ops().masked_fill(self, mask, value)

    def mm(self, other: Any) -> Any:
        return _ops().mm(self, other)

    def bmm(self, other: Any) -> Any:
        return _ops().bmm(self, other)

    def add(self, other: Any, *, alpha: float = 1) -> Any:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Any:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Any:
        return self * other

    def div(self, other: Any) -> Any:
        return self / other

    def floor(self) -> Any:
        return _ops().floor(self)

    def ceil(self) -> Any:
        return _ops().ceil(self)

    def round(self, decimals: int = 0) -> Any:
        return _ops().round(self, decimals=decimals)

    def reciprocal(self) -> Any:
        return 1.0 / self

    def rsqrt(self) -> Any:
        return 1.0 / self.sqrt()

    def new_zeros(self, *size: Any, dtype: Any = None) -> Any:
        from chainrule.creation import zeros

        return zeros(*size, dtype=dtype or self._data.dtype)

    def new_ones(self, *size: Any, dtype: Any = None) -> Any:
        from chainrule.creation import ones

        return ones(*size, dtype=dtype or self._data.dtype)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None) -> Any:
        from chainrule.creation import full

        return full(size, fill_value, dtype=dtype or self._data.dtype)

    def new_tensor(self, data: Any, dtype: Any = None) -> Any:
        return _tensor_module.tensor(data, dtype=dtype or self._data.dtype)

    def square(self) -> Any:
        return self**2  # PyTorch: a bool tensor squares to int64, as ** gives

    def neg(self) -> Any:
        return _ops().neg(self)

    def eq(self, other: Any) -> Any:
        return _ops().eq(self, other)

    def ne(self, other: Any) -> Any:
        return _ops().ne(self, other)

    def lt(self, other: Any) -> Any:
        return _ops().lt(self, other)

    def le(self, other: Any) -> Any:
        return _ops().le(self, other)

    def gt(self, other: Any) -> Any:
        return _ops().gt(self, other)

    def ge(self, other: Any) -> Any:
        return _ops().ge(self, other)

    def equal(self, other: Any) -> bool:
        return _ops().equal(self, other)

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        return _ops().allclose(self, other, rtol, atol)

    def isnan(self) -> Any:
        return _ops().isnan(self)

    def isinf(self) -> Any:
        return _ops().isinf(self)

    def __floordiv__(self, other: Any) -> Any:
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _ops().floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        return _ops().remainder(self, other)

    def __rmod__(self, other: Any) -> Any:
        return _ops().remainder(other, self)

    # ------------------------------------------------------------------ in place
    def _write(self, values: Any, what: str) -> Any:
        self._check_inplace(what)
        self._data[...] = _raw(values)
        return self

    def add_(self, other: Any, *, alpha: float = 1) -> Any:
        return self._write(self._data + alpha * _raw(other), "add_()")

    def sub_(self, other: Any, *, alpha: float = 1) -> Any:
        return self._write(self._data - alpha * _raw(other), "sub_()")

    def mul_(self, other: Any) -> Any:
        return self._write(self._data * _raw(other), "mul_()")

    def div_(self, other: Any) -> Any:
        return self._write(self._data / _raw(other), "div_()")

    def fill_(self, value: Any) -> Any:
        return self._write(_raw(value), "fill_()")

    def copy_(self, src: Any) -> Any:
        """Copy ``src``'s values in place (broadcast, cast to this tensor's dtype)."""
        src = xp.asarray(src._data if isinstance(src, _tensor_module.Tensor) else src)
        return self._write(xp.broadcast_to(src, self._data.shape), "copy_()")

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        return self._write(xp.clip(self._data, _raw(min), _raw(max)), "clamp_()")

    def exp_(self) -> Any:
        return self._write(xp.exp(self._data), "exp_()")

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        self._check_inplace("masked_fill_()")
        self._data[_raw(mask)] = _raw(value)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        from chainrule.creation import default_generator

        gen = generator or default_generator
        return self._write(
            gen.uniform(self._data.shape, a, b, dtype=self._data.dtype), "uniform_()"
        )

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        from chainrule.creation import default_generator

        gen = generator or default_generator
        draw = gen.normal(self._data.shape, dtype=self._data.dtype)
        return self._write(draw * std + mean, "normal_()")

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: a PyTorch method chainrule does not have
        if name.startswith("_"):
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        raise missing(f"torch.Tensor.{name}")

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` on backward, as PyTorch does."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    @property
    def retains_grad(self) -> bool:
        """Whether :meth:`retain_grad` was called on this non-leaf tensor."""
        return self.grad_fn is not None and self.grad_fn.retained is self


_LEGACY_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_CPU = _device("cpu")
