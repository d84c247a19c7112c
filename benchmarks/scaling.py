"""Data-parallel scaling on MPI: measured on this machine, modelled for larger ones.

What is measured (every rank single-threaded: OMP/OPENBLAS/MKL_NUM_THREADS=1)
-------------------------------------------------------------------------------
weak scaling   workload B (1024-2048-2048-10 relu, CE, SGD), batch 256 per rank, on 1 rank
               (no MPI in the step) and on 2 ranks (one Allreduce per 25 MiB bucket per step,
               ``chainrule.distributed.GradientReducer``): samples/s, the efficiency
               ``samples/s(2) / (2 · samples/s(1))``, and the fraction of the step spent in
               the Allreduce (including the wait for the slower rank). For reference: one
               process with 2 BLAS threads, the other way to use both cores.
overlap        the same 2-rank step with ``OverlappedReducer`` (each bucket's ``Iallreduce``
               starts when backward has finished it; 4 MiB buckets so that there are several),
               with MPICH progressing only inside MPI calls, and with its progress thread
               (``MPICH_ASYNC_PROGRESS=1``).
allreduce      bandwidth and latency of ``Allreduce`` on 2 ranks: median time for 8 B and for
               the gradient sizes of workloads A and B; bus bandwidth = 2(N-1)/N · bytes / t.

The model (printed with its assumptions)
----------------------------------------
Weak scaling to N = 8, 32, 128 ranks for workloads A and B: compute time per step t_c as
measured on one rank here (one core each), ring Allreduce time
T(N) = 2(N-1)/N · bytes / bandwidth + 2(N-1) · latency, efficiency t_c / (t_c + T(N)) without
overlap and t_c / (t_c + max(0, T(N) - t_bwd)) with ideal overlap (t_bwd = the backward pass,
taken as 2/3 of t_c). Bandwidth and latency: those measured here (shared memory, one machine),
and, for a cluster, assumed 10 Gb/s Ethernet (1.25 GB/s, 20 µs) and 100 Gb/s InfiniBand
(12.5 GB/s, 2 µs).

The ranks run in a loopback-only network namespace when permitted
(``chainrule.distributed.launch``). The machine may be shared and loaded: rounds are
interleaved (each configuration once per round) and medians reported; say so with the figures.

Usage::

    python benchmarks/scaling.py                # about a minute or two
    python benchmarks/scaling.py --rounds 3 --steps 8 --write
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
NETWORKS = {"10 GbE (assumed)": (1.25e9, 20e-6), "100 Gb IB (assumed)": (12.5e9, 2e-6)}
RANKS = (8, 32, 128)


# ----------------------------------------------------------------------------- worker (a rank)
def _batches(w, rank: int, world: int, steps: int):
    from workloads import make_data

    import chainrule as cr

    X, y = make_data(w)
    b = w.batch
    out = []
    for s in range(steps):
        start = ((s * world + rank) * b) % (w.n - b + 1)
        out.append((cr.Tensor(X[start : start + b]), cr.Tensor(y[start : start + b])))
    return out


def worker_train(key: str, mode: str, steps: int, warmup: int, bucket_mb: float) -> dict:
    from mpi4py import MPI
    from workloads import WORKLOADS

    from chainrule import nn, optim
    from chainrule.distributed import GradientReducer
    from chainrule.distributed.overlap import OverlappedReducer
    from chainrule.nn.losses import cross_entropy

    comm = MPI.COMM_WORLD
    rank, world = comm.Get_rank(), comm.Get_size()
    w = WORKLOADS[key]
    model = nn.mlp(w.sizes, w.activation, seed=w.seed)
    opt = optim.SGD(model.parameters(), lr=w.lr)
    bucket = int(bucket_mb * 2**20)
    reducer = None
    if mode == "sync":
        reducer = GradientReducer(model.parameters(), comm, bucket, n_extra=1)
    elif mode == "overlap":
        reducer = OverlappedReducer(model.parameters(), comm, bucket, n_extra=1)
    batches = _batches(w, rank, world, warmup + steps)
    b = w.batch
    compute, comm_t, total, early = [], [], [], 0
    comm.Barrier()
    for s, (xb, yb) in enumerate(batches):
        t0 = time.perf_counter()
        opt.zero_grad()
        if mode == "overlap":
            with reducer.step(model, b):
                loss = cross_entropy(model(xb), yb)
                reducer.extra = [float(loss.item()) * b]
                loss.backward()
                t1 = time.perf_counter()
            early = reducer.early
        else:
            loss = cross_entropy(model(xb), yb)
            value = float(loss.item())
            loss.backward()
            t1 = time.perf_counter()
            if reducer is not None:
                reducer.sync(b, [value * b])
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if s >= warmup:
            compute.append((t1 - t0) + (t3 - t2))
            comm_t.append(t2 - t1)
            total.append(t3 - t0)
    step = statistics.median(total)
    return {
        "mode": mode,
        "ranks": world,
        "step_s": step,
        "compute_s": statistics.median(compute),
        "allreduce_s": statistics.median(comm_t),
        "samples_per_s": world * b / step,
        "buckets": 0 if reducer is None else len(reducer.buckets),
        "early_buckets": early,
        "grad_bytes": sum(int(p.numpy().nbytes) for p in model.parameters()),
    }


def worker_bandwidth(sizes: list[int], reps: int) -> dict:
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = {}
    for nbytes in sizes:
        buf = np.ones(max(1, nbytes // 4), dtype=np.float32)
        times = []
        for _ in range(reps + 1):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            times.append(time.perf_counter() - t0)
        out[str(buf.nbytes)] = statistics.median(times[1:])
    return {"ranks": comm.Get_size(), "times": out}


def worker(args: argparse.Namespace) -> None:
    from mpi4py import MPI

    if args.mode == "bandwidth":
        result = worker_bandwidth([int(s) for s in args.sizes.split(",")], args.reps)
    else:
        result = worker_train(args.workload, args.mode, args.steps, args.warmup, args.bucket_mb)
    if MPI.COMM_WORLD.Get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)


# ----------------------------------------------------------------------------- driver
def launch(n: int, argv: list[str], env: dict[str, str], timeout: float = 600) -> dict:
    from chainrule.distributed.launch import local_command

    cmd = local_command(n, [sys.executable, str(Path(__file__).resolve()), "--worker", *argv])
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **env}, timeout=timeout
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(argv)} on {n} ranks failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1][len("RESULT ") :])


def _efficiency(
    tc: float, nbytes: int, n: int, bandwidth: float, latency: float, overlap: bool = False
) -> float:
    """Weak-scaling efficiency with a ring Allreduce (see the module notes for the model)."""
    t = 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency
    hidden = 2 / 3 * tc if overlap else 0.0
    return tc / (tc + max(0.0, t - hidden))


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mode", default="sync", help=argparse.SUPPRESS)
    p.add_argument("--workload", default="B", help=argparse.SUPPRESS)
    p.add_argument("--bucket-mb", type=float, default=25.0, help=argparse.SUPPRESS)
    p.add_argument("--sizes", default="8", help=argparse.SUPPRESS)
    p.add_argument("--reps", type=int, default=10, help=argparse.SUPPRESS)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=6, help="timed steps of workload B per run")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds (median reported)")
    p.add_argument("--write", action="store_true", help="also write benchmarks/results/")
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    one = dict(SINGLE_THREAD)
    two_threads = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    common = ["--workload", "B", "--steps", str(args.steps), "--warmup", str(args.warmup)]
    configs = {
        "1 rank, 1 thread": (1, [*common, "--mode", "local"], one),
        "1 rank, 2 BLAS threads": (1, [*common, "--mode", "local"], two_threads),
        "2 ranks, Allreduce after backward": (2, [*common, "--mode", "sync"], one),
        "2 ranks, overlapped (4 MiB buckets)": (
            2, [*common, "--mode", "overlap", "--bucket-mb", "4"], one),
        "2 ranks, overlapped + MPICH progress thread": (
            2, [*common, "--mode", "overlap", "--bucket-mb", "4"],
            {**one, "MPICH_ASYNC_PROGRESS": "1"}),
        "2 ranks, Allreduce after backward (4 MiB buckets)": (
            2, [*common, "--mode", "sync", "--bucket-mb", "4"], one),
    }  # fmt: skip
    runs: dict[str, list[dict]] = {k: [] for k in configs}
    t_start = time.perf_counter()
    for r in range(args.rounds):
        for name, (n, a, env) in configs.items():
            runs[name].append(launch(n, a, env))
            print(f"round {r + 1}/{args.rounds}: {name}: "
                  f"{runs[name][-1]['samples_per_s']:.0f} samples/s", file=sys.stderr)  # fmt: skip
    # compute time of A on one rank (for the model) and Allreduce bandwidth on 2 ranks
    a_local = launch(
        1, ["--workload", "A", "--steps", "40", "--warmup", "5", "--mode", "local"], one
    )
    b_bytes = runs["1 rank, 1 thread"][0]["grad_bytes"]
    sizes = [8, a_local["grad_bytes"], b_bytes]
    bw = launch(
        2, ["--mode", "bandwidth", "--sizes", ",".join(map(str, sizes)), "--reps", "10"], one
    )
    seconds = time.perf_counter() - t_start

    med = {k: {f: statistics.median(x[f] for x in v) for f in ("samples_per_s", "step_s",
           "compute_s", "allreduce_s")} for k, v in runs.items()}  # fmt: skip
    base = med["1 rank, 1 thread"]["samples_per_s"]
    lines = [f"# Data-parallel scaling on MPI, {_dt.date.today().isoformat()}", ""]
    lines += [
        f"Machine: {os.cpu_count()} CPUs, shared with other jobs (loaded: figures are noisy); "
        f"every rank single-threaded unless said. {args.rounds} interleaved rounds of "
        f"{args.steps} timed steps (after {args.warmup} warm-up), medians. Took {seconds:.0f} s.",
        "",
        f"Command: `python benchmarks/scaling.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        "## Weak scaling, workload B (1024-2048-2048-10, batch 256 per rank)",
        "",
        "| configuration | samples/s | step ms | compute ms | Allreduce ms | Allreduce share "
        "| efficiency vs 1 rank |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in med.items():
        n = configs[name][0]
        eff = m["samples_per_s"] / (n * base)
        lines.append(
            f"| {name} | {_fmt_rate(m['samples_per_s'])} | {1e3 * m['step_s']:.0f} | "
            f"{1e3 * m['compute_s']:.0f} | {1e3 * m['allreduce_s']:.1f} | "
            f"{m['allreduce_s'] / m['step_s']:.1%} | {eff:.2f} |"
        )
    early = {k: v[0]["early_buckets"] for k, v in runs.items() if "overlapped" in k}
    buckets = {k: v[0]["buckets"] for k, v in runs.items()}
    lines += ["", "Buckets per step: " + ", ".join(f"{k}: {buckets[k]}" for k in buckets if
              buckets[k]) + "; started during backward: " + ", ".join(
              f"{k}: {v}" for k, v in early.items()), ""]  # fmt: skip
    over = med["2 ranks, overlapped (4 MiB buckets)"]["step_s"]
    sync4 = med["2 ranks, Allreduce after backward (4 MiB buckets)"]["step_s"]
    lines += [
        f"Overlap: step {1e3 * over:.0f} ms overlapped against {1e3 * sync4:.0f} ms after "
        f"backward at the same buckets ({(sync4 - over) / sync4:+.1%} time saved).",
        "",
    ]
    # ------------------------------------------------------------------ the model
    t8 = bw["times"]
    lat = t8[min(t8, key=int)]
    lines += [
        "## Allreduce on 2 ranks (this machine, shared memory)",
        "",
        "| bytes | median time | bus bandwidth |",
        "|---:|---:|---:|",
    ]
    for nb, t in sorted(t8.items(), key=lambda kv: int(kv[0])):
        lines.append(f"| {int(nb):,} | {1e6 * t:.0f} µs | {int(nb) / t / 1e9:.2f} GB/s |")
    lines += ["", "## Predicted weak-scaling efficiency at larger scale", ""]
    lines += [
        "Assumptions: weak scaling (batch per rank fixed: A 128, B 256); compute per step per "
        "rank as measured on one rank here, one core each (faster ranks lower the efficiency); "
        "ring Allreduce of all gradients, T(N) = 2(N-1)/N · bytes / bandwidth + 2(N-1) · "
        "latency, bandwidth constant in N, no contention; no overlap, or ideal overlap with the "
        "backward pass (2/3 of compute). The measured bandwidth is one machine's shared "
        "memory (latency: the 8-byte Allreduce); the network rows are assumptions, not "
        "measurements.",
        "",
        "| workload | network | bandwidth | latency | t_c ms | grad MB | N=8 | N=32 | N=128 "
        "| N=128 with overlap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    t_c = {"A": a_local["compute_s"], "B": med["1 rank, 1 thread"]["compute_s"]}
    nbytes = {"A": a_local["grad_bytes"], "B": b_bytes}
    for key in ("A", "B"):
        size = nbytes[key]
        measured = size / t8[str(size)]  # bus bandwidth on 2 ranks = bytes / t
        nets = {"measured here (shm)": (measured, lat), **NETWORKS}
        for net, (bandwidth, latency) in nets.items():
            tc = t_c[key]
            effs = [_efficiency(tc, size, n, bandwidth, latency) for n in RANKS]
            lines.append(
                f"| {key} | {net} | {bandwidth / 1e9:.2f} GB/s | {1e6 * latency:.0f} µs | "
                f"{1e3 * tc:.1f} | {size / 1e6:.1f} | "
                + " | ".join(f"{e:.2f}" for e in effs)
                + f" | {_efficiency(tc, size, 128, bandwidth, latency, overlap=True):.2f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        from chainrule._atomic import atomic_write_text

        out = HERE / "results" / f"scaling-{_dt.date.today().isoformat()}.md"
        atomic_write_text(out, text)
        print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
