"""Binary classification: BCEWithLogitsLoss with pos_weight, sigmoid probabilities,
threshold predictions, torch.where, and an nn.Sigmoid + BCELoss variant."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(4)
n = 200
X_np = rng.normal(size=(n, 2)).astype(np.float32)
y_np = ((X_np[:, 0] ** 2 + X_np[:, 1] ** 2) < 1.2).astype(np.float32)
X = torch.from_numpy(X_np)
y = torch.from_numpy(y_np).unsqueeze(1)
print(X.shape, y.shape, y.mean().item())


class BinaryClassifier(nn.Module):
    def __init__(self, input_dim):
        super(BinaryClassifier, self).__init__()
        self.layer_1 = nn.Linear(input_dim, 16)
        self.layer_2 = nn.Linear(16, 16)
        self.layer_out = nn.Linear(16, 1)
        self.relu = nn.ReLU()

    def forward(self, inputs):
        x = self.relu(self.layer_1(inputs))
        x = self.relu(self.layer_2(x))
        x = self.layer_out(x)
        return x


def load_numpy_weights(model, seed):
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(g.normal(scale=0.5, size=tuple(p.shape)).astype(np.float32)))


def binary_acc(y_pred, y_test):
    y_pred_tag = torch.round(torch.sigmoid(y_pred))
    correct_results_sum = (y_pred_tag == y_test).sum().float()
    acc = correct_results_sum / y_test.shape[0]
    acc = torch.round(acc * 100)
    return acc


model = BinaryClassifier(2)
load_numpy_weights(model, 0)
pos_weight = torch.tensor([(n - y.sum()) / y.sum()])
criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
model.train()
for e in range(1, 31):
    epoch_loss, epoch_acc = 0, 0
    for i in range(0, n, 50):
        X_batch, y_batch = X[i : i + 50], y[i : i + 50]
        optimizer.zero_grad()
        y_pred = model(X_batch)
        loss = criterion(y_pred, y_batch)
        acc = binary_acc(y_pred, y_batch)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    if e % 10 == 0:
        print(f"Epoch {e:03}: | Loss: {epoch_loss / 4:.5f} | Acc: {epoch_acc / 4:.3f}")

model.eval()
with torch.no_grad():
    logits = model(X)
    probs = torch.sigmoid(logits)
    preds = (probs > 0.5).float()
    labels = torch.where(probs > 0.5, torch.ones_like(probs), torch.zeros_like(probs))
    print(torch.equal(preds, labels), (preds == y).float().mean().item())
    print(probs[:4].squeeze(1))
    print(F.binary_cross_entropy_with_logits(logits, y).item())
    print(F.binary_cross_entropy(probs, y).item())
    print(F.binary_cross_entropy_with_logits(logits, y, reduction="sum").item())

# The older idiom: a Sigmoid at the end and BCELoss.
model2 = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
load_numpy_weights(model2, 1)
criterion2 = nn.BCELoss()
optimizer2 = torch.optim.SGD(model2.parameters(), lr=0.5)
for epoch in range(50):
    optimizer2.zero_grad()
    out = model2(X)
    loss = criterion2(out, y)
    loss.backward()
    optimizer2.step()
print(f"BCELoss after 50 epochs: {loss.item():.6f}")
print(((model2(X) >= 0.5) == y.bool()).sum().item())
