import torch


def run(make, steps=15):
    w = torch.tensor([1.5, -2.0, 0.5], requires_grad=True)
    opt = make([w])
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w - torch.tensor([0.1, 0.2, 0.3])) ** 2).sum() + (w**4).sum() * 0.1
        loss.backward()
        opt.step()
    return [round(v, 5) for v in w.tolist()]


print(run(lambda p: torch.optim.SGD(p, lr=0.05)))
print(run(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.1)))
print(run(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)))
print(run(lambda p: torch.optim.Adam(p, lr=0.1)))
print(run(lambda p: torch.optim.Adam(p, lr=0.1, amsgrad=True, betas=(0.8, 0.99))))
print(run(lambda p: torch.optim.AdamW(p, lr=0.1)))
print(run(lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True)))
print(run(lambda p: torch.optim.Adagrad(p, lr=0.3, lr_decay=0.01)))
