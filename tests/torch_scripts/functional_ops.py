import torch
import torch.nn.functional as F

x = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
print(
    F.one_hot(torch.tensor([0, 2, 1]), num_classes=3).tolist(),
    F.one_hot(torch.tensor([1, 3])).shape[1],
)
print(F.pad(x, (1, 2)).tolist()[0], F.pad(x, (0, 0, 1, 0), value=9.0).tolist()[0])
print([[round(v, 5) for v in r] for r in F.normalize(x, dim=1).tolist()])
print([[round(v, 5) for v in r] for r in F.softmax(x, dim=0).tolist()])
print([[round(v, 5) for v in r] for r in F.log_softmax(x, dim=1).tolist()])
print([round(v, 5) for v in F.silu(x[0]).tolist()], F.relu(x).tolist()[0])
print(
    [round(v, 5) for v in F.gelu(x[0]).tolist()],
    [round(v, 5) for v in F.leaky_relu(x[0], 0.1).tolist()],
)
print(
    [round(v, 5) for v in F.elu(x[0]).tolist()], [round(v, 5) for v in torch.sigmoid(x[1]).tolist()]
)
print(
    torch.cat([x, x], dim=1).shape[1],
    torch.stack([x, x]).shape[0],
    torch.logsumexp(x, dim=1).tolist()[0].__round__(5),
)
print(F.dropout(x, p=0.5, training=False).tolist()[0], F.linear(x, torch.ones(1, 3)).tolist())
