"""The learning-rate schedulers tutorials reach for, stepped once per epoch."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

rng = np.random.default_rng(5)
X = torch.from_numpy(rng.normal(size=(64, 3)).astype(np.float32))
y = X @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3


def fresh_model():
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.1, 0.2, -0.3]]))
        model.bias.fill_(0.0)
    return model


def run(make_scheduler, epochs=8, optimizer_cls=optim.SGD, **opt_kwargs):
    model = fresh_model()
    optimizer = optimizer_cls(model.parameters(), **opt_kwargs)
    scheduler = make_scheduler(optimizer)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(f"  epoch {epoch} lr {scheduler.get_last_lr()[0]:.6f} loss {loss.item():.6f}")


print("StepLR")
run(lambda o: optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1), lr=0.1, momentum=0.9)
print("ExponentialLR")
run(lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.9), lr=0.1)
print("CosineAnnealingLR")
run(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.001), lr=0.1)
print("MultiStepLR")
run(lambda o: optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.5), lr=0.05)
print("LambdaLR")
run(lambda o: optim.lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 0.95**epoch), lr=0.1)
print("Adam + StepLR")
run(
    lambda o: optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    optimizer_cls=optim.Adam,
    lr=0.05,
)

print("ReduceLROnPlateau")
model = fresh_model()
optimizer = optim.SGD(model.parameters(), lr=0.1)
scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
for epoch, val_loss in enumerate([1.0, 0.9, 0.95, 0.97, 0.96, 0.8, 0.85, 0.86, 0.9]):
    optimizer.step()
    scheduler.step(val_loss)
    print(f"  epoch {epoch} val {val_loss} lr {optimizer.param_groups[0]['lr']:.6f}")
