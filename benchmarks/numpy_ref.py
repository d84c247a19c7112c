"""The hand-written NumPy training step: the ceiling for any NumPy-based engine.

Manual forward and backward passes with every buffer allocated once per run and every
operation written in place (``out=``): the batch is gathered with ``np.take(..., out=)``, each
layer is ``matmul(out=)`` plus an in-place bias add and activation, the loss gradient is built
in the logits' buffer, the backward matmuls write into preallocated gradient arrays, and SGD
updates the weights in place. No framework, no checks, no Python objects per step beyond the
loop itself. It computes the loss of every step (a 0-d array, never converted to a float
inside the loop), as the frameworks do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from workloads import Workload, batch_orders, initial_weights, make_data


def numpy_runner(w: Workload, steps: int) -> Callable[[], float]:
    X, y = make_data(w)
    init = initial_weights(w)
    orders = batch_orders(w, steps)
    m = w.batch
    f32 = np.float32
    L = len(init)
    act = w.activation
    ce = w.loss == "ce"

    # parameters and their gradients
    Ws = [W.copy() for W, _ in init]
    bs = [b.copy() for _, b in init]
    gWs = [np.empty_like(W) for W in Ws]
    gbs = [np.empty_like(b) for b in bs]
    # activations: a[0] is the batch, a[i] the output of layer i (after the activation)
    widths = w.sizes
    a = [np.empty((m, n), f32) for n in widths]
    ga = [np.empty((m, n), f32) for n in widths]  # ∂L/∂(pre-activation of layer i)
    tmp = [np.empty((m, n), f32) for n in widths]
    mask = [np.empty((m, n), bool) for n in widths]
    ones = np.ones(m, f32)
    yb_buf = np.empty(m, np.int64) if ce else np.empty((m, 1), f32)
    rows = np.arange(m)
    rowmax = np.empty((m, 1), f32)
    rowsum = np.empty((m, 1), f32)
    lr = f32(w.lr)
    inv_m = f32(1.0 / m)

    def step(xb: np.ndarray, yb: np.ndarray) -> np.ndarray:
        a[0] = xb  # the batch buffer, or the whole data for full-batch descent
        h = xb
        for i in range(L):
            out = a[i + 1]
            np.matmul(h, Ws[i].T, out=out)
            out += bs[i]
            if i < L - 1:
                if act == "relu":
                    np.maximum(out, 0, out=out)
                elif act == "tanh":
                    np.tanh(out, out=out)
                else:  # sigmoid: 1 / (1 + e^-x)
                    np.negative(out, out=out)
                    np.exp(out, out=out)
                    out += 1
                    np.reciprocal(out, out=out)
            h = out
        z = a[L]
        g = ga[L]
        if ce:  # softmax cross-entropy; the gradient (p - onehot) / m built in g
            np.max(z, axis=1, keepdims=True, out=rowmax)
            np.subtract(z, rowmax, out=g)
            np.exp(g, out=g)
            np.sum(g, axis=1, keepdims=True, out=rowsum)
            loss = (np.log(rowsum).sum() - (z[rows, yb] - rowmax[:, 0]).sum()) * inv_m
            np.multiply(rowsum, m, out=rowsum)
            g /= rowsum
            g[rows, yb] -= inv_m
        else:  # BCE on logits: max(z,0) - z·y + log1p(e^-|z|); gradient (σ(z) - y) / m
            t = tmp[L]
            np.abs(z, out=t)
            np.negative(t, out=t)
            np.exp(t, out=t)  # e^-|z|
            np.log1p(t, out=g)
            loss = (np.maximum(z, 0).sum() - (z * yb).sum() + g.sum()) * inv_m
            # σ(z) = 1/(1+e^-|z|) for z >= 0, e^-|z|/(1+e^-|z|) otherwise
            np.add(t, 1, out=g)
            np.copyto(t, 1, where=z >= 0)
            np.divide(t, g, out=g)
            g -= yb
            g *= inv_m
        for i in range(L - 1, -1, -1):
            np.matmul(g.T, a[i], out=gWs[i])
            np.matmul(ones, g, out=gbs[i])
            if i == 0:
                break
            gp = ga[i]
            np.matmul(g, Ws[i], out=gp)
            ai = a[i]
            if act == "relu":
                np.greater(ai, 0, out=mask[i])
                gp *= mask[i]
            elif act == "tanh":  # 1 - a²
                t = tmp[i]
                np.multiply(ai, ai, out=t)
                np.subtract(1, t, out=t)
                gp *= t
            else:  # a(1 - a)
                t = tmp[i]
                np.subtract(1, ai, out=t)
                t *= ai
                gp *= t
            g = gp
        for W, gW, b, gb in zip(Ws, gWs, bs, gbs):
            gW *= lr
            W -= gW
            gb *= lr
            b -= gb
        return loss

    xbuf = a[0]

    def run() -> float:
        for (W, _), W0 in zip(init, Ws):
            W0[...] = W
        for (_, b), b0 in zip(init, bs):
            b0[...] = b
        loss = None
        with np.errstate(over="ignore"):
            for order in orders:
                if order is None:  # full batch: the data itself, in order
                    loss = step(X, y)
                    continue
                for start in range(0, w.n, m):
                    idx = order[start : start + m]
                    np.take(X, idx, axis=0, out=xbuf)
                    np.take(y, idx, axis=0, out=yb_buf)
                    loss = step(xbuf, yb_buf)
        return float(loss)

    return run
