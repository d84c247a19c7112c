"""Load test for the playground server (a script, not a unit test).

Starts ``chainrule playground`` in a subprocess on loopback, opens N WebSocket sessions that
all train at once, and reports the frame latency (the time from the server building a frame to
the client reading it; one clock, so it is exact on loopback), frames per second, and the
server's resident memory before, during and after the sessions.

    .venv/bin/python benchmarks/playground_load.py --sessions 20 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect

DATASETS = ["circle", "xor", "gaussian", "spiral", "moons"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (kB) and Threads of a process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out


def header(message: bytes) -> dict:
    (n,) = struct.unpack_from("<I", message)
    return json.loads(message[4 : 4 + n])


async def session(url: str, origin: str, k: int, seconds: float, stats: list) -> None:
    latencies, nbytes, last = [], 0, {}
    async with connect(url, origin=origin, max_size=None) as ws:
        await ws.recv()  # hello
        params = {"dataset": DATASETS[k % len(DATASETS)], "seed": k, "layers": [6, 4]}
        await ws.send(json.dumps({"type": "config", "params": params}))
        await ws.send(json.dumps({"type": "play"}))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                msg = await asyncio.wait_for(ws.recv(), timeout=max(0.01, end - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(msg, bytes):
                h = header(msg)
                if h["type"] == "frame" and h["steps"] > 0:
                    latencies.append(time.time() - h["t"])
                    nbytes += len(msg)
                    last = h
    stats.append({"latencies": latencies, "bytes": nbytes, "epoch": last.get("epoch", 0)})


async def run_clients(port: int, n: int, seconds: float, pid: int) -> tuple[list, list]:
    url, origin = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    stats: list = []
    samples: list = []

    async def sample() -> None:
        while True:
            samples.append(proc_status(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(session(url, origin, k, seconds, stats) for k in range(n)))
    sampler.cancel()
    return stats, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat, to look for leaks")
    args = parser.parse_args()
    port = free_port()
    code = "import sys; from chainrule.playground import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, "--port", str(port), "--no-browser"]
    server = subprocess.Popen(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        before = proc_status(server.pid)
        afters = []
        for _ in range(args.rounds):  # later rounds show whether closed sessions leak memory
            t0 = time.monotonic()
            stats, samples = asyncio.run(run_clients(port, args.sessions, args.seconds, server.pid))
            wall = time.monotonic() - t0
            time.sleep(2.0)  # the server stops and frees the sessions
            afters.append(proc_status(server.pid))
        after = afters[-1]
    finally:
        server.terminate()
        server.wait(10)

    lat = np.array([x for s in stats for x in s["latencies"]]) * 1000
    frames = np.array([len(s["latencies"]) for s in stats])
    peak = max(s["VmRSS"] for s in samples)
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"cpus: {os.cpu_count()}, sessions: {args.sessions}, {args.seconds:.0f} s each")
    print(
        f"frames: {frames.sum()} in {wall:.1f} s; per session {frames.mean() / args.seconds:.1f}/s "
        f"(min {frames.min() / args.seconds:.1f}/s, max {frames.max() / args.seconds:.1f}/s)"
    )
    print(
        f"frame latency: p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms,"
        f" max {lat.max():.1f} ms"
    )
    mb = sum(s["bytes"] for s in stats) / wall / 1e6
    print(
        f"traffic: {mb:.2f} MB/s; epochs reached per session: median {np.median([s['epoch'] for s in stats]):.0f}"
    )
    print(
        "(only the last round's frames are counted; 'after' threads include the executor's idle\n"
        " workers that joined the sessions' threads)"
    )
    print(
        f"server RSS: {before['VmRSS'] / 1024:.0f} MiB idle, {peak / 1024:.0f} MiB peak with "
        f"{args.sessions} sessions, {after['VmRSS'] / 1024:.0f} MiB after they closed; "
        f"threads {before['Threads']} idle, {max(s['Threads'] for s in samples)} peak, "
        f"{after['Threads']} after"
    )
    if args.rounds > 1:
        rss = ", ".join(f"{a['VmRSS'] / 1024:.0f}" for a in afters)
        print(f"server RSS after each round (MiB): {rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
