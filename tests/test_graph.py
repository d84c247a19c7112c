"""The computation graph, drawn: ``chainrule.viz.draw_graph`` and ``chainrule graph``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main
from chainrule.viz import draw_graph
from chainrule.viz.graph import explain_graph

SVG = "{http://www.w3.org/2000/svg}"


def _small():
    w = cr.tensor([0.5, -1.0], requires_grad=True, dtype=cr.float64)
    x = cr.tensor([2.0, 3.0], dtype=cr.float64)
    h = cr.tanh(w * x)
    loss = (h * h).sum()
    return w, x, h, loss


def _texts(svg: str) -> list[str]:
    """The text of every node and label of the SVG, one string per <text>."""
    root = ET.fromstring(svg)
    return ["\n".join(s.text or "" for s in t.iter(SVG + "tspan")) for t in root.iter(SVG + "text")]


def test_svg_parses_and_shows_every_node_with_values_and_grads():
    w, x, h, loss = _small()
    g = draw_graph(loss, {"w": w, "x": x, "h": h, "loss": loss})
    root = ET.fromstring(g.to_svg())
    assert root.tag == SVG + "svg"
    groups = [e for e in root.iter(SVG + "g") if "node" in (e.get("class") or "")]
    # tensors w, x, w*x, h, h*h, loss; ops mul, tanh, mul, sum
    assert len(groups) == 10
    assert len([e for e in root.iter(SVG + "path") if e.get("class") == "edge"]) == 9
    texts = _texts(g.to_svg())
    by_name = {t.split("\n")[0]: t for t in texts}
    assert set(by_name) >= {"w", "x", "h", "loss", "mul", "tanh", "sum"}
    # values and gradients, against the engine's own backward on a copy
    w2 = w.detach().requires_grad_()
    (cr.tanh(w2 * x) ** 2).sum().backward()
    expected = np.tanh(np.array([1.0, -3.0]))
    assert f"data [{expected[0]:.4g}, {expected[1]:.4g}]" in by_name["h"]
    gw = w2.grad.numpy()
    assert f"grad [{gw[0]:.4g}, {gw[1]:.4g}]" in by_name["w"]
    assert "data [0.5, -1]" in by_name["w"] and "(2,) float64" in by_name["w"]
    assert f"data {loss.item():.4g}" in by_name["loss"] and "grad 1" in by_name["loss"]
    # no gradient is shown for a tensor that needs none, and no .grad was written
    assert "grad" not in by_name["x"]
    assert w.grad is None


def test_edges_follow_the_data():
    w, x, h, loss = _small()
    g = draw_graph(loss, {"w": w, "x": x, "h": h, "loss": loss})
    label = {n.id: n.lines[0] for n in g.nodes}
    pairs = {(label[a], label[b]) for a, b, _ in g.edges}
    assert ("w", "mul") in pairs and ("x", "mul") in pairs
    assert ("tanh", "h") in pairs and ("sum", "loss") in pairs
    assert ("loss", "sum") not in pairs
    # h * h: one arrow from h into that mul, not two
    h_id = next(n.id for n in g.nodes if n.lines[0] == "h")
    assert sum(a == h_id for a, _, _ in g.edges) == 1


def test_jacobians_on_demand_in_both_layouts():
    w, x, h, loss = _small()
    plain = draw_graph(loss, {"w": w, "x": x, "h": h})
    assert all(not label for _, _, label in plain.edges)
    g = draw_graph(loss, {"w": w, "x": x, "h": h}, jacobians=True)
    label = {n.id: n.lines[0] for n in g.nodes}
    edge = {(label[a], label[b]): lab for a, b, lab in g.edges}
    # tanh's local Jacobian: diag(1 - tanh²), the same as chainrule.jacobian gives
    J = cr.jacobian(cr.tanh)(w * x).numpy()
    assert edge[("t2", "tanh")] == ["∂u/∂t2 [[" + ", ".join(f"{v:.4g}" for v in J[0]) + "]", "        [" + ", ".join(f"{v:.4g}" for v in J[1]) + "]]"]  # fmt: skip
    # h*h into mul: the total Jacobian 2 diag(h); sum's Jacobian, one row per input element
    assert edge[("h", "mul")][0].startswith(f"∂u/∂h [[{2 * h.numpy()[0]:.4g}, 0]")
    # a (2,) input, a scalar output: in the notes' layout one row per input element
    assert edge[("t4", "sum")] == ["∂u/∂t4 [[1]", "        [1]]"]
    assert ("x", "mul") in edge and edge[("x", "mul")] == []  # x needs no gradient
    num = draw_graph(loss, {"w": w, "x": x, "h": h}, jacobians=True, layout="numerator")
    label = {n.id: n.lines[0] for n in num.nodes}
    edge = {(label[a], label[b]): lab for a, b, lab in num.edges}
    assert edge[("t4", "sum")] == ["∂u/∂t4 [[1, 1]]"]  # numerator: one row per output
    ET.fromstring(g.to_svg())  # labels included, still valid XML


def test_large_tensors_are_summarised_and_big_jacobians_named_by_shape():
    W = cr.ones(8, 8, requires_grad=True)
    y = (W @ cr.ones(8)).sum()
    g = draw_graph(y, {"W": W}, jacobians=True)
    lines = g.node("W").lines
    assert lines[2] == "data mean 1 std 0" and lines[3].split() == ["min", "1", "max", "1"]
    assert any(lab == ["∂u/∂W: 64×8"] for _, _, lab in g.edges)


def test_after_backward_the_error_says_what_to_do():
    *_, loss = _small()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*retain_graph=True"):
        draw_graph(loss)
    w, _, _, loss = _small()
    loss.backward(retain_graph=True)
    before = w.grad.numpy().copy()
    g = draw_graph(loss, {"w": w})
    assert f"grad [{before[0]:.4g}, {before[1]:.4g}]" in g.node("w").lines
    np.testing.assert_array_equal(w.grad.numpy(), before)  # drawing accumulates nothing


def test_dot_text_and_save(tmp_path):
    w, x, _, loss = _small()
    g = draw_graph(loss, {"w": w, "x": x})
    dot = g.to_dot()
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    assert dot.count("->") == len(g.edges) == 9
    assert 'label="w\\l(2,) float64\\ldata [0.5, -1]\\l' in dot
    assert g._repr_svg_() == g.to_svg()
    g.save(tmp_path / "g.svg")
    g.save(tmp_path / "g.dot")
    assert ET.parse(tmp_path / "g.svg").getroot().tag == SVG + "svg"
    assert (tmp_path / "g.dot").read_text() == dot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.svg"]  # no temp files
    with pytest.raises(ValueError, match=r"g\.png"):
        g.save(tmp_path / "g.png")


def test_leaf_constants_and_limits():
    a = cr.tensor(3.0, requires_grad=True)
    g = draw_graph(a * 2.0 + 1.0, {"a": a})
    assert [n.lines for n in g.nodes if n.kind == "const"] == [["const 2"], ["const 1"]]
    leaf = draw_graph(a, {"a": a})  # a leaf: one box, its gradient ∂a/∂a = 1
    assert [n.lines for n in leaf.nodes] == [["a", "() float32", "data 3", "grad 1"]]
    with pytest.raises(ValueError, match="max_nodes=3"):
        draw_graph(a * 2.0 + 1.0, max_nodes=3)
    with pytest.raises(TypeError, match="Tensor"):
        draw_graph(np.ones(2))  # type: ignore[arg-type]


def test_a_module_names_its_parameters():
    from chainrule import nn

    model = nn.mlp([2, 3, 1], activation="tanh", seed=0)
    g = draw_graph(model(cr.ones((4, 2))).mean(), model)
    names = {n.lines[0] for n in g.nodes if n.role == "param"}
    assert names == {"0.weight", "0.bias", "2.weight", "2.bias"}
    lines = g.node("0.weight").lines  # (3, 2): six values, shown in full, one row a line
    assert len(lines) == 2 + 3 + 3 and lines[5].startswith("grad [[")


def test_explain_graph_matches_the_explain_report():
    from chainrule.diagnostics import explain

    report = explain(layers=(2, 3, 1), activation="tanh", seed=0)
    g = explain_graph(report)
    for name in ("W1", "b1", "W2", "b2"):
        grad = np.asarray(report["gradients"][name])
        line = next(s for s in g.node(name).lines if s.startswith("grad"))
        assert f"{grad.ravel()[0]:.4g}" in line
    assert f"data {report['loss']:.4g}" in g.node("L").lines


def test_cli_graph_writes_svg_and_dot(tmp_path, capsys):
    out = tmp_path / "net.svg"
    assert main(["graph", "--layers", "2,2,1", "--out", str(out), "--jacobians"]) == 0
    texts = _texts(out.read_text())
    assert any(t.startswith("W1\n(2, 2) float64") for t in texts)
    assert any(t.startswith("∂u/∂z1") for t in texts)
    assert "written to" in capsys.readouterr().err
    dot = tmp_path / "net.dot"
    assert main(["graph", "--out", str(dot), "--loss", "mse"]) == 0
    assert dot.read_text().startswith("digraph")
    capsys.readouterr()
    assert main(["graph", "--help"]) == 0
    assert "usage: chainrule graph" in capsys.readouterr().out
    assert main(["graph", "--out", str(tmp_path / "net.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule: error: --out") and err.count("\n") == 1
