"""The PyTorch eager version of each workload (CPU with ``torch.set_num_threads(2)``, or CUDA).

The idiomatic loop: ``nn.Sequential`` of ``nn.Linear`` and activation modules,
``F.cross_entropy`` or ``F.binary_cross_entropy_with_logits``, ``torch.optim.SGD``, and
``zero_grad(set_to_none=True)`` / forward / ``backward()`` / ``step()`` per batch. Batches are
gathered with ``index_select`` in the same order as the other systems; the data are converted
to tensors once. Same initial weights as every other system.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from workloads import Workload, batch_orders, initial_weights, make_data

THREADS = 2


def torch_runner(w: Workload, steps: int, device: str = "cpu") -> Callable[[], float]:
    """The eager PyTorch loop of ``w``, its data and model on ``device`` (``"cpu"`` or ``"cuda"``)."""
    torch.set_num_threads(THREADS)
    nn, F = torch.nn, torch.nn.functional
    Xn, yn = make_data(w)
    init = initial_weights(w)
    orders = [None if o is None else torch.from_numpy(o).to(device) for o in batch_orders(w, steps)]
    X, y = torch.from_numpy(Xn).to(device), torch.from_numpy(yn).to(device)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[w.activation]
    layers: list = []
    linears = []
    for i, (W, _) in enumerate(init):
        lin = nn.Linear(W.shape[1], W.shape[0])
        linears.append(lin)
        layers.append(lin)
        if i < len(init) - 1:
            layers.append(act())
    model = nn.Sequential(*layers).to(device)
    loss_fn = F.cross_entropy if w.loss == "ce" else F.binary_cross_entropy_with_logits
    m = w.batch

    def run() -> float:
        with torch.no_grad():
            for lin, (W, b) in zip(linears, init):
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
        opt = torch.optim.SGD(model.parameters(), lr=w.lr)
        loss = None
        for order in orders:
            for start in range(0, w.n, m):
                if order is None:
                    xb, yb = X, y
                else:
                    idx = order[start : start + m]
                    xb, yb = X.index_select(0, idx), y.index_select(0, idx)
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
        return float(loss.item())

    return run
