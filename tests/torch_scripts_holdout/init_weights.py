"""Weight initialisation idioms: model.apply, a loop over modules(), nn.init.*_ and .data."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, in_dim=6, hidden=(32, 16), out_dim=3):
        super().__init__()
        self.layers = nn.ModuleList()
        prev = in_dim
        for h in hidden:
            self.layers.append(nn.Linear(prev, h))
            prev = h
        self.head = nn.Linear(prev, out_dim)

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return self.head(x)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)


torch.manual_seed(0)
model = MLP()
model.apply(init_weights)
for m in model.modules():
    if isinstance(m, nn.Linear):
        fan_out, fan_in = m.weight.shape
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        print(fan_in, fan_out, bool((m.weight.abs() <= bound).all()), m.bias[0].item())

for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        nn.init.constant_(m.bias, 0)
print(all(m.bias.abs().sum().item() == 0.0 for m in model.modules() if isinstance(m, nn.Linear)))

print(round(nn.init.calculate_gain("relu"), 6), round(nn.init.calculate_gain("tanh"), 6))
print(round(nn.init.calculate_gain("leaky_relu", 0.2), 6), nn.init.calculate_gain("linear"))

big = torch.empty(400, 300)
nn.init.kaiming_uniform_(big, a=math.sqrt(5))
print(bool(big.abs().max() <= 1 / math.sqrt(300)))
nn.init.normal_(big, mean=0.0, std=0.02)
print(abs(big.std().item() - 0.02) < 1e-3, abs(big.mean().item()) < 1e-3)
nn.init.uniform_(big, -0.1, 0.1)
print(bool(big.min() >= -0.1), bool(big.max() <= 0.1))
nn.init.trunc_normal_(big, std=0.5, a=-1.0, b=1.0)
print(bool(big.abs().max() <= 1.0))
nn.init.zeros_(big)
print(big.sum().item())
nn.init.ones_(big)
print(big.sum().item())
eye = torch.empty(3, 5)
nn.init.eye_(eye)
print(eye)
q = torch.empty(6, 4)
nn.init.orthogonal_(q)
print(torch.allclose(q.t() @ q, torch.eye(4), atol=1e-5))

# Now the real weights, from NumPy, assigned through .data as older tutorials do.
rng = np.random.default_rng(7)
for name, p in model.named_parameters():
    p.data = torch.from_numpy(rng.normal(scale=0.3, size=tuple(p.shape)).astype(np.float32))
X = torch.from_numpy(rng.normal(size=(64, 6)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, size=64))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(f"step {step}: {loss.item():.6f}")
print(model.head.weight.grad.norm().item() > 0)
