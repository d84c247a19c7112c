import numpy as np
import torch
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.heads = nn.ModuleDict({"reg": nn.Linear(4, 1), "cls": nn.Linear(4, 3)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(2)])

    def forward(self, x):
        for (block,) in zip(self.blocks):
            x = torch.relu(block(x)) + x
        x = x * self.scales[0] * self.scales[1]
        return self.heads["reg"](x), self.heads["cls"](x)


model = Tower()
rng = np.random.default_rng(10)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(scale=0.3, size=tuple(p.shape)).astype(np.float32)))
print([n for n, _ in model.named_parameters()])
print(len(model.blocks), len(list(model.parameters())), sum(p.numel() for p in model.parameters()))
x = torch.from_numpy(rng.normal(size=(6, 4)).astype(np.float32))
r, c = model(x)
loss = r.pow(2).mean() + torch.nn.functional.cross_entropy(c, torch.tensor([0, 1, 2, 0, 1, 2]))
loss.backward()
print(round(loss.item(), 6), round(model.scales[0].grad.sum().item(), 5))
model.blocks.append(nn.Identity())
print(len(model.blocks), "cls" in model.heads, list(model.heads.keys()))
