"""viz.save with the real dot: SVG that parses with every label, PNG and PDF; the clear error without dot."""

import shutil
import xml.etree.ElementTree as ET

import pytest

import viz
from micrograd44 import MLP, topological_order
from micrograd44.training.course import Recipe, build_model, forward_backward
from viz import style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@pytest.fixture(scope="module")
def step():
    """The course model and the loss of one single-sample step, after backward."""
    recipe = Recipe()
    model = build_model(recipe)
    return model, forward_backward(model, recipe, [2])


def svg_texts(path) -> list[str]:
    """Every <text> of an SVG file (which must parse as XML)."""
    root = ET.parse(path).getroot()
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


@needs_dot
def test_graph_svg_parses_and_holds_every_label(step, tmp_path):
    model, loss = step
    path = viz.save(viz.draw_graph(loss), tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg"
    texts = set(svg_texts(path))
    for v in topological_order(loss):
        assert f"data {style.format_number(v.data)}" in texts
        assert f"grad {style.format_number(v.grad)}" in texts
        for local in v.local_grads():
            assert style.format_number(local * v.grad) in texts
        if v.children:
            assert v.op in texts
    assert {name for name, _ in model.named_parameters()} <= texts


@needs_dot
def test_network_and_parameter_svgs_hold_every_parameter(step, tmp_path):
    model, _ = step
    network = svg_texts(viz.save(viz.draw_network(model), tmp_path / "network.svg"))
    table = svg_texts(viz.save(viz.draw_parameters(model), tmp_path / "parameters.svg"))
    assert "MLP 2 -> 5 -> 4 -> 1 : 44 parameters" in network
    for name, p in model.named_parameters():
        assert name in table
        assert style.format_number(p.data) in network and style.format_number(p.data) in table
        assert f"g {style.format_number(p.grad)}" in network and style.format_number(p.grad) in table
    assert sum(text.startswith("neuron ") for text in network) == 10


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")])
def test_png_and_pdf_are_written_and_not_empty(step, tmp_path, suffix, magic):
    model, loss = step
    for name, graph in [("graph", viz.draw_graph(loss)), ("network", viz.draw_network(model))]:
        path = viz.save(graph, tmp_path / "sub" / f"{name}{suffix}")
        assert path.stat().st_size > 1000 and path.read_bytes().startswith(magic)


def test_a_dot_suffix_writes_the_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    graph = viz.draw_parameters(MLP(2, [1], seed=0))
    assert viz.save(graph, tmp_path / "table.dot").read_text(encoding="utf-8") == graph.source


def test_without_dot_the_error_says_how_to_install_it_and_the_source_is_written(step, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = viz.draw_graph(step[1])
    with pytest.raises(viz.DotNotFoundError) as raised:
        viz.save(graph, tmp_path / "pictures" / "graph.png")
    message = str(raised.value)
    for hint in (
        "apt-get install graphviz",
        "brew install graphviz",
        "conda install -c conda-forge graphviz",
    ):
        assert hint in message
    source = tmp_path / "pictures" / "graph.dot"
    assert raised.value.source_path == source and str(source) in message
    assert source.read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "pictures" / "graph.png").exists()
    assert f"dot -Tpng {source} -o {tmp_path / 'pictures' / 'graph.png'}" in message


def test_an_unknown_suffix_lists_the_formats(tmp_path):
    with pytest.raises(
        ValueError, match=r"unknown picture format \(file suffix\) 'jpg'; choose one of 'svg', "
    ):
        viz.save(viz.draw_parameters(MLP(2, [1], seed=0)), tmp_path / "table.jpg")
    assert list(tmp_path.iterdir()) == []
