"""draw_network: an MLP as the course drew it, one edge per weight and the bias inside each neuron."""

from __future__ import annotations

import graphviz

from micrograd44 import MLP, Neuron

from . import legend, style
from .picture import new_picture

# width_by -> what the caption calls the quantity that colours and widens a weight's edge
WIDTH_BY = {"grad": "weight's grad", "weight": "weight"}


def draw_network(model: MLP, *, width_by: str = "grad", title: str | None = None) -> graphviz.Digraph:
    """Draw an MLP as the course drew it: inputs, a cluster per layer, one edge per weight.

    Each neuron is a small table: its number and activation (``tanh(w·x + b)``), then one
    row per weight (``w.k``, value, grad) where the edge from input k ends, then its bias
    row. Each edge is one weight, coloured by the sign and widened (log scale, relative to
    the largest) by the magnitude of its grad or its value. Every parameter appears
    exactly once, as a row whose ``ID`` in the DOT source is its dotted name; in an SVG,
    hovering a weight's edge shows its name, value and grad at full precision.

    Args:
        model: the MLP to draw.
        width_by: "grad" (default) or "weight": what sets each edge's colour and width.
        title: the caption's title; default like ``MLP 2 -> 5 -> 4 -> 1 : 44 parameters``.

    Returns:
        graphviz.Digraph: render it with ``viz.save(graph, "network.svg")``.

    Raises:
        TypeError: model is not an MLP.
        ValueError: an unknown width_by (the message lists the accepted ones).

    Example:
        >>> from micrograd44 import MLP
        >>> model = MLP(2, [5, 4, 1], activation="tanh", seed=2)
        >>> graph = draw_network(model, width_by="weight")
        >>> "44 parameters" in graph.source
        True
    """
    if not isinstance(model, MLP):
        raise TypeError(f"draw_network draws an MLP, got {type(model).__name__}")
    style.check_choice("width_by", width_by, tuple(WIDTH_BY))
    names = {p: name for name, p in model.named_parameters()}
    weights = [w for layer in model.layers for neuron in layer.neurons for w in neuron.w]

    def shown(w) -> float:
        """The quantity that colours and widens a weight's edge."""
        return w.grad if width_by == "grad" else w.data

    largest = style.largest_magnitude(shown(w) for w in weights)
    graph = new_picture("network", {"ranksep": "1.4", "nodesep": "0.25"})
    sources = [f"x{i}" for i in range(model.nin)]
    with graph.subgraph(name="cluster_inputs") as inputs:
        inputs.attr(label="inputs", style="rounded", color="#7F7F7F")
        for key in sources:
            inputs.node(key, label=key, shape="circle", style="filled", fillcolor=style.FILLS["input"])
        _keep_in_order(inputs, sources)
    for li, layer in enumerate(model.layers):
        keys = [f"layers.{li}.neurons.{ni}" for ni in range(layer.nout)]
        with graph.subgraph(name=f"cluster_layers.{li}") as cluster:
            plural = "neuron" if layer.nout == 1 else "neurons"
            cluster.attr(
                label=f"layers.{li}: {layer.nout} {plural}, {layer.activation or 'no activation'}",
                style="rounded",
                color="#7F7F7F",
                bgcolor="#FAFAFA",
            )
            for ni, (key, neuron) in enumerate(zip(keys, layer.neurons)):
                cluster.node(key, label=_neuron_label(neuron, ni, names), shape="plaintext", margin="0")
            _keep_in_order(cluster, keys)
        for key, neuron in zip(keys, layer.neurons):
            for k, (source, w) in enumerate(zip(sources, neuron.w)):
                tail = source if li == 0 else f"{source}:out:e"
                graph.edge(
                    tail,
                    f"{key}:w{k}:w",
                    tooltip=_describe(names[w], w),
                    **style.signed_edge(shown(w), largest),
                )
        sources = keys
    sizes = " -> ".join(str(n) for n in [model.nin, *model.nouts])
    rows = [legend.title_row(title or f"MLP {sizes} : {model.num_parameters()} parameters")]
    if all(p.grad == 0.0 for p in names):
        rows.append(legend.notice_row("All grads are 0: no backward() yet, so every g is 0."))
    rows.append(
        legend.text_row("edge = one weight; it ends at its row w.k (value, grad g) in the neuron it feeds")
    )
    rows += legend.sign_rows(WIDTH_BY[width_by], largest, [shown(w) for w in weights])
    rows.append(legend.kind_row(["input", "parameter", "neuron"], {"neuron": "neuron: its weights and bias"}))
    graph.attr(label=legend.caption(rows))
    return graph


def _keep_in_order(cluster: graphviz.Digraph, keys: list[str]) -> None:
    """Keep the nodes of one column in their index order, top to bottom (invisible edges)."""
    with cluster.subgraph() as column:
        column.attr(rank="same")
        for upper, lower in zip(keys, keys[1:]):
            column.edge(upper, lower, style="invis")


def _neuron_label(neuron: Neuron, index: int, names: dict) -> str:
    """A neuron's table: number and activation, a row per weight (its edge's port), the bias row."""
    formula = f"{neuron.activation}(w\u00b7x + b)" if neuron.activation else "w\u00b7x + b (linear)"
    rows = [
        f'<TR><TD COLSPAN="3" PORT="out"><B>neuron {index}</B>: {style.text(formula)}</TD></TR>',
        *(_parameter_row(f"w.{k}", w, names[w], port=f"w{k}") for k, w in enumerate(neuron.w)),
        _parameter_row("b", neuron.b, names[neuron.b]),
    ]
    table = (
        f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" BGCOLOR="{style.FILLS["neuron"]}">'
        f"{''.join(rows)}</TABLE>"
    )
    return style.html_label(table)


def _describe(name: str, p) -> str:
    """A parameter's full name, value and grad at full precision (an edge's tooltip in SVG)."""
    return f"{name} = {p.data!r}, grad {p.grad!r}"


def _parameter_row(short: str, p, name: str, port: str | None = None) -> str:
    """One parameter's row in a neuron: short name (its ID the full name, the parameter fill), value, grad."""
    port_attribute = f' PORT="{port}"' if port else ""
    return (
        f'<TR><TD{port_attribute} BGCOLOR="{style.FILLS["parameter"]}" ID="{style.text(name)}" ALIGN="LEFT">'
        f"{short}</TD>"
        f'<TD ALIGN="RIGHT">{style.format_number(p.data)}</TD>'
        f'<TD ALIGN="RIGHT"><FONT COLOR="{style.sign_colour(p.grad)}">'
        f"g {style.format_number(p.grad)}</FONT></TD></TR>"
    )
