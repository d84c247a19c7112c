import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(3)
X = torch.from_numpy(rng.normal(size=(50, 3)).astype(np.float32))
y = torch.from_numpy(rng.normal(size=(50, 1)).astype(np.float32))
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=False)
print(len(loader), [xb.shape[0] for xb, _ in loader])

model = nn.Linear(3, 1)
with torch.no_grad():
    model.weight.copy_(torch.from_numpy(rng.normal(size=(1, 3)).astype(np.float32)))
    model.bias.fill_(0.1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(4):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = ((model(xb) - yb) ** 2).mean()
        loss.backward()
        opt.step()
        total += loss.item() * xb.size(0)
    print(f"epoch {epoch} mse {total / len(loader.dataset):.6f}")
dl = DataLoader(TensorDataset(X, y), batch_size=16, drop_last=True)
print(len(dl), sum(xb.shape[0] for xb, _ in dl))
