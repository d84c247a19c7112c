"""Optimiser parameter groups with per-group options, freezing a feature extractor,
replacing a head, filter(lambda p: p.requires_grad, ...) and several optimisers."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

rng = np.random.default_rng(13)
X = torch.from_numpy(rng.normal(size=(80, 10)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 4, size=80))


class FeatureNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.classifier = nn.Linear(16, 2)

    def forward(self, x):
        return self.classifier(self.features(x))


def set_weights(module, seed):
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy(g.normal(scale=0.3, size=tuple(p.shape)).astype(np.float32)))


model = FeatureNet()
set_weights(model, 1)
optimizer = optim.SGD(
    [
        {"params": model.features.parameters()},
        {"params": model.classifier.parameters(), "lr": 1e-3},
    ],
    lr=1e-2,
    momentum=0.9,
)
print(len(optimizer.param_groups), [g["lr"] for g in optimizer.param_groups])
print(optimizer.param_groups[1]["momentum"], len(optimizer.param_groups[0]["params"]))

# Freeze the feature extractor and replace the head for a 4-class task.
for param in model.features.parameters():
    param.requires_grad = False
model.classifier = nn.Linear(16, 4)
set_weights(model.classifier, 2)
frozen_before = model.features[0].weight.clone()
trainable = [p for p in model.parameters() if p.requires_grad]
print(len(trainable), sum(p.numel() for p in trainable))
optimizer = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(10):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
print(f"head-only loss {loss.item():.6f}")
print(torch.equal(frozen_before, model.features[0].weight), model.features[0].weight.grad is None)

# Unfreeze, with a smaller learning rate for the body.
for param in model.features.parameters():
    param.requires_grad_(True)
for name, opt_cls, kwargs in [
    ("SGD nesterov wd", optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)),
    ("Adam", optim.Adam, dict(lr=1e-3, betas=(0.9, 0.99), eps=1e-7)),
    ("AdamW", optim.AdamW, dict(lr=1e-3, weight_decay=0.05)),
    ("RMSprop", optim.RMSprop, dict(lr=1e-3, alpha=0.9, momentum=0.5)),
    ("Adagrad", optim.Adagrad, dict(lr=0.05)),
]:
    set_weights(model, 3)
    opt = opt_cls(
        [
            {"params": model.features.parameters(), "lr": kwargs["lr"] / 10},
            {"params": model.classifier.parameters()},
        ],
        **kwargs,
    )
    for step in range(5):
        opt.zero_grad(set_to_none=True)
        loss = criterion(model(X), y)
        loss.backward()
        opt.step()
    print(f"{name}: {loss.item():.6f} {model.classifier.bias.detach().numpy().round(5).tolist()}")
model.zero_grad()
print(all(p.grad is None or float(p.grad.abs().sum()) == 0.0 for p in model.parameters()))
