"""chainrule on CuPy against PyTorch CUDA, on the same GPU, fp32 with TF32 off.

Workloads (float32 MLPs, softmax cross-entropy, plain SGD; ``workloads.py`` for A and B):

=====  ============================  =====  ======  ==========================
key    sizes                         batch  steps   target (chainrule / torch)
=====  ============================  =====  ======  ==========================
A      784-256-256-10 relu           128    400     >= 1.00x (launch-bound)
B      1024-2048-2048-10 relu        256    30      >= 0.95x
G      4096-4096-4096-4096-4096 relu 4096   20      >= 0.95x (4 layers of 4096)
=====  ============================  =====  ======  ==========================

Both systems start from the same initial weights and see the same batches in the same order;
the data sit on the GPU (a batch is one gather on the device). Systems measured:

- ``chainrule``: the eager step (zero_grad / forward / loss / backward / step) on
  ``CHAINRULE_BACKEND=cupy``;
- ``chainrule compiled``: the same step through ``chainrule.compile``;
- ``torch``: the idiomatic PyTorch eager step, ``zero_grad(set_to_none=True)``.

TF32 is off on both sides (``CUPY_TF32=0``; torch's ``allow_tf32`` flags False and matmul
precision "highest"), so both do true fp32 matmuls. The systems run interleaved in rounds
(round r starts at a rotated system), each run ends with ``loss.item()`` (a device
synchronisation), and the median samples/s over the rounds is reported, with the ratio to
torch and PASS/FAIL against the targets. The final losses are printed as a check that both
trained the same network.

Usage (on a machine with a CUDA GPU, CuPy and a CUDA build of PyTorch)::

    python benchmarks/gpu_suite.py             # A, B, G; about a minute on an H100
    python benchmarks/gpu_suite.py --quick     # fewer steps and rounds
    python benchmarks/gpu_suite.py --device cpu --quick   # a CPU dry run of the script itself

Without a GPU (or without CuPy or CUDA PyTorch) it says so and exits with status 2; it never
prints figures it did not measure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGETS = {"A": 1.0, "B": 0.95, "G": 0.95}
EXIT_NO_GPU = 2


def _gpu_missing() -> str | None:
    """Why this machine cannot run the suite on a GPU, or None when it can."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install cupy-cuda12x)"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no CUDA device"
    except Exception as exc:  # no driver, no device
        return f"CuPy cannot reach a CUDA device ({type(exc).__name__}: {exc})"
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed"
    if not torch.cuda.is_available():
        return f"this PyTorch ({torch.__version__}) has no CUDA device"
    return None


def _workloads() -> dict:
    from workloads import WORKLOADS, Workload

    g = Workload("G", "4 x 4096 relu, CE, batch 4096", (4096,) * 5, "relu", "ce",
                 4096, 20, 5, 4 * 4096, 0.01)  # fmt: skip
    return {"A": WORKLOADS["A"], "B": WORKLOADS["B"], "G": g}


# ----------------------------------------------------------------------------- driver
def _setup(device: str) -> None:
    """Before chainrule or torch is imported: the backend, and TF32 off everywhere."""
    if device == "cuda":
        os.environ["CHAINRULE_BACKEND"] = "cupy"
        os.environ["CUPY_TF32"] = "0"
        os.environ["NVIDIA_TF32_OVERRIDE"] = "0"
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", default="ABG", help="keys to run (default ABG)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument(
        "--quick", action="store_true", help="the workloads' quick step counts, 3 rounds"
    )
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                   help="cpu: a dry run of the script on NumPy and torch CPU (no GPU figures)")  # fmt: skip
    args = p.parse_args(argv)
    if args.device == "cuda":
        why = _gpu_missing()
        if why is not None:
            print(f"gpu_suite: no GPU to measure on: {why}; nothing was measured", file=sys.stderr)
            return EXIT_NO_GPU
    _setup(args.device)
    import torch
    from torch_ref import torch_runner
    from workloads import chainrule_runner

    from chainrule.backend import NAME

    work = _workloads()
    keys = [k for k in args.workloads.upper() if k in work]
    rounds = 3 if args.quick else args.rounds
    if args.device == "cuda":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"GPU: {props['name'].decode()}; CuPy {cupy.__version__}, torch {torch.__version__}")
    else:
        print(f"CPU dry run (chainrule on {NAME}, torch CPU): not GPU figures")
    print(f"fp32, TF32 off; {rounds} interleaved rounds; median samples/s\n")
    header = f"{'workload':<40} {'system':<20} {'samples/s':>12} {'vs torch':>9} {'loss':>9}"
    print(header)
    print("-" * len(header))
    failed = False
    for key in keys:
        w = work[key]
        steps = w.quick_steps if args.quick else w.steps
        if args.device == "cpu" and key == "G":
            steps = 1
        runners = {  # the suite's own runners (workloads.py, torch_ref.py), on the device
            "chainrule": chainrule_runner(w, steps, "loop"),
            "chainrule compiled": chainrule_runner(w, steps, "compiled"),
            "torch": torch_runner(w, steps, args.device),
        }
        for run in runners.values():  # warm-up: allocator pools, kernels, cuBLAS handles
            run()
        names = list(runners)
        times: dict[str, list[float]] = {n: [] for n in names}
        losses: dict[str, float] = {}
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                t0 = time.perf_counter()
                losses[name] = runners[name]()  # .item() synchronises the device
                times[name].append(time.perf_counter() - t0)
        rate = {n: steps * w.batch / statistics.median(t) for n, t in times.items()}
        for name in names:
            ratio = rate[name] / rate["torch"]
            mark = ""
            if name != "torch" and args.device == "cuda":  # targets are for the GPU
                ok = ratio >= TARGETS[key]
                failed |= name == "chainrule" and not ok
                mark = f"  {'PASS' if ok else 'FAIL'} (target {TARGETS[key]:.2f}x)"
            print(f"{key + ': ' + w.title:<40} {name:<20} {rate[name]:>12,.0f} {ratio:>8.2f}x "
                  f"{losses[name]:>9.4f}{mark}")  # fmt: skip
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
