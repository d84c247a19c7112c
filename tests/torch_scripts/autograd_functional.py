import torch
from torch.autograd.functional import hessian, jacobian


def f(x):
    return torch.stack([x[0] * x[1], torch.sin(x[1]), x.pow(2).sum()])


x = torch.tensor([0.3, -1.2])
print([[round(v, 6) for v in row] for row in jacobian(f, x).tolist()])
print(
    [
        [round(v, 6) for v in row]
        for row in hessian(lambda v: (v**3).sum() + v[0] * v[1], x).tolist()
    ]
)
J = jacobian(lambda a, b: a * b, (torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])))
print([t.tolist() for t in J])
