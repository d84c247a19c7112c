"""The F namespace's names are explicit and registered once; tensor.py and autograd.py are wired
by imports, not by filling each other's globals; a Recorder hears what the engine does."""

from __future__ import annotations

import importlib
import pathlib
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.autograd import OPS, RAW, Recorder, nondifferentiable, primitive, register

SRC = pathlib.Path(autograd.__file__).parent


def test_a_second_registration_of_a_name_is_an_error():
    with pytest.raises(ValueError, match=r"F\.tanh is already registered"):

        @primitive
        def tanh(x):
            return x

    with pytest.raises(ValueError, match=r"F\.sign is already registered"):
        nondifferentiable(lambda x: x, name="sign")
    with pytest.raises(ValueError, match="not a public identifier"):
        register("_hidden", abs, abs)


def test_a_private_forward_needs_its_name_spelled_out():
    with pytest.raises(TypeError, match=r"@primitive\('secret'\)"):

        @primitive
        def _secret(x):
            return x


def test_every_f_name_is_written_where_its_op_is_defined():
    # grep-ability: each F.name appears literally as `def name(`, `("name")` or `register("name"`
    sources = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    for name, fn in vars(OPS).items():
        if not fn.__module__.startswith("chainrule."):  # a test's own op
            continue
        pattern = rf'def {name}\(|\(\s*"{name}"|name="{name}"'
        assert re.search(pattern, sources), f"F.{name} is not spelled out in the source"
    assert vars(RAW).keys() == vars(OPS).keys()
    assert "class_targets" in vars(RAW)


def test_tensor_and_autograd_do_not_fill_each_others_globals():
    for path in (SRC / "autograd.py", SRC / "ops" / "__init__.py"):
        text = path.read_text()
        assert "_tensor_module" not in text and "_tensor._ops" not in text
    tensor_module = importlib.import_module("chainrule.tensor")
    assert tensor_module._ops is cr.ops and tensor_module._autograd is autograd


class _Log(Recorder):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_op(self, op, args, raw_args, kwargs, result):
        self.events.append(("op", op.name))

    def on_backward(self, root, grad, retain_graph, create_graph, inputs):
        self.events.append(("backward", root.shape))

    def on_node(self, node, vjp_all, grads):
        for i, rule, fitted, _a, _parent, _first in grads:
            self.events.append(("grad", node.name, i, rule is node.op.first_order[i], fitted))

    def on_read(self, what):
        self.events.append(("read", what.split(" (")[0]))

    def on_optimizer(self, optimizer, method, argument):
        self.events.append((method, argument))


def test_a_recorder_hears_ops_the_backward_plan_reads_and_optimiser_calls():
    w = cr.tensor([[1.0, 2.0]], requires_grad=True)
    b = cr.tensor([0.5], requires_grad=True)
    opt = cr.optim.SGD([w, b], lr=0.1)
    log = _Log()
    with autograd.recording(log):
        opt.zero_grad()
        loss = cr.tanh(w + b).sum()  # b is broadcast: its gradient is fitted back to (1,)
        loss.backward()
        opt.step()
        loss.item()
    assert autograd._trace_hook is None
    assert log.events == [
        ("zero_grad", True),
        ("op", "add"),
        ("op", "tanh"),
        ("op", "sum"),
        ("backward", ()),
        ("grad", "sum", 0, True, False),
        ("grad", "tanh", 0, True, False),
        ("grad", "add", 0, True, False),
        ("grad", "add", 1, True, True),
        ("step", None),
        ("read", "reading a tensor's value"),
    ]
    np.testing.assert_allclose(
        b.grad.numpy(), [2 - np.tanh(1.5) ** 2 - np.tanh(2.5) ** 2], rtol=1e-6
    )


def test_recordings_do_not_nest():
    with autograd.recording(Recorder()):
        with pytest.raises(RuntimeError, match="do not nest"):
            with autograd.recording(Recorder()):
                pass
    assert autograd._trace_hook is None


def test_the_readme_rule_example_is_the_real_code():
    readme = (SRC.parents[1] / "README.md").read_text()
    block = readme.split("Every op is a forward beside its rule")[1].split("```python\n")[1]
    code = block.split("```")[0]
    assert "tanh.defvjp(lambda F, g, out, x: g * (1 - out * out))" in code
    assert code in (SRC / "ops" / "activations.py").read_text()
