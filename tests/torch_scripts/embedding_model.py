import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(11)
emb = nn.Embedding(10, 4, padding_idx=0)
head = nn.Linear(4, 2)
with torch.no_grad():
    emb.weight.copy_(torch.from_numpy(rng.normal(size=(10, 4)).astype(np.float32)))
    emb.weight[0].fill_(0.0)
    head.weight.copy_(torch.from_numpy(rng.normal(size=(2, 4)).astype(np.float32)))
    head.bias.zero_()
tokens = torch.from_numpy(rng.integers(0, 10, size=(8, 5)))
labels = torch.from_numpy(rng.integers(0, 2, size=8))
opt = torch.optim.SGD(list(emb.parameters()) + list(head.parameters()), lr=0.5)
for _step in range(15):
    opt.zero_grad()
    logits = head(emb(tokens).mean(dim=1))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    opt.step()
print(round(loss.item(), 6), emb.weight[0].abs().sum().item())
print(np.round(emb.weight.detach().numpy()[1:3], 5).tolist())
