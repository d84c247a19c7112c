import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Pairs(Dataset):
    def __init__(self, n):
        rng = np.random.default_rng(5)
        self.x = rng.normal(size=(n, 3)).astype(np.float32)
        self.y = rng.integers(0, 3, size=n)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"features": torch.from_numpy(self.x[i]), "label": int(self.y[i])}


ds = Pairs(10)
loader = DataLoader(ds, batch_size=4)
for batch in loader:
    print(
        batch["features"].shape[0],
        batch["features"].sum().item().__round__(5),
        batch["label"].tolist(),
    )


class Tuples(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return torch.tensor([float(i), 2.0 * i]), torch.tensor(i % 2)


for xb, yb in DataLoader(Tuples(), batch_size=2, collate_fn=None):
    print(xb.tolist(), yb.tolist())


def my_collate(items):
    xs = torch.stack([a for a, _ in items])
    return xs.sum(dim=0), len(items)


for s, n in DataLoader(Tuples(), batch_size=3, collate_fn=my_collate):
    print(s.tolist(), n)
