import torch
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split

ds = TensorDataset(torch.arange(20).float(), torch.arange(20))
train, val = random_split(ds, [15, 5], generator=torch.Generator().manual_seed(0))
print(len(train), len(val), sorted(int(train[i][1]) for i in range(len(train))).__len__())
a, b, c = random_split(ds, [0.5, 0.3, 0.2])
print(len(a), len(b), len(c))
sub = Subset(ds, [3, 1, 4])
print([int(sub[i][1]) for i in range(len(sub))])
print([xb.tolist() for xb, _ in DataLoader(sub, batch_size=2)])
allidx = sorted(
    int(i) for part in (train, val) for _, i in DataLoader(part, batch_size=4) for i in _
)
print(allidx == list(range(20)))
