"""draw_parameters: a table of every parameter of a module, its value and its grad, with the count."""

from __future__ import annotations

import graphviz

from micrograd44 import Module

from . import style
from .picture import new_picture

HEADER_FILL = "#E0E0E0"
MODULE_FILL = style.FILLS["neuron"]


def draw_parameters(model: Module, *, title: str | None = None) -> graphviz.Digraph:
    """Draw a table of every parameter: number, dotted name, value and grad, grouped by module.

    The grad column is coloured by sign (blue positive, vermillion negative); the last row
    gives the total count. If every grad is 0.0, a line says that no backward() ran yet.

    Args:
        model: any micrograd44 Module (an MLP, a Layer, a Neuron).
        title: the table's title; default: the module's repr, like
            ``MLP(2 -> 5 -> 4 -> 1, act=tanh, 44 parameters)``.

    Returns:
        graphviz.Digraph: one node holding the table; ``viz.save(graph, "parameters.svg")``.

    Raises:
        TypeError: model is not a micrograd44 Module.

    Example:
        >>> from micrograd44 import MLP
        >>> graph = draw_parameters(MLP(2, [5, 4, 1], activation="tanh", seed=2))
        >>> "layers.2.neurons.0.b" in graph.source
        True
    """
    if not isinstance(model, Module):
        raise TypeError(f"draw_parameters draws a micrograd44 Module, got {type(model).__name__}")
    parameters = list(model.named_parameters())
    modules = dict(model.named_modules())
    rows = [_spanning_row(f"<B>{style.text(title or repr(model))}</B>", "#FFFFFF", size=14)]
    if all(p.grad == 0.0 for _, p in parameters):
        rows.append(
            _spanning_row(
                f'<FONT COLOR="{style.NOTICE}">All grads are 0: no backward() yet.</FONT>', "#FFFFFF"
            )
        )
    rows.append(
        f'<TR><TD BGCOLOR="{HEADER_FILL}"><B>#</B></TD><TD BGCOLOR="{HEADER_FILL}"><B>parameter</B></TD>'
        f'<TD BGCOLOR="{HEADER_FILL}"><B>value</B></TD><TD BGCOLOR="{HEADER_FILL}"><B>grad</B></TD></TR>'
    )
    current_owner = None
    for number, (name, p) in enumerate(parameters, start=1):
        owner = _owner(name, modules)
        if owner != current_owner:
            current_owner = owner
            heading = f"{owner}: {modules[owner]!r}" if owner else repr(modules[owner])
            rows.append(_spanning_row(style.text(heading), MODULE_FILL))
        rows.append(
            f'<TR><TD ALIGN="RIGHT">{number}</TD>'
            f'<TD ALIGN="LEFT" BGCOLOR="{style.FILLS["parameter"]}">'
            f'<FONT FACE="{style.NUMBER_FONT}">{style.text(name)}</FONT></TD>'
            f'<TD ALIGN="RIGHT"><FONT FACE="{style.NUMBER_FONT}">{style.format_number(p.data)}</FONT></TD>'
            f'<TD ALIGN="RIGHT"><FONT FACE="{style.NUMBER_FONT}" COLOR="{style.sign_colour(p.grad)}">'
            f"{style.format_number(p.grad)}</FONT></TD></TR>"
        )
    rows.append(_spanning_row(f"<B>total: {len(parameters)} parameters</B>", HEADER_FILL))
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{"".join(rows)}</TABLE>'
    graph = new_picture("parameters")
    graph.node("parameters", label=style.html_label(table), shape="plaintext", margin="0")
    return graph


def _owner(name: str, modules: dict) -> str:
    """The path of the innermost module that holds the parameter called ``name``."""
    holders = [path for path in modules if path == "" or name.startswith(path + ".")]
    return max(holders, key=len)


def _spanning_row(content: str, fill: str, size: int = 11) -> str:
    """A table row whose one cell spans the four columns."""
    cell = f'<TD COLSPAN="4" ALIGN="LEFT" BGCOLOR="{fill}"><FONT POINT-SIZE="{size}">{content}</FONT></TD>'
    return f"<TR>{cell}</TR>"
