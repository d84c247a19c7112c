"""PyTorch's recipe "Saving and loading a general checkpoint": model and optimiser state in
one dict, resumed training continues exactly where it stopped."""

import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

rng = np.random.default_rng(31)
X = torch.from_numpy(rng.normal(size=(48, 4)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, size=48))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 10)
        self.fc2 = nn.Linear(10, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def build():
    net = Net()
    g = np.random.default_rng(310)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(g.normal(scale=0.4, size=tuple(p.shape)).astype(np.float32)))
    return net, optim.SGD(net.parameters(), lr=0.05, momentum=0.9)


def train(net, optimizer, epochs):
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(X), y)
        loss.backward()
        optimizer.step()
    return loss


net, optimizer = build()
loss = train(net, optimizer, 5)
with tempfile.TemporaryDirectory() as tmp:
    PATH = os.path.join(tmp, "model.pt")
    EPOCH = 5
    torch.save(
        {
            "epoch": EPOCH,
            "model_state_dict": net.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item(),
        },
        PATH,
    )
    model, optimizer2 = build()
    checkpoint = torch.load(PATH)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch = checkpoint["epoch"]
    print(epoch, f"{checkpoint['loss']:.6f}")
model.train()
resumed = train(model, optimizer2, 5)
continued = train(net, optimizer, 5)
print(f"{resumed.item():.6f} {continued.item():.6f}")
print(optimizer2.state_dict()["param_groups"][0]["lr"], len(optimizer2.state_dict()["state"]))
