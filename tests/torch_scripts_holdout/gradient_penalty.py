"""A WGAN-GP critic step: torch.autograd.grad with create_graph for the gradient penalty."""

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn

rng = np.random.default_rng(8)
real = torch.from_numpy(rng.normal(loc=1.0, size=(32, 2)).astype(np.float32))
noise = torch.from_numpy(rng.normal(size=(32, 4)).astype(np.float32))
alpha_np = rng.uniform(size=(32, 1)).astype(np.float32)

generator = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
critic = nn.Sequential(
    nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)
)
for net in (generator, critic):
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(rng.normal(scale=0.4, size=tuple(p.shape)).astype(np.float32)))


def compute_gradient_penalty(D, real_samples, fake_samples):
    alpha = torch.from_numpy(alpha_np)
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
    gradients = autograd.grad(
        outputs=d_interpolates,
        inputs=interpolates,
        grad_outputs=fake,
        create_graph=True,
        retain_graph=True,
        only_inputs=True,
    )[0]
    gradients = gradients.view(gradients.size(0), -1)
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    return gradient_penalty


optimizer_D = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
lambda_gp = 10
for step in range(6):
    optimizer_D.zero_grad()
    fake_samples = generator(noise).detach()
    real_validity = critic(real)
    fake_validity = critic(fake_samples)
    gp = compute_gradient_penalty(critic, real.data, fake_samples.data)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gp
    d_loss.backward()
    optimizer_D.step()

    optimizer_G.zero_grad()
    g_loss = -torch.mean(critic(generator(noise)))
    g_loss.backward()
    optimizer_G.step()
    print(
        f"[step {step}] [D loss: {d_loss.item():.6f}] [GP: {gp.item():.6f}] [G loss: {g_loss.item():.6f}]"
    )

# Gradients of a scalar function and a second derivative, as in the autograd docs.
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x**3).sum()
(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
(d2y_dx2,) = torch.autograd.grad(dy_dx.sum(), x)
print(dy_dx.detach().tolist(), d2y_dx2.tolist())
