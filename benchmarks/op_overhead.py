"""Per-op overhead of chainrule's autograd against the raw NumPy calls it wraps.

What is timed, for each op and size (float32 operands, n×n)
-----------------------------------------------------------
chainrule, one call =
    ``x.grad = None`` (and ``w.grad = None``); ``y = op(x[, w])``; ``y.backward(g)``.
    ``x`` (and ``w``, for binary ops) are leaves with ``requires_grad=True``; ``g`` is a prepared
    float32 Tensor of ``y``'s shape (the upstream gradient, so no extra ``.sum()`` op is timed).
    That is: record the op (Tensor + Node), check the seed, sort the one-node graph, run each VJP
    rule, fit each gradient to its input (``_fit``) and write ``.grad`` on each leaf; then free it
    all. The fixed cost of a ``backward()`` call is charged to the one op, so this is the
    conservative per-op figure (in a long graph it is shared by all the ops).
numpy, one call =
    The same array calls written out by hand: the forward's NumPy call(s), then the NumPy calls
    of the op's VJP rule for every input (and the cast ``_fit`` does, where the rule changes the
    dtype). Its gradients are kept until the next call, as ``.grad`` keeps chainrule's. At setup
    each hand-written gradient is checked against chainrule's, so the two do the same work.

overhead = chainrule − numpy: the Python cost of the engine and of each op's wrapper code
(argument checks, axis bookkeeping) around the array calls.

A second table ("in a chain") measures what one more op costs inside a graph, where the fixed cost
of ``backward()`` is shared: for ops whose output can feed the same op again, it times a chain of
K+1 ops plus one ``backward(g)`` and a chain of 1, and reports (T(K+1) − T(1)) / K minus the
NumPy calls of one op. That is the marginal per-op overhead a real model pays.

Measurement: timeit-style. For every (op, size) the repeat count is calibrated so one block of
calls takes about ``--block-ms``; then ``--rounds`` rounds each time one chainrule block and one
numpy block back to back (interleaved; which goes first alternates), with the garbage collector
off during a block, as timeit does. Times come from ``time.perf_counter_ns``. The table shows
medians over the rounds of the per-call times and of the per-round difference (``overhead``),
and ``±``, half the interquartile range of that difference: the machine is shared, so read the
16×16 rows with that spread in mind.

Usage::

    python benchmarks/op_overhead.py            # full run (well under a minute)
    python benchmarks/op_overhead.py --quick    # a few seconds, noisier
    python benchmarks/op_overhead.py --ops add,matmul --sizes 16
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

try:
    import chainrule as cr
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import chainrule as cr

TARGET_US = 3.0  # overhead target per op on 16×16 operands
TARGET_SIZE = 16


# ----------------------------------------------------------------------------- the cases
# Each case builder gets float32 arrays x, w (n×n) and returns two zero-argument callables:
# the chainrule forward+backward and the hand-written NumPy equivalent.


def _leaf(a: np.ndarray) -> cr.Tensor:
    return cr.tensor(a, requires_grad=True)


class _Held:
    """Keeps the NumPy side's gradients alive until the next call, as ``.grad`` does."""

    grads: tuple | None = None


def _check(name: str, leaves: list[cr.Tensor], grads: tuple) -> None:
    """The hand-written NumPy gradients must be chainrule's, or the comparison means nothing."""
    for t, g in zip(leaves, grads, strict=True):
        if t.grad is None or not np.allclose(t.grad.numpy(), np.broadcast_to(g, t.shape)):
            raise AssertionError(f"{name}: the NumPy mirror's gradient differs from chainrule's")


def _unary(name: str, op: Callable, x: np.ndarray, numpy_fn: Callable):
    tx = _leaf(x)
    g = cr.tensor(np.ones_like(op(tx).numpy()))
    gd = g.numpy()
    held = _Held()

    def chain() -> None:
        tx.grad = None
        op(tx).backward(g)

    def raw() -> None:
        held.grads = None
        held.grads = numpy_fn(x, gd)

    chain()
    raw()
    _check(name, [tx], held.grads)  # type: ignore[arg-type]
    return chain, raw


def _binary(name: str, op: Callable, x: np.ndarray, w: np.ndarray, numpy_fn: Callable):
    tx, tw = _leaf(x), _leaf(w)
    g = cr.tensor(np.ones_like(op(tx, tw).numpy()))
    gd = g.numpy()
    held = _Held()

    def chain() -> None:
        tx.grad = None
        tw.grad = None
        op(tx, tw).backward(g)

    def raw() -> None:
        held.grads = None
        held.grads = numpy_fn(x, w, gd)

    chain()
    raw()
    _check(name, [tx, tw], held.grads)  # type: ignore[arg-type]
    return chain, raw


# The NumPy side of each op: the forward's array call(s), then the array calls of its VJP rule(s)
# (and of _fit, where it has to cast), as in src/chainrule/ops. Each returns the input gradients.
# The forward's result (``_out``) stays alive until the gradients are done, as the graph keeps it:
# with 4 MB arrays the order of allocations and frees shows in the timings.
def np_add(x, w, g):
    _out = np.add(x, w)
    return g, g  # ∂(x+w)/∂x = ∂(x+w)/∂w = 1: the rules return g itself


def np_mul(x, w, g):
    _out = np.multiply(x, w)
    return np.multiply(g, w), np.multiply(g, x)


def np_matmul(x, w, g):
    _out = np.matmul(x, w)
    return np.matmul(g, np.swapaxes(w, -1, -2)), np.matmul(np.swapaxes(x, -1, -2), g)


def np_maximum(x, w, g):
    _out = np.maximum(x, w)
    ga = np.where(x == w, g * 0.5, g * (x > w))  # ties share the gradient
    gb = np.where(x == w, g * 0.5, g * (w > x))
    return ga, gb


def np_exp(x, g):
    out = np.exp(x)
    return (np.multiply(g, out),)


def np_tanh(x, g):
    out = np.tanh(x)
    t = np.multiply(out, out)  # the fast rule: (1 - out²)·g in one fresh array
    np.subtract(1, t, out=t)
    t *= g
    return (t,)


def np_sigmoid(x, g):
    with np.errstate(over="ignore"):
        out = np.negative(x)
        np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    t = np.subtract(1, out)
    t *= out
    t *= g
    return (t,)


def np_relu(x, g):
    _out = np.maximum(x, 0)
    return (g * (x > 0),)


def np_sum(x, g):
    _out = np.sum(x)
    t = np.empty(x.shape, g.dtype)  # the fast rule: g filled into a fresh array
    t.fill(g)
    return (t,)


def np_mean(x, g):
    _out = np.add.reduce(x, axis=None) / x.size
    t = np.empty(x.shape, g.dtype)  # the fast rule: g / n filled into a fresh array
    t.fill(float(g) / x.size)
    return (t,)


def np_reshape(x, g):
    _out = np.reshape(x, (-1,))
    return (np.reshape(g, x.shape),)


def np_transpose(x, g):
    _out = np.transpose(x)
    return (np.transpose(g),)


_SLICE = (slice(1, -1), slice(None, None, 2))


def np_getitem(x, g):
    _out = x[_SLICE]
    out = np.zeros(x.shape, dtype=g.dtype)
    out[_SLICE] = g
    return (out,)


def np_log_softmax(x, g):
    m = np.max(x, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    z = x - m
    out = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return (g - np.exp(out) * np.sum(g, axis=-1, keepdims=True),)


def cases() -> dict[str, Callable]:
    """op name -> builder(x, w) returning (chainrule callable, numpy callable)."""
    return {
        "add": lambda x, w: _binary("add", cr.add, x, w, np_add),
        "mul": lambda x, w: _binary("mul", cr.mul, x, w, np_mul),
        "matmul": lambda x, w: _binary("matmul", cr.matmul, x, w, np_matmul),
        "maximum": lambda x, w: _binary("maximum", cr.maximum, x, w, np_maximum),
        "exp": lambda x, w: _unary("exp", cr.exp, x, np_exp),
        "tanh": lambda x, w: _unary("tanh", cr.tanh, x, np_tanh),
        "sigmoid": lambda x, w: _unary("sigmoid", cr.sigmoid, x, np_sigmoid),
        "relu": lambda x, w: _unary("relu", cr.relu, x, np_relu),
        "sum": lambda x, w: _unary("sum", cr.sum, x, np_sum),
        "mean": lambda x, w: _unary("mean", cr.mean, x, np_mean),
        "reshape": lambda x, w: _unary("reshape", lambda t: cr.reshape(t, (-1,)), x, np_reshape),
        "transpose": lambda x, w: _unary("transpose", cr.transpose, x, np_transpose),
        "getitem": lambda x, w: _unary("getitem", lambda t: t[1:-1, ::2], x, np_getitem),
        "log_softmax": lambda x, w: _unary(
            "log_softmax", lambda t: cr.log_softmax(t, axis=-1), x, np_log_softmax
        ),
    }


# Ops that can be chained (their output is a valid input of the same op, with values that stay
# finite over CHAIN ops); binary ones take a second operand ``w`` close to the identity element.
CHAIN = 32
CHAINABLE: dict[str, Callable] = {
    "add": lambda t, w: cr.add(t, w),
    "mul": lambda t, w: cr.mul(t, w),
    "matmul": lambda t, w: cr.matmul(t, w),
    "maximum": lambda t, w: cr.maximum(t, w),
    "tanh": lambda t, w: cr.tanh(t),
    "sigmoid": lambda t, w: cr.sigmoid(t),
    "relu": lambda t, w: cr.relu(t),
    "reshape": lambda t, w: cr.reshape(t, t.shape[::-1]),
    "transpose": lambda t, w: cr.transpose(t),
    "log_softmax": lambda t, w: cr.log_softmax(t, axis=-1),
}


def _chain_of(name: str, k: int, x: np.ndarray, w: np.ndarray) -> Callable[[], None]:
    """Forward through ``k`` applications of the op, then one ``backward(g)``."""
    op = CHAINABLE[name]
    scale = {"mul": 0.01, "matmul": 0.01 / np.sqrt(x.shape[0])}.get(name, 1.0)
    base = np.eye(x.shape[0], dtype=np.float32) if name == "matmul" else (name == "mul")
    # one second operand per op, so no leaf accumulates gradients from several ops
    tws = [_leaf((base + scale * w).astype(np.float32)) for _ in range(k)]
    tx = _leaf(x)
    y = tx
    for tw in tws:
        y = op(y, tw)
    g = cr.tensor(np.ones(y.shape, dtype=np.float32))

    def run() -> None:
        tx.grad = None
        for tw in tws:
            tw.grad = None
        y = tx
        for tw in tws:
            y = op(y, tw)
        y.backward(g)

    return run


# ----------------------------------------------------------------------------- timing
def _block_ns(fn: Callable[[], None], n: int) -> int:
    """Wall time of ``n`` calls of ``fn`` with the garbage collector off, as timeit does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        return time.perf_counter_ns() - t0
    finally:
        if enabled:
            gc.enable()


def _calibrate(fn: Callable[[], None], block_ms: float) -> int:
    """The repeat count that makes one block of ``fn`` last about ``block_ms``."""
    n = 1
    while True:
        elapsed = _block_ns(fn, n)
        if elapsed >= block_ms * 1e6 / 4 or n >= 1 << 20:
            return max(1, round(n * block_ms * 1e6 / max(elapsed, 1)))
        n *= 4


def measure(chain: Callable, raw: Callable, rounds: int, block_ms: float) -> dict[str, float]:
    """Median per-call µs of both callables, and the median per-round difference."""
    chain()
    raw()  # warm up caches and lazy imports
    n = _calibrate(chain, block_ms)
    t_chain, t_raw, diff = [], [], []
    for r in range(rounds):
        if r % 2:
            b = _block_ns(raw, n)
            a = _block_ns(chain, n)
        else:
            a = _block_ns(chain, n)
            b = _block_ns(raw, n)
        t_chain.append(a / n / 1e3)
        t_raw.append(b / n / 1e3)
        diff.append((a - b) / n / 1e3)
    q1, _, q3 = statistics.quantiles(diff, n=4) if len(diff) > 1 else (0.0, 0.0, 0.0)
    return {
        "chain": statistics.median(t_chain),
        "numpy": statistics.median(t_raw),
        "overhead": statistics.median(diff),
        "spread": (q3 - q1) / 2,
        "n": n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds of 2 ms blocks")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per case (default 21)")
    parser.add_argument("--block-ms", type=float, default=None, help="block length (default 10)")
    parser.add_argument("--ops", default=None, help="comma-separated subset of ops")
    parser.add_argument("--sizes", default="16,1024", help="comma-separated n for n×n operands")
    args = parser.parse_args(argv)

    rounds = args.rounds or (5 if args.quick else 21)
    block_ms = args.block_ms or (2.0 if args.quick else 10.0)
    table = cases()
    names = args.ops.split(",") if args.ops else list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        parser.error(f"unknown ops {unknown}; choose from {list(table)}")
    sizes = [int(s) for s in args.sizes.split(",")]

    print(
        f"chainrule {cr.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}; "
        f"float32; {rounds} rounds, ~{block_ms:g} ms blocks; forward + backward(g) per call"
    )
    header = (
        f"{'op':<12} {'size':>9} {'chainrule µs':>13} {'numpy µs':>10} {'overhead µs':>12} "
        f"{'±':>5} {'ratio':>7}  target ≤ {TARGET_US:g} µs"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    failures = []
    numpy_us: dict[str, float] = {}
    start = time.perf_counter()
    for size in sizes:
        x = rng.standard_normal((size, size)).astype(np.float32)
        w = rng.standard_normal((size, size)).astype(np.float32)
        for name in names:
            chain, raw = table[name](x, w)
            m = measure(chain, raw, rounds, block_ms)
            if size == TARGET_SIZE:
                numpy_us[name] = m["numpy"]
            verdict = ""
            if size == TARGET_SIZE:
                ok = m["overhead"] <= TARGET_US
                verdict = "ok" if ok else "MISSED"
                if not ok:
                    failures.append(name)
            print(
                f"{name:<12} {f'{size}x{size}':>9} {m['chain']:>13.2f} {m['numpy']:>10.2f} "
                f"{m['overhead']:>12.2f} {m['spread']:>5.2f} {m['chain'] / m['numpy']:>7.2f}  {verdict}",
                flush=True,
            )
    print(f"({time.perf_counter() - start:.1f} s)")
    if TARGET_SIZE in sizes:
        if failures:
            print(
                f"target overhead ≤ {TARGET_US:g} µs per op on 16x16, one op per backward(): MISSED for {failures}"
            )
        else:
            print(f"target overhead ≤ {TARGET_US:g} µs per op on 16x16: met for every op")
        chained_failures = chained_table(
            [n for n in names if n in CHAINABLE], numpy_us, rounds, block_ms
        )
        if chained_failures:
            print(
                f"target overhead ≤ {TARGET_US:g} µs per op in a chain: MISSED for {chained_failures}"
            )
        else:
            print(f"target overhead ≤ {TARGET_US:g} µs per op in a chain: met for every chained op")
    return 0


def chained_table(
    names: list[str], numpy_us: dict[str, float], rounds: int, block_ms: float
) -> list:
    """The marginal cost of one more op inside a graph, 16×16 operands."""
    print()
    print(f"in a chain of {CHAIN} ops plus one backward(g), 16x16: marginal cost of one op")
    header = f"{'op':<12} {'chainrule µs':>13} {'numpy µs':>10} {'overhead µs':>12}  target ≤ {TARGET_US:g} µs"
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((TARGET_SIZE, TARGET_SIZE)).astype(np.float32)
    w = rng.standard_normal((TARGET_SIZE, TARGET_SIZE)).astype(np.float32)
    failures = []
    for name in names:
        long_run = _chain_of(name, CHAIN + 1, x, w)
        short_run = _chain_of(name, 1, x, w)
        m = measure(long_run, short_run, rounds, block_ms)
        per_op = m["overhead"] / CHAIN  # (T(K+1) - T(1)) / K
        overhead = per_op - numpy_us[name]
        ok = overhead <= TARGET_US
        if not ok:
            failures.append(name)
        print(
            f"{name:<12} {per_op:>13.2f} {numpy_us[name]:>10.2f} {overhead:>12.2f}  {'ok' if ok else 'MISSED'}",
            flush=True,
        )
    return failures


if __name__ == "__main__":
    raise SystemExit(main())
