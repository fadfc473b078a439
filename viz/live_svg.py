"""The network diagram and the parameter table drawn once, with every number marked for a script to change.

Graphviz lays a picture out once; a page that replays training then only changes the
numbers, the colours and the edge widths. To find them in the SVG, the pictures are drawn
from a copy of the model whose values and grads are placeholders: numbers that
``style.format_number`` writes as wide as any number can be (so every cell fits any
value), each one different (so each is found by its text).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import graphviz

from micrograd44 import MLP

from . import style
from .frames import weight_names, widths_legend
from .network import draw_network
from .parameters import draw_parameters
from .render import INSTALL_HINT, DotNotFoundError

# what a placeholder's text looks like: -1.234e-10 for a value, -2.234e-10 for a grad
PLACEHOLDER = re.compile(r"-[12]\.\d{3}e-\d{2,}")
KINDS = ("value", "grad")

# the prefix of each picture's element ids, and the id of the network caption's line on widths
PICTURES = ("network", "table")
WIDTHS_ID = "network-widths"


def element_id(picture: str, kind: str, name: str) -> str:
    """The id of a marked element: e.g. ``network-grad:layers.0.neurons.1.w.0`` or ``network-edge:...``."""
    return f"{picture}-{kind}:{name}"


def _placeholder(kind: str, index: int) -> float:
    """The placeholder of one parameter's value or grad: -1.iiie-NN or -2.iiie-NN, unique per index."""
    return float(f"-{KINDS.index(kind) + 1}.{index % 1000:03d}e-{10 + index // 1000}")


def live_pictures(model: MLP) -> dict[str, str]:
    """The model's network diagram and parameter table as inline SVG, every number marked.

    In each picture, the text of every parameter's value and grad is a ``tspan`` whose id
    is ``element_id(picture, "value"|"grad", name)``, right-aligned in its cell (a grad's
    colour is its parent ``text``'s fill); in the network, each weight's edge is a ``g``
    with id ``element_id("network", "edge", name)`` and the caption's line on edge widths
    has id ``WIDTHS_ID``. Their contents are placeholders until a script fills them in.

    Args:
        model: the MLP whose architecture and parameter names to draw (it is not changed).

    Returns:
        {"network": svg markup, "table": svg markup}, without XML prolog, comments or
        Graphviz's own ids.

    Raises:
        DotNotFoundError: Graphviz's ``dot`` is not installed (its ``source_path`` is None).
    """
    copy = MLP(**model.config(), seed=0)
    names = {}
    for index, (name, p) in enumerate(copy.named_parameters()):
        p.data, p.grad = _placeholder("value", index), _placeholder("grad", index)
        names[style.format_number(p.data)] = ("value", name)
        names[style.format_number(p.grad)] = ("grad", name)
    weights = weight_names(copy)
    legend_text = widths_legend([p.grad for name, p in copy.named_parameters() if name in weights])
    network = _svg_tree(draw_network(copy))
    _mark_numbers(network, "network", names)
    _mark_edges(network, weights)
    _mark_text(network, legend_text, WIDTHS_ID)
    table = _svg_tree(draw_parameters(copy))
    _mark_numbers(table, "table", names)
    return {"network": _markup(network), "table": _markup(table)}


def _svg_tree(graph: graphviz.Digraph) -> ET.Element:
    """The graph rendered to SVG and parsed, without namespaces (HTML needs none) or Graphviz's ids.

    Two pictures share one page, so Graphviz's ids (``node1``, ``edge1``, ...) would clash.
    """
    try:
        svg = graph.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so the report was not written; {INSTALL_HINT}.",
            None,
        ) from None
    root = ET.fromstring(svg)
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
        element.attrib = {
            re.sub(r"^\{[^}]*xlink\}", "xlink:", key): value
            for key, value in element.attrib.items()
            if key != "id"
        }
    return root


def _markup(root: ET.Element) -> str:
    """The SVG element as markup to inline in HTML."""
    return ET.tostring(root, encoding="unicode")


def _mark_numbers(root: ET.Element, picture: str, names: dict[str, tuple[str, str]]) -> None:
    """Wrap each placeholder number in a tspan with its id and right-align it in its table cell."""
    found = set()
    for parent in root.iter():
        children = list(parent)
        for index, text in enumerate(children):
            match = PLACEHOLDER.search(text.text or "") if text.tag == "text" else None
            if match is None:
                continue
            kind, name = names[match.group()]
            number = ET.SubElement(text, "tspan", id=element_id(picture, kind, name))
            number.text, number.tail = match.group(), text.text[match.end() :]
            text.text = text.text[: match.start()]
            if index > 0 and children[index - 1].tag == "polygon":
                _align_right(text, children[index - 1])
            found.add(match.group())
    if found != set(names):
        raise RuntimeError(f"the {picture} picture does not show {len(set(names) - found)} of its numbers")


def _align_right(text: ET.Element, cell: ET.Element) -> None:
    """Anchor the text at the right of its cell, as far from the edge as it now is from the left."""
    xs = [float(point.split(",")[0]) for point in cell.get("points").split()]
    left, right = min(xs), max(xs)
    text.set("text-anchor", "end")
    text.set("x", f"{right - (float(text.get('x')) - left):.2f}")


def _mark_edges(root: ET.Element, weights: list[str]) -> None:
    """Give each weight's edge its id and its name as its title (the tooltip a script updates)."""
    found = []
    for edge in root.iter("g"):
        if edge.get("class") != "edge":
            continue
        name = edge.find(".//a").attrib.pop("xlink:title").split(" = ")[0]
        edge.set("id", element_id("network", "edge", name))
        edge.find("title").text = name
        found.append(name)
    if sorted(found) != sorted(weights):
        raise RuntimeError("the network picture does not draw one edge per weight")


def _mark_text(root: ET.Element, content: str, identifier: str) -> None:
    """Give the text element that reads ``content`` the id."""
    for text in root.iter("text"):
        if text.text == content:
            text.set("id", identifier)
            return
    raise RuntimeError(f"the network picture has no line {content!r}")
