"""chainrule.viz: every plot writes a real, non-blank PNG atomically and labels its axes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets, nn, optim, train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_importing_chainrule_and_viz_does_not_import_matplotlib():
    """Runs in a fresh interpreter: this process may have imported matplotlib already."""
    code = textwrap.dedent(
        """
        import sys
        import chainrule, chainrule.viz, chainrule.diagnostics
        from chainrule.viz import loss_curves
        assert "matplotlib" not in sys.modules, "importing chainrule.viz imported matplotlib"
        try:
            import matplotlib
        except ImportError:
            raise SystemExit(0)
        loss_curves({"loss": [1.0, 0.5]})
        assert "matplotlib.pyplot" not in sys.modules, "a plot imported pyplot"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


mpl = pytest.importorskip("matplotlib", reason="chainrule.viz needs matplotlib (the viz extra)")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

from chainrule import viz  # noqa: E402
from chainrule.viz._figure import save_figure  # noqa: E402


def check_png(path, max_side=2000):
    """A valid PNG, of modest size, that is not one flat colour."""
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE
    img = imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert max(img.shape[:2]) <= max_side  # ~100 dpi, not a print-resolution file
    assert img.std() > 0.01
    colours = np.unique(img[..., :3].reshape(-1, 3).round(2), axis=0)
    assert len(colours) > 10
    # nothing left behind by the atomic write
    assert [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".tmp")] == []


def check_labels(fig):
    """A Figure with a title (suptitle or axes title) and labelled axes."""
    assert isinstance(fig, Figure)
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert plots
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in plots:
        assert ax.get_title() or suptitle
        assert ax.get_xlabel() and ax.get_ylabel()


# ----------------------------------------------------------------------------- loss curves
def test_loss_curves_dict_with_metrics(tmp_path):
    h = {
        "loss": [1.0, 0.6, 0.4, 0.3],
        "val_loss": [1.1, 0.7, float("nan"), 0.5],
        "accuracy": [0.5, 0.7, 0.8, 0.9],
        "val_accuracy": [0.5, 0.6, 0.7, 0.8],
        "lr": [0.1] * 4,
        "time": [0.01] * 4,
    }
    path = tmp_path / "loss.png"
    fig = viz.loss_curves(h, path)
    check_png(path)
    check_labels(fig)
    loss_ax, metric_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    assert len(loss_ax.get_lines()) == 2 and len(metric_ax.get_lines()) == 2
    labels = [t.get_text() for t in metric_ax.get_legend().get_texts()]
    assert labels == ["training accuracy", "validation accuracy"]  # lr and time not plotted


def test_loss_curves_linear_scale_without_metrics():
    fig = viz.loss_curves({"loss": [0.5, 0.0, -0.2]})
    check_labels(fig)
    (ax,) = fig.axes
    assert ax.get_yscale() == "linear"


def test_loss_curves_from_fit(tmp_path):
    X = cr.randn(64, 2, generator=cr.Generator(0))
    y = (X.numpy()[:, 0] > 0).astype(np.int64)
    model = nn.mlp([2, 8, 2], "tanh", seed=0)
    h = train.fit(
        model,
        nn.losses.cross_entropy,
        optim.Adam(model.parameters(), lr=0.05),
        X,
        y,
        epochs=8,
        batch_size=16,
        validation_split=0.25,
        metrics=["accuracy"],
        record_grad_norms=True,
        verbose=0,
        seed=0,
    )
    fig = viz.loss_curves(h, tmp_path / "fit.png")
    check_png(tmp_path / "fit.png")
    check_labels(fig)
    assert len(fig.axes) == 2
    # the grad-norm record of the same History plots too
    fig2 = viz.gradient_norms(h, tmp_path / "fit_norms.png")
    check_png(tmp_path / "fit_norms.png")
    assert len(fig2.axes[0].get_lines()) == 2  # first and last epoch


def test_loss_curves_rejects_a_history_without_loss():
    with pytest.raises(ValueError, match="loss"):
        viz.loss_curves({"accuracy": [0.5]})
    with pytest.raises(TypeError):
        viz.loss_curves([1.0, 0.5])


# ----------------------------------------------------------------------------- decision boundary
@pytest.fixture(scope="module")
def moons():
    return datasets.moons(120, noise=0.1, seed=0)


def test_decision_boundary_binary_model(tmp_path, moons):
    X, y = moons
    model = nn.mlp([2, 8, 1], "tanh", seed=0)
    train.fit(
        model,
        nn.losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.05),
        X,
        y,
        epochs=30,
        batch_size="full",
        verbose=0,
    )
    path = tmp_path / "moons.png"
    fig = viz.decision_boundary(model, X, y, path, resolution=60)
    check_png(path)
    check_labels(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["class 0", "class 1"]
    assert model.training  # eval mode only while plotting


def test_decision_boundary_multiclass_function(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, 90)
    X = (centres[y] + rng.normal(size=(90, 2))).astype(np.float32)

    def proba(Z):  # nearest-centre softmax: a function returning probabilities
        logits = -((Z[:, None, :] - centres[None]) ** 2).sum(-1)
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    path = tmp_path / "three.png"
    fig = viz.decision_boundary(proba, X, y, path, resolution=50, class_names=["a", "b", "c"])
    check_png(path)
    check_labels(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:3] == ["a", "b", "c"]


def test_decision_boundary_estimator_and_string_labels():
    class Estimator:
        def predict_proba(self, Z):
            p = 1 / (1 + np.exp(-np.clip(Z[:, 0] - Z[:, 1], -30, 30)))
            return np.column_stack([1 - p, p])

    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.5], [-1.0, 0.2]])
    y = np.array(["no", "yes", "yes", "no"])
    fig = viz.decision_boundary(Estimator(), X, y, resolution=20)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["class no", "class yes"]


def test_decision_boundary_validates(moons):
    X, y = moons
    model = nn.mlp([2, 4, 1], "tanh", seed=0)
    with pytest.raises(ValueError, match="2-D"):
        viz.decision_boundary(model, np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="rows"):
        viz.decision_boundary(model, X, y[:-1])
    with pytest.raises(ValueError, match="classes"):
        viz.decision_boundary(model, X, np.arange(len(X)) % 3)
    with pytest.raises(TypeError):
        viz.decision_boundary(42, X, y)


# ----------------------------------------------------------------------------- basis functions
def test_basis_functions(tmp_path):
    from chainrule.diagnostics import fit_sine_basis

    model, X, y, _ = fit_sine_basis(hidden=5, epochs=200, seed=0)
    path = tmp_path / "basis.png"
    fig = viz.basis_functions(model, (-4, 4), path, X=X, y=y)
    check_png(path)
    check_labels(fig)
    parts_ax, sum_ax = fig.axes
    assert len(parts_ax.get_lines()) == 5 + 1  # one line per unit, and the bias
    # the thick line is the network's output
    thick = max(sum_ax.get_lines(), key=lambda line: line.get_linewidth())
    xs, ys = thick.get_data()
    np.testing.assert_allclose(
        ys, model(xs.reshape(-1, 1).astype(np.float32)).numpy()[:, 0], atol=1e-5
    )


def test_basis_functions_validates():
    model = nn.mlp([1, 3, 1], "tanh", seed=0)
    with pytest.raises(ValueError, match="x_range"):
        viz.basis_functions(model, (1, 1))
    with pytest.raises(ValueError, match="one input"):
        viz.basis_functions(nn.mlp([2, 3, 1], "tanh", seed=0), (0, 1))


# ----------------------------------------------------------------------------- gradient norms
def test_gradient_norms_forms(tmp_path):
    flat = {"sigmoid": [1e-9, 1e-5, 0.3], "relu": [0.4, 0.0, 0.5]}  # a zero: left out of the log
    staged = {
        "sigmoid": {"init": [1e-9, 1e-5, 0.3], "trained": [1e-8, 1e-4, 0.2], "loss_end": 2.0},
        "tanh": {"init": [0.1, 0.2, 0.3], "trained": [0.1, 0.1, 0.2]},
    }
    for i, norms in enumerate((flat, staged)):
        path = tmp_path / f"norms{i}.png"
        fig = viz.gradient_norms(norms, path)
        check_png(path)
        check_labels(fig)
        assert fig.axes[0].get_yscale() == "log"
    assert len(fig.axes[0].get_lines()) == 4


def test_gradient_norms_of_a_vanishing_result(tmp_path):
    from chainrule.diagnostics import vanishing

    r = vanishing(depth=6, width=16, steps=3, n_samples=64)
    fig = viz.gradient_norms(r, tmp_path / "v.png")
    check_png(tmp_path / "v.png")
    ax = fig.axes[0]
    assert "depth 6" in ax.get_title()
    assert len(ax.get_lines()) == 6  # 3 activations x (init, trained)
    with pytest.raises(TypeError):
        viz.gradient_norms({"relu": "big"})
    with pytest.raises(ValueError):
        viz.gradient_norms({})


# ----------------------------------------------------------------------------- activations
def test_activations_grid(tmp_path):
    path = tmp_path / "act.png"
    fig = viz.activations(path=path)
    check_png(path)
    check_labels(fig)
    assert [ax.get_title() for ax in fig.axes] == list(viz.activation_grid.DEFAULT_ACTIVATIONS)


def test_activation_derivative_is_autodiff_of_the_right_function():
    fig = viz.activations(["sigmoid", "tanh"], x_range=(-3, 3))
    sig_ax, tanh_ax = fig.axes
    lines = {line.get_label(): line for line in sig_ax.get_lines()}
    x, d = lines["$\\phi'(x)$"].get_data()
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(d, s * (1 - s), atol=1e-12)
    x, d = {ln.get_label(): ln for ln in tanh_ax.get_lines()}["$\\phi'(x)$"].get_data()
    np.testing.assert_allclose(d, 1 - np.tanh(x) ** 2, atol=1e-12)


def test_activations_validates():
    with pytest.raises(ValueError, match="unknown activation"):
        viz.activations(["sigmoidd"])
    with pytest.raises(ValueError, match="elementwise"):
        viz.activations(["softmax"])
    with pytest.raises(ValueError):
        viz.activations([])


# ----------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    path = tmp_path / "cm.png"
    fig = viz.confusion_matrix(cm, labels=["cat", "dog", "owl"], path=path)
    check_png(path)
    check_labels(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(v) for v in cm.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "owl"]


def test_confusion_matrix_normalised_with_an_empty_row(tmp_path):
    cm = cr.tensor([[3, 1], [0, 0]])
    fig = viz.confusion_matrix(cm, path=tmp_path / "n.png", normalize=True)  # no 0/0 warning
    check_png(tmp_path / "n.png")
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.75", "0.25", "0.00", "0.00"]
    assert "normalised" in fig.axes[0].get_title()


def test_confusion_matrix_validates():
    with pytest.raises(ValueError, match="square"):
        viz.confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels"):
        viz.confusion_matrix(np.eye(2), labels=["a"])
    with pytest.raises(ValueError, match="normalize"):
        viz.confusion_matrix(np.eye(2), normalize="rows")


# ----------------------------------------------------------------------------- saving
def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "sub" / "plot.png"
    fig = viz.loss_curves({"loss": [1.0, 0.5]}, path)  # missing folders are created
    check_png(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    fig.savefig = broken
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["plot.png"]


def test_save_rejects_unknown_formats(tmp_path):
    fig = viz.loss_curves({"loss": [1.0, 0.5]})
    with pytest.raises(ValueError, match="format"):
        save_figure(fig, tmp_path / "plot.xyz")
    save_figure(fig, tmp_path / "plot.svg")
    assert (tmp_path / "plot.svg").read_text().lstrip().startswith("<?xml")
