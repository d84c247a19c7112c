import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(14)


def run(make_opt):
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(
                torch.from_numpy(
                    np.random.default_rng(15).normal(size=tuple(p.shape)).astype(np.float32)
                )
            )
    opt = make_opt(model)
    x = torch.from_numpy(np.random.default_rng(16).normal(size=(12, 3)).astype(np.float32))
    for _ in range(10):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
    return [round(p.sum().item(), 5) for p in model.parameters()]


print(run(lambda m: torch.optim.SGD(m.parameters(), lr=0.1, weight_decay=0.1)))
print(run(lambda m: torch.optim.Adam(m.parameters(), lr=0.01, weight_decay=0.1)))
print(run(lambda m: torch.optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.5)))
print(run(lambda m: torch.optim.RMSprop(m.parameters(), lr=0.01, weight_decay=0.1)))
print(run(lambda m: torch.optim.Adagrad(m.parameters(), lr=0.1, weight_decay=0.1)))


def grouped(m):
    decay = [p for n, p in m.named_parameters() if n.endswith("weight") and p.dim() > 1]
    rest = [p for n, p in m.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]
    return torch.optim.SGD(
        [{"params": decay, "weight_decay": 0.1}, {"params": rest, "lr": 0.05}], lr=0.1
    )


print(run(grouped))
