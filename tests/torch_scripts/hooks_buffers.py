import numpy as np
import torch
import torch.nn as nn


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.register_buffer("scale", torch.tensor([1.0, 2.0, 3.0]))

    def forward(self, x):
        return self.fc(x) * self.scale


rng = np.random.default_rng(13)
m = Scaled()
with torch.no_grad():
    m.fc.weight.copy_(torch.from_numpy(rng.normal(size=(3, 3)).astype(np.float32)))
    m.fc.bias.fill_(0.0)
means = []
handle = m.fc.register_forward_hook(lambda mod, inp, out: means.append(round(out.mean().item(), 5)))
x = torch.from_numpy(rng.normal(size=(4, 3)).astype(np.float32))
y = m(x)
handle.remove()
m(x)
print(means, round(y.sum().item(), 5))
print(list(m.state_dict().keys()), [n for n, _ in m.named_buffers()])
pre = m.register_forward_pre_hook(lambda mod, inp: (inp[0] * 0,))
print(m(x).abs().sum().item())
pre.remove()
