"""dead_units: a first layer cut off from every gradient is explained, and only then."""

import chainrule as cr
from chainrule import nn
from chainrule.train import dead_units


def _narrow_relu(seed: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(2, 2, generator=cr.Generator(seed)), nn.ReLU()]
    for k in range(5):
        layers += [nn.Linear(2, 2, generator=cr.Generator(seed * 10 + k + 1)), nn.ReLU()]
    layers.append(nn.Linear(2, 1, generator=cr.Generator(seed + 99)))
    return nn.Sequential(*layers)


def test_message_names_the_dead_layer():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    net[0].weight.data[...] = -1.0
    net[0].bias.data[...] = -0.5
    x = cr.rand(8, 2, generator=cr.Generator(0))  # inputs in [0, 1): every pre-activation < 0
    net(x).sum().backward()
    msg = dead_units(net, x)
    assert msg is not None
    assert "Layer 1 (ReLU): all 3 units output 0 for every one of the 8 inputs" in msg
    assert "exactly 0" in msg and "leaky_relu" in msg
    assert not (net[0].weight.grad.data != 0).any() and (net[2].bias.grad.data != 0).any()
    assert dead_units(net) is not None  # without inputs it still explains, less precisely


def test_none_when_a_gradient_flows_or_before_backward():
    net = nn.Sequential(nn.Linear(2, 3, generator=cr.Generator(1)), nn.Tanh(), nn.Linear(3, 1))
    x = cr.randn(5, 2, generator=cr.Generator(2))
    assert dead_units(net, x) is None  # no backward yet: nothing to say
    net(x).sum().backward()
    assert dead_units(net, x) is None


def test_narrow_deep_relu_nets_are_often_dead_at_init():
    x = cr.randn(64, 2, generator=cr.Generator(3))
    dead = 0
    for seed in range(10):
        net = _narrow_relu(seed)
        net(x).sum().backward()
        msg = dead_units(net, x)
        first = [net[0].weight.grad.data, net[0].bias.grad.data]
        assert (msg is not None) == all(not (g != 0).any() for g in first)
        if msg is not None:  # then a whole ReLU layer is dead, and it is named
            assert "units output 0 for every one of the 64 inputs" in msg
        dead += msg is not None
    assert dead >= 5  # 8 of 10 with these seeds, as the issue saw in the playground
