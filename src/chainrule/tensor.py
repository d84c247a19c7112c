"""``Tensor``: an array, the gradient that flows into it, and the op that made it.

>>> import chainrule as cr
>>> w = cr.tensor([[1.0, -2.0]], requires_grad=True)
>>> y = (w @ cr.tensor([3.0, 4.0])).sum()
>>> y
tensor(-5., grad_fn=<sum>)
>>> y.backward()
>>> w.grad
tensor([[3., 4.]])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy

from chainrule import dtypes
from chainrule.backend import ndarray, to_numpy, xp
from chainrule.tensor_methods import Size, TorchMethods
from chainrule.tensor_print import tensor_repr

__all__ = ["Tensor", "as_tensor", "tensor"]


class Tensor(TorchMethods):
    """A multi-dimensional array that records the ops applied to it, for backpropagation.

    Attributes
    ----------
    data : Tensor
        The same values as a Tensor that shares them and records nothing, as in PyTorch: an
        in-place method on it (``p.data.mul_(0.5)``) changes ``p``, and ``p.data = t`` replaces
        ``p``'s values. The raw array (NumPy, or CuPy on the GPU backend) is ``_data``, which
        the engine uses.
    grad : Tensor or None
        ∂L/∂self after ``L.backward()``, for leaves with ``requires_grad``; it accumulates until
        set back to None (``Module.zero_grad`` or ``optimizer.zero_grad`` do that).
    requires_grad : bool
        Whether ops on this tensor are recorded for backward.
    grad_fn : Node or None
        The op that produced this tensor (None for a leaf).
    """

    __slots__ = ("__weakref__", "_data", "_requires_grad", "grad", "grad_fn")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray * Tensor -> Tensor
    __hash__ = object.__hash__  # __eq__ is elementwise, so hash by identity as PyTorch does

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if type(data) is int or (dtype is None and isinstance(data, (list, tuple))):
            data, dtype, requires_grad = _legacy_constructor(data, dtype, requires_grad)
        self._data = _to_array(data, dtype, copy=False)
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> Tensor:
        return Tensor(self._data)  # a new leaf over the same array: no copy, no graph

    @data.setter
    def data(self, value: Any) -> None:
        self._data = _to_array(value, None)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> numpy.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> Size:
        """The number of elements, an int that PyTorch code can also call: ``x.size()`` is the
        shape, ``x.size(d)`` one dim's length."""
        return Size(self._data.size, self._data.shape)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op that records gradients."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        """The axes reversed, as in NumPy (the usual transpose for a matrix)."""
        return _ops.transpose(self)

    @property
    def requires_grad(self) -> bool:
        """Whether ``backward`` computes a gradient for this tensor. Set it as
        ``requires_grad_`` does: on only for floating point, off only on a leaf."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value:
            if self._data.dtype.kind != "f":  # dtypes.is_floating, inline: every op sets this
                raise TypeError(
                    f"only floating-point tensors can require gradients, not {self._data.dtype}"
                )
        elif getattr(self, "grad_fn", None) is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use .detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark this leaf as a parameter whose gradient ``backward`` should fill in."""
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ autograd
    def backward(
        self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Backpropagate from this tensor into the ``.grad`` of every leaf that requires it.

        Parameters
        ----------
        gradient : array-like, optional
            ∂L/∂self. May be left out only for a scalar, where it is 1.
        retain_graph : bool
            Keep the graph so backward can run through it again (default: free it).
        create_graph : bool
            Record the backward pass itself, for higher-order derivatives. Implies
            ``retain_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input had "
                "requires_grad=True, or it was computed under no_grad()"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs `gradient`, the "
                    "upstream ∂L/∂output of that same shape: pass y.backward(chainrule.ones_like(y))"
                    " or reduce first, e.g. y.sum().backward()"
                )
            g = xp.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else _to_array(gradient, None)
            if g.shape != self._data.shape:
                raise ValueError(
                    f"backward(): gradient has shape {g.shape} but the tensor has shape {self.shape}"
                )
            if g.dtype != self._data.dtype:
                g = g.astype(self._data.dtype)
        if create_graph:
            g = Tensor(g)
        _autograd.run_backward(
            self, g, retain_graph=retain_graph or create_graph, create_graph=create_graph
        )

    def detach(self) -> Tensor:
        """The same values, cut from the graph (no copy)."""
        return Tensor(self._data)

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (no copy on the NumPy backend)."""
        _autograd._notify_read("reading a tensor's values (.numpy())")
        return to_numpy(self._data)

    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        _autograd._notify_read("reading a tensor's value (.item(), float(), int())")
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.shape}"
            )
        return self._data.item()

    def tolist(self) -> Any:
        _autograd._notify_read("reading a tensor's values (.tolist())")
        return self._data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype; differentiable between floating dtypes."""
        return _ops.astype(self, dtypes.as_dtype(dtype))

    def float(self) -> Tensor:
        return self.astype(dtypes.float32)

    def double(self) -> Tensor:
        return self.astype(dtypes.float64)

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        a = to_numpy(self._data)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def __repr__(self) -> str:
        values = to_numpy(self._data)
        suffixes = []
        if values.size == 0 and values.shape != (0,):
            suffixes.append(f"size={values.shape}")
        dt = self._data.dtype
        # PyTorch's rule: the dtype is shown unless it is the default float, or int64 or bool
        # (which the values show, unless there are none)
        implied = values.size and (dt.kind == "b" or dt == numpy.int64)
        if dt != dtypes.get_default_dtype() and not implied:
            suffixes.append(f"dtype={dt}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return tensor_repr(values, suffixes)  # PyTorch's text, value for value

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        _autograd._notify_read("using a tensor as a truth value (if/while/bool())")
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __format__(self, spec: str) -> str:
        # PyTorch's rule: a 0-d tensor formats as its number (f"{loss:.4f}"), others as str()
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __int__(self) -> int:
        return int(self.item())

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("item assignment")
        self._data[_ops.unwrap_index(index)] = value._data if isinstance(value, Tensor) else value

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other: Any) -> Tensor:
        return _ops.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.greater_equal(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.not_equal(self, other)

    # logic on boolean tensors (no gradient)
    def __and__(self, other: Any) -> Tensor:
        return _ops.logical_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _ops.logical_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return _ops.logical_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _ops.logical_or(other, self)

    def __invert__(self) -> Tensor:
        return _ops.logical_not(self)

    # in place: only where no recorded graph can be corrupted
    def _check_inplace(self, what: str) -> None:
        _autograd._notify_inplace("an in-place tensor operation")
        if self.grad_fn is not None or (self.requires_grad and _autograd.is_grad_enabled()):
            raise RuntimeError(
                f"{what} on a tensor that requires grad would corrupt the recorded graph; "
                "do it under chainrule.no_grad() on a leaf, or use the out-of-place operator"
            )

    def _inplace(self, ufunc: Any, other: Any, what: str) -> Tensor:
        self._check_inplace(what)
        ufunc(self._data, other._data if isinstance(other, Tensor) else other, out=self._data)
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(xp.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(xp.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(xp.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(xp.true_divide, other, "/=")

    def zero_(self) -> Tensor:
        """Fill with zeros in place (not on tensors that record gradients)."""
        self._check_inplace("zero_()")
        self._data[...] = 0
        return self

    # ------------------------------------------------------------------ methods mirroring ops
    # PyTorch's signatures (dim=, keepdim=, with NumPy's axis=/keepdims= as aliases): see ops.dims
    def sum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.mean(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.prod(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.min(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.std(self, *args, **kwargs)

    def logsumexp(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.logsumexp(self, *args, **kwargs)

    def softmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.softmax(self, *args, **kwargs)

    def log_softmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.log_softmax(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.argmin(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Tensor:
        """A boolean tensor, as PyTorch's (``if x.any():`` works as with a bool)."""
        return _ops.any(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.all(self, *args, **kwargs)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def log1p(self) -> Tensor:
        return _ops.log1p(self)

    def expm1(self) -> Tensor:
        return _ops.expm1(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def sign(self) -> Tensor:
        return _ops.sign(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        return _ops.clip(self, min, max)

    def pow(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, _shape_arg(shape))

    def view(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, _shape_arg(shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _ops.flatten(self, start_dim, end_dim)

    def ravel(self) -> Tensor:
        """The values in one dim, as ``torch.ravel``."""
        return _ops.reshape(self, (-1,))

    def transpose(self, *dims: Any) -> Tensor:
        """``x.transpose(d0, d1)`` swaps two dims (PyTorch); one tuple, or none, permutes (NumPy)."""
        if len(dims) == 2 and all(isinstance(d, int) for d in dims):
            return _ops.swapaxes(self, *dims)
        return _ops.transpose(self, _shape_arg(dims) if dims else None)

    def permute(self, *dims: Any) -> Tensor:
        return _ops.transpose(self, _shape_arg(dims))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _ops.swapaxes(self, axis1, axis2)

    def unsqueeze(self, dim: int) -> Tensor:
        return _ops.expand_dims(self, dim)

    def expand_dims(self, axis: int) -> Tensor:
        return _ops.expand_dims(self, axis)

    def squeeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        return _ops.squeeze(self, dim, axis=axis)  # a dim that is not 1 stays, as in PyTorch

    def broadcast_to(self, shape: Any) -> Tensor:
        return _ops.broadcast_to(self, tuple(shape))


def _shape_arg(shape: tuple) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _legacy_constructor(data: Any, *rest: Any) -> tuple[Any, Any, bool]:
    """PyTorch's ``torch.Tensor(...)``: ints are sizes (``Tensor(5, 3)``, zero-filled here where
    PyTorch leaves the memory uninitialised) and a Python list gives the default float dtype
    (``Tensor([1, 2])`` is ``tensor([1., 2.])``). Arrays and Tensors keep their dtype.

    >>> Tensor(2, 3).shape, Tensor([1, 2]).dtype
    ((2, 3), dtype('float32'))
    """
    if type(data) is not int:
        return data, dtypes.get_default_dtype(), bool(rest[1])
    sizes = [data, *(r for r in rest if type(r) is int)]
    if any(r is not None and r is not False and type(r) is not int for r in rest):
        raise TypeError(f"Tensor(*sizes): sizes must be ints, got {(data, *rest)}")
    return xp.zeros(tuple(sizes), dtype=dtypes.get_default_dtype()), None, False


def _to_array(data: Any, dtype: Any, copy: bool = False) -> Any:
    """Convert user data to a backend array with chainrule's dtype rules and clear errors."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, ndarray) or isinstance(data, numpy.ndarray):
        arr = data
    elif isinstance(data, numpy.generic):  # a NumPy scalar keeps its dtype, as an array does
        arr = numpy.asarray(data)
    else:
        try:
            arr = numpy.asarray(data)
        except ValueError as exc:
            raise ValueError(
                f"tensor(): the data is ragged (rows of different lengths) or not numeric: {exc}"
            ) from None
        if dtype is None and arr.dtype.kind == "f":
            arr = arr.astype(dtypes.get_default_dtype())  # Python floats -> the default dtype
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor(): expected numbers or booleans, got an array of dtype {arr.dtype} "
            f"(first value {arr.reshape(-1)[0]!r})"
            if arr.size
            else f"tensor(): expected numbers or booleans, got dtype {arr.dtype}"
        )
    if dtype is not None:
        arr = arr.astype(dtypes.as_dtype(dtype), copy=False)
    if not isinstance(arr, ndarray):
        arr = xp.asarray(arr)
    if copy:
        arr = arr.copy()
    return arr


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats become the default dtype (float32); integers stay int64; a NumPy array keeps
    its dtype unless ``dtype`` is given.

    >>> import chainrule as cr
    >>> cr.tensor([[1, 2], [3, 4]]).dtype
    dtype('int64')
    >>> cr.tensor([0.5, 1.5], requires_grad=True)
    tensor([0.5000, 1.5000], requires_grad=True)
    """
    if device is not None:  # PyTorch's device=: the CPU only
        from chainrule.tensor_methods import check_device

        check_device(device)
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a chainrule Tensor (PyTorch's ``torch.is_tensor``).

    >>> import chainrule as cr
    >>> cr.is_tensor(cr.ones(1)), cr.is_tensor([1.0])
    (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input`` has a floating dtype (PyTorch's ``torch.is_floating_point``).

    >>> import chainrule as cr
    >>> cr.is_floating_point(cr.ones(1)), cr.is_floating_point(cr.arange(2))
    (True, False)
    """
    return input._data.dtype.kind == "f"


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor` but without a copy where the data is already an array of that dtype."""
    if device is not None:  # PyTorch's device=: the CPU only
        from chainrule.tensor_methods import check_device

        check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return data
    return Tensor(_to_array(data, dtype))


# The engine and the ops are built on Tensor, so they are imported after it: Tensor's methods look
# them up at call time (``_ops.add``, ``_autograd.run_backward``). The package imports this module
# before either of them.
from chainrule import autograd as _autograd  # noqa: E402
from chainrule import ops as _ops  # noqa: E402
