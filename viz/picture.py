"""How a picture shows in Jupyter: at one scale for all, never wider than the cell, full size a click away.

``Picture`` is the ``graphviz.Digraph`` every ``draw_*`` returns (made by ``new_picture``,
in the look they share); it changes only what a notebook displays. Without Graphviz's
``dot`` the cell shows the install hint that ``viz.save`` gives, not graphviz's raw
ExecutableNotFound.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import graphviz

from . import style
from .render import INSTALL_HINT

PIXELS_PER_POINT = 96 / 72
# A Graphviz picture in a notebook is shown at this share of its natural size (1 pt = 4/3 px):
# one scale for every picture, so the same node keeps its size from one picture to the next
# (backprop_by_hand's steps); a picture wider than the cell at this scale is fitted to it.
NOTEBOOK_SCALE = 0.5


class Picture(graphviz.Digraph):
    """A graphviz.Digraph inline at ``NOTEBOOK_SCALE``, at most the cell's width, full size a click away."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, str]:
        """The picture as HTML (see ``inline_html``), or the install hint without dot."""
        try:
            svg = self.pipe(format="svg")
        except graphviz.ExecutableNotFound:
            return {"text/plain": missing_dot_hint()}
        return {
            "text/html": inline_html(svg, NOTEBOOK_SCALE),
            "text/plain": f"<picture {self.name}: viz.save() writes it to a file>",
        }


def new_picture(name: str, graph_attr: dict | None = None, node_size: int = 11, **edge_attr) -> Picture:
    """A Picture in the look every draw_* shares: Helvetica, left to right, the caption at the top left.

    ``graph_attr`` adds to or overrides the graph's attributes, ``node_size`` is the nodes'
    type size in points, ``edge_attr`` adds to the edges' (small arrow heads).
    """
    look = {"rankdir": "LR", "fontname": style.FONT, "labelloc": "t", "labeljust": "l", **(graph_attr or {})}
    nodes = {"fontname": style.FONT, "fontsize": str(node_size)}
    return Picture(name=name, graph_attr=look, node_attr=nodes, edge_attr={"arrowsize": "0.6", **edge_attr})


def missing_dot_hint() -> str:
    """What a notebook cell shows when Graphviz's dot is missing."""
    return (
        "Graphviz's `dot` program was not found on PATH, so this picture cannot be drawn. "
        f"To draw it, {INSTALL_HINT}; then run the cell again."
    )


def inline_html(svg: bytes, scale: float = 1.0) -> str:
    """An SVG as HTML for a notebook: at ``scale`` of its natural size, at most the cell's width.

    The picture is an ``<img>`` with the SVG as a data URI; below it, a "full size" fold
    holds the same picture at its natural size in a box that scrolls sideways. No ``<style>``,
    ``<svg>`` or script: JupyterLab shows an untrusted notebook's HTML without them, and this
    shows the same trusted or not (tests/repository/test_notebooks_in_jupyterlab.py).

    Args:
        svg: the SVG document; its ``width`` (in pt, px or unitless px) is its natural size.
        scale: the share of the natural width the picture is shown at when the cell is wide
            enough; below 1 the "full size" fold is added.
    """
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    shown = round(natural_width(svg) * scale)
    picture = f'<img src="{source}" width="{shown}" style="max-width:100%; height:auto" alt="picture">'
    if scale >= 1:
        return f"<div>{picture}</div>"
    full_size = (
        '<details><summary>full size</summary><div style="overflow-x:auto">'
        f'<img src="{source}" style="max-width:none" alt="picture at full size"></div></details>'
    )
    return f"<div>{picture}{full_size}</div>"


def natural_width(svg: bytes) -> float:
    """The width of an SVG document in CSS pixels, from its ``width`` attribute (pt or px)."""
    root = ET.fromstring(svg)
    number, unit = re.fullmatch(r"([\d.]+)\s*(pt|px|)", root.get("width", "")).groups()
    return float(number) * (PIXELS_PER_POINT if unit == "pt" else 1.0)
