import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

# shuffled orders differ between libraries: print only what does not depend on the order
rng = np.random.default_rng(4)
X = torch.from_numpy(rng.normal(size=(37, 2)).astype(np.float32))
idx = torch.arange(37)
g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(TensorDataset(X, idx), batch_size=8, shuffle=True, generator=g)
for epoch in range(2):
    seen = []
    sizes = []
    for _xb, ib in loader:
        seen.extend(ib.tolist())
        sizes.append(len(ib))
    print(epoch, sorted(seen) == list(range(37)), sizes)
w = torch.tensor([[0.5], [-1.0]])
total = sum((xb @ w).sum().item() for xb, _ in loader)
print(f"{total:.5f}")
