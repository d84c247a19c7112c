"""``chainrule evaluate RUN_DIR DATA``: the loss and metrics of a trained run on labelled data.

DATA is a built-in data set (a generator is drawn with the run's own settings unless
``--n-samples``/``--noise``/``--seed`` say otherwise) or a CSV file holding the trained feature
columns (in any order) and the target column. The run's saved scaler is applied first.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chainrule.cli import _common as C
from chainrule.cli._budget import check_memory, data_bytes
from chainrule.cli.train import add_data_options, check_data_options

__all__ = ["add_parser", "evaluate_run", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``evaluate``: print a trained run's metrics on a data set.

    Evaluate the model of RUN_DIR (written by 'chainrule train') on DATA.
    """
    p = C.add_command(sub, "evaluate", run, add_parser.__doc__)
    p.add_argument("run_dir", metavar="RUN_DIR", help="a directory written by chainrule train")
    p.add_argument("data", metavar="DATA", help="built-in data set name or CSV file")
    add_data_options(p)
    p.add_argument("--seed", type=int, help="generator seed (default: the run's)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return p


def evaluate_run(args: argparse.Namespace) -> dict[str, Any]:
    """Load the run and the data; return ``{"loss": ..., <metrics>..., "n": rows}``."""
    check_data_options(args, generator_seed=True)
    if args.n_samples is not None:
        check_memory(data_bytes(args.n_samples, 3), f"--n-samples {args.n_samples}")
    model, spec = C.load_run(args.run_dir)
    source = model.checkpoint_metadata.get("data") or {}  # a generator's n_samples, noise, seed
    data = C.load_data(
        args.data,
        target=args.target if args.target is not None else spec.target,
        task=spec.task,
        nan=args.nan,
        n_samples=args.n_samples if args.n_samples is not None else source.get("n_samples"),
        noise=args.noise if args.noise is not None else source.get("noise"),
        seed=args.seed if args.seed is not None else source.get("seed", 0),
    )
    data = C.check_columns(data, spec.feature_names)
    y = C.encode_targets(data, spec)
    return C.score(model, C.standardize_inputs(data.X, spec), y, spec)


def run(args: argparse.Namespace) -> int:
    """Print the metrics (text or JSON)."""
    result = evaluate_run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.run_dir} on {args.data} ({result['n']} rows)")
    for key, value in result.items():
        if key != "n":
            print(f"  {key:<9} {value:.4f}")
    return 0
