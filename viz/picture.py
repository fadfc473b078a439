"""How a picture shows in Jupyter: scaled to the cell's width, the full-size SVG a click away.

``Picture`` is the ``graphviz.Digraph`` every ``draw_*`` returns; it changes only what a
notebook displays. Without Graphviz's ``dot`` the cell shows the install hint that
``viz.save`` gives, not graphviz's raw ExecutableNotFound.
"""

from __future__ import annotations

import base64

import graphviz

from .render import INSTALL_HINT


class Picture(graphviz.Digraph):
    """A graphviz.Digraph that displays inline at the notebook's width, with a link-free full-size view."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, str]:
        """The picture as HTML (scaled SVG, full size under a "full size" toggle), or the install hint."""
        try:
            svg = self.pipe(format="svg")
        except graphviz.ExecutableNotFound:
            return {"text/plain": missing_dot_hint()}
        return {"text/html": inline_html(svg), "text/plain": f"<picture: {len(self.body)} DOT statements>"}


def missing_dot_hint() -> str:
    """What a notebook cell shows when Graphviz's dot is missing."""
    return (
        "Graphviz's `dot` program was not found on PATH, so this picture cannot be drawn. "
        f"To draw it, {INSTALL_HINT}; then run the cell again."
    )


def inline_html(svg: bytes) -> str:
    """An SVG as HTML for a notebook: at most the cell's width, and at natural size under a toggle.

    Both are ``<img>`` elements with the SVG as a data URI, so the picture survives a
    notebook viewer that strips scripts and two copies share no element IDs.
    """
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return (
        f'<div><img src="{source}" style="max-width:100%; height:auto" alt="picture">'
        "<details><summary>full size</summary>"
        f'<div style="overflow:auto; max-height:80vh"><img src="{source}" style="max-width:none" '
        'alt="picture at full size"></div></details></div>'
    )
