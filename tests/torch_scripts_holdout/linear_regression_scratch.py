"""Linear and logistic regression from scratch: leaf tensors with requires_grad, manual
updates under no_grad, grad.zero_(), x.t(), torch.mm and closed-form checks."""

import numpy as np
import torch

rng = np.random.default_rng(2)
X_np = rng.normal(size=(100, 3)).astype(np.float32)
true_w = np.array([[2.0], [-3.4], [1.2]], dtype=np.float32)
y_np = X_np @ true_w + 4.2 + 0.01 * rng.normal(size=(100, 1)).astype(np.float32)

X = torch.from_numpy(X_np)
y = torch.from_numpy(y_np)
w = torch.tensor(rng.normal(scale=0.01, size=(3, 1)).astype(np.float32), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
print(w.requires_grad, b.is_leaf, X.requires_grad)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for i in range(0, 100, batch_size):
        X_b, y_b = X[i : i + batch_size], y[i : i + batch_size]
        l = squared_loss(linreg(X_b, w, b), y_b)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(X, w, b), y)
        print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
print("w error:", (torch.from_numpy(true_w) - w).reshape(-1).tolist())
print("b error:", 4.2 - b.item())

# The same model by the normal equations, with x.t() and torch.mm.
Xb = torch.cat([X, torch.ones(X.shape[0], 1)], dim=1)
XtX = torch.mm(Xb.t(), Xb)
Xty = Xb.t() @ y
print(XtX.shape, Xty.shape, XtX[0, 0].item() == (X[:, 0] ** 2).sum().item())

# Logistic regression with a hand-written sigmoid and loss, and manual updates.
labels = (X[:, 0] - X[:, 1] > 0).float().view(-1, 1)
W = torch.zeros((3, 1), requires_grad=True)
c = torch.zeros(1, requires_grad=True)
for step in range(100):
    z = X.mm(W) + c
    p = 1 / (1 + torch.exp(-z))
    loss = -(labels * torch.log(p + 1e-8) + (1 - labels) * torch.log(1 - p + 1e-8)).mean()
    loss.backward()
    with torch.no_grad():
        W.sub_(0.5 * W.grad)
        c -= 0.5 * c.grad
        W.grad.zero_()
        c.grad.zero_()
    if step % 25 == 0:
        print(step, round(loss.item(), 6))
accuracy = ((torch.sigmoid(X @ W + c) > 0.5).float() == labels).float().mean()
print("accuracy", accuracy.item(), W.detach().squeeze().tolist())
