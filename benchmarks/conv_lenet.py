"""One training step of a LeNet-size CNN: chainrule against hand-written NumPy and PyTorch eager.

What is timed
-------------
A forward pass, softmax cross-entropy, the backward pass and a plain SGD update (lr 0.01) of

    conv 1→6 5×5 · ReLU · max-pool 2 · conv 6→16 5×5 · ReLU · max-pool 2 · flatten ·
    Linear 256→120 · ReLU · Linear 120→10

on a batch of 64 random 28×28 images (float32), the same batch every step.

chainrule
    ``nn.Sequential`` of ``Conv2d``/``MaxPool2d``/``Linear``, ``cross_entropy``, ``backward()``,
    ``optim.SGD.step()``: the public API, as a user writes it.
numpy
    The step a competent NumPy programmer writes by hand: im2col through a strided view and one
    GEMM per convolution, col2im by a loop over the 25 kernel offsets, 2×2 max pooling through a
    reshape with a first-winner mask, the matmul layers, and in-place SGD. No framework, no
    checks. This is the target: chainrule should reach at least 0.9× its speed.
torch
    The same network in PyTorch eager on the CPU (oneDNN kernels): the upper anchor.

All three start from the same weights. ``--rounds`` rounds, each timing ``--steps`` steps of every
side, interleaved, with the garbage collector off; reported are medians of ms/step and the ratios.
``--memory`` instead measures chainrule alone (no PyTorch in the process): RSS after 10 warm-up
steps and after 50 more, and the peak.

Usage::

    python benchmarks/conv_lenet.py             # 7 rounds × 10 steps (~30 s)
    python benchmarks/conv_lenet.py --quick     # a few seconds, noisier
    python benchmarks/conv_lenet.py --threads 0 # BLAS's and torch's own thread counts
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    import chainrule as cr
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import chainrule as cr

from chainrule import nn, optim
from chainrule.nn.losses import cross_entropy

BATCH, LR = 64, 0.01


def chainrule_net(seed: int = 0) -> nn.Sequential:
    gen = cr.Generator(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, generator=gen), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, generator=gen), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120, generator=gen), nn.ReLU(),
        nn.Linear(120, 10, generator=gen),
    )  # fmt: skip


def chainrule_step(net: nn.Sequential, x: np.ndarray, y: np.ndarray):
    opt = optim.SGD(net.parameters(), lr=LR)
    xt, yt = cr.tensor(x), cr.tensor(y)

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


# ----------------------------------------------------------------------------- hand NumPy
def _im2col(x: np.ndarray, k: int) -> np.ndarray:
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    s = x.strides
    view = np.lib.stride_tricks.as_strided(
        x, (c, k, k, n, oh, ow), (s[1], s[2], s[3], s[0], s[2], s[3])
    )
    return view.reshape(c * k * k, n * oh * ow)


def _col2im(cols: np.ndarray, shape: tuple, k: int) -> np.ndarray:
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    out = np.zeros(shape, dtype=cols.dtype)
    blocks = cols.reshape(c, k, k, n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + oh, j : j + ow] += blocks[:, :, i, j]
    return out


def _pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    blocks = blocks.reshape(n, c, h // 2, w // 2, 4)
    arg = blocks.argmax(axis=-1)
    return np.take_along_axis(blocks, arg[..., None], -1)[..., 0], arg


def _unpool(g: np.ndarray, arg: np.ndarray, shape: tuple) -> np.ndarray:
    n, c, h, w = shape
    out = np.zeros((*g.shape, 4), dtype=g.dtype)
    np.put_along_axis(out, arg[..., None], g[..., None], -1)
    out = out.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return out.reshape(shape)


def numpy_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    n = x.shape[0]
    onehot = np.eye(10, dtype=np.float32)[y]

    def conv(a, w, b):
        cols = _im2col(a, w.shape[-1])
        out = w.reshape(w.shape[0], -1) @ cols + b[:, None]
        oh = a.shape[2] - w.shape[-1] + 1
        return out.reshape(w.shape[0], n, oh, oh).transpose(1, 0, 2, 3), cols

    def conv_back(g, a, cols, w):
        gm = g.transpose(1, 0, 2, 3).reshape(w.shape[0], -1)
        gw = (gm @ cols.T).reshape(w.shape)
        gx = _col2im(w.reshape(w.shape[0], -1).T @ gm, a.shape, w.shape[-1])
        return gx, gw, gm.sum(axis=1)

    def step() -> float:
        z1, c1 = conv(x, w1, b1)
        r1 = np.maximum(z1, 0)
        p1, a1 = _pool(r1)
        z2, c2 = conv(p1, w2, b2)
        r2 = np.maximum(z2, 0)
        p2, a2 = _pool(r2)
        f = p2.reshape(n, -1)
        z3 = f @ w3.T + b3
        h3 = np.maximum(z3, 0)
        z4 = h3 @ w4.T + b4
        m = z4.max(axis=1, keepdims=True)
        e = np.exp(z4 - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z4[np.arange(n), y]))
        g4 = (e / s - onehot) / n
        gw4, gb4 = g4.T @ h3, g4.sum(axis=0)
        g3 = (g4 @ w4) * (z3 > 0)
        gw3, gb3 = g3.T @ f, g3.sum(axis=0)
        gp2 = (g3 @ w3).reshape(p2.shape)
        gz2 = _unpool(gp2, a2, r2.shape) * (z2 > 0)
        gp1, gw2, gb2 = conv_back(gz2, p1, c2, w2)
        gz1 = _unpool(gp1, a1, r1.shape) * (z1 > 0)
        _, gw1, gb1 = conv_back(gz1, x, c1, w1)
        for p, g in zip(params, (gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4)):
            p -= LR * g
        return loss

    return step


# ----------------------------------------------------------------------------- torch
def torch_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    import torch

    tn = torch.nn
    net = tn.Sequential(
        tn.Conv2d(1, 6, 5), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(6, 16, 5), tn.ReLU(),
        tn.MaxPool2d(2), tn.Flatten(), tn.Linear(256, 120), tn.ReLU(), tn.Linear(120, 10),
    )  # fmt: skip
    with torch.no_grad():
        for p, a in zip(net.parameters(), params):
            p.copy_(torch.from_numpy(a))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        opt.zero_grad()
        loss = tn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _time(step, steps: int) -> float:
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - t0) / steps * 1e3
    finally:
        gc.enable()


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _memory(step) -> int:
    """RSS of a process that holds only chainrule: after 10 warm-up steps, after 50 more, peak."""
    for _ in range(10):  # the allocator's pools and NumPy's caches settle first
        step()
    gc.collect()
    before = _rss_mib()
    for _ in range(50):
        step()
    gc.collect()
    after = _rss_mib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chainrule only: RSS {before:.1f} MiB after 10 steps, {after:.1f} MiB after 60 steps "
          f"(growth {after - before:+.1f} MiB); peak RSS {peak:.1f} MiB")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="3 rounds of 3 steps")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (0: their own)")
    ap.add_argument("--memory", action="store_true", help="peak RSS and growth over 50 steps")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 3, 3
    if args.threads:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
        except ImportError:
            print("threadpoolctl not installed: BLAS keeps its own thread count")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    net = chainrule_net()
    params = [p.numpy().copy() for p in net.parameters()]
    sides = {"chainrule": chainrule_step(net, x, y)}
    if args.memory:
        return _memory(sides["chainrule"])
    sides["numpy"] = numpy_step([p.copy() for p in params], x, y)
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        sides["torch"] = torch_step(params, x, y)
    except ImportError:
        print("torch not installed: PyTorch column left out")

    first = {name: step() for name, step in sides.items()}  # warm-up, and a check of the loss
    print("first-step loss:", ", ".join(f"{k} {v:.6f}" for k, v in first.items()))
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for r in range(args.rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            times[name].append(_time(sides[name], args.steps))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"\nLeNet-size step, batch {BATCH}, 28×28, float32, {args.rounds} rounds × {args.steps} steps"
    )
    print("| side | ms/step (median) | min | max |")
    print("|---|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.2f} | {min(v):.2f} | {max(v):.2f} |")
    print(f"\nchainrule / hand NumPy speed: {med['numpy'] / med['chainrule']:.2f}× (target ≥ 0.9×)")
    if "torch" in med:
        print(f"chainrule / PyTorch eager speed: {med['torch'] / med['chainrule']:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
