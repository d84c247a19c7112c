"""Forward values and gradients of chainrule against PyTorch, in float64.

Optional: the whole module is skipped when torch is not installed (torch is never a dependency of
chainrule). It checks

* every op on its own, with broadcasting operands where the op has two;
* random compositions of ops: a seeded generator draws a program of unary, binary (broadcasting),
  reduction, log-probability and shape ops, runs it in both libraries side by side, and compares
  every intermediate value and the gradients of every input;
* a 2-layer MLP's cross-entropy loss and parameter gradients;
* the other ways into the engine: ``inputs=`` (``cr.grad``) and ``create_graph=True``
  (Hessian-vector products against torch's double backward).

Conventions that differ and are mapped here: torch ``dim``/``keepdim`` ↔ chainrule
``axis``/``keepdims``; chainrule's ``var``/``std`` use NumPy's ``ddof`` (torch's ``correction``);
max ties split the gradient evenly in both (``torch.amax``), but the generator still breaks ties.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed: the optional comparison tests against PyTorch skip"
)

import chainrule as cr  # noqa: E402 - after the skip, so the reason shows without torch

RTOL = 1e-9
ATOL = 1e-11


# ----------------------------------------------------------------------------- two namespaces
# Each op is written once against a small namespace ``M`` that both libraries implement, so one
# lambda runs the same computation in chainrule and in torch.
def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    """chainrule's ``axis`` (None, int or tuple) as torch's explicit ``dim`` tuple."""
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


class CR:
    """chainrule spelled as the namespace the op table uses."""

    name = "chainrule"
    exp, tanh, sigmoid, relu, softplus = cr.exp, cr.tanh, cr.sigmoid, cr.relu, cr.softplus
    sin, cos, abs, sqrt, log = cr.sin, cr.cos, cr.abs, cr.sqrt, cr.log
    add, sub, mul, div = cr.add, cr.sub, cr.mul, cr.div
    maximum, minimum, matmul = cr.maximum, cr.minimum, cr.matmul

    @staticmethod
    def gelu(x, approximate="none"):
        return cr.gelu(x, approximate=approximate)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return cr.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return cr.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x, axis=None, keepdims=False):
        return cr.amax(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def min(x, axis=None, keepdims=False):
        return cr.amin(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def var(x, axis=None, ddof=0, keepdims=False):
        return cr.var(x, axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def std(x, axis=None, ddof=0, keepdims=False):
        return cr.std(x, axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def logsumexp(x, axis=None, keepdims=False):
        return cr.logsumexp(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def softmax(x, axis):
        return cr.softmax(x, axis=axis)

    @staticmethod
    def log_softmax(x, axis):
        return cr.log_softmax(x, axis=axis)

    @staticmethod
    def reshape(x, shape):
        return cr.reshape(x, shape)

    @staticmethod
    def transpose(x, axes):
        return cr.transpose(x, axes)

    @staticmethod
    def getitem(x, index):
        return x[index]


class TH:
    """torch spelled as the same namespace."""

    name = "torch"
    exp, tanh, sigmoid, relu = torch.exp, torch.tanh, torch.sigmoid, torch.relu
    sin, cos, abs, sqrt, log = torch.sin, torch.cos, torch.abs, torch.sqrt, torch.log
    add, sub, mul, div = torch.add, torch.sub, torch.mul, torch.div
    maximum, minimum, matmul = torch.maximum, torch.minimum, torch.matmul

    @staticmethod
    def softplus(x):
        return torch.nn.functional.softplus(x)

    @staticmethod
    def gelu(x, approximate="none"):
        return torch.nn.functional.gelu(x, approximate=approximate)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return torch.sum(x, dim=_dims(axis, x.ndim), keepdim=keepdims) if x.ndim else x.clone()

    @staticmethod
    def mean(x, axis=None, keepdims=False):
        return torch.mean(x, dim=_dims(axis, x.ndim), keepdim=keepdims) if x.ndim else x.clone()

    @staticmethod
    def max(x, axis=None, keepdims=False):
        # amax splits the gradient among ties, as chainrule does (torch.max(dim) would not)
        return torch.amax(x, dim=_dims(axis, x.ndim), keepdim=keepdims) if x.ndim else x.clone()

    @staticmethod
    def min(x, axis=None, keepdims=False):
        return torch.amin(x, dim=_dims(axis, x.ndim), keepdim=keepdims) if x.ndim else x.clone()

    @staticmethod
    def var(x, axis=None, ddof=0, keepdims=False):
        return torch.var(x, dim=_dims(axis, x.ndim), correction=ddof, keepdim=keepdims)

    @staticmethod
    def std(x, axis=None, ddof=0, keepdims=False):
        return torch.std(x, dim=_dims(axis, x.ndim), correction=ddof, keepdim=keepdims)

    @staticmethod
    def logsumexp(x, axis=None, keepdims=False):
        return torch.logsumexp(x, dim=_dims(axis, x.ndim), keepdim=keepdims)

    @staticmethod
    def softmax(x, axis):
        return torch.softmax(x, dim=axis)

    @staticmethod
    def log_softmax(x, axis):
        return torch.log_softmax(x, dim=axis)

    @staticmethod
    def reshape(x, shape):
        return torch.reshape(x, shape)

    @staticmethod
    def transpose(x, axes):
        return x.permute(*(axes if axes is not None else reversed(range(x.ndim))))

    @staticmethod
    def getitem(x, index):
        return x[index]


# ----------------------------------------------------------------------------- op table
# unary ops: the domain-restricted ones compose with a map into their domain first
UNARY: dict[str, Callable] = {
    "exp": lambda M, x: M.exp(M.tanh(x) * 2.0),  # bounded input
    "tanh": lambda M, x: M.tanh(x),
    "sigmoid": lambda M, x: M.sigmoid(x),
    "relu": lambda M, x: M.relu(x),
    "softplus": lambda M, x: M.softplus(x),
    "gelu": lambda M, x: M.gelu(x),
    "gelu_tanh": lambda M, x: M.gelu(x, approximate="tanh"),
    "sin": lambda M, x: M.sin(x),
    "cos": lambda M, x: M.cos(x),
    "abs": lambda M, x: M.abs(x),
    "sqrt": lambda M, x: M.sqrt(x * x + 0.5),  # positive input
    "log": lambda M, x: M.log(x * x + 0.5),  # positive input
    "neg": lambda M, x: -x,
    "square": lambda M, x: x**2.0,
}

# binary ops with broadcasting; ``c`` is a constant tie-breaker of a's shape for max/min
BINARY: dict[str, Callable] = {
    "add": lambda M, a, b, c: M.add(a, b),
    "sub": lambda M, a, b, c: M.sub(a, b),
    "mul": lambda M, a, b, c: M.mul(a, b),
    "div": lambda M, a, b, c: M.div(a, b * b + 0.5),  # divisor ≥ 0.5
    "maximum": lambda M, a, b, c: M.maximum(a + c, b),
    "minimum": lambda M, a, b, c: M.minimum(a + c, b),
    "operators": lambda M, a, b, c: (a + b) * a - b / (a * a + 1.0),
}

REDUCTIONS = ("sum", "mean", "max", "min", "logsumexp", "var", "std")


def _leaf_pair(a: np.ndarray) -> tuple[cr.Tensor, Any]:
    return cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(c: cr.Tensor, t: Any, what: str) -> None:
    __tracebackhide__ = True
    got = c.numpy()
    want = t.detach().numpy()
    assert got.shape == want.shape, f"{what}: shape {got.shape} != torch {want.shape}"
    assert got.dtype == np.float64, f"{what}: dtype {got.dtype}, expected float64"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def _check_grads(
    c_out: cr.Tensor, t_out: Any, c_inputs: list, t_inputs: list, seed: int, what: str
) -> None:
    """Backpropagate the same random cotangent in both libraries and compare input gradients."""
    __tracebackhide__ = True
    v = np.random.default_rng(seed).standard_normal(c_out.shape)
    c_out.backward(cr.tensor(v))
    t_out.backward(torch.tensor(v))
    for k, (ci, ti) in enumerate(zip(c_inputs, t_inputs)):
        if ti.grad is None:
            assert ci.grad is None or not ci.grad.numpy().any(), f"{what}: grad of input {k}"
            continue
        assert ci.grad is not None, f"{what}: chainrule gave no gradient for input {k}"
        _close(ci.grad, ti.grad, f"{what}: gradient of input {k}")


# ----------------------------------------------------------------------------- each op alone
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op(name: str) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = rng.standard_normal((3, 4)) * 2
    cx, tx = _leaf_pair(x)
    c, t = UNARY[name](CR, cx), UNARY[name](TH, tx)
    _close(c, t, name)
    _check_grads(c, t, [cx], [tx], 0, name)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((1, 4), (3, 1))],
    ids=str,
)
def test_binary_op_broadcasting(name: str, shapes: tuple) -> None:
    rng = np.random.default_rng(len(name) * 31 + len(str(shapes)))
    a, b = (rng.standard_normal(s) for s in shapes)
    c = rng.standard_normal(shapes[0]) * 1e-3
    (ca, ta), (cb, tb) = _leaf_pair(a), _leaf_pair(b)
    out_c = BINARY[name](CR, ca, cb, cr.tensor(c))
    out_t = BINARY[name](TH, ta, tb, torch.tensor(c))
    _close(out_c, out_t, name)
    _check_grads(out_c, out_t, [ca, cb], [ta, tb], 1, name)


@pytest.mark.parametrize(
    "shapes",
    [
        ((3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
    ],
    ids=str,
)
def test_matmul(shapes: tuple) -> None:
    rng = np.random.default_rng(len(str(shapes)))
    (ca, ta), (cb, tb) = (_leaf_pair(rng.standard_normal(s)) for s in shapes)
    out_c, out_t = ca @ cb, ta @ tb
    _close(out_c, out_t, "matmul")
    _check_grads(out_c, out_t, [ca, cb], [ta, tb], 2, f"matmul {shapes}")


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction(name: str, axis: Any, keepdims: bool) -> None:
    rng = np.random.default_rng(7)
    cx, tx = _leaf_pair(rng.standard_normal((2, 3, 4)))
    kwargs = {"axis": axis, "keepdims": keepdims}
    out_c, out_t = getattr(CR, name)(cx, **kwargs), getattr(TH, name)(tx, **kwargs)
    _close(out_c, out_t, f"{name} {kwargs}")
    _check_grads(out_c, out_t, [cx], [tx], 3, f"{name} {kwargs}")


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std_ddof(name: str, ddof: int) -> None:
    cx, tx = _leaf_pair(np.random.default_rng(8).standard_normal((5, 3)))
    out_c = getattr(CR, name)(cx, axis=0, ddof=ddof)
    out_t = getattr(TH, name)(tx, axis=0, ddof=ddof)  # torch: correction=ddof
    _close(out_c, out_t, f"{name} ddof={ddof}")
    _check_grads(out_c, out_t, [cx], [tx], 4, name)


def test_std_gradient_at_zero_spread() -> None:
    x = np.array([[1.5, 1.5, 1.5], [1.0, 2.0, 3.0]])
    cx, tx = _leaf_pair(x)
    out_c, out_t = CR.std(cx, axis=1), TH.std(tx, axis=1)
    _close(out_c, out_t, "std")
    _check_grads(out_c, out_t, [cx], [tx], 4, "std at zero spread")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family(name: str, axis: int) -> None:
    x = np.random.default_rng(9).standard_normal((3, 4, 5)) * 3
    x[0, 0, 0] = 40.0  # a large logit: the shifted forms must stay exact
    cx, tx = _leaf_pair(x)
    out_c, out_t = getattr(CR, name)(cx, axis), getattr(TH, name)(tx, axis)
    _close(out_c, out_t, f"{name} axis={axis}")
    _check_grads(out_c, out_t, [cx], [tx], 5, name)


@pytest.mark.parametrize(
    "index",
    [
        (slice(1, None), slice(None, None, 2)),
        (1,),
        (Ellipsis, 2),
        (slice(None), None, 1),
        ([0, 2, 2, 0],),  # repeated positions: the gradient scatter-adds
        (slice(0, 2), [3, 1, 3]),
        ("mask",),
    ],
    ids=str,
)
def test_getitem(index: tuple) -> None:
    x = np.random.default_rng(10).standard_normal((3, 4))
    if index == ("mask",):
        index = (x > 0,)
    cx, tx = _leaf_pair(x)
    t_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    out_c, out_t = cx[index], tx[t_index]
    _close(out_c, out_t, f"getitem {index}")
    _check_grads(out_c, out_t, [cx], [tx], 6, f"getitem {index}")


@pytest.mark.parametrize(
    ("shape", "axes"),
    [((2, 3, 4), None), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (2, 0, 1)), ((3, 4), (-1, 0))],
    ids=str,
)
def test_transpose_and_reshape(shape: tuple, axes: Any) -> None:
    cx, tx = _leaf_pair(np.random.default_rng(11).standard_normal(shape))
    out_c = CR.reshape(CR.transpose(cx, axes), (-1, shape[0]))
    out_t = TH.reshape(TH.transpose(tx, axes), (-1, shape[0]))
    _close(out_c, out_t, "transpose+reshape")
    _check_grads(out_c, out_t, [cx], [tx], 7, f"transpose {axes}")


# ----------------------------------------------------------------------------- graph shapes
DIAMONDS: dict[str, Callable] = {
    # a value read by an op and again by one of that op's consumers: the engine must hand the
    # value's node its whole gradient before running its rule (a topological order, not DFS order)
    "a + exp(a)": lambda M, x: (lambda a: a + M.exp(a))(x * 2.0),
    "exp(a) + a": lambda M, x: (lambda a: M.exp(a) + a)(x * 2.0),
    "a * tanh(a * a)": lambda M, x: (lambda a: a * M.tanh(a * a))(M.sin(x)),
    "chain reused": lambda M, x: (lambda a: (lambda b: b + a * b)(M.tanh(a)) + a)(x * 3.0),
    "deep reuse": lambda M, x: (lambda a: M.sum(a, 0) + M.sum(M.exp(a) * a, 0))(M.cos(x) + x),
}


@pytest.mark.parametrize("name", list(DIAMONDS))
def test_shared_subexpressions(name: str) -> None:
    cx, tx = _leaf_pair(np.random.default_rng(18).standard_normal((3, 2)))
    out_c, out_t = DIAMONDS[name](CR, cx), DIAMONDS[name](TH, tx)
    _close(out_c, out_t, name)
    _check_grads(out_c, out_t, [cx], [tx], 8, name)


def test_long_chain() -> None:
    """A 2,000-op chain (the backward pass is iterative) with a skip connection every 10 ops."""
    cx, tx = _leaf_pair(np.random.default_rng(19).standard_normal(4))
    results = []
    for M, x in ((CR, cx), (TH, tx)):
        h = x
        for i in range(1000):
            h = M.tanh(h) * 0.9 + (x * 0.01 if i % 10 == 0 else 0.0)
        results.append(M.sum(h * h))
    _close(results[0], results[1], "long chain")
    _check_grads(results[0], results[1], [cx], [tx], 9, "long chain")


# ----------------------------------------------------------------------------- random programs
class Program:
    """A random composition of ops, run in chainrule and torch side by side.

    The pool holds (chainrule value, torch value) pairs; each step draws an op, its operands from
    the pool (or a fresh input leaf of a fitting shape) and appends the result. ``steps`` records
    what was drawn, for the failure message.
    """

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.pool: list[tuple[cr.Tensor, Any]] = []
        self.inputs: list[tuple[cr.Tensor, Any]] = []
        self.steps: list[str] = []

    # --- operands
    def new_input(self, shape: tuple) -> int:
        c, t = _leaf_pair(self.rng.standard_normal(shape))
        self.inputs.append((c, t))
        self.pool.append((c, t))
        self.steps.append(f"v{len(self.pool) - 1} = input{shape}")
        return len(self.pool) - 1

    def pick(self, ndim_at_least: int = 0) -> int:
        fits = [i for i, (c, _) in enumerate(self.pool) if c.ndim >= ndim_at_least]
        if not fits:
            return self.new_input(self.random_shape(max(ndim_at_least, 1)))
        return int(self.rng.choice(fits))

    def random_shape(self, ndim_at_least: int = 1) -> tuple[int, ...]:
        ndim = int(self.rng.integers(ndim_at_least, 4))
        return tuple(int(n) for n in self.rng.integers(2, 5, size=ndim))

    def broadcast_partner(self, shape: tuple) -> int:
        """An operand that broadcasts against ``shape``: from the pool, or a new input."""
        fits = []
        for i, (c, _) in enumerate(self.pool):
            try:
                if np.broadcast_shapes(c.shape, shape) == shape:
                    fits.append(i)
            except ValueError:
                pass
        if fits and self.rng.random() < 0.5:
            return int(self.rng.choice(fits))
        # a new input: drop some leading axes and set some axes to 1
        keep = int(self.rng.integers(0, len(shape) + 1))
        partner = tuple(1 if self.rng.random() < 0.3 else n for n in shape[len(shape) - keep :])
        return self.new_input(partner)

    def add(self, c: cr.Tensor, t: Any, step: str) -> int:
        _close(c, t, f"forward of {step}\n{self.describe()}")
        self.pool.append((c, t))
        self.steps.append(f"v{len(self.pool) - 1} = {step}")
        return len(self.pool) - 1

    def describe(self) -> str:
        return "program so far:\n  " + "\n  ".join(self.steps)

    def random_axis(self, ndim: int, allow_tuple: bool = True) -> Any:
        choice = self.rng.random()
        if choice < 0.25 or ndim == 0:
            return None
        if choice < 0.7 or not allow_tuple or ndim < 2:
            return int(self.rng.integers(-ndim, ndim))
        k = int(self.rng.integers(1, ndim + 1))
        axes = self.rng.choice(ndim, size=k, replace=False)
        return tuple(int(a) - ndim if self.rng.random() < 0.5 else int(a) for a in axes)

    # --- one step of each kind
    def unary(self) -> None:
        name = str(self.rng.choice(sorted(UNARY)))
        i = self.pick()
        c, t = self.pool[i]
        self.add(UNARY[name](CR, c), UNARY[name](TH, t), f"{name}(v{i})")

    def binary(self) -> None:
        name = str(self.rng.choice(sorted(BINARY)))
        i = self.pick()
        ca, ta = self.pool[i]
        j = self.broadcast_partner(ca.shape)
        cb, tb = self.pool[j]
        tie = self.rng.standard_normal(ca.shape) * 1e-3
        self.add(
            BINARY[name](CR, ca, cb, cr.tensor(tie)),
            BINARY[name](TH, ta, tb, torch.tensor(tie)),
            f"{name}(v{i}, v{j})",
        )

    def matmul(self) -> None:
        i = self.pick(ndim_at_least=1)
        ca, ta = self.pool[i]
        k = ca.shape[-1]
        form = self.rng.integers(0, 3)
        shape = (k,) if form == 0 else (k, int(self.rng.integers(2, 5)))
        if form == 2:
            shape = (1, *shape)  # a batch axis that broadcasts
        j = self.new_input(shape)
        cb, tb = self.pool[j]
        self.add(CR.matmul(ca, cb), TH.matmul(ta, tb), f"matmul(v{i}, v{j})")

    def reduction(self) -> None:
        name = str(self.rng.choice(REDUCTIONS))
        i = self.pick(ndim_at_least=1)
        c, t = self.pool[i]
        axis = self.random_axis(c.ndim)
        kwargs: dict[str, Any] = {"axis": axis, "keepdims": bool(self.rng.random() < 0.3)}
        if name in ("max", "min"):  # break ties (e.g. relu zeros) with a tiny constant
            tie = self.rng.standard_normal(c.shape) * 1e-3
            c, t = c + cr.tensor(tie), t + torch.tensor(tie)
        if name in ("var", "std"):
            kwargs["ddof"] = int(self.rng.integers(0, 2))
            spread = np.std(c.numpy(), axis=axis) if c.size > 1 else np.zeros(1)
            if np.min(spread) < 1e-3:  # (near-)constant along the axis: std's kink at 0
                name, kwargs = "mean", {"axis": axis, "keepdims": kwargs["keepdims"]}
        self.add(
            getattr(CR, name)(c, **kwargs),
            getattr(TH, name)(t, **kwargs),
            f"{name}(v{i}, {kwargs})",
        )

    def logprob(self) -> None:
        name = str(self.rng.choice(["softmax", "log_softmax"]))
        i = self.pick(ndim_at_least=1)
        c, t = self.pool[i]
        axis = int(self.rng.integers(-c.ndim, c.ndim))
        self.add(
            getattr(CR, name)(c, axis), getattr(TH, name)(t, axis), f"{name}(v{i}, axis={axis})"
        )

    def shape_op(self) -> None:
        i = self.pick(ndim_at_least=1)
        c, t = self.pool[i]
        kind = self.rng.integers(0, 3)
        if kind == 0:  # reshape: flatten, reverse the shape, or split off a factor
            options = [(-1,), tuple(reversed(c.shape)), (c.shape[0], -1)]
            shape = options[int(self.rng.integers(0, len(options)))]
            self.add(CR.reshape(c, shape), TH.reshape(t, shape), f"reshape(v{i}, {shape})")
        elif kind == 1:
            axes = (
                None
                if self.rng.random() < 0.3
                else tuple(int(a) for a in self.rng.permutation(c.ndim))
            )
            self.add(CR.transpose(c, axes), TH.transpose(t, axes), f"transpose(v{i}, {axes})")
        else:
            index = self.random_index(c.shape)
            t_index = tuple(torch.tensor(p) if isinstance(p, np.ndarray) else p for p in index)
            self.add(CR.getitem(c, index), TH.getitem(t, t_index), f"v{i}[{index}]")

    def random_index(self, shape: tuple) -> tuple:
        """Positive-step slices, ints, and at most one integer array (with repeats)."""
        index: list[Any] = []
        used_array = False
        for n in shape:
            r = self.rng.random()
            if r < 0.2 and n > 1:
                index.append(int(self.rng.integers(-n, n)))
            elif r < 0.35 and not used_array:
                index.append(self.rng.integers(0, n, size=int(self.rng.integers(1, 5))))
                used_array = True
            elif r < 0.7:
                lo = int(self.rng.integers(0, n))
                index.append(slice(lo, None, int(self.rng.integers(1, 3))))
            else:
                index.append(slice(None))
        return tuple(index)

    def run(self, n_steps: int) -> None:
        self.new_input(self.random_shape())
        kinds = [self.unary, self.binary, self.matmul, self.reduction, self.logprob, self.shape_op]
        weights = np.array([4, 3, 1, 2, 1, 2], dtype=float)
        for _ in range(n_steps):
            kind = kinds[int(self.rng.choice(len(kinds), p=weights / weights.sum()))]
            kind()

    def loss(self) -> tuple[cr.Tensor, Any]:
        """Σ over every value of ⟨value, random weights⟩, so gradients flow into all of them."""
        c_total, t_total = None, None
        for c, t in self.pool:
            w = self.rng.standard_normal(c.shape)
            c_term, t_term = (c * cr.tensor(w)).sum(), (t * torch.tensor(w)).sum()
            c_total = c_term if c_total is None else c_total + c_term
            t_total = t_term if t_total is None else t_total + t_term
        return c_total, t_total


@pytest.mark.parametrize("seed", range(150))
def test_random_program(seed: int) -> None:
    prog = Program(seed)
    prog.run(n_steps=int(np.random.default_rng(seed).integers(4, 13)))
    c_loss, t_loss = prog.loss()
    _close(c_loss, t_loss, f"loss\n{prog.describe()}")
    c_loss.backward()
    t_loss.backward()
    for k, (c, t) in enumerate(prog.inputs):
        want = t.grad if t.grad is not None else torch.zeros_like(t)
        assert c.grad is not None, f"no gradient for input {k}\n{prog.describe()}"
        _close(c.grad, want, f"gradient of input {k}\n{prog.describe()}")


# ----------------------------------------------------------------------------- an MLP
@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_mlp_cross_entropy(activation: str) -> None:
    rng = np.random.default_rng(12)
    n, d, h, k = 16, 5, 8, 3
    x = rng.standard_normal((n, d))
    y = rng.integers(0, k, size=n)
    params = {
        "w1": rng.standard_normal((h, d)) / math.sqrt(d),
        "b1": rng.standard_normal(h) * 0.1,
        "w2": rng.standard_normal((k, h)) / math.sqrt(h),
        "b2": rng.standard_normal(k) * 0.1,
    }
    cp = {name: cr.tensor(p, requires_grad=True) for name, p in params.items()}
    tp = {name: torch.tensor(p, requires_grad=True) for name, p in params.items()}

    act = UNARY[activation]
    hidden = act(CR, cr.tensor(x) @ cp["w1"].T + cp["b1"])
    logits = hidden @ cp["w2"].T + cp["b2"]
    c_loss = -cr.log_softmax(logits, axis=1)[cr.arange(n), cr.tensor(y)].mean()

    t_hidden = act(TH, torch.tensor(x) @ tp["w1"].T + tp["b1"])
    t_logits = t_hidden @ tp["w2"].T + tp["b2"]
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(y))

    _close(c_loss, t_loss, "loss")
    c_loss.backward()
    t_loss.backward()
    for name in params:
        _close(cp[name].grad, tp[name].grad, f"gradient of {name}")


def test_mlp_float32_default_matches_loosely() -> None:
    """The same MLP in chainrule's default float32 against torch float64, at float32 tolerance."""
    rng = np.random.default_rng(13)
    x, w = rng.standard_normal((8, 4)), rng.standard_normal((3, 4))
    cw = cr.tensor(w.astype(np.float32), requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    c_loss = cr.log_softmax(cr.tensor(x.astype(np.float32)) @ cw.T, axis=1).sum()
    t_loss = torch.log_softmax(torch.tensor(x) @ tw.T, dim=1).sum()
    c_loss.backward()
    t_loss.backward()
    assert cw.grad.dtype == np.float32
    np.testing.assert_allclose(c_loss.item(), t_loss.item(), rtol=1e-5)
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- other entries
def test_grad_transform_matches_autograd_grad() -> None:
    """``cr.grad`` (run_backward with ``inputs=``) against ``torch.autograd.grad``."""
    rng = np.random.default_rng(14)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def f(M, x, y):
        return M.sum(M.tanh(x * y) * M.exp(M.tanh(y) * 2.0) + M.log_softmax(x, 1))

    ga, gb = cr.grad(lambda x, y: f(CR, x, y), argnums=(0, 1))(cr.tensor(a), cr.tensor(b))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    wa, wb = torch.autograd.grad(f(TH, ta, tb), (ta, tb))
    _close(ga, wa, "grad wrt a")
    _close(gb, wb, "grad wrt b")


HVP_OPS = ["tanh", "sigmoid", "softplus", "gelu", "gelu_tanh", "sin", "cos", "log", "exp", "sqrt"]


def _hvp_f(M, name, t, mat):
    return M.sum(UNARY[name](M, M.matmul(mat, t)) * t)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
@pytest.mark.parametrize("name", HVP_OPS)
def test_hessian_vector_product(name: str) -> None:
    """Second derivatives through ``backward(create_graph=True)``, against torch's."""
    rng = np.random.default_rng(15)
    x, m, v = rng.standard_normal(4), rng.standard_normal((4, 4)), rng.standard_normal(4)
    results = []
    for M, lib in ((CR, cr), (TH, torch)):
        t = lib.tensor(x, requires_grad=True)
        _hvp_f(M, name, t, lib.tensor(m)).backward(create_graph=True)
        g = t.grad
        assert g.requires_grad  # the backward pass was recorded: differentiable again
        t.grad = None
        (g * lib.tensor(v)).sum().backward()
        results.append((g, t.grad))
    (cg, chv), (tg, thv) = results
    _close(cg, tg, f"gradient of {name}")
    _close(chv, thv, f"Hessian-vector product of {name}")


@pytest.mark.parametrize("name", ["tanh", "softplus", "log", "sigmoid"])
def test_hessian_transform(name: str) -> None:
    """``cr.hessian`` (jacobian of grad, with ``inputs=`` and nesting) against torch's."""
    rng = np.random.default_rng(16)
    x, m = rng.standard_normal(3), rng.standard_normal((3, 3))
    h = cr.hessian(lambda t: _hvp_f(CR, name, t, cr.tensor(m)))(cr.tensor(x))
    want = torch.autograd.functional.hessian(
        lambda t: _hvp_f(TH, name, t, torch.tensor(m)), torch.tensor(x)
    )
    _close(h, want, f"Hessian of {name}")


def test_backward_accumulates_like_torch() -> None:
    """Two backward passes add into ``.grad``; retain_graph allows the second through one graph."""
    x = np.random.default_rng(17).standard_normal((2, 3))
    cx, tx = _leaf_pair(x)
    c_out = (CR.tanh(cx) * cx).sum()
    t_out = (TH.tanh(tx) * tx).sum()
    c_out.backward(retain_graph=True)
    c_out.backward()
    t_out.backward(retain_graph=True)
    t_out.backward()
    _close(cx.grad, tx.grad, "accumulated gradient")
    with pytest.raises(RuntimeError, match="second time"):
        c_out.backward()
