"""nn.Sequential built from an OrderedDict, printed and inspected, then trained on a regression."""

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, size=(128, 5)).astype(np.float32)
y = (np.sin(X[:, :1] * 2) + X[:, 1:2] * X[:, 2:3]).astype(np.float32)

model = nn.Sequential(
    OrderedDict(
        [
            ("fc1", nn.Linear(5, 16)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(16, 8)),
            ("tanh", nn.Tanh()),
            ("output", nn.Linear(8, 1)),
        ]
    )
)
print(model)
print(model.fc1)
print(model[0].weight.shape, model.output.bias.size())
print(len(model), model[2].in_features, model[-1].out_features)
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"trainable parameters: {n_params}")
for name, param in model.named_parameters():
    print(name, param.size(), param.requires_grad)

# Load weights drawn by NumPy through a state dict built from the model's own keys.
state = OrderedDict(
    (k, torch.from_numpy(rng.normal(scale=0.3, size=tuple(v.shape)).astype(np.float32)))
    for k, v in model.state_dict().items()
)
model.load_state_dict(state)
print(list(model.state_dict().keys()))

inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
num_epochs = 60
for epoch in range(num_epochs):
    outputs = model(inputs)
    loss = criterion(outputs, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 10 == 0:
        print(f"Epoch [{epoch + 1}/{num_epochs}], Loss: {loss.item():.4f}")

model.eval()
with torch.no_grad():
    predicted = model(inputs[:5])
print(predicted.squeeze())
print(predicted.view(-1).tolist())
print(model.fc1.bias[:3])
head = model[:2]
print(head(inputs[:2]).shape)
