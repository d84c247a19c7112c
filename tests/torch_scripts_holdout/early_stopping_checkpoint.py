"""Early stopping on a validation split, keeping the best weights with copy.deepcopy, then
saving and loading the state dict through a temporary directory."""

import copy
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(21)
X = rng.normal(size=(300, 8)).astype(np.float32)
w_true = rng.normal(size=(8, 1)).astype(np.float32)
y = (np.tanh(X @ w_true) + 0.3 * rng.normal(size=(300, 1))).astype(np.float32)

X_train, X_val = torch.from_numpy(X[:200]), torch.from_numpy(X[200:])
y_train, y_val = torch.from_numpy(y[:200]), torch.from_numpy(y[200:])
train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=40, shuffle=False)


class Regressor(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, n_hidden),
            nn.ReLU(),
            nn.Linear(n_hidden, n_hidden),
            nn.ReLU(),
            nn.Linear(n_hidden, 1),
        )

    def forward(self, x):
        return self.net(x)


def make_model():
    model = Regressor(8, 64)
    g = np.random.default_rng(99)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(g.normal(scale=0.25, size=tuple(p.shape)).astype(np.float32)))
    return model


model = make_model()
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)

best_val = float("inf")
best_state = None
best_epoch = -1
patience, bad_epochs = 4, 0
for epoch in range(40):
    model.train()
    running_loss = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * xb.size(0)
    train_loss = running_loss / len(train_loader.dataset)

    model.eval()
    with torch.no_grad():
        val_loss = criterion(model(X_val), y_val).item()
    print(f"epoch {epoch:2d} train {train_loss:.6f} val {val_loss:.6f}")
    if val_loss < best_val - 1e-4:
        best_val, best_epoch, bad_epochs = val_loss, epoch, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            print(f"early stopping at epoch {epoch}")
            break

model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    print(f"best epoch {best_epoch} val {criterion(model(X_val), y_val).item():.6f}")

with tempfile.TemporaryDirectory() as tmpdir:
    path = os.path.join(tmpdir, "best_model.pth")
    torch.save(model.state_dict(), path)
    print(os.path.exists(path))
    restored = make_model()
    restored.load_state_dict(torch.load(path))
    restored.eval()
    with torch.no_grad():
        same = torch.allclose(restored(X_val), model(X_val))
        print(same, torch.equal(restored.net[0].weight, model.net[0].weight))
        print(restored(X_val[:3]).flatten().tolist())
