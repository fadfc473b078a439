"""draw_graph: the computation graph of a Value, with the gradient that flows back along every edge."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from functools import partial

import graphviz

from micrograd44 import Value, topological_order
from micrograd44.explain import GradientExplanation, explain_grad

from . import legend, style
from .clusters import GROUPS, add_clustered
from .flowgraph import FlowGraph, Node, build_flow_graph, neuron_slice, op_key, value_key
from .picture import new_picture

RANKDIRS = ("LR", "TB", "RL", "BT")
COLLAPSES = (None, "neuron")
EDGE_LABELS = ("gradient", "chain", None)
DEFAULT_MAX_NODES = 200


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    group: str | None = None,
    collapse: str | None = None,
    edge_labels: str | None = "gradient",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    parameters: Iterable[Value] | None = None,
    title: str | None = None,
    slide: bool = False,
    forward: Value | None = None,
    explain: Value | None = None,
) -> graphviz.Digraph:
    """Draw root's computation graph with the gradient that backward() sends along every edge.

    Each Value is a box with its name (its label; a module's parameters are labelled with
    their path, like ``layers.1.neurons.3.w.0``), data and grad; each op is a small oval;
    edges run child -> op -> result. The edge from a child into an op carries the gradient
    the chain rule sends back along it, ``local derivative * grad of the result``: it is
    the edge's label, its colour is its sign (blue positive, vermillion negative, grey
    dashed zero) and its pen width is its magnitude on a log scale relative to the largest
    in the picture. Node fills tell parameters, inputs/constants, intermediate values and
    the root apart; a caption holds the title and a small legend. If ``root.grad`` is 0.0
    (no backward() has reached this graph), the caption says so and no grads are drawn.

    In the DOT source, the i-th Value of ``micrograd44.topological_order(root)`` is the node
    ``v<i>``, the op that made it ``op<i>``, and a collapsed neuron call whose output is
    that Value ``n<i>``. In Jupyter the returned Digraph displays inline; ``viz.save``
    writes it to a file.

    Args:
        root: the Value whose graph to draw, usually the loss after ``loss.backward()``.
        rankdir: layout direction: "LR" (default, left to right), "TB", "RL" or "BT".
        group: None, "layer" (a labelled cluster per layer) or "neuron" (a cluster per
            neuron inside its layer's), from the module scope each Value records.
        collapse: None, or "neuron" to draw each call of a neuron as one node (its output's
            data and grad; its parameters are left out) so a batch's graph stays small.
        edge_labels: "gradient" (the gradient sent back), "chain" (``local x upstream =
            gradient``) or None (no labels; colours and widths stay).
        max_nodes: refuse (GraphTooLargeError, a ValueError) when the drawing would have
            more nodes than this, before any layout work; None for no limit.
        parameters: the Values to draw as parameters; default: the weights and biases the
            graph's neurons use (a labelled input such as `x` stays an input).
        title: the caption's title; default: the root's name, value and the graph's size.
        slide: True to lay the picture out for a 16:9 slide (13.33 x 7.5 inches, scaled
            down to fit; docs/pictures.md gives the smallest font size this leaves).
        forward: for a gradient built with ``grad(..., create_graph=True)``, the function's
            output: nodes of its graph are the forward pass, and every other node (the
            derivative, built by the chain rule) gets a green outline.
        explain: a Value of the graph (a parameter, say): draw every path from root down
            to it in bold purple and list each path's product of local derivatives in the
            caption; they add up to its grad (``micrograd44.explain.explain_grad``). Not
            with ``collapse``; at most EXPLAINED_PATHS paths (TooManyPathsError otherwise).

    Returns:
        graphviz.Digraph: render it with ``viz.save(graph, "graph.svg")``; in Jupyter it
        displays inline, scaled to the cell's width.

    Raises:
        ValueError: an unknown rankdir, group, collapse or edge_labels value (the message
            lists the accepted ones), or a graph larger than max_nodes (GraphTooLargeError,
            which names the options that make this graph drawable).

    Example:
        >>> from micrograd44 import Value, topological_order
        >>> x = Value(0.5, label="x")
        >>> y = (1 + x.sin()).log()
        >>> y.backward()
        >>> graph = draw_graph(y)
        >>> "grad 0.5932" in graph.source  # dy/dx = cos x / (1 + sin x)
        True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a micrograd44 Value, got {type(root).__name__}")
    style.check_choice("rankdir", rankdir, RANKDIRS)
    style.check_choice("group", group, tuple(GROUPS))
    style.check_choice("collapse", collapse, COLLAPSES)
    style.check_choice("edge_labels", edge_labels, EDGE_LABELS)
    if max_nodes is not None and (not isinstance(max_nodes, numbers.Integral) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive integer or None, got {max_nodes!r}")
    if forward is not None and not isinstance(forward, Value):
        raise TypeError(f"forward must be a micrograd44 Value, got {type(forward).__name__}")
    chosen = None if parameters is None else set(parameters)
    flow = build_flow_graph(root, collapse=collapse, parameters=chosen, max_nodes=max_nodes)
    derivative = _derivative_keys(root, forward) if forward is not None else frozenset()
    paths, rows = frozenset(), []
    if explain is not None:
        if collapse is not None:
            raise ValueError("explain draws every Value on the paths: it cannot be combined with collapse")
        explanation = explain_grad(root, explain, max_paths=EXPLAINED_PATHS)
        paths, rows = _path_edges(root, explanation), _path_rows(explanation)
    return _render(
        flow, title or _default_title(root, flow), rankdir, group, edge_labels, slide, derivative, paths, rows
    )


# the most paths draw_graph(..., explain=leaf) lists in its caption
EXPLAINED_PATHS = 24
# how the edges of the explained paths are drawn
PATH_COLOUR = "#CC79A7"


def _path_edges(root: Value, explanation: GradientExplanation) -> frozenset[tuple[str, str]]:
    """The drawn edges (tail, head) along the explained paths: child -> op and op -> result."""
    index = {node: i for i, node in enumerate(topological_order(root))}
    edges = set()
    for path in explanation.paths:
        for node, child in zip(path.nodes, path.nodes[1:]):
            edges.add((value_key(index[child]), op_key(index[node])))
            edges.add((op_key(index[node]), value_key(index[node])))
    return frozenset(edges)


def _path_rows(explanation: GradientExplanation) -> list[str]:
    """The caption's lines: each path's product, then their sum."""
    rows = [legend.text_row(f"purple: {explanation.title}, each a product of local derivatives:")]
    for k, row in enumerate(explanation.rows(), start=1):
        rows.append(legend.text_row(f"path {k}: {row[1]}: {row[2]} = {row[3]}"))
    rows.append(legend.text_row(f"sum of the paths = {style.format_number(explanation.total)}"))
    return rows


def _derivative_keys(root: Value, forward: Value) -> frozenset[str]:
    """The keys of the drawn Values (v<i>) and ops (op<i>) of root's graph that are not in forward's graph."""
    forward_nodes = set(topological_order(forward))
    return frozenset(
        key
        for i, node in enumerate(topological_order(root))
        if node not in forward_nodes
        for key in (value_key(i), op_key(i))
    )


def draw_neuron(
    root: Value,
    neuron: str,
    *,
    rankdir: str = "LR",
    edge_labels: str | None = "chain",
    parameters: Iterable[Value] | None = None,
    title: str | None = None,
    slide: bool = True,
) -> graphviz.Digraph:
    """Draw the slice of root's graph that one neuron computes: a picture for a slide.

    The slice holds the neuron's weights and bias, the values it reads (the network's
    inputs ``x0``, ``x1`` or the previous layer's outputs), its weighted sum
    ``<neuron>: z``, its activation, and the gradient on every edge, as ``draw_graph``
    draws them. A neuron called on several samples appears once per call.

    Args:
        root: the Value whose graph holds the neuron, usually a loss after backward().
        neuron: the neuron's module path, like ``"layers.1.neurons.3"``.
        rankdir, edge_labels, parameters, title: as for ``draw_graph`` (edge labels
            default to "chain": ``local x upstream = gradient``).
        slide: True (default) for a 16:9 slide layout with larger type.

    Returns:
        graphviz.Digraph: render it with ``viz.save(graph, "neuron.svg")``.

    Raises:
        ValueError: no Value of root's graph was made by that neuron (the message lists
            the neurons that were), or an unknown option value.

    Example:
        >>> from micrograd44.training.course import Recipe, build_model, forward_backward
        >>> model = build_model(Recipe())
        >>> loss = forward_backward(model, Recipe(), [2])
        >>> "layers.1.neurons.3: z" in draw_neuron(loss, "layers.1.neurons.3").source
        True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_neuron needs a micrograd44 Value, got {type(root).__name__}")
    style.check_choice("rankdir", rankdir, RANKDIRS)
    style.check_choice("edge_labels", edge_labels, EDGE_LABELS)
    chosen = None if parameters is None else set(parameters)
    flow = neuron_slice(build_flow_graph(root, parameters=chosen), neuron)
    calls = sum(1 for node in flow.nodes if node.kind == "op" and node.name == "linear")
    default = f"{neuron}: {calls} call{'' if calls == 1 else 's'}, {len(flow.nodes)} nodes"
    return _render(flow, title or default, rankdir, None, edge_labels, slide)


# a 16:9 slide in inches (PowerPoint's and Google Slides' widescreen page)
SLIDE_SIZE = "13.333,7.5"
# font sizes in points: a Value's box, an op's oval, an edge's label, the legend
FONTS = {"value": 11, "op": 10, "edge": 9, "legend": legend.LEGEND_SIZE}
SLIDE_FONTS = {"value": 14, "op": 13, "edge": 12, "legend": 12}


def _render(
    flow: FlowGraph,
    title: str,
    rankdir: str,
    group: str | None,
    edge_labels: str | None,
    slide: bool,
    derivative: frozenset[str] = frozenset(),
    paths: frozenset[tuple[str, str]] = frozenset(),
    path_rows: list[str] = (),
) -> graphviz.Digraph:
    """The Digraph of a FlowGraph: its nodes (in clusters), gradient-carrying edges and caption."""
    graph_attr = {"rankdir": rankdir, "nodesep": "0.15", "ranksep": "0.4"}
    sizes = SLIDE_FONTS if slide else FONTS
    if slide:
        graph_attr.update(size=SLIDE_SIZE, ratio="compress", ranksep="0.6", nodesep="0.25")
    graph = new_picture(
        "computation_graph", graph_attr, sizes["value"], fontname=style.FONT, fontsize=str(sizes["edge"])
    )
    add_node = partial(_add_node, show_grad=flow.backpropagated, sizes=sizes, derivative=derivative)
    add_clustered(graph, flow.nodes, group, add_node)
    largest = style.largest_magnitude(edge.flow for edge in flow.edges)
    for edge in flow.edges:
        if flow.backpropagated:
            attributes = style.signed_edge(edge.flow, largest)
            attributes["label"] = _edge_text(edge, edge_labels)
        else:
            attributes = {"color": style.ZERO}
        if (edge.tail, edge.head) in paths:
            attributes.update(color=PATH_COLOUR, penwidth="3", style="solid")
        graph.edge(edge.tail, edge.head, **attributes)
    caption_rows = ([legend.text_row(DERIVATIVE_NOTE)] if derivative else []) + list(path_rows)
    graph.attr(label=_caption(flow, title, largest, edge_labels, sizes["legend"], caption_rows))
    return graph


# how a node of the derivative (the backward pass drawn as a graph) is outlined
DERIVATIVE_COLOUR = "#009E73"
DERIVATIVE_NOTE = "green outline: the derivative, built by the chain rule from the forward pass (no outline)"


def _add_node(
    graph: graphviz.Digraph, node: Node, show_grad: bool, sizes: dict[str, int], derivative: frozenset[str]
) -> None:
    """Add one drawn node: a small oval for an op, a table of name, data and grad otherwise."""
    outline = {"color": DERIVATIVE_COLOUR, "penwidth": "2"} if node.key in derivative else {}
    if node.kind == "op":
        graph.node(
            node.key,
            label=node.name,
            shape="ellipse",
            style="filled",
            fillcolor=style.FILLS["op"],
            fontsize=str(sizes["op"]),
            width="0.3",
            height="0.25",
            margin="0.04,0.02",
            **outline,
        )
    else:
        label = _value_label(node, show_grad, node.key in derivative)
        graph.node(node.key, label=label, shape="plaintext", margin="0")


def _value_label(node: Node, show_grad: bool, derivative: bool = False) -> str:
    """The HTML-like table of a Value or collapsed neuron: name, then data and grad."""
    fill = style.FILLS["root" if node.root else node.kind]
    name = node.name or ("root" if node.root else "")
    rows = []
    if name:
        rows.append(f"<B>{style.text(name)}</B>")
    if node.ops:
        rows.append(style.text(" \u2192 ".join(node.ops)))
    cells = f"<TD>data {style.format_number(node.data)}</TD>"
    if show_grad:
        colour = style.sign_colour(node.grad)
        cells += f'<TD><FONT COLOR="{colour}">grad {style.format_number(node.grad)}</FONT></TD>'
    span = 2 if show_grad else 1
    body = "".join(f'<TR><TD COLSPAN="{span}">{row}</TD></TR>' for row in rows) + f"<TR>{cells}</TR>"
    border = 2 if node.root or derivative else 0
    colour = f' COLOR="{DERIVATIVE_COLOUR}"' if derivative else ""
    table = (
        f'<TABLE BORDER="{border}"{colour} CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" BGCOLOR="{fill}">'
        f"{body}</TABLE>"
    )
    return style.html_label(table)


def _edge_text(edge, edge_labels: str | None) -> str:
    """An edge's label: the gradient it carries, with its chain-rule product in "chain" mode."""
    if edge_labels is None:
        return ""
    flow = style.format_number(edge.flow)
    if edge_labels == "chain" and edge.local is not None:
        return f"{style.format_number(edge.local)} \u00d7 {style.format_number(edge.upstream)} = {flow}"
    return flow


def _default_title(root: Value, flow: FlowGraph) -> str:
    """The root's name and value and the size of the drawing."""
    ops = sum(1 for node in flow.nodes if node.kind == "op")
    neurons = sum(1 for node in flow.nodes if node.kind == "neuron")
    values = len(flow.nodes) - ops - neurons
    counts = [(values, "value"), (ops, "op")] + ([(neurons, "neuron call")] if neurons else [])
    parts = [f"{n} {name}{'' if n == 1 else 's'}" for n, name in counts]
    return f"{root.label or 'root'} = {style.format_number(root.data)}: {', '.join(parts)}"


def _caption(
    flow: FlowGraph, title: str, largest: float, edge_labels: str | None, size: int, extra: list[str]
) -> str:
    """Title, the no-backward notice when needed, the extra rows, and the legend."""
    rows = [legend.title_row(title), *extra]
    if not flow.backpropagated:
        rows.append(
            legend.notice_row(
                "No backward() yet: root.grad is 0, so there are no gradients to show. "
                "Call root.backward() first to see the gradient flow."
            )
        )
    elif edge_labels == "chain":
        rows.append(
            legend.text_row("edge label = local derivative \u00d7 upstream grad = gradient sent back")
        )
    elif edge_labels == "gradient":
        rows.append(
            legend.text_row(
                "edge label = gradient sent back: local derivative \u00d7 grad of the op's result"
            )
        )
    if flow.backpropagated:
        rows += legend.sign_rows("gradient", largest, [edge.flow for edge in flow.edges])
    drawn_kinds = {node.kind for node in flow.nodes}
    kinds = [kind for kind in ("parameter", "input", "value", "neuron") if kind in drawn_kinds]
    rows.append(legend.kind_row(kinds + ["root"] * any(node.root for node in flow.nodes)))
    return legend.caption(rows, size)
