"""Arithmetic primitives: + - * / negation, powers and matrix products.

Each rule receives ``F`` (the array namespace), ``g`` = ∂L/∂out, the output, then the forward's
arguments, and returns ∂L/∂(that argument) = ∂out/∂arg · g. Broadcasting is undone by the engine.

>>> import chainrule as cr
>>> a = cr.tensor([[1.0, 2.0]], requires_grad=True)
>>> (a * cr.tensor([[3.0], [4.0]])).sum().backward()   # broadcast (1,2)*(2,1) -> (2,2)
>>> a.grad
tensor([[7., 7.]])
"""

from __future__ import annotations

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.dtypes import promote_result  # PyTorch's int/float promotion


@primitive
def add(a, b):
    """Elementwise ``a + b`` with broadcasting."""
    return promote_result(xp.add(a, b), a, b)


add.defvjp(
    lambda F, g, out, a, b: g,  # ∂(a+b)/∂a = 1
    lambda F, g, out, a, b: g,
)


@primitive
def sub(a, b):
    """Elementwise ``a - b`` with broadcasting."""
    return promote_result(xp.subtract(a, b), a, b)


sub.defvjp(
    lambda F, g, out, a, b: g,
    lambda F, g, out, a, b: -g,
)


@primitive
def mul(a, b):
    """Elementwise ``a * b`` with broadcasting."""
    return promote_result(xp.multiply(a, b), a, b)


mul.defvjp(
    lambda F, g, out, a, b: g * b,  # ∂(ab)/∂a = b
    lambda F, g, out, a, b: g * a,
)


@primitive
def div(a, b):
    """Elementwise ``a / b`` with broadcasting."""
    return promote_result(xp.true_divide(a, b), a, b)


div.defvjp(
    lambda F, g, out, a, b: g / b,  # ∂(a/b)/∂a = 1/b
    lambda F, g, out, a, b: -g * out / b,  # ∂(a/b)/∂b = -a/b² = -out/b
)


@primitive
def neg(x):
    """Elementwise ``-x``."""
    return xp.negative(x)


neg.defvjp(lambda F, g, out, x: -g)


@primitive
def pow(a, b):
    """Elementwise ``a ** b``; the exponent may be a number or a tensor."""
    return promote_result(xp.power(a, b), a, b)


def _pow_vjp_exponent(F, g, out, a, b):
    # ∂(a^b)/∂b = a^b · ln a, defined for a > 0; elsewhere PyTorch's convention, 0
    positive = a > 0
    return F.where(positive, g * out * F.log(F.where(positive, a, 1.0)), 0.0)


def _pow_vjp_base(F, g, out, a, b):
    # ∂(a^b)/∂a = b·a^(b-1); a constant exponent 0 gives 0 everywhere, also at a = 0 where
    # a^(b-1) would be inf and 0·inf nan
    if isinstance(b, (int, float)) and b == 0:
        return g * 0
    return g * b * a ** (b - 1)


pow.defvjp(_pow_vjp_base, _pow_vjp_exponent)


@primitive
def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D vectors, 2-D matrices and batched stacks.

    >>> import chainrule as cr
    >>> cr.matmul(cr.ones((2, 3)), cr.ones(3)).tolist()
    [3.0, 3.0]
    """
    try:
        return xp.matmul(a, b)
    except ValueError:  # explain the mismatch only when there is one: the check costs time
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                "matmul needs operands with at least one dimension; use * for scalars"
            ) from None
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        raise ValueError(
            f"inner dimensions differ: {a.shape} @ {b.shape} (a has {ka} columns, b has {kb} rows)"
        ) from None


def _as_matrices(F, g, a, b):
    """View vectors as matrices, as matmul itself does: (k,) -> (1,k) on the left, (k,1) on the right."""
    # g's column axis first: for vector · vector g is 0-d, and -2 exists only once -1 does
    if b.ndim == 1:
        b = F.expand_dims(b, -1)
        g = F.expand_dims(g, -1)
    if a.ndim == 1:
        a = F.expand_dims(a, 0)
        g = F.expand_dims(g, -2)
    return g, a, b


def _matmul_vjp_a(F, g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:  # the common case, without the vector bookkeeping
        return g @ b.T  # operators and .T work on arrays and Tensors alike
    g2, _a2, b2 = _as_matrices(F, g, a, b)
    ga = F.matmul(g2, F.swapaxes(b2, -1, -2))  # ∂L/∂A = ∂L/∂C · Bᵀ
    return F.squeeze(ga, -2) if a.ndim == 1 else ga


def _matmul_vjp_b(F, g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    g2, a2, _b2 = _as_matrices(F, g, a, b)
    gb = F.matmul(F.swapaxes(a2, -1, -2), g2)  # ∂L/∂B = Aᵀ · ∂L/∂C
    return F.squeeze(gb, -1) if b.ndim == 1 else gb


matmul.defvjp(_matmul_vjp_a, _matmul_vjp_b)
