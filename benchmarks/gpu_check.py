"""The same training on the NumPy and the CuPy backend: equal results, and the speed of each.

Each backend runs in its own process (the backend is chosen at import, by CHAINRULE_BACKEND).
It trains a 784-1024-1024-10 ReLU MLP with softmax cross-entropy and SGD, batch 512, on
synthetic float32 data from a fixed seed, and prints steps/s and the loss after each phase.

Usage (on a machine with a CUDA GPU and CuPy)::

    python benchmarks/gpu_check.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

STEPS = 60
WARMUP = 5


def worker() -> None:
    import numpy as np

    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.backend import to_numpy, xp
    from chainrule.nn.losses import cross_entropy

    rng = np.random.default_rng(0)
    X = xp.asarray(rng.standard_normal((512, 784)).astype(np.float32))
    y = xp.asarray(rng.integers(0, 10, 512))
    model = nn.mlp([784, 1024, 1024, 10], "relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xb, yb = cr.Tensor(X), cr.Tensor(y)
    losses = []

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    first = float(step().item())
    for _ in range(WARMUP - 1):
        step()
    if cr.backend.NAME == "cupy":
        xp.cuda.Device().synchronize()
    t0 = time.perf_counter()
    for _ in range(STEPS):
        last = step()
    losses.append(float(last.item()))  # .item() synchronises the device
    elapsed = time.perf_counter() - t0
    first_w = to_numpy(model[0].weight.data)
    print(
        json.dumps(
            {
                "backend": cr.backend.NAME,
                "steps_per_s": STEPS / elapsed,
                "first_loss": first,
                "loss": losses[-1],
                "w_checksum": float(np.abs(first_w).sum()),
            }
        )
    )


def main() -> int:
    results = {}
    for backend in ("numpy", "cupy"):
        env = {**os.environ, "CHAINRULE_BACKEND": backend}
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"{backend}: failed\n{proc.stderr[-2000:]}")
            return 1
        results[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
    a, b = results["numpy"], results["cupy"]
    print(f"{'backend':<8} {'steps/s':>9} {'loss':>10} {'|W1| sum':>12}")
    for r in (a, b):
        print(
            f"{r['backend']:<8} {r['steps_per_s']:>9.1f} {r['loss']:>10.5f} {r['w_checksum']:>12.3f}"
        )
    print(f"speed-up cupy/numpy: {b['steps_per_s'] / a['steps_per_s']:.1f}x")
    rel = abs(a["first_loss"] - b["first_loss"]) / abs(a["first_loss"])
    print(
        f"first-step loss: numpy {a['first_loss']:.6f}, cupy {b['first_loss']:.6f} (rel. {rel:.1e})"
    )
    print(f"loss after {STEPS + WARMUP} steps: numpy {a['loss']:.3e}, cupy {b['loss']:.3e}")
    return 0 if rel < 1e-4 else 1


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        raise SystemExit(main())
