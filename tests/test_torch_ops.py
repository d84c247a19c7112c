"""The PyTorch-named ops: gradchecks in float64, and forward and backward against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
IDX = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
UNIQUE = np.array([[0, 3], [1, 2], [2, 0]])  # scatter with repeats keeps an unspecified write

# name -> (chainrule function of the float64 inputs, torch function, inputs)
CASES = {
    "gather": (lambda t: cr.gather(t, 1, cr.tensor(IDX)), lambda T, t: T.gather(t, 1, T.tensor(IDX)), [X]),
    "scatter_src": (
        lambda t, s: cr.scatter(t, 1, cr.tensor(UNIQUE), s[:, :2]),
        lambda T, t, s: T.scatter(t, 1, T.tensor(UNIQUE), s[:, :2]),
        [X, RNG.normal(size=(3, 3))],
    ),
    "scatter_add": (
        lambda t, s: cr.scatter_add(t, 1, cr.tensor(IDX), s),
        lambda T, t, s: T.scatter_add(t, 1, T.tensor(IDX), s),
        [X, RNG.normal(size=(3, 3))],
    ),
    "index_select": (
        lambda t: cr.index_select(t, 1, cr.tensor([3, 0, 3])),
        lambda T, t: T.index_select(t, 1, T.tensor([3, 0, 3])),
        [X],
    ),
    "index_add": (
        lambda t, s: cr.index_add(t, 0, cr.tensor([1, 2, 1]), s, alpha=2.0),
        lambda T, t, s: T.index_add(t, 0, T.tensor([1, 2, 1]), s, alpha=2.0),
        [X, RNG.normal(size=(3, 4))],
    ),
    "masked_fill": (lambda t: cr.masked_fill(t, t > 0.3, -2.0), lambda T, t: t.masked_fill(t > 0.3, -2.0), [X]),
    "sort": (lambda t: cr.sort(t, dim=0).values, lambda T, t: T.sort(t, dim=0).values, [X]),
    "topk": (lambda t: cr.topk(t, 2, dim=1).values, lambda T, t: T.topk(t, 2, dim=1).values, [X]),
    "cumsum": (lambda t: cr.cumsum(t, dim=1), lambda T, t: T.cumsum(t, dim=1), [X]),
    "einsum_matmul": (
        lambda a, b: cr.einsum("ij,jk->ik", a, b),
        lambda T, a, b: T.einsum("ij,jk->ik", a, b),
        [X, RNG.normal(size=(4, 2))],
    ),
    "einsum_summed_away": (
        lambda a, b: cr.einsum("ij,k->ik", a, b),
        lambda T, a, b: T.einsum("ij,k->ik", a, b),
        [X, RNG.normal(size=(2,))],
    ),
    "einsum_implicit_batch": (
        lambda a, b: cr.einsum("bij,bjk", a, b),
        lambda T, a, b: T.einsum("bij,bjk", a, b),
        [RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 2))],
    ),
    "repeat": (lambda t: t.repeat(2, 1, 3), lambda T, t: t.repeat(2, 1, 3), [X]),
    "expand": (lambda t: t[:, :1].expand(-1, 5), lambda T, t: t[:, :1].expand(-1, 5), [X]),
    "norm2_dim": (lambda t: cr.norm(t, dim=1), lambda T, t: T.norm(t, dim=1), [X]),
    "norm1": (lambda t: cr.norm(t, p=1), lambda T, t: T.norm(t, p=1), [X]),
    "norm3": (lambda t: cr.norm(t, p=3, dim=0, keepdim=True), lambda T, t: T.norm(t, p=3, dim=0, keepdim=True), [X]),
    "remainder": (lambda a, b: a % b, lambda T, a, b: a % b, [X * 3, np.abs(X[0]) + 0.5]),
    "max_dim": (lambda t: cr.max(t, dim=1).values, lambda T, t: T.max(t, dim=1).values, [X]),
    "min_dim_keep": (lambda t: t.min(0, keepdim=True)[0], lambda T, t: t.min(0, keepdim=True)[0], [X]),
    "clamp": (lambda t: cr.clamp(t, -0.5, 0.5), lambda T, t: T.clamp(t, -0.5, 0.5), [X]),
    "normalize": (lambda t: F.normalize(t, dim=0), lambda T, t: T.nn.functional.normalize(t, dim=0), [X]),
    "pad": (lambda t: F.pad(t, (1, 2, 0, 1), value=0.5), lambda T, t: T.nn.functional.pad(t, (1, 2, 0, 1), value=0.5), [X]),
    "silu": (lambda t: F.silu(t), lambda T, t: T.nn.functional.silu(t), [X]),
    "embedding": (
        lambda w: F.embedding(cr.tensor([[0, 2], [2, 2]]), w),
        lambda T, w: T.nn.functional.embedding(T.tensor([[0, 2], [2, 2]]), w),
        [X],
    ),
    "std_var": (
        lambda t: cr.std(t, dim=1) * cr.var(t, dim=0).sum(),
        lambda T, t: T.std(t, dim=1) * T.var(t, dim=0).sum(),
        [X],
    ),
    "chunk_split": (
        lambda t: cr.cat([p.flatten() for p in (*cr.chunk(t, 2, dim=1), *cr.split(t, [1, 2]))]),
        lambda T, t: T.cat([p.flatten() for p in (*T.chunk(t, 2, dim=1), *T.split(t, [1, 2]))]),
        [X],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    f, _, inputs = CASES[name]
    assert cr.gradcheck(f, *[cr.tensor(a, requires_grad=True) for a in inputs])


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    f, g, inputs = CASES[name]
    ours = [cr.tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out_c, out_t = f(*ours), g(torch, *theirs)
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = RNG.normal(size=out_c.shape)
    out_c.backward(cr.tensor(seed))
    out_t.backward(torch.tensor(seed))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_norm_gradient_is_zero_at_zero():
    x = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    cr.norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def _grad_of(f, t):
    with cr.enable_grad():  # gradcheck perturbs its inputs under no_grad
        return cr.autograd.grad(f(t), t, create_graph=True)[0]


def test_second_derivatives_through_the_new_rules():
    x = cr.tensor(X, requires_grad=True)
    for f in (
        lambda t: (cr.gather(t, 1, cr.tensor(IDX)) ** 3).sum(),
        lambda t: (cr.cumsum(t, dim=0) ** 2).sum() * cr.norm(t),
        lambda t: (cr.einsum("ij,ij->i", t, t) ** 2).sum(),
        lambda t: (t.repeat(2, 1) ** 3).sum(),
    ):
        assert cr.gradcheck(lambda t, f=f: _grad_of(f, t), x)


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="index has 1 dims"):
        cr.gather(cr.tensor(X), 1, cr.tensor([0]))
    with pytest.raises(IndexError, match="out of range for dim 1 of size 4"):
        cr.gather(cr.tensor(X), 1, cr.tensor([[4]]))
    with pytest.raises(ValueError, match="add up to 2, but dim 0 has 3"):
        cr.split(cr.tensor(X), [1, 1])
    with pytest.raises(NotImplementedError, match="ellipsis"):
        cr.einsum("...i->...", cr.tensor(X))
    with pytest.raises(ValueError, match="k=5 is out of range"):
        cr.topk(cr.tensor(X), 5)
    with pytest.raises(TypeError, match="mask must be boolean"):
        cr.masked_fill(cr.tensor(X), cr.tensor(IDX), 0.0)
