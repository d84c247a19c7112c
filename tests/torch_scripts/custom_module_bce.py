import numpy as np
import torch
from torch import nn


class TwoTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Linear(2, 4)
        self.right = nn.Linear(2, 4)
        self.head = nn.Linear(8, 1)

    def forward(self, a, b):
        h = torch.cat([torch.tanh(self.left(a)), torch.sigmoid(self.right(b))], dim=1)
        return self.head(h).squeeze(1)


rng = np.random.default_rng(2)
model = TwoTower()
with torch.no_grad():
    for _name, p in model.named_parameters():
        p.copy_(torch.from_numpy(rng.normal(scale=0.5, size=tuple(p.shape)).astype(np.float32)))
A = torch.from_numpy(rng.normal(size=(40, 2)).astype(np.float32))
B = torch.from_numpy(rng.normal(size=(40, 2)).astype(np.float32))
t = torch.from_numpy((rng.random(40) > 0.5).astype(np.float32))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
crit = nn.BCEWithLogitsLoss()
for _step in range(30):
    opt.zero_grad()
    loss = crit(model(A, B), t)
    loss.backward()
    opt.step()
print(f"loss {loss.item():.6f}")
print(
    [n for n, _ in model.named_parameters()].__len__(), sum(p.numel() for p in model.parameters())
)
