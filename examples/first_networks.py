"""The lecture's first two networks, trained with nothing but chainrule's engine.

1. Logistic regression, the one-layer network f(x) = σ(wᵀx + b), trained by minimising the
   negative log-likelihood (binary cross-entropy) with plain gradient descent.
2. A 2-16-1 tanh network learning XOR, which no linear model can: the hidden layer learns its own
   basis functions φ(x).

Run it with ``python examples/first_networks.py``. (``make demo`` runs ``chainrule demo``, the
fuller tour of the lecture, not this file.)
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def nll(logits: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
    """Mean binary cross-entropy on logits z: log(1 + e^z) - y·z, written stably."""
    return (cr.softplus(logits) - y * logits).mean()


def train(params: list[cr.Tensor], forward, X, y, lr: float, steps: int, every: int) -> None:
    """Full-batch gradient descent: θ ← θ - η ∇θ J, printing J as it falls."""
    for step in range(steps + 1):
        loss = nll(forward(X), y)
        for p in params:
            p.grad = None
        loss.backward()  # backprop: the chain rule, one vector-Jacobian product per op
        with cr.no_grad():
            for p in params:
                p -= lr * p.grad
        if step % every == 0:
            print(f"  step {step:5d}   loss {loss.item():.4f}")


def accuracy(logits: cr.Tensor, y: cr.Tensor) -> float:
    return float(((logits.data > 0) == (y.data > 0.5)).mean())


def logistic_regression() -> float:
    print("1. Logistic regression f(x) = σ(wᵀx + b) on two Gaussian clouds")
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-1.5, 1.0, (100, 2)), rng.normal(1.5, 1.0, (100, 2))])
    y = np.concatenate([np.zeros(100), np.ones(100)])
    X, y = cr.tensor(X), cr.tensor(y)
    g = cr.Generator(0)
    w = cr.randn(2, generator=g, requires_grad=True)
    b = cr.zeros(1, requires_grad=True)
    forward = lambda X: X @ w + b
    train([w, b], forward, X, y, lr=0.5, steps=200, every=50)
    acc = accuracy(forward(X), y)
    print(f"  w = {np.round(w.numpy(), 3)}, b = {b.item():.3f}, accuracy {acc:.1%}\n")
    return acc


def xor_network() -> float:
    print("2. A 2-16-1 tanh network learning XOR")
    X = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = cr.tensor([0.0, 1.0, 1.0, 0.0])
    g = cr.Generator(1)
    W1 = cr.randn(2, 16, generator=g, requires_grad=True)
    b1 = cr.zeros(16, requires_grad=True)
    W2 = cr.randn(16, generator=g) * 0.5
    W2.requires_grad_()
    b2 = cr.zeros(1, requires_grad=True)
    forward = lambda X: cr.tanh(X @ W1 + b1) @ W2 + b2
    train([W1, b1, W2, b2], forward, X, y, lr=0.5, steps=1000, every=200)
    acc = accuracy(forward(X), y)
    print(f"  predictions {np.round(cr.sigmoid(forward(X)).numpy(), 3)}, accuracy {acc:.0%}")
    return acc


if __name__ == "__main__":
    lr_acc = logistic_regression()
    xor_acc = xor_network()
    if xor_acc < 1.0:
        raise SystemExit("XOR was not learned")
