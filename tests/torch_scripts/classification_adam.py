import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(1)
X = rng.normal(size=(90, 4)).astype(np.float32)
labels = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 12)
        self.fc2 = nn.Linear(12, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


model = Net()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(scale=0.4, size=tuple(p.shape)).astype(np.float32)))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x, y = torch.from_numpy(X), torch.from_numpy(labels)
for epoch in range(5):
    for i in range(0, 90, 30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x[i : i + 30]), y[i : i + 30])
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
        acc = (pred == y).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.6f} acc {acc:.4f}")
probs = torch.softmax(model(x[:3]), dim=1)
print(probs.detach().numpy().round(5).tolist())
