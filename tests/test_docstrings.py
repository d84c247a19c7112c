"""Shared docstring parts (chainrule._docstrings) and the objects whose docs are composed."""

import re

import pytest

import chainrule as cr
from chainrule import nn
from chainrule._docstrings import compose, fill
from chainrule.datasets import real
from chainrule.optim import SGD, Adagrad, RMSprop
from chainrule.optim.optimizer import DOCS

PLACEHOLDER = re.compile(r"^\s*%\(\w+\)s\s*$", re.M)


def test_compose_indents_every_line_of_a_part_and_leaves_the_rest_alone():
    doc = "Sum.\n\n    .. math:: \\frac{a}{b}, 50%\n    %(x)s\n    y : int\n"
    out = compose(doc, {"x": "x : float\n    The first.\n    Still the first."})
    assert out == (
        "Sum.\n\n    .. math:: \\frac{a}{b}, 50%\n"
        "    x : float\n        The first.\n        Still the first.\n    y : int\n"
    )


def test_compose_names_a_missing_part():
    with pytest.raises(KeyError, match=r"%\(lr\)s"):
        compose("    %(lr)s", {"params": "params : list"})


def test_fill_keeps_an_object_without_docstring():
    def f():
        pass

    assert fill({"x": "x"})(f) is f and f.__doc__ is None


@pytest.mark.parametrize(
    "obj", [SGD, Adagrad, RMSprop, real.breast_cancer, real.iris, real.wine, real.digits]
)
def test_composed_docstrings_hold_the_shared_text_and_no_placeholder(obj):
    assert not PLACEHOLDER.search(obj.__doc__)
    assert "Parameters\n    ----------\n" in obj.__doc__
    if obj in (SGD, Adagrad, RMSprop):
        for part in DOCS.values():
            assert compose("    %(p)s", {"p": part}) in obj.__doc__
    else:
        assert "    dtype : dtype, optional\n        Floating dtype" in obj.__doc__
        assert "    Raises\n    ------\n    ImportError\n" in obj.__doc__


def test_loss_objects_pass_their_current_options_to_their_function():
    x, y = cr.tensor([[2.0, 0.0, -1.0]]), [1]
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    assert crit(x, y).item() == pytest.approx(
        nn.functional.cross_entropy(x, y, label_smoothing=0.1).item()
    )
    crit.reduction = "none"  # an option set after construction is used, as in PyTorch
    assert crit(x, y).shape == (1,)
    huber = nn.HuberLoss(delta=0.5)
    assert huber(cr.tensor([3.0]), [0.0]).item() == pytest.approx(0.5 * (3.0 - 0.25))


def test_one_setting_activations_store_their_setting():
    assert nn.LeakyReLU(0.2).negative_slope == 0.2
    assert nn.GELU("tanh").config() == {"approximate": "tanh"}
    assert repr(nn.Softmax(dim=0)) == "Softmax(dim=0)"
