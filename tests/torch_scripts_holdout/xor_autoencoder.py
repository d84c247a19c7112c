"""Two classics: XOR with sigmoid units and MSE, and a small autoencoder whose bottleneck codes
are inspected after training."""

import numpy as np
import torch
import torch.nn as nn

X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])


class XOR(nn.Module):
    def __init__(self, input_dim=2, output_dim=1):
        super(XOR, self).__init__()
        self.lin1 = nn.Linear(input_dim, 2)
        self.lin2 = nn.Linear(2, output_dim)

    def forward(self, x):
        x = self.lin1(x)
        x = torch.sigmoid(x)
        x = self.lin2(x)
        return x


model = XOR()
model.lin1.weight.data = torch.tensor([[2.0, -1.5], [-1.0, 2.5]])
model.lin1.bias.data = torch.tensor([0.1, -0.2])
model.lin2.weight.data = torch.tensor([[1.0, 1.2]])
model.lin2.bias.data.zero_()
loss_func = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
epochs = 300
steps = X.size(0)
for i in range(epochs):
    for j in range(steps):
        x_var = X[j].unsqueeze(0)
        y_var = Y[j].unsqueeze(0)
        optimizer.zero_grad()
        y_hat = model(x_var)
        loss = loss_func.forward(y_hat, y_var)
        loss.backward()
        optimizer.step()
    if i % 100 == 0:
        print(f"Epoch: {i}, Loss: {loss.data.numpy():.6f}")
with torch.no_grad():
    print(model(X).view(-1))
    print((model(X) > 0.5).int().view(-1).tolist())
for name, param in model.named_parameters():
    print(name, param.data.view(-1).tolist())

rng = np.random.default_rng(9)
latent = rng.normal(size=(120, 2)).astype(np.float32)
mixing = rng.normal(size=(2, 8)).astype(np.float32)
data = torch.from_numpy(np.tanh(latent @ mixing))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 16), nn.ReLU(True), nn.Linear(16, 2))
        self.decoder = nn.Sequential(nn.Linear(2, 16), nn.ReLU(True), nn.Linear(16, 8), nn.Tanh())

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z


ae = AutoEncoder()
with torch.no_grad():
    for p in ae.parameters():
        p.copy_(torch.from_numpy(rng.normal(scale=0.4, size=tuple(p.shape)).astype(np.float32)))
print(ae)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(ae.parameters(), lr=1e-2, weight_decay=1e-5)
for epoch in range(40):
    for batch in torch.split(data, 40):
        recon, _ = ae(batch)
        loss = criterion(recon, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if (epoch + 1) % 10 == 0:
        print(f"epoch [{epoch + 1}/40], loss:{loss.item():.6f}")
ae.eval()
with torch.no_grad():
    recon, codes = ae(data)
    err = ((recon - data) ** 2).mean(dim=1)
    print(codes.shape, codes[:2], err.max().item(), err.argmax().item())
    print(torch.cat([codes.min(0).values, codes.max(0).values]))
