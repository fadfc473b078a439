"""Any label renders: control characters, lone surrogates and HTML-looking text are drawn as text."""

import shutil
import xml.etree.ElementTree as ET

import pytest

import viz
from micrograd44 import Value
from micrograd44.core import set_scope
from viz import style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

NASTY = ["\x00", "a\x01b", "\ud800", "<b>bold</b>", "\x7f\x9b", "two\nlines"]
LAYER, NEURON = "<B>not html</B>", "\x00\udcff"


def svg_texts(path) -> list[str]:
    """Every <text> of an SVG file (which must parse as XML)."""
    root = ET.parse(path).getroot()
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.fixture
def nasty_graph():
    """A graph whose leaves carry the nasty labels, made inside a layer and neuron scope with nasty paths."""
    previous = set_scope((("layer", LAYER), ("neuron", NEURON)))
    try:
        leaves = [Value(1.5, label=label) for label in NASTY]
        y = leaves[0] * leaves[1] + leaves[2] * leaves[3] + leaves[4] * leaves[5]
    finally:
        set_scope(previous)
    y.backward()
    return y


@pytest.mark.parametrize(
    "label, shown",
    [
        ("\x00", "\\x00"),
        ("a\x01b", "a\\x01b"),
        ("\ud800", "\\ud800"),
        ("\x7f\x9b", "\\x7f\\x9b"),
        ("é→", "é→"),
    ],
)
def test_printable_shows_controls_and_surrogates_as_escapes(label, shown):
    assert style.printable(label) == shown


@needs_dot
@pytest.mark.parametrize("group", [None, "layer", "neuron"])
def test_any_label_renders_in_every_grouping(nasty_graph, group, tmp_path):
    graph = viz.draw_graph(nasty_graph, group=group, title="title \x00 \ud800")
    texts = svg_texts(viz.save(graph, tmp_path / "graph.svg"))
    for label in NASTY:
        assert style.printable(label) in texts
    assert "title \\x00 \\ud800" in " ".join(texts)
    if group is not None:
        assert LAYER in texts  # drawn as the text it is, not read as Graphviz HTML
    if group == "neuron":
        assert "\\x00\\udcff" in texts


def test_cluster_names_and_labels_never_carry_raw_path_text(nasty_graph):
    source = viz.draw_graph(nasty_graph, group="neuron").source
    assert "\x00" not in source and "\ud800" not in source
    assert "label=<&lt;B&gt;not html&lt;/B&gt;>" in source
    assert "subgraph cluster_layer_at_0 " in source and "subgraph cluster_neuron_at_0_0 " in source
