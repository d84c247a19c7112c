import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(17)
z = torch.from_numpy(rng.normal(size=(6, 4)).astype(np.float32))
y = torch.tensor([0, 3, 1, -100, 2, 3])
w = torch.tensor([1.0, 2.0, 0.5, 1.5])
print(round(F.cross_entropy(z, y).item(), 6), round(F.cross_entropy(z, y, weight=w).item(), 6))
print(round(nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=3)(z, y.clamp(min=0)).item(), 6))
print(round(F.nll_loss(F.log_softmax(z, dim=1), y).item(), 6))
print(np.round(F.cross_entropy(z, y.clamp(min=0), reduction="none").numpy(), 5).tolist())
p = torch.sigmoid(z[:, 0])
t = torch.from_numpy((rng.random(6) > 0.5).astype(np.float32))
print(
    round(F.binary_cross_entropy(p, t).item(), 6),
    round(F.binary_cross_entropy_with_logits(z[:, 0], t).item(), 6),
)
a, b = z[:, 1], z[:, 2]
print(
    round(F.mse_loss(a, b).item(), 6),
    round(F.l1_loss(a, b).item(), 6),
    round(F.huber_loss(a, b, delta=0.5).item(), 6),
)
print(round(nn.MSELoss(reduction="sum")(a, b).item(), 5), round(nn.L1Loss()(a, b).item(), 6))
zz = z.clone().requires_grad_(True)
F.cross_entropy(zz, y).backward()
print(np.round(zz.grad.numpy()[3], 6).tolist(), np.round(zz.grad.numpy()[0], 5).tolist())
print(round(nn.SmoothL1Loss(beta=0.5)(a, b).item(), 6), round(F.smooth_l1_loss(a, b).item(), 6))
