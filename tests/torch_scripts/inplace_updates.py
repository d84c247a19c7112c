import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(9)
layer = nn.Linear(3, 2)
with torch.no_grad():
    layer.weight.copy_(torch.from_numpy(rng.normal(size=(2, 3)).astype(np.float32)))
    layer.bias.zero_()
    layer.bias.add_(0.5)
    layer.weight.mul_(2.0)
    layer.weight.clamp_(-1.5, 1.5)
x = torch.from_numpy(rng.normal(size=(10, 3)).astype(np.float32))
y = torch.from_numpy(rng.normal(size=(10, 2)).astype(np.float32))
lr = 0.1
for _step in range(20):
    loss = ((layer(x) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in layer.parameters():
            p -= lr * p.grad
            p.grad.zero_()
print(round(loss.item(), 6), np.round(layer.weight.detach().numpy(), 5).tolist())
with torch.no_grad():
    layer.weight.sub_(layer.weight, alpha=0.5)
    layer.bias.div_(2).fill_(3.0)
print(layer.weight.sum().item().__round__(5), layer.bias.tolist())
t = torch.ones(3)
t.add_(torch.tensor([1.0, 2.0, 3.0]), alpha=2).exp_()
print([round(v, 3) for v in t.tolist()])
try:
    layer.weight.add_(1.0)
except RuntimeError:
    print("refused")
