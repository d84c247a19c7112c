"""``gradcheck``: compare backprop's gradients with central finite differences, in float64.

It draws one random cotangent v and checks vᵀJ from a single backward pass against
Σⱼ vⱼ (fⱼ(x + εeᵢ) - fⱼ(x - εeᵢ)) / 2ε for every input element i. A wrong rule shows up in that
projection unless the error happens to be orthogonal to a random v (probability zero).

>>> import chainrule as cr
>>> cr.gradcheck(lambda x, y: (cr.tanh(x) * y).sum(), cr.randn(3), cr.randn(3))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from chainrule import dtypes
from chainrule.autograd import _new, no_grad, run_backward
from chainrule.backend import default_rng, xp
from chainrule.tensor import Tensor, as_tensor

__all__ = ["GradcheckError", "central_differences", "gradcheck"]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the finite-difference one."""


def _as_float64(a: Any) -> Any:
    if isinstance(a, Tensor) or hasattr(a, "shape") or isinstance(a, (list, float)):
        t = as_tensor(a)
        if dtypes.is_floating(t.dtype):
            # C order, so that reshape(-1) below is a view that perturbs the input itself
            return _new(t._data.astype(dtypes.float64, order="C", copy=True), True, None)
        return t
    return a


def central_differences(f: Callable[[], float], x: Any, eps: float = 1e-6) -> numpy.ndarray:
    """∂f/∂xᵢ for every element of the array ``x``: (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place (one element at a
    time, restored afterwards), so ``x`` must be a C-contiguous array that ``f`` uses directly.
    Returns a float64 host array shaped like ``x``. This is the one finite-difference loop of
    chainrule: :func:`gradcheck` and :func:`chainrule.diagnostics.explain` use it.

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> central_differences(lambda: float((x**3).sum()), x).round(6).tolist()   # 3x²
    [3.0, 12.0]
    """
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    if not getattr(x, "flags", None) or not x.flags.c_contiguous:
        raise ValueError("central_differences needs a C-contiguous array to perturb in place")
    out = numpy.empty(flat.size)
    for j in range(flat.size):  # one pair of evaluations per element: inherent to the method
        old = float(flat[j])
        flat[j] = old + eps
        plus = f()
        flat[j] = old - eps
        minus = f()
        flat[j] = old
        out[j] = (plus - minus) / (2 * eps)
    return out.reshape(x.shape)


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The multi-index of element ``flat`` in C order (host arithmetic, for the error message)."""
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def gradcheck(
    f: Callable,
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check the gradients of ``f`` at ``inputs`` against central differences.

    Floating-point inputs are copied to float64 and differentiated; other arguments are passed
    through unchanged. Returns True, or raises :class:`GradcheckError` naming the input, the
    element index, the analytic value and the numeric value of the first disagreement.
    """
    args = [_as_float64(a) for a in inputs]
    diff = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not diff:
        raise ValueError("gradcheck needs at least one floating-point input")
    out = f(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    if out.dtype != dtypes.float64:
        raise TypeError(f"gradcheck: f returned {out.dtype} from float64 inputs; keep it float64")
    v = default_rng(seed).standard_normal(out.shape)
    v = xp.asarray(v, dtype=dtypes.float64)
    if out.requires_grad:
        analytic = run_backward(out, v, inputs=tuple(args[i] for i in diff))
    else:
        analytic = [None] * len(diff)

    def projected() -> float:
        with no_grad():
            return float((f(*args)._data * v).sum())

    for k, i in enumerate(diff):
        x = args[i]._data
        a = analytic[k]
        a_flat = (xp.zeros_like(x) if a is None else a).reshape(-1)
        numerics = central_differences(projected, x, eps).reshape(-1)
        for j in range(numerics.size):
            numeric = float(numerics[j])
            got = float(a_flat[j])
            if not abs(got - numeric) <= atol + rtol * abs(numeric):
                index = _unravel(j, x.shape)
                raise GradcheckError(
                    f"gradient mismatch for input {i} at index {index}: analytic {got:.10g}, "
                    f"numeric {numeric:.10g} (difference {abs(got - numeric):.3g}, "
                    f"tolerance {atol + rtol * abs(numeric):.3g})"
                )
    return True
