"""Writing a picture to a file: the format comes from the suffix; a clear error when dot is missing."""

from __future__ import annotations

import os
from pathlib import Path

import graphviz

from .style import check_choice

# file suffix -> what is written: Graphviz renders the first three; .dot is the source itself
FORMATS = ("svg", "png", "pdf", "dot")

INSTALL_HINT = (
    "install Graphviz: Debian/Ubuntu `sudo apt-get install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`"
)


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not on PATH; the DOT source was written instead.

    Attributes:
        source_path: the ``.dot`` file written next to the requested picture, or None
            where no single DOT source stands for the output (``training_report``).
    """

    def __init__(self, message: str, source_path: Path | None):
        super().__init__(message)
        self.source_path = source_path


def save(graph: graphviz.Digraph, path: str | os.PathLike) -> Path:
    """Render a picture to ``path``, in the format its suffix names (.svg, .png, .pdf, or .dot).

    Missing parent directories are created. When Graphviz's ``dot`` program is not
    installed, the DOT source is written next to the requested file (same name, suffix
    ``.dot``) and DotNotFoundError says how to install Graphviz and render it later.

    Args:
        graph: a Digraph from draw_graph, draw_network or draw_parameters.
        path: the file to write; its suffix chooses the format.

    Returns:
        pathlib.Path: the path written.

    Raises:
        ValueError: the suffix is not one of .svg, .png, .pdf, .dot (the message lists them).
        DotNotFoundError: ``dot`` is missing; the ``.dot`` source was written.

    Example:
        >>> from micrograd44 import Value
        >>> import viz
        >>> y = Value(2.0, label="x") * 3.0
        >>> y.backward()
        >>> viz.save(viz.draw_graph(y), "out/y.svg")  # doctest: +SKIP
        PosixPath('out/y.svg')
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    check_choice("picture format (file suffix)", fmt, FORMATS)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
        return path
    try:
        picture = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        source_path = path.with_suffix(".dot")
        source_path.write_text(graph.source, encoding="utf-8")
        raise DotNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so {path} was not drawn; "
            f"its source is in {source_path}. To draw it, {INSTALL_HINT}; "
            f"then run `dot -T{fmt} {source_path} -o {path}`.",
            source_path,
        ) from None
    path.write_bytes(picture)
    return path
