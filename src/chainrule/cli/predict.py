"""``chainrule predict RUN_DIR INPUT.csv [-o OUT.csv]``: predictions of a trained run.

INPUT.csv holds the trained feature columns, in any order (a target column, if present, is
ignored). The output has one row per input row: ``prediction`` (the decoded class label, or
the predicted value for regression) and, for classifiers, one ``p_<class>`` probability column
per class. With ``-o`` the file is written atomically; without it the CSV goes to standard
output. An existing OUT.csv is replaced only with ``--overwrite``, and never when it is the
input file or a file of RUN_DIR.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any

import numpy as np

from chainrule.cli import _common as C
from chainrule.cli._paths import check_output_file, user_os_error

__all__ = ["add_parser", "predictions_csv", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``predict``: write a trained run's predictions for a CSV file.

    Predict with the model of RUN_DIR for every row of INPUT.csv: a 'prediction' column (class
    label or value) and, for classifiers, a p_<class> probability column per class.
    """
    p = C.add_command(sub, "predict", run, add_parser.__doc__)
    p.add_argument("run_dir", metavar="RUN_DIR", help="a directory written by chainrule train")
    p.add_argument("input", metavar="INPUT.csv", help="the rows to predict")
    p.add_argument("-o", "--output", metavar="OUT.csv", help="write here (default: stdout)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing OUT.csv (never the input file or a file of RUN_DIR)",
    )
    C.add_nan_option(p)
    return p


def predictions_csv(outputs: np.ndarray, spec: C.ModelSpec) -> str:
    """The predictions as CSV text, floats written exactly (``repr``).

    >>> spec = C.ModelSpec("classification", "bce", ["a"], "t", ["no", "yes"], None, None)
    >>> print(predictions_csv(np.array([[0.0]]), spec).strip())
    prediction,p_no,p_yes
    no,0.5,0.5
    """
    pred, proba = C.predict_arrays(outputs, spec)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if proba is None:
        writer.writerow(["prediction"])
        writer.writerows([repr(float(v))] for v in pred)
        return buf.getvalue()
    classes = list(spec.classes or ())
    writer.writerow(["prediction", *(f"p_{c}" for c in classes)])
    for code, row in zip(pred.tolist(), proba.tolist()):
        writer.writerow([classes[code], *(repr(float(p)) for p in row)])
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    """Predict and write the CSV (to ``-o`` or standard output)."""
    if not C.is_path(args.input):
        raise ValueError(f"INPUT must be a CSV file, got {args.input!r}")
    if args.output is not None:
        check_output_file(
            args.output,
            "-o",
            overwrite=args.overwrite,
            inputs=[args.input],
            protected=[args.run_dir],
        )
    model, spec = C.load_run(args.run_dir)
    # a target column in the input (e.g. the training file itself) is ignored
    has_target = spec.target is not None and spec.target in C.csv_header(args.input)
    data = C.load_data(
        args.input,
        target=spec.target if has_target else None,
        task=spec.task if has_target else "auto",
        nan=args.nan,
        need_target=False,
    )
    data = C.check_columns(data, spec.feature_names)
    outputs = C.forward(model, C.standardize_inputs(data.X, spec))
    if not np.isfinite(outputs).all():  # never a CSV of nan with exit status 0
        row = int(np.argwhere(~np.isfinite(outputs))[0][0])
        raise ValueError(
            f"the model of {args.run_dir!r} gives a non-finite output for row {row + 1} of "
            f"{args.input}; its weights or saved scaler are damaged"
        )
    text = predictions_csv(outputs, spec)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            C.atomic_write_text(args.output, text)
        except OSError as exc:  # name the user's file, not the temporary one
            raise user_os_error(exc, "-o", args.output) from None
        print(f"wrote {len(data.X)} predictions to {args.output}", file=sys.stderr)
    return 0
