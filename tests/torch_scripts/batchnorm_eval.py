import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(12)
model = nn.Sequential(
    nn.Linear(3, 5, bias=False), nn.BatchNorm1d(5), nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 1)
)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32)))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x = torch.from_numpy(rng.normal(size=(20, 3)).astype(np.float32))
y = torch.from_numpy(rng.normal(size=(20, 1)).astype(np.float32))
model.eval()
print(round(((model(x) - y) ** 2).mean().item(), 6))
model[3].p = 0.0  # dropout off so both libraries draw nothing
model.train()
for _step in range(10):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    out = model(x)
print(round(loss.item(), 6), round(out.mean().item(), 6), int(model[1].num_batches_tracked))
print(np.round(model[1].running_var.numpy(), 5).tolist())
