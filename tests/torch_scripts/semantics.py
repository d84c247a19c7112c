import torch

x = torch.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
print(
    round(x.std().item(), 5),
    round(x.var().item(), 5),
    round(torch.var(x, dim=1, unbiased=False)[0].item(), 5),
)
print(x.std(dim=0).tolist(), x.var(0, keepdim=True).tolist())
values, indices = torch.max(x, dim=1)
print(values.tolist(), indices.tolist())
m = x.min(dim=0)
print(m.values.tolist(), m.indices.tolist(), x.max().item())
print(torch.equal(x, x.clone()), torch.eq(x, 5.0).tolist(), (x == x).all().item())
i = torch.tensor([1, 2, 3])
print(int((i * 0.5).dtype == torch.float32), int((i / 2).dtype == torch.float32), (i * 2).tolist())
print(
    int((i + torch.ones(3)).dtype == torch.float32),
    (i / 2).tolist(),
    (i // 2).tolist(),
    (i % 2).tolist(),
)
print(torch.argmax(x, dim=1).tolist(), x.sum(dim=1, keepdim=True).tolist(), x.mean(dim=-1).tolist())
print(torch.max(x, torch.full_like(x, 3.0)).tolist())
