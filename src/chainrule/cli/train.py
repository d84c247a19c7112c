"""``chainrule train DATA``: train an MLP on a built-in data set or a CSV file, save the run.

The run directory holds the model (``config.json`` + ``model.safetensors``, whose metadata
records the task, the feature and target names, the class encoding and the scaler, so that
``evaluate`` and ``predict`` need nothing else), ``history.csv``, ``metrics.json`` and plots.
It is assembled in a hidden directory beside its final place and renamed into place at the
end, so a failed or killed run never leaves a half-written run directory.

Ctrl-C (or SIGTERM) stops training after the current batch; what was trained so far is saved,
the run is marked ``"interrupted": true`` in ``metrics.json`` and the command exits with status
130 (143 for SIGTERM). A signal after the last epoch (while scoring, saving or plotting) skips
the remaining plots but still saves the finished run, with the same exit status.

Under ``mpiexec -n N`` the same command trains data-parallel (``--batch-size`` per rank); rank 0
alone prints and writes the one run directory, and an error on any rank ends every rank.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from chainrule.cli import _common as C
from chainrule.cli import _signals
from chainrule.cli._budget import check_memory, data_bytes, mlp_bytes
from chainrule.cli._paths import check_output_dir

__all__ = ["OPTIMIZERS", "add_parser", "run"]

OPTIMIZERS: dict[str, tuple[str, dict[str, Any], float]] = {
    "sgd": ("SGD", {}, 0.1),
    "momentum": ("SGD", {"momentum": 0.9}, 0.05),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, 0.05),
    "adam": ("Adam", {}, 0.01),
    "adamw": ("AdamW", {}, 0.01),
    "rmsprop": ("RMSprop", {}, 0.01),
    "adagrad": ("Adagrad", {}, 0.1),
}
"""``--optimizer`` name -> (class in chainrule.optim, extra arguments, default learning rate)."""


def _loss_name(text: str) -> str:
    """``--loss`` spelled any way: 'Cross-Entropy' is 'cross_entropy'."""
    return text.strip().lower().replace("-", "_")


def _nonnegative(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options that say how to read DATA (shared with ``evaluate``)."""
    p.add_argument(
        "--target",
        metavar="COL",
        help="the CSV column to predict (default: the last column; for evaluate: the trained one)",
    )
    C.add_nan_option(p, "CSV cells")
    p.add_argument(
        "--n-samples",
        type=C.positive_int,
        metavar="N",
        help="rows drawn from a built-in generator such as moons (default 500)",
    )
    p.add_argument(
        "--noise",
        type=_nonnegative,
        help="noise of a built-in generator (default: the generator's own)",
    )


def check_data_options(args: argparse.Namespace, generator_seed: bool = False) -> None:
    """Refuse data options that do not apply to DATA (before any work), e.g. ``--target``
    with a built-in data set, or ``--n-samples`` with a CSV file."""
    from chainrule.datasets import registry

    given = {
        "--target": args.target is not None,
        "--nan": args.nan != "error",
        "--n-samples": args.n_samples is not None,
        "--noise": args.noise is not None,
        "--seed": generator_seed and args.seed is not None,
    }
    if C.is_path(args.data):
        wrong = [o for o in ("--n-samples", "--noise", "--seed") if given[o]]
        why = "built-in generators such as moons, not to a CSV file"
    else:
        key = args.data.strip().lower().replace("-", "_").replace(" ", "_")
        wrong = [o for o in ("--target", "--nan") if given[o]]
        why = f"CSV files, not to the built-in data set {key!r}"
        if not wrong and key in registry.REAL:
            wrong = [o for o in ("--n-samples", "--noise", "--seed") if given[o]]
            why = f"built-in generators such as moons, not to the fixed data set {key!r}"
    if wrong:
        raise ValueError(
            f"{' and '.join(wrong)} {'apply' if len(wrong) > 1 else 'applies'} to {why}"
        )


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``train``: train an MLP on a data set and save the run.

    Train a multi-layer perceptron on DATA (a built-in data set such as moons, breast_cancer,
    iris, sine_1d, or the path of a CSV file) and write a run directory: the model,
    history.csv, metrics.json and plots. Ctrl-C stops training, saves what was trained and
    exits with status 130.
    """
    p = C.add_command(sub, "train", run, add_parser.__doc__)
    p.add_argument("data", metavar="DATA", help="built-in data set name or CSV file")
    add_data_options(p)
    p.add_argument(
        "--task",
        choices=tuple(C.TASKS),
        default="auto",
        help="classify, regress, or decide from the target (default auto)",
    )
    p.add_argument(
        "--hidden",
        default="16,16",
        help="hidden layer sizes, comma-separated (default 16,16; 'none' for a linear model)",
    )
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--loss",
        type=_loss_name,
        choices=C.LOSSES,
        default="auto",
        help="auto: cross-entropy (several classes), BCE with logits (two), mse (regression)",
    )
    p.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam")
    p.add_argument(
        "--lr",
        type=C.positive_float,
        help="learning rate (default: 0.01 for adam/adamw/rmsprop, 0.1 for sgd/adagrad, 0.05 "
        "for momentum/nesterov)",
    )
    p.add_argument("--weight-decay", type=_nonnegative, help="L2 penalty on the weights")
    p.add_argument(
        "--batch-size",
        type=C.batch_size,
        default=32,
        metavar="N|full",
        help="examples per step: 1 is SGD, full is gradient descent (default 32)",
    )
    p.add_argument("--epochs", type=C.positive_int, default=100, help="at most (default 100)")
    p.add_argument(
        "--tol",
        type=_nonnegative,
        help="stop when the training loss improves by less than this for --n-iter-no-change epochs",
    )
    p.add_argument("--n-iter-no-change", type=C.positive_int, default=10, metavar="N")
    p.add_argument(
        "--patience",
        type=C.positive_int,
        help="early stopping: stop after this many epochs without a better validation loss "
        "(the best weights are kept)",
    )
    p.add_argument(
        "--validation-split",
        type=C.fraction,
        default=0.2,
        metavar="F",
        help="fraction of the rows held out for validation, stratified (default 0.2)",
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the data, split, weights, shuffles")
    p.add_argument("--out", metavar="RUN_DIR", help="default runs/<data>-<timestamp>")
    p.add_argument("--overwrite", action="store_true", help="replace an existing RUN_DIR")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scale features (and regression targets) to mean 0, std 1 on the training rows; "
        "the scaler is saved with the model (default on)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


# ----------------------------------------------------------------------------- helpers
def _data_label(spec: str) -> str:
    """The name a run directory is called after: a CSV's stem or the data set's name."""
    if C.is_path(spec):
        return Path(spec).stem or "data"
    return spec.strip().lower().replace("-", "_").replace(" ", "_") or "data"


def _run_dir(args: argparse.Namespace) -> Path:
    """The run directory, refused (FileExistsError) when it exists without --overwrite."""
    if args.out is None:
        base = Path("runs") / f"{_data_label(args.data)}-{time.strftime('%Y%m%d-%H%M%S')}"
        target, i = base, 2
        while os.path.lexists(target):  # two runs in the same second: number the second
            target, i = base.with_name(f"{base.name}-{i}"), i + 1
        return target
    target = Path(args.out)
    if target.name in ("", ".", ".."):
        raise ValueError(f"--out {args.out!r}: name a directory to create")
    if os.path.lexists(target):
        if not args.overwrite:
            raise FileExistsError(f"{target} already exists; pass --overwrite to replace it")
        C.check_replaceable(target, C.RUN_FILES, "chainrule run")
    check_output_dir(target, "--out")
    return target


def _choose_loss(requested: str, data: C.Data) -> str:
    """The ``--loss`` to use: chosen from the task for 'auto', else checked against it."""
    task = data.task
    k = len(data.classes or ())
    if requested == "auto":
        if task == "regression":
            return "mse"
        return "bce" if k == 2 else "cross_entropy"
    if requested == "bce" and (task != "classification" or k != 2):
        raise ValueError(f"--loss bce needs two classes, but the target {data.target!r} has {k}")
    if requested == "cross_entropy" and task != "classification":
        raise ValueError(
            f"--loss cross_entropy needs class labels, but the target {data.target!r} is "
            "real-valued (try --task classify)"
        )
    if requested in ("mse", "l1", "huber") and task != "regression":
        raise ValueError(
            f"--loss {requested} is a regression loss, but the target {data.target!r} holds "
            f"{k} classes (use --task regress to treat them as numbers)"
        )
    return requested


def _split(data: C.Data, fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """Train and validation rows (stratified for classification when possible)."""
    from chainrule.backend import to_numpy
    from chainrule.data import train_test_split

    if fraction == 0:
        return data.X, data.y, None, None
    stratify = data.y if data.task == "classification" else None
    try:
        parts = train_test_split(data.X, data.y, test_size=fraction, stratify=stratify, seed=seed)
    except ValueError:
        if stratify is None:
            raise
        parts = train_test_split(data.X, data.y, test_size=fraction, seed=seed)
    X_tr, X_va, y_tr, y_va = (to_numpy(a) for a in parts)
    return X_tr, y_tr, X_va, y_va


def _optimizer(args: argparse.Namespace, params: Any) -> Any:
    """The ``--optimizer`` over ``params`` with ``--lr`` (or its default) and weight decay."""
    from chainrule import optim

    cls_name, extra, default_lr = OPTIMIZERS[args.optimizer]
    kwargs = dict(extra, lr=args.lr if args.lr is not None else default_lr)
    if args.weight_decay is not None:
        kwargs["weight_decay"] = args.weight_decay
    return getattr(optim, cls_name)(params, **kwargs)


def _jsonable_args(args: argparse.Namespace) -> dict[str, Any]:
    """The command-line options, as saved in the checkpoint's metadata."""
    return {
        k: v
        for k, v in vars(args).items()
        if k not in ("run", "command") and (v is None or isinstance(v, (bool, int, float, str)))
    }


def _format_metrics(m: dict[str, float] | None) -> str:
    """``loss 0.1234  accuracy 0.9650``, or '-' without metrics."""
    if not m:
        return "-"
    return "  ".join(f"{k} {v:.4f}" for k, v in m.items() if k != "n")


# ----------------------------------------------------------------------------- the command
class Split(NamedTuple):
    """Raw features and encoded targets (class codes, or scaled values) of each part."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None


def _prepare(args: argparse.Namespace, data: C.Data) -> tuple[C.ModelSpec, Split]:
    """Choose the loss, split the rows, fit the scalers on the training part."""
    from chainrule.data import Standardizer

    if data.task == "classification" and len(data.classes or ()) < 2:
        raise ValueError(f"the target {data.target!r} has a single class; nothing to learn")
    loss_name = _choose_loss(args.loss, data)
    X_tr, y_tr, X_va, y_va = _split(data, args.validation_split, args.seed)
    scaler = target_scaler = None
    if args.standardize:
        sc = Standardizer().fit(X_tr)
        scaler = {"mean": sc.mean_.tolist(), "scale": sc.scale_.tolist()}
        if data.task == "regression":
            std = float(np.std(y_tr))
            target_scaler = {"mean": float(np.mean(y_tr)), "scale": std if std > 0 else 1.0}
    spec = C.ModelSpec(
        data.task or "classification",
        loss_name,
        data.feature_names,
        data.target,
        data.classes,
        scaler,
        target_scaler,
    )
    encode = lambda X, y: C.encode_targets(replace(data, X=X, y=y), spec)
    return spec, Split(X_tr, encode(X_tr, y_tr), X_va, None if X_va is None else encode(X_va, y_va))


def _train(
    args: argparse.Namespace, model: Any, optimizer: Any, spec: C.ModelSpec, split: Split
) -> Any:
    """``fit`` with the run's options; returns the History (marked interrupted on Ctrl-C)."""
    from chainrule import distributed as dist
    from chainrule.train import EarlyStopping, History, ProgressBar, fit

    callbacks: list[Any] = []
    if not args.quiet:
        callbacks.append(ProgressBar(file=sys.stderr, every=max(1, args.epochs // 20)))
    if args.patience is not None:
        monitor = "val_loss" if split.X_val is not None else "loss"
        callbacks.append(
            EarlyStopping(monitor=monitor, patience=args.patience, restore_best_weights=True)
        )
    validation = None
    if split.X_val is not None:
        validation = (C.standardize_inputs(split.X_val, spec), split.y_val)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            history = fit(
                model,
                C.loss_function(spec.loss),
                optimizer,
                C.standardize_inputs(split.X_train, spec),
                split.y_train,
                epochs=args.epochs,
                batch_size=args.batch_size,
                validation_data=validation,
                metrics=["accuracy"] if spec.task == "classification" else ["r2"],
                callbacks=callbacks,
                verbose=0,
                seed=args.seed,
                tol=args.tol,
                n_iter_no_change=args.n_iter_no_change,
            )
        except KeyboardInterrupt:  # Ctrl-C before fit took SIGINT over, or a second Ctrl-C
            if dist.launched_world_size() > 1:  # other ranks may be inside fit: end them all
                raise
            history = History()
            history.stopped_reason = "interrupted"
    for w in caught if dist.is_main() else ():  # e.g. DivergenceWarning, one line each, once
        print(f"chainrule: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    return history


def run(args: argparse.Namespace) -> int:
    """Train, save the run directory, print a summary; 130 (143 on SIGTERM) when interrupted,
    else 0."""
    from chainrule import distributed as dist

    if dist.launched_world_size() == 1:
        return _run(args)
    from chainrule.cli.main import EXIT_INTERRUPTED, EXIT_USAGE, USER_ERRORS, error_line

    try:  # under mpiexec: a user error on one rank must end every rank, not leave them waiting
        return _run(args)
    except USER_ERRORS as exc:
        print(
            error_line(exc).replace("error: ", f"error: rank {dist.rank()}: ", 1), file=sys.stderr
        )
        dist.abort(EXIT_USAGE)
        raise  # pragma: no cover - abort does not return
    except KeyboardInterrupt:  # outside fit (which stops every rank together): end them all
        print(f"chainrule: rank {dist.rank()}: interrupted", file=sys.stderr)
        dist.abort(EXIT_INTERRUPTED)
        raise  # pragma: no cover


def _run(args: argparse.Namespace) -> int:
    from chainrule import distributed as dist
    from chainrule import nn

    hidden = C.parse_sizes(args.hidden, "--hidden", allow_empty=True)
    C.parse_names(args.activation, "--activation", nn.activation_names())
    check_data_options(args)
    if args.n_samples is not None:
        check_memory(data_bytes(args.n_samples, 3), f"--n-samples {args.n_samples}")
    batch = 1 if args.batch_size == "full" else args.batch_size  # the rows bound a full batch
    check_memory(mlp_bytes([1, *hidden, 1], batch), f"--hidden {args.hidden}")
    if not args.no_plots:
        C.require_matplotlib("plotting")
    target = _run_dir(args)
    data = C.load_data(
        args.data,
        target=args.target,
        task=C.TASKS[args.task],
        nan=args.nan,
        n_samples=args.n_samples,
        noise=args.noise,
        seed=args.seed,
    )
    spec, split = _prepare(args, data)
    sizes = [data.X.shape[1], *hidden, spec.n_outputs]
    batch = len(split.X_train) if args.batch_size == "full" else args.batch_size
    check_memory(
        mlp_bytes(sizes, min(batch, len(split.X_train))), f"a {'-'.join(map(str, sizes))} network"
    )
    model = nn.mlp(sizes, activation=args.activation, seed=args.seed)
    # --weight-decay is an "L2 penalty on the weights": biases and norm parameters are left out
    optimizer = _optimizer(
        args, nn.utils.param_groups(model, weight_decay=args.weight_decay or 0.0)
    )
    n_train, n_val = len(split.X_train), 0 if split.X_val is None else len(split.X_val)
    if not args.quiet and dist.is_main():
        print(
            f"chainrule: training a {'-'.join(map(str, sizes))} {args.activation} network on "
            f"{data.name} ({n_train} training rows, {n_val} validation rows, loss {spec.loss}, "
            f"{args.optimizer}) for up to {args.epochs} epochs; Ctrl-C stops and saves",
            file=sys.stderr,
            flush=True,
        )
    signals = _signals.current()
    t0 = time.perf_counter()
    history = _train(args, model, optimizer, spec, split)
    seconds = time.perf_counter() - t0
    if not dist.is_main():  # rank 0 scores, saves and reports the run
        return 130 if history.interrupted else 0
    with signals.deferred():  # training is over: a signal from here on keeps the finished run
        signals.pause_point("trained")
        scores = _save_run(
            args, target, model, optimizer, history, spec, data, split, seconds, sizes
        )
    print(f"run saved to {target}")
    print(
        f"  {history.epochs} epoch{'' if history.epochs == 1 else 's'} in {seconds:.1f} s, "
        f"stopped: {history.stopped_reason}"
        + ("  (interrupted: the weights trained so far are saved)" if history.interrupted else "")
    )
    print(f"  train       {_format_metrics(scores['train'])}")
    print(f"  validation  {_format_metrics(scores['val'])}")
    return signals.status(130 if history.interrupted else 0)


def _save_run(
    args: argparse.Namespace,
    target: Path,
    model: Any,
    optimizer: Any,
    history: Any,
    spec: C.ModelSpec,
    data: C.Data,
    split: Split,
    seconds: float,
    sizes: list[int],
) -> dict[str, Any]:
    """Score the model, write the run directory (assembled aside, then renamed into place);
    return the scores. Plots are skipped, or dropped, once a signal arrives."""
    import chainrule
    from chainrule import distributed

    n_train, n_val = len(split.X_train), 0 if split.X_val is None else len(split.X_val)
    scores = {
        "train": C.score(model, C.standardize_inputs(split.X_train, spec), split.y_train, spec)
    }
    scores["val"] = None
    if split.X_val is not None:
        scores["val"] = C.score(model, C.standardize_inputs(split.X_val, spec), split.y_val, spec)
    metrics = {
        "data": args.data,
        "task": spec.task,
        "loss_function": spec.loss,
        "epochs_requested": args.epochs,
        "epochs_run": history.epochs,
        "stopped_reason": history.stopped_reason,
        "interrupted": history.interrupted,
        "best_epoch": history.best_epoch,
        "train_seconds": seconds,
        "n_train": n_train,
        "n_val": n_val,
        "ranks": distributed.world_size(),  # data-parallel processes (--batch-size is per rank)
        **scores,
    }
    metadata = {
        **spec.to_metadata(),
        "data": data.source,
        "architecture": {"sizes": sizes, "activation": args.activation},
        "args": _jsonable_args(args),
        "final": scores,
        "interrupted": history.interrupted,
    }
    signals = _signals.current()
    stage = C.staging_dir(target)
    try:
        chainrule.save(model, stage, optimizer=optimizer, metadata=metadata)
        history.to_csv(stage / "history.csv")
        plots: list[str] = []
        if not args.no_plots and not history.interrupted and not signals.pending:
            try:
                with signals.interruptible():
                    signals.pause_point("plotting")
                    plots = _plots(stage, model, history, spec, data.name, split)
            except KeyboardInterrupt:  # a signal while plotting: keep the run, drop its plots
                for name in ("loss.png", "decision_boundary.png", "confusion_matrix.png"):
                    (stage / name).unlink(missing_ok=True)
        metrics["plots"] = plots
        C.write_json(stage / "metrics.json", metrics)
        signals.pause_point("saved")
        C.publish_dir(stage, target, args.overwrite)
    finally:
        if os.path.lexists(stage):
            shutil.rmtree(stage, ignore_errors=True)
    return scores


def _plots(
    stage: Path, model: Any, history: Any, spec: C.ModelSpec, name: str, split: Split
) -> list[str]:
    """Write the run's PNGs into ``stage``; return their file names."""
    from chainrule import metrics as M
    from chainrule import viz

    written = []
    if history.epochs:
        viz.loss_curves(history, stage / "loss.png", title=f"{name}: learning curves")
        written.append("loss.png")
    if spec.task != "classification":
        return written
    labels = [str(c) for c in spec.classes or ()]
    if split.X_train.shape[1] == 2:

        def probabilities(X: np.ndarray) -> np.ndarray:
            X = np.asarray(X, dtype=split.X_train.dtype)
            return C.predict_arrays(C.forward(model, C.standardize_inputs(X, spec)), spec)[1]

        parts = [(split.X_train, split.y_train), (split.X_val, split.y_val)]
        X_all = np.concatenate([X for X, _ in parts if X is not None])
        y_all = np.concatenate([y for X, y in parts if X is not None])
        viz.decision_boundary(
            probabilities,
            X_all,
            y_all,
            stage / "decision_boundary.png",
            class_names=labels,
            title=f"{name}: decision boundary",
        )
        written.append("decision_boundary.png")
    which = "training" if split.X_val is None else "validation"
    X_eval, y_eval = (split.X_train, split.y_train) if split.X_val is None else split[2:]
    codes, _ = C.predict_arrays(C.forward(model, C.standardize_inputs(X_eval, spec)), spec)
    cm = M.confusion_matrix(y_eval, codes, labels=np.arange(len(labels)))
    viz.confusion_matrix(
        cm, labels, stage / "confusion_matrix.png", title=f"{name}: confusion matrix ({which} rows)"
    )
    written.append("confusion_matrix.png")
    return written
