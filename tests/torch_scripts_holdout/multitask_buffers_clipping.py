"""A two-headed model with a registered buffer, torch.cat / torch.stack, a combined loss,
gradient clipping by norm and by value, and other regression losses."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(11)
X = torch.from_numpy(rng.normal(size=(96, 6)).astype(np.float32))
y_cls = torch.from_numpy(rng.integers(0, 3, size=96))
y_reg = torch.from_numpy(rng.normal(size=(96, 2)).astype(np.float32))


class MultiTaskNet(nn.Module):
    def __init__(self, in_features=6, hidden=20):
        super().__init__()
        self.register_buffer("feature_scale", torch.ones(in_features))
        self.register_buffer("step_count", torch.tensor(0))
        self.left = nn.Linear(in_features, hidden // 2)
        self.right = nn.Linear(in_features, hidden // 2)
        self.cls_head = nn.Linear(hidden, 3)
        self.reg_head = nn.Linear(hidden, 2)

    def forward(self, x):
        x = x * self.feature_scale
        h = torch.cat([torch.tanh(self.left(x)), F.relu(self.right(x))], dim=1)
        return self.cls_head(h), self.reg_head(h)


model = MultiTaskNet()
with torch.no_grad():
    model.feature_scale.copy_(torch.linspace(0.5, 1.5, 6))
    for name, param in model.named_parameters():
        param.copy_(
            torch.from_numpy(rng.normal(scale=0.3, size=tuple(param.shape)).astype(np.float32))
        )
print([name for name, _ in model.named_buffers()])
print(sorted(model.state_dict().keys()))
print(model.feature_scale)

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(8):
    model.train()
    logits, reg = model(X)
    loss_cls = F.cross_entropy(logits, y_cls)
    loss_reg = F.mse_loss(reg, y_reg)
    loss = loss_cls + 0.5 * loss_reg
    optimizer.zero_grad()
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    optimizer.step()
    model.step_count += 1
    print(
        f"epoch {epoch}: cls {loss_cls.item():.6f} reg {loss_reg.item():.6f} norm {total_norm:.6f}"
    )
print(model.step_count.item(), model.step_count)

# Clip by value, then check every gradient is inside the range.
loss = F.cross_entropy(model(X)[0], y_cls)
optimizer.zero_grad()
loss.backward()
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
with_grad = [p for p in model.parameters() if p.grad is not None]
print(len(with_grad), all(p.grad.abs().max().item() <= 0.05 + 1e-7 for p in with_grad))
grads = [p.grad.view(-1) for p in with_grad]
print(torch.cat(grads).shape, torch.cat(grads).abs().max().item())

# Ensembling predictions with torch.stack and averaging over the first dim.
with torch.no_grad():
    preds = torch.stack([model(X[i::3])[1] for i in range(3)])
    print(preds.shape, preds.mean(0)[0], preds.mean(dim=0).sum(dim=1, keepdim=True)[:2])

reg = model(X)[1]
print(nn.L1Loss()(reg, y_reg).item(), nn.SmoothL1Loss()(reg, y_reg).item())
print(nn.MSELoss(reduction="sum")(reg, y_reg).item(), nn.HuberLoss(delta=0.5)(reg, y_reg).item())
print(F.l1_loss(reg, y_reg, reduction="none").shape)
