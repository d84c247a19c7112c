"""Manual L1/L2 penalties, learning rates changed by hand through param_groups, an evaluation
function under the @torch.no_grad() decorator, named_modules, and optimizer.step(closure)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(23)
X = torch.from_numpy(rng.normal(size=(100, 10)).astype(np.float32))
w_true = torch.from_numpy(
    (rng.normal(size=(10, 1)) * (rng.uniform(size=(10, 1)) > 0.6)).astype(np.float32)
)
y = X @ w_true + 0.05 * torch.from_numpy(rng.normal(size=(100, 1)).astype(np.float32))

model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Dropout(p=0.0), nn.Linear(32, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(scale=0.2, size=tuple(p.shape)).astype(np.float32)))
for name, module in model.named_modules():
    print(repr(name), type(module).__name__)
print(sum(p.numel() for p in model.parameters()))


@torch.no_grad()
def evaluate(model, X, y):
    model.eval()
    out = model(X)
    model.train()
    return F.mse_loss(out, y).item(), out.requires_grad


optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
l1_lambda, l2_lambda = 1e-3, 1e-3
for epoch in range(30):
    optimizer.zero_grad()
    output = model(X)
    mse = F.mse_loss(output, y)
    l1_norm = sum(p.abs().sum() for p in model.parameters())
    l2_norm = sum(p.pow(2.0).sum() for p in model.parameters())
    loss = mse + l1_lambda * l1_norm + l2_lambda * l2_norm
    loss.backward()
    optimizer.step()
    if epoch % 10 == 9:
        for param_group in optimizer.param_groups:
            param_group["lr"] = param_group["lr"] * 0.5
        val, needs_grad = evaluate(model, X, y)
        print(
            f"{epoch} mse {mse.item():.6f} l1 {l1_norm.item():.4f} val {val:.6f} {needs_grad} lr {optimizer.param_groups[0]['lr']}"
        )

# An optimiser step with a closure, as L-BFGS style code writes it, here with SGD.
losses = []


def closure():
    optimizer.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    losses.append(loss.item())
    return loss


for _ in range(5):
    returned = optimizer.step(closure)
print([round(v, 6) for v in losses], f"{returned.item():.6f}")
with torch.inference_mode():
    print(model(X[:3]).squeeze(1))
first = model[0]
print(first.weight.grad.abs().mean().item() > 0, first.weight.shape, first.in_features)
