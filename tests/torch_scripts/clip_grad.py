import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

rng = np.random.default_rng(8)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32)))
x = torch.from_numpy(rng.normal(size=(16, 4)).astype(np.float32))
loss = (model(x) ** 2).mean()
loss.backward()
total = clip_grad_norm_(model.parameters(), max_norm=1.0)
print(isinstance(total, torch.Tensor), round(total.item(), 4))
after = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
print(round(after.item(), 4))
clip_grad_value_(model.parameters(), 0.05)
print([round(p.grad.abs().max().item(), 5) for p in model.parameters()])
inf_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0, norm_type=float("inf"))
print(round(inf_norm.item(), 5))
