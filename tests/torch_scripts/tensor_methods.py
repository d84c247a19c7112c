import torch

x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
print(list(x.size()), x.size(1), x.numel(), x.dim(), list(x.shape))
print(
    x.view(4, 3)[1].tolist(),
    x.permute(1, 0)[0].tolist(),
    x.transpose(0, 1).shape[0],
    x.t()[1].tolist(),
)
print(x.unsqueeze(0).shape[0], x.flatten().tolist()[:3], x.unflatten(1, (2, 2)).shape[2])
print(
    x.long().tolist()[0],
    x.int().tolist()[1],
    x.double().sum().item(),
    x.to(torch.float64).dtype == torch.float64,
)
print(x.to("cpu").sum().item(), x.type(torch.int64).tolist()[2])
print(x[:1].expand(2, 4).tolist(), x[:, :1].repeat(1, 3).tolist()[0])
print([c.shape[0] for c in x.chunk(2, dim=0)], [s.shape[1] for s in x.split(3, dim=1)])
print(torch.cumsum(x, dim=1)[0].tolist(), x.cumsum(0)[-1].tolist())
v, i = torch.topk(x[1], 2)
print(v.tolist(), i.tolist())
s = torch.sort(torch.tensor([3.0, 1.0, 2.0]), descending=True)
print(s.values.tolist(), s.indices.tolist())
idx = torch.tensor([[0, 3], [1, 1], [2, 0]])
print(torch.gather(x, 1, idx).tolist())
print(torch.zeros(3, 4).scatter(1, idx, 1.0).tolist()[0])
print(
    torch.index_select(x, 0, torch.tensor([2, 0])).tolist()[0],
    x.masked_fill(x > 5, -1.0).tolist()[1],
)
print(torch.einsum("ij,kj->ik", x, x).tolist()[0])
print(
    torch.clamp(x, min=2.0, max=9.0).tolist()[0],
    round(x.norm().item(), 5),
    round(torch.norm(x, p=1).item(), 3),
)
print(torch.mm(x, x.t()).tolist()[1], torch.bmm(x.unsqueeze(0), x.t().unsqueeze(0)).shape[1])
print(torch.linspace(0, 1, 5).tolist(), torch.eye(2).tolist(), torch.full((2,), 7.0).tolist())
print(
    torch.allclose(x, x + 1e-7),
    torch.isclose(x[0], x[0] + 0.5).tolist(),
    torch.isnan(x).any().item(),
)
print(
    torch.where(x > 4, x, torch.zeros_like(x)).tolist()[1],
    torch.stack([x[0], x[1]], dim=1).shape[0],
)
print(
    x.amax(dim=0).tolist(), x.clone().detach().contiguous().sum().item(), torch.abs(-x).max().item()
)
