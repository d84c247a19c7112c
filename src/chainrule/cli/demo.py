"""``chainrule demo``: the lecture's experiments in under a minute, as a report with figures.

1. Logistic regression, the one-layer network σ(wᵀx + b) trained on the binary cross-entropy,
   on standardised breast-cancer data, checked against scikit-learn's coefficients.
2. An MLP on the two moons, trained by SGD (batch 1), mini-batches (32) and full-batch gradient
   descent, at equal epochs and at equal wall time.
3. Vanishing gradients: per-layer gradient norms of a 20-layer net, sigmoid vs tanh vs ReLU,
   with each activation's standard init and with naive N(0, 1) weights (saturation).
4. A 1-D sine fitted by a small tanh net, drawn as its hidden units' basis functions φⱼ(x).
5. Backpropagation for one example, step by step (``explain``), as markdown.

Everything goes to a report directory (default ``runs/demo``, replaced on every run): the PNGs,
``explain.md`` and ``report.md``, which explains each figure and links it.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.cli import _common as C

__all__ = ["add_parser", "run"]

COMPARE_EPOCHS = 25
"""Epochs each batch size gets in the equal-epochs comparison."""
COMPARE_SECONDS = 1.0
"""Seconds each batch size gets in the equal-wall-time comparison."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``demo``: run the lecture's experiments and write a report with figures.

    Logistic regression vs scikit-learn, SGD vs mini-batch vs full batch, vanishing gradients,
    learned basis functions and a backprop walkthrough, in under a minute. Writes PNGs and
    report.md to DIR, replacing an earlier demo report there.
    """
    p = C.add_command(sub, "demo", run, add_parser.__doc__)
    p.add_argument("--out", metavar="DIR", default="runs/demo", help="default runs/demo")
    p.add_argument("--seed", type=int, default=0)
    return p


def _say(text: str) -> None:
    """Print a summary line at once (the demo takes a few seconds per step)."""
    print(text, flush=True)


# ----------------------------------------------------------------------------- 1. logistic
def _own_logistic_regression(X: np.ndarray, y: np.ndarray, C_reg: float) -> np.ndarray:
    """[w, b] minimising mean BCE(σ(Xw + b), y) + ‖w‖²/(2·C·n): scikit-learn's objective / n.

    L-BFGS (scipy) on chainrule's gradients; full-batch Adam when scipy is missing.
    """
    import chainrule as cr
    from chainrule.nn.losses import binary_cross_entropy_with_logits

    n, d = X.shape
    Xt, yt = cr.tensor(X), cr.tensor(y.astype(np.float64))
    lam = 1.0 / (C_reg * n)

    def objective(theta: Any) -> Any:
        w, b = theta[:d], theta[d]
        return binary_cross_entropy_with_logits(Xt @ w + b, yt) + 0.5 * lam * (w * w).sum()

    value_and_grad = cr.value_and_grad(objective)
    try:
        from scipy.optimize import minimize
    except ImportError:
        theta = cr.zeros(d + 1, dtype=cr.float64, requires_grad=True)
        opt = cr.optim.Adam([theta], lr=0.05)
        for _ in range(4000):
            opt.zero_grad()
            objective(theta).backward()
            opt.step()
        return theta.numpy().copy()

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_grad(cr.tensor(theta))
        return float(value.item()), grad.numpy().astype(np.float64)

    res = minimize(f, np.zeros(d + 1), jac=True, method="L-BFGS-B",
                   options={"maxiter": 10000, "gtol": 1e-12, "ftol": 1e-15})  # fmt: skip
    return res.x


def _logistic_regression(out: Path, seed: int) -> dict[str, Any]:
    """Part 1: fit σ(wᵀx + b) on standardised breast cancer; compare with scikit-learn."""
    from chainrule import datasets, dtypes
    from chainrule.data import Standardizer

    try:
        X, y, _ = datasets.breast_cancer(dtype=dtypes.float64)
        name = "breast cancer (569 × 30)"
    except ImportError:
        X, y = datasets.gaussians(400, seed=seed, dtype=dtypes.float64)[:2]
        name = "two Gaussian blobs (scikit-learn is not installed, so no breast-cancer data)"
        y = (y > 0).astype(np.int64)
    Xs = np.asarray(Standardizer().fit_transform(X))
    t0 = time.perf_counter()
    how = "chainrule.estimators.LogisticRegression"
    try:
        from chainrule.estimators import LogisticRegression as CrLR

        est = CrLR(C=1.0).fit(Xs, y)
        ours = np.concatenate([np.ravel(est.coef_), np.ravel(est.intercept_)])
    except ImportError:
        how = "a one-layer network σ(wᵀx + b) fitted by L-BFGS on chainrule's gradients"
        ours = _own_logistic_regression(Xs, y, 1.0)
    seconds = time.perf_counter() - t0
    acc = float(np.mean(((Xs @ ours[:-1] + ours[-1]) > 0) == (y == 1)))
    result: dict[str, Any] = {"data": name, "how": how, "accuracy": acc, "seconds": seconds}
    try:
        from sklearn.linear_model import LogisticRegression as SkLR
    except ImportError:
        result["sklearn"] = None
        return result
    sk = SkLR(C=1.0, tol=1e-10, max_iter=10000).fit(Xs, y)
    theirs = np.concatenate([sk.coef_.ravel(), sk.intercept_.ravel()])
    result["sklearn"] = theirs
    result["max_rel_diff"] = float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))
    result["figure"] = "logistic_coefficients.png"
    _coefficient_figure(ours, theirs, out / result["figure"])
    return result


def _coefficient_figure(ours: np.ndarray, theirs: np.ndarray, path: Path) -> None:
    """Scatter chainrule's coefficients against scikit-learn's, with the diagonal."""
    from chainrule.viz._figure import colors, new_figure, save_figure

    fig, axes = new_figure(1, 1, figsize=(5.0, 4.4))
    ax = axes[0, 0]
    lo, hi = float(min(ours.min(), theirs.min())), float(max(ours.max(), theirs.max()))
    pad = 0.05 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.6", linestyle="--", label="y = x")
    ax.scatter(theirs[:-1], ours[:-1], color=colors(1)[0], s=22, label="weights w")
    ax.scatter(theirs[-1:], ours[-1:], color="black", marker="x", s=40, label="bias b")
    ax.set_xlabel("scikit-learn LogisticRegression")
    ax.set_ylabel("chainrule")
    ax.set_title("Logistic regression coefficients")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save_figure(fig, path)


# ----------------------------------------------------------------------------- 2. batch sizes
def _batch_sizes(out: Path, seed: int) -> dict[str, Any]:
    """Part 2: batch 1, 32 and full batch on the moons, at equal epochs and equal time."""
    from chainrule import datasets, nn, optim, viz
    from chainrule.data import train_test_split
    from chainrule.nn.losses import binary_cross_entropy_with_logits
    from chainrule.train import fit

    X, y = datasets.moons(500, noise=0.2, seed=seed)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y.astype(np.float32), test_size=0.2,
                                              stratify=y, seed=seed)  # fmt: skip
    methods = {"SGD (batch 1)": 1, "mini-batch (32)": 32, "full batch": "full"}
    rows: dict[str, dict[str, Any]] = {}
    models = {}
    for budget in ("epochs", "time"):
        for label, bs in methods.items():
            model = nn.mlp([2, 16, 16, 1], activation="tanh", seed=seed)
            history = fit(
                model,
                binary_cross_entropy_with_logits,
                optim.SGD(model.parameters(), lr=0.1),
                X_tr,
                y_tr,
                epochs=COMPARE_EPOCHS if budget == "epochs" else 1_000_000,
                time_limit=COMPARE_SECONDS if budget == "time" else None,
                batch_size=bs,
                validation_data=(X_te, y_te),
                metrics=["accuracy"],
                verbose=0,
                seed=seed,
            )
            rows.setdefault(label, {})[budget] = {
                "epochs": history.epochs,
                "steps_per_epoch": math.ceil(len(X_tr) / (len(X_tr) if bs == "full" else bs)),
                "loss": history["loss"][-1],
                "val_accuracy": history["val_accuracy"][-1],
                "seconds": float(np.sum(history["time"])),
                "curve": list(history["loss"]),
                "times": list(np.cumsum(history["time"])),
            }
            models[label] = model
    _compare_figure(rows, out / "batch_size_curves.png")
    viz.decision_boundary(
        models["mini-batch (32)"],
        X,
        y,
        out / "moons_boundary.png",
        title=f"Mini-batch SGD after {COMPARE_SECONDS:g} s",
    )
    return {"rows": rows, "n_train": len(X_tr), "n_test": len(X_te)}


def _compare_figure(rows: dict[str, dict[str, Any]], path: Path) -> None:
    """Training loss by epoch (equal epochs) and by second (equal time), one line each."""
    from chainrule.viz._figure import colors, new_figure, save_figure

    fig, axes = new_figure(1, 2, figsize=(10.0, 4.0))
    for (label, row), color in zip(rows.items(), colors(len(rows))):
        e = row["epochs"]
        axes[0, 0].plot(range(1, len(e["curve"]) + 1), e["curve"], color=color, label=label)
        t = row["time"]
        axes[0, 1].plot(t["times"], t["curve"], color=color, label=label)
    axes[0, 0].set_title(f"Equal epochs ({COMPARE_EPOCHS})")
    axes[0, 0].set_xlabel("epoch")
    axes[0, 1].set_title(f"Equal wall time ({COMPARE_SECONDS:g} s each)")
    axes[0, 1].set_xlabel("seconds")
    for ax in axes[0]:
        ax.set_ylabel("training loss (BCE)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("Two moons, a 2-16-16-1 tanh MLP, plain SGD with η = 0.1")
    save_figure(fig, path)


def _best(rows: dict[str, dict[str, Any]]) -> str:
    """The method with the lowest training loss at equal wall time."""
    return min(rows, key=lambda label: rows[label]["time"]["loss"])


def _compare_table(rows: dict[str, dict[str, Any]]) -> list[str]:
    """The batch-size comparison as a markdown table."""
    head = (
        f"| method | steps per epoch | equal epochs ({COMPARE_EPOCHS}): loss | test accuracy "
        f"| equal time ({COMPARE_SECONDS:g} s): epochs | loss | test accuracy |"
    )
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, row in rows.items():
        e, t = row["epochs"], row["time"]
        lines.append(
            f"| {label} | {e['steps_per_epoch']} | {e['loss']:.4f} | {e['val_accuracy']:.1%} "
            f"| {t['epochs']} | {t['loss']:.4f} | {t['val_accuracy']:.1%} |"
        )
    return lines


# ----------------------------------------------------------------------------- 3-5
def _vanishing(out: Path, seed: int) -> dict[str, Any]:
    """Part 3: gradient norms per layer of a 20-layer net, sigmoid vs tanh vs ReLU."""
    from chainrule import viz
    from chainrule.diagnostics import vanishing, vanishing_table
    from chainrule.diagnostics.vanishing import saturation_note

    kw = {"depth": 20, "width": 64, "activations": ("sigmoid", "tanh", "relu"), "seed": seed}
    result = vanishing(**kw)
    viz.gradient_norms(result, out / "vanishing.png")
    naive = vanishing(**kw, init="normal")  # N(0, 1): the init that saturates sigmoid and tanh
    viz.gradient_norms(
        naive, out / "vanishing_naive.png", title="Gradient norm per layer, N(0, 1) init"
    )
    return {
        "result": result,
        "table": vanishing_table(result),
        "naive": naive,
        "naive_table": vanishing_table(naive),
        "note": saturation_note(result, naive),
    }


def _basis(out: Path, seed: int) -> dict[str, Any]:
    """Part 4: a 1-6-1 tanh net fitting sin(x), drawn as its hidden units."""
    from chainrule import viz
    from chainrule.diagnostics import fit_sine_basis

    hidden = 6
    model, X, y, info = fit_sine_basis(hidden=hidden, activation="tanh", seed=seed)
    viz.basis_functions(
        model, (-math.pi - 0.3, math.pi + 0.3), out / "basis_functions.png", X=X, y=y
    )
    return {"hidden": hidden, "loss": info["loss"], "noise": info["noise"]}


def _explain(out: Path, seed: int) -> dict[str, Any]:
    """Part 5: the backprop walkthrough, saved as explain.md."""
    from chainrule.diagnostics import explain, render

    report = explain(layers=(2, 3, 1), activation="tanh", loss="bce", seed=seed)
    C.atomic_write_text(out / "explain.md", render(report, "markdown") + "\n")
    return {"max_abs_error": report["check"]["max_abs_error"], "agree": report["check"]["agree"]}


# ----------------------------------------------------------------------------- report
def _report(lr: dict, cmp: dict, van: dict, basis: dict, expl: dict, seconds: float) -> str:
    """report.md: a few sentences per figure, each figure linked by a relative path."""
    res = van["result"]["results"]
    first = {name: r["init"][0] for name, r in res.items()}
    lines = [
        "# chainrule demo",
        "",
        f"Everything below was computed by `chainrule demo` in {seconds:.0f} s; every chainrule "
        "model was trained by its NumPy engine.",
        "",
        "## 1. Logistic regression is a one-layer network",
        "",
        f"Data: {lr['data']}, standardised. Model: f(x) = σ(wᵀx + b), trained by minimising the "
        f"binary cross-entropy (the negative log-likelihood) plus scikit-learn's default L2 "
        f"penalty (C = 1), via {lr['how']}. Training accuracy {lr['accuracy']:.1%}.",
        "",
    ]
    if lr.get("sklearn") is not None:
        lines += [
            f"![chainrule vs scikit-learn coefficients]({lr['figure']})",
            "",
            "Each dot is one coefficient: scikit-learn's value across, chainrule's up. They lie "
            "on the diagonal because both minimise the same convex objective; the largest "
            f"difference is {lr['max_rel_diff']:.1e} of the largest coefficient.",
            "",
        ]
    else:
        lines += ["scikit-learn is not installed, so the comparison was skipped.", ""]
    lines += [
        "## 2. SGD, mini-batches and full-batch gradient descent",
        "",
        f"A 2-16-16-1 tanh MLP on {cmp['n_train']} two-moons points (tested on {cmp['n_test']}), "
        "plain SGD with η = 0.1; only the batch size changes.",
        "",
        *_compare_table(cmp["rows"]),
        "",
        "![loss curves by epoch and by second](batch_size_curves.png)",
        "",
        "Left: per epoch, batch 1 takes hundreds of small steps for every step of full-batch "
        "descent, so it gets furthest. Right: per second the picture changes, because one "
        "vectorised step on 32 or 400 examples costs little more than a step on one; at equal "
        f"time the lowest training loss was reached by {_best(cmp['rows'])}.",
        "",
        "![decision boundary on the moons](moons_boundary.png)",
        "",
        "The mini-batch model's probability P(y = 1 | x) over the plane, with the boundary "
        "P = ½ in black: the hidden layers have bent a linear classifier around the moons.",
        "",
        "## 3. Vanishing gradients",
        "",
        "```",
        van["table"],
        "```",
        "",
        "![gradient norm per layer](vanishing.png)",
        "",
        "The gradient norm ‖∂L/∂Wₗ‖ of every layer of a 20-layer net, input layer on the left. "
        f"Backprop multiplies by φ′ ≤ ¼ at every sigmoid layer, so its first layer gets "
        f"{first.get('sigmoid', math.nan):.1e}, against {first.get('relu', math.nan):.1e} for ReLU "
        "(each with its standard initialisation): a deep sigmoid net barely learns.",
        "",
        "### Saturation: the same nets with naive N(0, 1) weights",
        "",
        "```",
        van["naive_table"],
        "```",
        "",
        "![gradient norm per layer, N(0, 1) init](vanishing_naive.png)",
        "",
        "The columns *z std* and *mean φ′* are the size of the pre-activations z and the "
        "average slope of the activation at them, over the layers:",
        "",
        *[f"- {line}" for line in van["note"].splitlines()[:-1]],
        "",
        van["note"].splitlines()[-1],
        "",
        "![activations and derivatives](activations.png)",
        "",
        "Each activation beside its derivative, computed by chainrule's backward rules. The "
        "sigmoid's derivative never exceeds ¼; ReLU's is exactly 1 wherever the unit is active.",
        "",
        "## 4. Hidden units are learned basis functions",
        "",
        "![basis functions of a sine fit](basis_functions.png)",
        "",
        f"A 1-{basis['hidden']}-1 tanh net fitted to a noisy sine (training MSE "
        f"{basis['loss']:.4f}, noise variance {basis['noise']:.4f}). Left: each hidden unit "
        "scaled by its output weight, wⱼφⱼ(x), a shifted and stretched tanh; right: their sum "
        "is the network's output. Linear regression on fixed basis functions, except that the "
        "network chose the basis itself.",
        "",
        "## 5. Backpropagation, step by step",
        "",
        "[explain.md](explain.md) walks one example through a 2-3-1 tanh network: every node's "
        "value, its local Jacobian ∂u/∂x and the chain rule ∂L/∂x = ∂u/∂x · ∂L/∂u. The "
        f"step-by-step gradients agree with `backward()` and finite differences to "
        f"{expl['max_abs_error']:.1e}.",
        "",
    ]
    return "\n".join(lines)


def _check_links(report: str, folder: Path) -> None:
    """RuntimeError (a bug) when the report links a file that was not written."""
    missing = [
        link for link in re.findall(r"\]\(([^)\s]+)\)", report) if not (folder / link).is_file()
    ]
    if missing:
        raise RuntimeError(f"the demo report links files that were not written: {missing}")


def _target(out: str) -> Path:
    """``--out``, refused when it exists and is not an earlier demo report."""
    target = Path(out)
    if target.name in ("", ".", ".."):
        raise ValueError(f"--out {out!r}: name a directory to create")
    if os.path.lexists(target):
        C.check_replaceable(target, None, "demo report")
        if any(target.iterdir()) and not (target / "report.md").is_file():
            raise FileExistsError(
                f"{target} exists and is not a demo report (no report.md); refusing to replace "
                "it: remove it or choose another --out"
            )
    return target


def run(args: argparse.Namespace) -> int:
    """Run the experiments, write the report, print a summary."""
    from chainrule import viz

    C.require_matplotlib("chainrule demo")
    target = _target(args.out)
    t0 = time.perf_counter()
    stage = C.staging_dir(target)
    stage.mkdir()
    try:
        _say("1. logistic regression σ(wᵀx + b) + BCE")
        lr = _logistic_regression(stage, args.seed)
        line = f"   {lr['data']}: training accuracy {lr['accuracy']:.1%}"
        if lr.get("sklearn") is not None:
            line += f"; max |Δcoef| vs scikit-learn = {lr['max_rel_diff']:.1e} of the largest"
        _say(line)

        _say("2. two moons: SGD (batch 1) vs mini-batch (32) vs full batch")
        cmp = _batch_sizes(stage, args.seed)
        _say(f"   {'method':<16} {'epochs':>6} {'loss':>8} {'test acc':>9}   (equal time)")
        for label, row in cmp["rows"].items():
            t = row["time"]
            _say(f"   {label:<16} {t['epochs']:>6} {t['loss']:>8.4f} {t['val_accuracy']:>9.1%}")

        _say("3. vanishing gradients, depth 20")
        van = _vanishing(stage, args.seed)
        for name, r in van["result"]["results"].items():
            _say(f"   {name:<8} first-layer ‖∂L/∂W‖ {r['init'][0]:.2e}, last {r['init'][-1]:.2e}")
        _say("   with naive N(0, 1) weights (pre-activation size, saturation):")
        for name, r in van["naive"]["results"].items():
            if not r["init"]:
                _say(f"   {name:<8} {r['overflow']}")
                continue
            sat = r["saturation"]
            _say(
                f"   {name:<8} first/last {r['ratio_first_last']:.1e}, z std "
                f"{sum(sat['preact_std']) / len(sat['preact_std']):.2g}, mean φ′ "
                f"{sum(sat['slope']) / len(sat['slope']):.2f}"
            )
        viz.activations(None, stage / "activations.png")

        _say("4. basis functions of a 1-6-1 tanh net fitting sin(x)")
        basis = _basis(stage, args.seed)
        _say(f"   training MSE {basis['loss']:.4f} (noise variance {basis['noise']:.4f})")

        _say("5. backprop walkthrough (explain.md)")
        expl = _explain(stage, args.seed)
        _say(f"   chain rule vs backward() vs finite differences: {expl['max_abs_error']:.1e}")

        report = _report(lr, cmp, van, basis, expl, time.perf_counter() - t0)
        C.atomic_write_text(stage / "report.md", report)
        _check_links(report, stage)
        C.publish_dir(stage, target, overwrite=True)
    finally:
        if os.path.lexists(stage):
            shutil.rmtree(stage, ignore_errors=True)
    _say(f"report written to {target / 'report.md'} ({time.perf_counter() - t0:.0f} s)")
    sys.stdout.flush()
    return 0
