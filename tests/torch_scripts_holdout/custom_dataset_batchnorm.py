"""A map-style Dataset subclass, DataLoader with drop_last, and an MLP with BatchNorm1d whose
train and eval modes differ."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class TabularDataset(Dataset):
    def __init__(self, features, targets, transform=None):
        self.features = features
        self.targets = targets
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, idx):
        x = torch.tensor(self.features[idx], dtype=torch.float32)
        if self.transform:
            x = self.transform(x)
        y = torch.tensor(self.targets[idx], dtype=torch.long)
        return x, y


rng = np.random.default_rng(6)
feats = rng.normal(loc=3.0, scale=2.0, size=(150, 5))
targs = (feats[:, 0] + feats[:, 3] > 6).astype(int) + (feats[:, 2] > 4).astype(int)
dataset = TabularDataset(feats, targs, transform=lambda x: x / 2.0)
loader = DataLoader(dataset, batch_size=32, shuffle=False, drop_last=True)
print(len(dataset), len(loader))
first_x, first_y = next(iter(loader))
print(first_x.shape, first_x.dtype == torch.float32, first_y.dtype == torch.int64, first_y[:6])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 24)
        self.bn1 = nn.BatchNorm1d(24)
        self.fc2 = nn.Linear(24, 3)

    def forward(self, x):
        x = F.relu(self.bn1(self.fc1(x)))
        return self.fc2(x)


model = Classifier()
g = np.random.default_rng(60)
with torch.no_grad():
    model.fc1.weight.copy_(torch.from_numpy(g.normal(scale=0.4, size=(24, 5)).astype(np.float32)))
    model.fc1.bias.zero_()
    model.fc2.weight.copy_(torch.from_numpy(g.normal(scale=0.4, size=(3, 24)).astype(np.float32)))
    model.fc2.bias.zero_()
print(model.bn1.running_mean[:3], model.bn1.running_var[:3], model.bn1.num_batches_tracked)
print(model.bn1.weight.shape, model.bn1.eps, model.bn1.momentum)

optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
criterion = nn.CrossEntropyLoss()
for epoch in range(4):
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    for batch_idx, (inputs, targets) in enumerate(loader):
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    print(f"epoch {epoch} loss {loss_sum / (batch_idx + 1):.6f} acc {100.0 * correct / total:.2f}%")

print(model.training, model.bn1.training)
print(model.bn1.running_mean[:3])
print(model.bn1.num_batches_tracked.item())
model.eval()
print(model.training, model.bn1.training)
with torch.no_grad():
    full_x = torch.stack([dataset[i][0] for i in range(len(dataset))])
    full_y = torch.stack([dataset[i][1] for i in range(len(dataset))])
    logits = model(full_x)
    print(full_x.shape, full_y.shape)
    print("eval acc", (logits.argmax(dim=1) == full_y).float().mean().item())
    print(F.softmax(logits[:2], dim=-1))
model.train()
with torch.no_grad():
    train_mode_logits = model(full_x)
print(torch.allclose(train_mode_logits, logits))
