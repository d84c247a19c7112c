"""Function transforms in JAX's style: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``,
``hessian``.

They take a function and return a function, and they compose: ``hessian(f)`` is
``jacobian(grad(f))``. Inputs may be Tensors, arrays or numbers; results are Tensors.

>>> import chainrule as cr
>>> f = lambda x: (x ** 3).sum()
>>> cr.grad(f)(cr.tensor([1.0, 2.0]))
tensor([ 3., 12.])
>>> cr.hessian(f)(cr.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chainrule.autograd import _new, enable_grad, run_backward
from chainrule.backend import xp
from chainrule.tensor import Tensor, as_tensor

__all__ = ["grad", "hessian", "jacobian", "jvp", "value_and_grad", "vjp"]


class _Depth(threading.local):
    n = 0  # how many transforms are running: inside one, an input that requires grad is traced


_depth = _Depth()


@contextmanager
def _tracing() -> Iterator[None]:
    """Run a transform: count the nesting and record the graph even inside ``no_grad``."""
    _depth.n += 1
    try:
        with enable_grad():
            yield
    finally:
        _depth.n -= 1


def _argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    return tuple(argnums), False


def _prepare(args: tuple, argnums: tuple[int, ...]) -> tuple[list, list[Tensor], bool]:
    """Make the differentiated arguments leaves that require grad.

    Inside another transform (``hessian`` = ``jacobian(grad(f))``) an argument that already
    requires grad is the outer transform's variable: keep it and build the backward graph
    (``create_graph``) so the outer transform can differentiate through it.
    """
    # called inside _tracing(): a depth above 1 means an outer transform is running, and then
    # the backward graph is always built, since the outer one may differentiate through
    # variables that f captured rather than received
    outer = _depth.n > 1
    call = list(args)
    inputs = []
    for i in argnums:
        if i >= len(args):
            raise TypeError(f"argnums={i} but the function got only {len(args)} arguments")
        a = args[i]
        if outer and isinstance(a, Tensor) and a.requires_grad:
            t = a
        else:
            t = as_tensor(a)
            if t.dtype.kind != "f":
                raise TypeError(
                    f"argument {i} must be floating point to differentiate, got {t.dtype}"
                )
            t = _new(t._data, True, None)
        call[i] = t
        inputs.append(t)
    return call, inputs, outer


def _wrap(g: Any, like: Tensor, nested: bool) -> Tensor:
    if g is None:
        return Tensor(xp.zeros_like(like._data))
    return g if nested else _new(g, False, None)


def _gradients(out: Any, seed: Any, inputs: list[Tensor], nested: bool, retain: bool) -> list:
    if not isinstance(out, Tensor):
        raise TypeError(f"the function must return a Tensor, got {type(out).__name__}")
    if not out.requires_grad:  # the output does not depend on the inputs
        return [Tensor(xp.zeros_like(t._data)) for t in inputs]
    if nested and not isinstance(seed, Tensor):
        seed = Tensor(seed)
    grads = run_backward(
        out, seed, retain_graph=retain or nested, create_graph=nested, inputs=tuple(inputs)
    )
    return [_wrap(g, t, nested) for g, t in zip(grads, inputs)]


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning ``(f(*args), ∇f)`` for a scalar-valued ``f``.

    >>> import chainrule as cr
    >>> value, g = cr.value_and_grad(lambda w: (w * w).sum())(cr.tensor([3.0]))
    >>> value.item(), g.tolist()
    (9.0, [6.0])
    """
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> tuple[Tensor, Any]:
        with _tracing():
            call, inputs, nested = _prepare(args, nums)
            out = f(*call)
            if not isinstance(out, Tensor) or out._data.size != 1:
                shape = getattr(out, "shape", type(out).__name__)
                raise ValueError(
                    f"grad needs a function with a scalar output, this one returned shape {shape}; "
                    "use jacobian or vjp for vector outputs"
                )
            grads = _gradients(out, xp.ones_like(out._data), inputs, nested, retain=False)
        value = out if nested else out.detach()
        return value, grads[0] if single else tuple(grads)

    return wrapped


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    >>> import chainrule as cr
    >>> cr.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(cr.tensor([2.0]), cr.tensor([5.0]))
    (tensor([5.]), tensor([2.]))
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    return wrapped


def vjp(f: Callable, *primals: Any) -> tuple[Tensor, Callable]:
    """``(f(*primals), vjp_fn)`` where ``vjp_fn(v)`` returns vᵀ·∂f/∂xᵢ for each primal.

    This is the chain rule's step ∂g/∂x = ∂u/∂x · ∂g/∂u with ∂g/∂u = v, without the Jacobian.

    >>> import chainrule as cr
    >>> out, back = cr.vjp(lambda x: x * x, cr.tensor([1.0, 2.0]))
    >>> back(cr.tensor([1.0, 10.0]))
    (tensor([ 2., 40.]),)
    """
    with _tracing():
        call, inputs, nested = _prepare(primals, tuple(range(len(primals))))
        out = f(*call)
    if not isinstance(out, Tensor):
        raise TypeError(f"the function must return a Tensor, got {type(out).__name__}")

    def vjp_fn(v: Any) -> tuple[Tensor, ...]:
        seed = v._data if isinstance(v, Tensor) else as_tensor(v)._data
        if seed.shape != out.shape:
            raise ValueError(f"vjp: cotangent has shape {seed.shape}, the output has {out.shape}")
        return tuple(_gradients(out, seed.astype(out.dtype), inputs, nested, retain=True))

    return (out if nested else out.detach()), vjp_fn


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Tensor]:
    """``(f(*primals), J·t)``: a forward-mode product, by differentiating a VJP (linear in its
    cotangent u) with respect to u.

    >>> import chainrule as cr
    >>> cr.jvp(lambda x: x ** 2, (cr.tensor([3.0]),), (cr.tensor([1.0]),))
    (tensor([9.]), tensor([6.]))
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with _tracing():
        call, inputs, _ = _prepare(tuple(primals), tuple(range(len(primals))))
        out = f(*call)
        if not isinstance(out, Tensor):
            raise TypeError(f"the function must return a Tensor, got {type(out).__name__}")
        if not out.requires_grad:
            return out.detach(), Tensor(xp.zeros_like(out._data))
        u = _new(xp.zeros_like(out._data), True, None)
        grads = run_backward(out, u, retain_graph=True, create_graph=True, inputs=tuple(inputs))
        total = None
        for g, t, x in zip(grads, tangents, inputs):
            if g is None:
                continue
            t = as_tensor(t)
            if t.shape != x.shape:
                raise ValueError(f"jvp: tangent of shape {t.shape} for a primal of shape {x.shape}")
            term = (g * t).sum()
            total = term if total is None else total + term
        if total is None or not total.requires_grad:
            return out.detach(), Tensor(xp.zeros_like(out._data))
        (tangent_out,) = run_backward(total, xp.ones_like(total._data), inputs=(u,))
    return out.detach(), _wrap(tangent_out, u, False)


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, layout: str = "numerator") -> Callable:
    """The Jacobian of ``f``, by reverse mode: one VJP per output element.

    ``layout="numerator"`` (default, as JAX and PyTorch) gives shape ``out.shape + x.shape``: row
    i holds ∂uᵢ/∂x. ``layout="denominator"`` is the course notes' layout, ``x.shape + out.shape``,
    one row per xᵢ; in it the chain rule reads ∂g/∂x = ∂u/∂x · ∂g/∂u, left to right:

    >>> import chainrule as cr
    >>> u = lambda x: cr.tanh(x) * 2.0              # R² -> R²
    >>> g = lambda v: cr.stack([v.sum(), (v * v).sum()])   # R² -> R²
    >>> x = cr.tensor([0.5, -1.0], dtype=cr.float64)
    >>> du_dx = cr.jacobian(u, layout="denominator")(x)
    >>> dg_du = cr.jacobian(g, layout="denominator")(u(x))
    >>> dg_dx = cr.jacobian(lambda x: g(u(x)), layout="denominator")(x)
    >>> bool(cr.backend.xp.allclose(dg_dx.data, (du_dx @ dg_du).data))
    True
    """
    if layout not in ("numerator", "denominator"):
        raise ValueError(f"layout must be 'numerator' or 'denominator', got {layout!r}")
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        with _tracing():
            call, inputs, nested = _prepare(args, nums)
            out = f(*call)
            if not isinstance(out, Tensor):
                raise TypeError(f"the function must return a Tensor, got {type(out).__name__}")
            rows: list[list[Any]] = [[] for _ in inputs]
            m = out._data.size
            for i in range(m):
                seed = xp.zeros(m, dtype=out.dtype)
                seed[i] = 1
                grads = _gradients(out, seed.reshape(out.shape), inputs, nested, retain=True)
                for r, g in zip(rows, grads):
                    r.append(g)
        jacs = []
        for r, x in zip(rows, inputs):
            if nested:
                from chainrule.ops import reshape, stack

                J = reshape(stack(r), out.shape + x.shape)
            else:
                J = Tensor(xp.stack([g._data for g in r]).reshape(out.shape + x.shape))
            if layout == "denominator":
                k = out.ndim
                from chainrule.ops import transpose

                J = transpose(J, tuple(range(k, J.ndim)) + tuple(range(k)))
            jacs.append(J)
        return jacs[0] if single else tuple(jacs)

    return wrapped


def hessian(f: Callable, argnums: int = 0) -> Callable:
    """The matrix of second derivatives of a scalar ``f``: ``jacobian(grad(f))``.

    >>> import chainrule as cr
    >>> cr.hessian(lambda x: x[0] * x[1] ** 2)(cr.tensor([1.0, 3.0]))
    tensor([[0., 6.],
            [6., 2.]])
    """
    return jacobian(grad(f, argnums), argnums)
