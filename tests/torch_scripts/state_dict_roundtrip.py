import os
import tempfile

import numpy as np
import torch
import torch.nn as nn


def make():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


rng = np.random.default_rng(7)
model = make()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32)))
x = torch.from_numpy(rng.normal(size=(8, 3)).astype(np.float32))
model.train()
model(x)
model(x * 2)
sd = model.state_dict()
print(list(sd.keys()))
print(int(sd["1.num_batches_tracked"].item()), [round(v, 5) for v in sd["1.running_mean"].tolist()])
print(all(isinstance(v, torch.Tensor) for v in sd.values()))
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "model.pt")
    torch.save(model.state_dict(), path)
    other = make()
    other.load_state_dict(torch.load(path))
model.eval()
other.eval()
print(np.round(model(x).detach().numpy(), 5).tolist()[0], torch.equal(model(x), other(x)))
