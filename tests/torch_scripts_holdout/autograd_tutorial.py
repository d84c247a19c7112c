"""The autograd tutorial: requires_grad, grad_fn, backward with a vector, retain_graph,
no_grad, detach, requires_grad_ and gradient accumulation."""

import torch

x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn is not None, x.grad_fn is None, y.requires_grad)
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)

a = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
a = (a * 3) / (a - 1)
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.requires_grad)

x = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
y = x * 2
while y.data.norm() < 100:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

print(x.requires_grad, (x**2).requires_grad)
with torch.no_grad():
    print((x**2).requires_grad)
w = x.detach()
print(w.requires_grad, x.eq(w).all())

# Gradients accumulate until zeroed.
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# A tiny one-layer network and its gradients.
x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor([[0.1 * (i - j) for j in range(3)] for i in range(5)], requires_grad=True)
b = torch.tensor([0.2, -0.1, 0.05], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn is not None}")
loss.backward()
print(w.grad)
print(b.grad)
z_det = z.detach()
print(z_det.requires_grad)

# Custom gradient through a non-leaf with retain_grad.
p = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
q = p.exp()
q.retain_grad()
r = (q * torch.sin(p)).sum()
r.backward()
print(q.grad, p.grad)
