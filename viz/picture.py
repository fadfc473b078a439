"""How a picture shows in Jupyter: scaled to the cell's width, the full-size SVG a click away.

``Picture`` is the ``graphviz.Digraph`` every ``draw_*`` returns; it changes only what a
notebook displays. Without Graphviz's ``dot`` the cell shows the install hint that
``viz.save`` gives, not graphviz's raw ExecutableNotFound.
"""

from __future__ import annotations

import base64
import hashlib
import itertools

import graphviz

from .render import INSTALL_HINT

# numbers the inline pictures of a session, so each toggle's ID is its own
_counter = itertools.count()


class Picture(graphviz.Digraph):
    """A graphviz.Digraph that displays inline at the notebook's width; a click shows it at full size."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, str]:
        """The picture as HTML (fit to the width, full size on a click), or the install hint without dot."""
        try:
            svg = self.pipe(format="svg")
        except graphviz.ExecutableNotFound:
            return {"text/plain": missing_dot_hint()}
        return {
            "text/html": inline_html(svg),
            "text/plain": f"<picture {self.name}: viz.save() writes it to a file>",
        }


def missing_dot_hint() -> str:
    """What a notebook cell shows when Graphviz's dot is missing."""
    return (
        "Graphviz's `dot` program was not found on PATH, so this picture cannot be drawn. "
        f"To draw it, {INSTALL_HINT}; then run the cell again."
    )


def inline_html(svg: bytes) -> str:
    """An SVG as HTML for a notebook: at most the cell's width; a click shows it at full size.

    The picture is one ``<img>`` with the SVG as a data URI (no script, and no element IDs
    shared with other pictures); a hidden checkbox toggles its width, so the full size
    needs no second copy. Where a viewer strips styles, the picture shows at full size.
    """
    key = f"micrograd44-picture-{next(_counter)}-{hashlib.sha256(svg).hexdigest()[:8]}"
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return (
        '<div style="overflow:auto"><style>'
        f"#{key} + label img {{display:block; max-width:100%; height:auto; cursor:zoom-in}} "
        f"#{key}:checked + label img {{max-width:none; cursor:zoom-out}}</style>"
        f'<input type="checkbox" id="{key}" style="display:none">'
        f'<label for="{key}" title="click: full size / fit to width">'
        f'<img src="{source}" alt="picture"></label></div>'
    )
