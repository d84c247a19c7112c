"""chainrule.estimators against scikit-learn, side by side in one run.

What is compared
----------------
1. ``LogisticRegression(penalty='l2', C=1.0, solver='lbfgs')`` on standardised breast cancer
   (binary), and 2. on standardised iris and wine (multinomial): the largest difference of the
   coefficients and intercepts, relative to the largest of scikit-learn's,
   ``max|Δ| / max|ref|``, against scikit-learn's default fit (``tol=1e-4``, which stops
   *near* the minimiser) and against scikit-learn run to its minimiser (``tol=1e-12``); and
   the objective ``Σ log-loss / n + ‖W‖² / (2·C·n)`` at each solution (same formula for
   all, in float64). Target: ≤ 1e-4 from scikit-learn's minimiser.
3. ``MLPClassifier(hidden_layer_sizes=(100,), solver='adam', max_iter=200)`` on digits (8×8,
   pixels / 16, float32 for both libraries), one fixed stratified 75/25 split, ``--seeds``
   seeds (``random_state`` 0..4 by default): mean test accuracy and mean fit time of each, and
   the ratio of the times. Targets: accuracy ≥ scikit-learn's − 0.5 points; fit time ≤ 0.6×
   scikit-learn's.
4. ``MLPRegressor`` on diabetes (standardised X and y, ``hidden_layer_sizes=(100,)``,
   ``early_stopping=True``, ``max_iter=500``) and on a noisy 1-D sine (``hidden_layer_sizes=(64, 64)``, tanh,
   ``learning_rate_init=0.01``, ``max_iter=1000``), float32, same seeds: mean test R².
   Target: ≥ scikit-learn's − 0.02.
5. (3b) ``MLPClassifier(hidden_layer_sizes=(128,), solver='adam')`` at MNIST size: synthetic
   12000×784 data in [0, 1], 8 epochs for both, BLAS at its default threads whatever
   ``--threads`` says (matrices this size use them; ``--mnist-threads N`` sets N instead),
   ``--repeats`` fits of each library per input: float64 input (as MNIST usually arrives;
   scikit-learn then computes in float64, chainrule in its default float32) and float32
   input (both in float32, reported beside it). Target (issue 10), on the float64 input: wall
   time ≤ 0.5× scikit-learn's.

With the same ``random_state`` both libraries start from the same weights and draw the same
mini-batches (chainrule reproduces scikit-learn's random stream), so the comparison is of
the implementations, not of luck.

Timing
------
The two libraries' fits are interleaved (per seed: scikit-learn, then chainrule), with the
garbage collector off during a fit. Both the wall-clock time and the process CPU time are
reported; the PASS/FAIL of the speed target uses CPU time, which other processes on a shared
machine disturb far less than the wall clock. BLAS runs on one thread by default
(``--threads 0`` leaves its default): with matrices this small, a multi-threaded BLAS spends
more on synchronising threads than it gains, and on a shared machine its run time varies
several-fold. Both libraries run under the same setting.

Usage::

    python benchmarks/vs_sklearn.py            # about 30 s on a quiet 2-core machine
    python benchmarks/vs_sklearn.py --seeds 3  # quicker
    python benchmarks/vs_sklearn.py --threads 0
    python benchmarks/vs_sklearn.py --only mnist --repeats 5  # the MNIST-size target alone
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

try:
    import chainrule as cr
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import chainrule as cr

import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from chainrule import datasets
from chainrule.estimators import LogisticRegression, MLPClassifier, MLPRegressor

RESULTS: list[tuple[str, bool, str]] = []  # (target, passed, detail)


def check(target: str, passed: bool, detail: str) -> None:
    RESULTS.append((target, bool(passed), detail))


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[str]:
    """Limit BLAS to ``n`` threads with threadpoolctl (a scikit-learn dependency)."""
    if n <= 0:
        yield "BLAS default threads"
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield f"{n} BLAS thread{'s' if n > 1 else ''}"


def settle_memory() -> None:
    """Allocate, touch and free 64 MB before a timed fit.

    On a virtual machine, the first large allocation after a fit that freed much memory can
    stall in the kernel (0.4-0.8 s measured here for a 37 MB array after scikit-learn's
    float64 MNIST-size fit, against 0.02 s otherwise). Untreated, that stall is charged to
    whichever fit comes next and allocates (chainrule's, which copies float64 input to
    float32); settling before every fit of either library starts each from the same state.
    """
    np.ones(64 << 20, np.uint8)


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """Run ``fn(*args)`` with the garbage collector off; return (result, wall s, CPU s)."""
    settle_memory()
    gc.collect()
    gc.disable()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        return out, time.perf_counter() - w0, time.process_time() - c0
    finally:
        gc.enable()


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def standardised(loader: Callable[..., Any]) -> tuple[np.ndarray, np.ndarray]:
    X, y, _ = loader(dtype="float64")
    return StandardScaler().fit_transform(X), y


# ----------------------------------------------------------------------------- 1, 2: logistic
def lr_objective(
    X: np.ndarray, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray, C: float
) -> float:
    """Σ log-loss / n + ‖W‖² / (2·C·n): scikit-learn's objective in its scaled form (float64)."""
    z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        z = np.concatenate([np.zeros_like(z), z], axis=1)
    zmax = z.max(axis=1, keepdims=True)
    lse = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
    idx = np.searchsorted(np.unique(y), y)
    nll = lse - z[np.arange(len(y)), idx]
    return float(nll.mean() + (coef**2).sum() / (2 * C * len(y)))


def rel_diff(a_coef: np.ndarray, a_int: np.ndarray, b_coef: np.ndarray, b_int: np.ndarray) -> float:
    a = np.concatenate([a_coef.ravel(), a_int.ravel()])
    b = np.concatenate([b_coef.ravel(), b_int.ravel()])
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def bench_logistic() -> str:
    rows = []
    for name, loader in [
        ("breast cancer", datasets.breast_cancer),
        ("iris", datasets.iris),
        ("wine", datasets.wine),
    ]:
        X, y = standardised(loader)
        ours, t_cr, _ = timed(LogisticRegression(penalty="l2", C=1.0, solver="lbfgs").fit, X, y)
        sk, t_sk, _ = timed(SkLogisticRegression(C=1.0, solver="lbfgs").fit, X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            tight = SkLogisticRegression(C=1.0, solver="lbfgs", tol=1e-12, max_iter=10_000).fit(
                X, y
            )
        d_default = rel_diff(ours.coef_, ours.intercept_, sk.coef_, sk.intercept_)
        d_tight = rel_diff(ours.coef_, ours.intercept_, tight.coef_, tight.intercept_)
        objs = [lr_objective(X, y, m.coef_, m.intercept_, 1.0) for m in (ours, sk, tight)]
        rows.append(
            [
                name,
                str(len(np.unique(y))),
                f"{d_tight:.1e}",
                f"{d_default:.1e}",
                f"{objs[0]:.10f}",
                f"{objs[1]:.10f}",
                f"{objs[2]:.10f}",
                f"{int(ours.n_iter_[0])} / {int(sk.n_iter_[0])}",
                f"{t_cr * 1e3:.0f} / {t_sk * 1e3:.0f}",
            ]
        )
        check(
            f"LR {name}: coefficients within 1e-4 of scikit-learn's minimiser",
            d_tight <= 1e-4,
            f"{d_tight:.1e}",
        )
        check(
            f"LR {name}: objective ≤ scikit-learn's (default tol) + 1e-9",
            objs[0] <= objs[1] + 1e-9,
            f"{objs[0]:.10f} vs {objs[1]:.10f}",
        )
    header = [
        "data set",
        "classes",
        "Δ vs sklearn minimiser",
        "Δ vs sklearn default",
        "objective chainrule",
        "objective sklearn default",
        "objective sklearn minimiser",
        "iterations cr / sk",
        "fit ms cr / sk",
    ]
    return table(header, rows)


# ----------------------------------------------------------------------------- 3: digits
def bench_digits(seeds: list[int]) -> str:
    X, y, _ = datasets.digits(dtype="float32")
    X = X / np.float32(16.0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    kw = dict(hidden_layer_sizes=(100,), solver="adam", max_iter=200)
    acc = {"sk": [], "cr": []}
    wall = {"sk": [], "cr": []}
    cpu = {"sk": [], "cr": []}
    iters = {"sk": [], "cr": []}
    for seed in seeds:
        for lib, cls in (("sk", SkMLPClassifier), ("cr", MLPClassifier)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model, w, c = timed(cls(random_state=seed, **kw).fit, X_tr, y_tr)
            acc[lib].append(model.score(X_te, y_te))
            wall[lib].append(w)
            cpu[lib].append(c)
            iters[lib].append(model.n_iter_)
    m = {
        k: {lib: float(np.mean(v[lib])) for lib in v}
        for k, v in (("acc", acc), ("wall", wall), ("cpu", cpu), ("iters", iters))
    }
    ratio_cpu = m["cpu"]["cr"] / m["cpu"]["sk"]
    ratio_wall = m["wall"]["cr"] / m["wall"]["sk"]
    check(
        "digits MLP: accuracy ≥ scikit-learn's − 0.5 points",
        m["acc"]["cr"] >= m["acc"]["sk"] - 0.005,
        f"{100 * m['acc']['cr']:.2f}% vs {100 * m['acc']['sk']:.2f}%",
    )
    check(
        "digits MLP: fit time ≤ 0.6× scikit-learn's (CPU time)",
        ratio_cpu <= 0.6,
        f"{ratio_cpu:.2f}×",
    )
    rows = [
        [
            "accuracy (test, mean)",
            f"{100 * m['acc']['cr']:.2f}%",
            f"{100 * m['acc']['sk']:.2f}%",
            f"{100 * (m['acc']['cr'] - m['acc']['sk']):+.2f} points",
        ],
        [
            "fit CPU time (mean)",
            f"{m['cpu']['cr']:.3f} s",
            f"{m['cpu']['sk']:.3f} s",
            f"{ratio_cpu:.2f}×",
        ],
        [
            "fit wall time (mean)",
            f"{m['wall']['cr']:.3f} s",
            f"{m['wall']['sk']:.3f} s",
            f"{ratio_wall:.2f}×",
        ],
        ["epochs (mean)", f"{m['iters']['cr']:.1f}", f"{m['iters']['sk']:.1f}", ""],
        [
            "per-seed accuracy",
            " ".join(f"{100 * a:.1f}" for a in acc["cr"]),
            " ".join(f"{100 * a:.1f}" for a in acc["sk"]),
            "",
        ],
    ]
    return table(
        ["digits, MLP (100,), adam", "chainrule", "scikit-learn", "chainrule vs sklearn"], rows
    )


# ----------------------------------------------------------------------------- 3b: MNIST-size
def mnist_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic MNIST-shaped data: n × 784 pixels in [0, 1] (float32), 10 classes, each a
    sparse random prototype plus noise (the shapes and the cost of MNIST, no download)."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.2).astype(np.float32)
    y = rng.integers(0, 10, n)
    X = prototypes[y] * rng.uniform(0.5, 1.0, (n, 784)).astype(np.float32)
    X += rng.normal(0.0, 0.15, (n, 784)).astype(np.float32)
    return np.clip(X, 0.0, 1.0, out=X), y


def default_blas_threads() -> int:
    """The number of threads BLAS uses when left alone (read before any limit is set)."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts, default=1)


DEFAULT_BLAS_THREADS = default_blas_threads()


def bench_mnist_size(repeats: int, threads: int = 0, n: int = 12000, epochs: int = 8) -> str:
    """784-128-10, adam, BLAS at its default threads, the same epochs for both libraries.

    Two inputs: float64 (as MNIST usually arrives, e.g. ``fetch_openml`` pixels / 255), on
    which scikit-learn computes in float64 and chainrule in its default float32; and float32,
    on which both compute in float32. All fits alternate (per ``random_state`` 0..repeats-1:
    each input, scikit-learn then chainrule), so that a busy spell of the machine falls on
    both; the ratio is of the mean times. ``threads`` > 0 limits BLAS to that many threads
    instead (a steadier comparison on a busy machine).
    """
    from threadpoolctl import threadpool_limits

    X32, y = mnist_like(n)
    inputs = {"float64": X32.astype(np.float64), "float32": X32}
    kw = dict(
        hidden_layer_sizes=(128,), solver="adam", max_iter=epochs, n_iter_no_change=epochs + 1
    )
    runs = {(what, lib): [] for what in inputs for lib in ("sk", "cr")}  # (wall, CPU, accuracy)
    threads = threads if threads > 0 else DEFAULT_BLAS_THREADS
    with threadpool_limits(limits=threads, user_api="blas"):
        for seed in range(repeats):
            for what, X in inputs.items():
                for lib, cls in (("sk", SkMLPClassifier), ("cr", MLPClassifier)):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        model, w, c = timed(cls(random_state=seed, **kw).fit, X, y)
                    runs[what, lib].append((w, c, model.score(X[:2000], y[:2000])))
    rows = []
    for what in inputs:
        cr_w, cr_c, cr_a = np.mean(runs[what, "cr"], axis=0)
        sk_w, sk_c, sk_a = np.mean(runs[what, "sk"], axis=0)
        ratio, ratio_cpu = cr_w / sk_w, cr_c / sk_c
        if what == "float64":  # issue 10's target: MNIST as fetch_openml gives it (float64)
            check(
                "MNIST-size MLP (784-128-10, adam), float64 input: fit time ≤ 0.5× "
                "scikit-learn's (wall)",
                ratio <= 0.5,
                f"{ratio:.2f}× (CPU {ratio_cpu:.2f}×)",
            )
        rows.append(
            [
                f"{what} input",
                f"{cr_w:.2f} / {cr_c:.2f} s",
                f"{sk_w:.2f} / {sk_c:.2f} s",
                f"{ratio:.2f}× / {ratio_cpu:.2f}×",
                f"{100 * cr_a:.1f}% / {100 * sk_a:.1f}%",
            ]
        )
    return table(
        [
            f"{n}×784 synthetic, {epochs} epochs, {threads} BLAS thread(s)",
            "chainrule wall / CPU",
            "scikit-learn wall / CPU",
            "ratio wall / CPU",
            "train accuracy cr / sk",
        ],
        rows,
    )


# ----------------------------------------------------------------------------- 4: regression
def bench_regression(seeds: list[int]) -> str:
    Xd, yd, _ = datasets.diabetes(dtype="float64")
    Xd = StandardScaler().fit_transform(Xd).astype(np.float32)
    yd = ((yd - yd.mean()) / yd.std()).astype(np.float32)
    Xs, ys = datasets.sine_1d(600, noise=0.1, seed=0, low=-3.0, high=3.0)
    problems = [
        ("diabetes", Xd, yd, dict(hidden_layer_sizes=(100,), early_stopping=True, max_iter=500)),
        (
            "sine 1-D",
            Xs,
            ys,
            dict(
                hidden_layer_sizes=(64, 64),
                activation="tanh",
                learning_rate_init=0.01,
                max_iter=1000,
            ),
        ),
    ]
    rows = []
    for name, X, y, kw in problems:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
        r2 = {"sk": [], "cr": []}
        cpu = {"sk": [], "cr": []}
        for seed in seeds:
            for lib, cls in (("sk", SkMLPRegressor), ("cr", MLPRegressor)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model, _, c = timed(cls(random_state=seed, **kw).fit, X_tr, y_tr)
                r2[lib].append(model.score(X_te, y_te))
                cpu[lib].append(c)
        mcr, msk = float(np.mean(r2["cr"])), float(np.mean(r2["sk"]))
        ratio = float(np.mean(cpu["cr"]) / np.mean(cpu["sk"]))
        check(
            f"{name} MLP regressor: R² ≥ scikit-learn's − 0.02",
            mcr >= msk - 0.02,
            f"{mcr:.4f} vs {msk:.4f}",
        )
        rows.append(
            [
                name,
                f"{mcr:.4f}",
                f"{msk:.4f}",
                f"{mcr - msk:+.4f}",
                f"{np.mean(cpu['cr']):.3f} / {np.mean(cpu['sk']):.3f} s ({ratio:.2f}×)",
            ]
        )
    return table(
        ["MLPRegressor", "R² chainrule", "R² scikit-learn", "difference", "fit CPU cr / sk"], rows
    )


# ----------------------------------------------------------------------------- main
SECTIONS = ("logistic", "digits", "mnist", "regression")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="random_state 0..N-1 (default 5)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: stable on a shared machine; 0 leaves BLAS's default)",
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="run only this section (repeatable; default: all)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fits per library and input dtype in the MNIST-size section (default 3)",
    )
    parser.add_argument(
        "--mnist-threads",
        type=int,
        default=0,
        help="BLAS threads of the MNIST-size section (default 0: BLAS's default, as its target says)",
    )
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    run = set(args.only or SECTIONS)
    start = time.perf_counter()
    with blas_threads(args.threads) as threads:
        print(
            f"chainrule {cr.__version__} vs scikit-learn {sklearn.__version__}; NumPy "
            f"{np.__version__}; Python {platform.python_version()}; {platform.machine()}; "
            f"{threads}; seeds {seeds}\n"
        )
        if "logistic" in run:
            print(
                "## 1-2. LogisticRegression(penalty='l2', C=1.0, solver='lbfgs'), standardised X\n"
            )
            print(bench_logistic())
            print(
                "\nΔ = max|coef and intercept difference| / max|scikit-learn's|. scikit-learn's "
                "default tol=1e-4 stops near its minimiser; chainrule's lbfgs converges to it "
                "(gtol = tol·1e-4).\n"
            )
        if "digits" in run:
            print("## 3. MLPClassifier on digits (float32, fixed split, mean over seeds)\n")
            print(bench_digits(seeds))
        if "mnist" in run:
            print("\n## 3b. MLPClassifier at MNIST size (BLAS default threads)\n")
            print(bench_mnist_size(args.repeats, args.mnist_threads))
        if "regression" in run:
            print("\n## 4. MLPRegressor (float32, fixed split, mean test R² over seeds)\n")
            print(bench_regression(seeds))
    print("\n## Targets\n")
    print(
        table(
            ["target", "result", "value"],
            [[t, "PASS" if ok else "FAIL", d] for t, ok, d in RESULTS],
        )
    )
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")
    return 0 if all(ok for _, ok, _ in RESULTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
