import numpy as np
import torch
from torch.autograd import grad

x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x**3).sum() + (x[0] * x[1])
(g,) = grad(y, x, create_graph=True)
print(g.tolist())
(h,) = grad(g.sum(), x)
print(h.tolist())

# a gradient penalty, as in WGAN-GP
rng = np.random.default_rng(6)
net = torch.nn.Linear(3, 1)
with torch.no_grad():
    net.weight.copy_(torch.from_numpy(rng.normal(size=(1, 3)).astype(np.float32)))
    net.bias.zero_()
inp = torch.from_numpy(rng.normal(size=(5, 3)).astype(np.float32)).requires_grad_(True)
out = torch.tanh(net(inp))
(gi,) = torch.autograd.grad(out, inp, grad_outputs=torch.ones_like(out), create_graph=True)
penalty = ((gi.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print(round(penalty.item(), 6), np.round(net.weight.grad.numpy(), 5).tolist())
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0], requires_grad=True)
ga, gb = grad((a * 2).sum(), [a, b], allow_unused=True)
print(ga.tolist(), gb is None)
