import torch
from torch.optim.lr_scheduler import LambdaLR, LinearLR, MultiStepLR, OneCycleLR, StepLR


def trace(make, opt_cls=torch.optim.SGD, steps=10, **opt_kw):
    w = torch.zeros(2, requires_grad=True)
    opt = opt_cls([w], **opt_kw)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(round(opt.param_groups[0]["lr"], 6))
        w.grad = torch.ones(2)
        opt.step()
        sched.step()
    return out


print(trace(lambda o: StepLR(o, step_size=3, gamma=0.5), lr=1.0))
print(trace(lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.1), lr=1.0))
print(trace(lambda o: LambdaLR(o, lambda e: 0.9**e), lr=0.5))
print(trace(lambda o: LinearLR(o, start_factor=0.25, total_iters=4), lr=0.4))
print(trace(lambda o: OneCycleLR(o, max_lr=0.8, total_steps=10), lr=0.1, momentum=0.9))
print(
    trace(
        lambda o: OneCycleLR(o, max_lr=0.01, total_steps=10, anneal_strategy="linear"),
        torch.optim.Adam,
    )
)
w = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
sched = OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=3)
for _ in range(6):
    w.grad = torch.ones(1)
    opt.step()
    sched.step()
print(round(w.item(), 6), sched.get_last_lr())
