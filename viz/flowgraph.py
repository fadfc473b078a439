"""What draw_graph draws: the nodes of a Value's graph and the gradient each edge carries back.

Pure data, no Graphviz: the Values and ops to draw (or one node per neuron call when
collapsed), each edge with the gradient the chain rule sends back along it,
``local * upstream``. Reads only the engine's public fields.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from micrograd44 import Value, topological_order


@dataclass(frozen=True)
class Node:
    """One drawn node: a Value (kind parameter, input, value), an op, or a collapsed neuron call."""

    key: str
    kind: str
    name: str
    data: float | None = None
    grad: float | None = None
    scope: tuple = ()
    root: bool = False
    ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """One drawn edge and the gradient it carries back: ``flow = local * upstream``.

    ``local`` and ``upstream`` are None where the flow is not a single product: on the
    edge from an op to its result (the flow is the result's grad) and on an edge into a
    collapsed neuron (the sum over the neuron's inner paths).
    """

    tail: str
    head: str
    flow: float
    local: float | None = None
    upstream: float | None = None


@dataclass(frozen=True)
class FlowGraph:
    """The nodes and edges to draw, and whether a backward pass has filled the grads."""

    nodes: list[Node]
    edges: list[Edge]
    backpropagated: bool


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the drawing's limit.

    Attributes:
        count: how many nodes the drawing would have.
        max_nodes: the limit it exceeds.
        suggestions: what makes this graph drawable, as the keyword arguments to give:
            ``{"draw_graph": {"collapse": "neuron"}}`` when the collapsed drawing fits,
            ``{"draw_neuron": {"neuron": "layers.0.neurons.0"}}`` when neurons made the
            graph, and always ``{"draw_graph": {"max_nodes": count}}``; a list of
            (function name, keyword arguments) pairs, in the message's order.
    """

    def __init__(self, message: str, count: int, max_nodes: int, suggestions: list[tuple[str, dict]]):
        super().__init__(message)
        self.count = count
        self.max_nodes = max_nodes
        self.suggestions = suggestions


def count_drawn_nodes(order: list[Value]) -> int:
    """How many nodes the full (uncollapsed) drawing of a graph has: its Values plus its ops."""
    return len(order) + sum(1 for v in order if v.children)


def value_key(index: int) -> str:
    """The node name of the Value at ``index`` in topological order."""
    return f"v{index}"


def op_key(index: int) -> str:
    """The node name of the op that made the Value at ``index``."""
    return f"op{index}"


def neuron_key(index: int) -> str:
    """The node name of a collapsed neuron call whose output is the Value at ``index``."""
    return f"n{index}"


def neuron_path(scope: tuple) -> str | None:
    """The module path of the innermost neuron in a scope, or None outside any neuron."""
    for kind, path in reversed(scope):
        if kind == "neuron":
            return path
    return None


def effective_scopes(order: list[Value]) -> dict[Value, tuple]:
    """Each Value's scope; a leaf made outside any module gets the scope its consumers share.

    A parameter is made when its module is built, with no scope active; it belongs where it
    is used, so the weights of a neuron land inside that neuron's cluster.
    """
    scopes: dict[Value, tuple] = {}
    for node in order:
        if node.children or node.scope:
            scopes[node] = tuple(node.scope or ())
    shared: dict[Value, tuple] = {}
    for node in order:
        for child in node.children:
            if child not in scopes:
                common = shared.get(child, scopes[node])
                shared[child] = _common_prefix(common, scopes[node])
    return {node: scopes.get(node, shared.get(node, ())) for node in order}


def _common_prefix(a: tuple, b: tuple) -> tuple:
    """The longest common prefix of two tuples."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def build_flow_graph(
    root: Value,
    *,
    collapse: str | None = None,
    parameters: Collection[Value] | None = None,
    max_nodes: int | None = None,
) -> FlowGraph:
    """The nodes and gradient-carrying edges of root's graph, optionally one node per neuron call.

    The leaves in ``parameters`` are drawn as parameters (default: ``neuron_weights``),
    other leaves as inputs. Raises GraphTooLargeError when the drawing would have more
    than ``max_nodes`` nodes; the uncollapsed graph is counted before anything is built.
    """
    order = topological_order(root)
    if collapse is None:
        _check_size(root, count_drawn_nodes(order), max_nodes, collapse, parameters)
    scopes = effective_scopes(order)
    names = name_values(order, scopes)
    if parameters is None:
        parameters = neuron_weights(order)
    index = {v: i for i, v in enumerate(order)}
    calls = _neuron_calls(order, scopes, index) if collapse == "neuron" else {}
    hidden = _hidden_leaves(order, scopes, calls)

    def drawn(v: Value) -> str:
        """The key of the node that shows v."""
        call = calls.get(v)
        return neuron_key(index[call[-1]]) if call else value_key(index[v])

    nodes: list[Node] = []
    edges: list[Edge] = []
    emitted: set[int] = set()
    for i, v in enumerate(order):
        if v in hidden:
            continue
        call = calls.get(v)
        if call:
            if id(call) not in emitted:
                emitted.add(id(call))
                nodes.append(_neuron_node(call, scopes, drawn(v), root))
                edges += _edges_into_call(call, hidden, drawn)
            continue
        nodes.append(_value_node(v, i, scopes[v], root, parameters, names[v]))
        if v.children:
            nodes.append(Node(op_key(i), "op", v.op, scope=scopes[v]))
            for child, local in zip(v.children, v.local_grads()):
                edges.append(Edge(drawn(child), op_key(i), local * v.grad, local, v.grad))
            edges.append(Edge(op_key(i), value_key(i), v.grad))
    if collapse is not None:
        _check_size(root, len(nodes), max_nodes, collapse, parameters)
    return FlowGraph(nodes, edges, backpropagated=root.grad != 0.0)


def neuron_slice(flow: FlowGraph, neuron: str) -> FlowGraph:
    """The part of a FlowGraph one neuron computes: its nodes, and the nodes whose values it reads.

    Raises ValueError, listing the neurons there are, when no node belongs to ``neuron``.
    """
    inside = {node.key for node in flow.nodes if neuron_path(node.scope) == neuron}
    if not inside:
        paths = sorted({p for node in flow.nodes if (p := neuron_path(node.scope)) is not None})
        shown = ", ".join(repr(p) for p in paths[:10]) + (
            f" and {len(paths) - 10} more" if len(paths) > 10 else ""
        )
        raise ValueError(
            f"no value of this graph was made by neuron {neuron!r}; its neurons are {shown or 'none'}"
        )
    edges = [edge for edge in flow.edges if edge.head in inside]
    kept = inside | {edge.tail for edge in edges}
    return FlowGraph([node for node in flow.nodes if node.key in kept], edges, flow.backpropagated)


def _check_size(root: Value, count: int, max_nodes: int | None, collapse: str | None, parameters) -> None:
    """GraphTooLargeError naming only what makes this graph drawable, when count exceeds max_nodes.

    collapse='neuron' is suggested when the collapsed drawing fits, draw_neuron (with
    the graph's first neuron) when neurons made part of the graph, and always the
    max_nodes that admits this graph.
    """
    if max_nodes is None or count <= max_nodes:
        return
    neurons = (neuron_path(v.scope or ()) for v in topological_order(root))
    neuron = next((path for path in neurons if path is not None), None)
    suggestions: list[tuple[str, dict]] = []
    options = []
    if collapse is None and neuron is not None:
        collapsed = len(build_flow_graph(root, collapse="neuron", parameters=parameters).nodes)
        if collapsed <= max_nodes:
            suggestions.append(("draw_graph", {"collapse": "neuron"}))
            options.append(f"collapse='neuron' (one node per neuron call: {collapsed} nodes)")
    if neuron is not None:
        suggestions.append(("draw_neuron", {"neuron": neuron}))
        options.append(f"viz.draw_neuron(root, {neuron!r}) for the slice of one neuron")
    suggestions.append(("draw_graph", {"max_nodes": count}))
    options.append(f"max_nodes={count} or more (slow to lay out, hard to read)")
    raise GraphTooLargeError(
        f"the graph has {count} nodes to draw, more than max_nodes={max_nodes}; "
        f"Graphviz would take long and the picture would be unreadable. Try {'; or '.join(options)}.",
        count,
        max_nodes,
        suggestions,
    )


def _value_node(
    v: Value, i: int, scope: tuple, root: Value, parameters: Collection[Value], name: str
) -> Node:
    """The node of one Value, with its kind and name."""
    if v.children:
        kind = "value"
    else:
        kind = "parameter" if v in parameters else "input"
    return Node(value_key(i), kind, name, v.data, v.grad, scope, root=v is root)


def neuron_weights(order: list[Value]) -> set[Value]:
    """The Values the neurons use as weights or bias: each `linear` node's children but its inputs."""
    weights: set[Value] = set()
    for v in order:
        if v.op == "linear":
            n = (len(v.children) - 1) // 2
            weights.update(v.children[:n])
            weights.add(v.children[-1])
    return weights


# the longest expression that names an unlabelled intermediate value; longer ones are named by their op
LONGEST_EXPRESSION = 40

# ops written between their operands, with their binding strength (higher binds tighter)
INFIX = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 3}


def name_values(order: list[Value], scopes: dict[Value, tuple]) -> dict[Value, str]:
    """What each box is called, so that every box names what it is.

    A label wins. Otherwise: a neuron's weighted sum is ``<neuron path>: z`` and its
    activation ``<neuron path>: tanh``; a number fed to a neuron as input k is ``xk``; a
    number subtracted from a model's output is ``target``; another number is ``constant``;
    another intermediate value is its expression (``1 + sin(x)``) when that is short,
    else its op (the root: ``root``).
    """
    names: dict[Value, str] = {}
    expressions: dict[Value, tuple[str, int]] = {}
    for v in order:
        if v.op == "linear":
            n = (len(v.children) - 1) // 2
            for k, x in enumerate(v.children[n : 2 * n]):
                if not x.children and not x.label:
                    names.setdefault(x, f"x{k}")
        elif v.op == "-" and len(v.children) == 2:
            output, target = v.children
            if not target.children and not target.label and neuron_path(scopes[output]) is not None:
                names.setdefault(target, "target")
    for v in order:
        path = neuron_path(scopes[v])
        if v.label:
            names[v] = v.label
        elif v.children and path is not None:
            part = "z" if v.op == "linear" else v.op
            names[v] = f"{path}: {part}" if path else part
        elif not v.children:
            names.setdefault(v, "constant")
        expressions[v] = _expression(v, names, expressions)
        if v not in names:
            text = expressions[v][0]
            names[v] = text if len(text) <= LONGEST_EXPRESSION else "root" if v is order[-1] else v.op
    return names


def _expression(v: Value, names: dict, expressions: dict) -> tuple[str, int]:
    """v written as a formula over its children's, with its binding strength (9 for an atom).

    A leaf is its label or number; a value already named (a label, a neuron's part) is
    that name, so a formula never spells out a neuron.
    """
    if not v.children:
        return (v.label or f"{v.data:g}", 9)
    if v in names:
        return (names[v], 9)
    parts = [expressions[child] for child in v.children]
    if v.op in INFIX and len(parts) == 2:
        strength = INFIX[v.op]
        (left, left_strength), (right, right_strength) = parts
        left = left if left_strength >= strength else f"({left})"
        right = right if right_strength > strength else f"({right})"
        return (f"{left} {v.op} {right}", strength)
    return (f"{v.op}({', '.join(text for text, _ in parts)})", 9)


def _neuron_calls(
    order: list[Value], scopes: dict[Value, tuple], index: dict[Value, int]
) -> dict[Value, list[Value]]:
    """Each op result made inside a neuron -> the list of op results of the same neuron call.

    One call of a neuron is a connected group of op results in that neuron's scope; the
    same neuron called on four samples gives four calls. Each list is sorted in
    topological order, so a call's last Value is its output.
    """
    calls: dict[Value, list[Value]] = {}
    for v in order:
        path = neuron_path(scopes[v])
        if not v.children or path is None:
            continue
        call = [v]
        for child in v.children:
            other = calls.get(child)
            if other is not None and other is not call and neuron_path(scopes[child]) == path:
                call = _merge(other, call, calls)
        calls[v] = call
    for call in {id(call): call for call in calls.values()}.values():
        call.sort(key=index.__getitem__)
    return calls


def _merge(kept: list[Value], other: list[Value], calls: dict[Value, list[Value]]) -> list[Value]:
    """Move the Values of ``other`` into ``kept`` and return ``kept``."""
    for v in other:
        kept.append(v)
        calls[v] = kept
    return kept


def _hidden_leaves(order: list[Value], scopes: dict[Value, tuple], calls: dict) -> set[Value]:
    """The leaves that belong to collapsed neurons (their parameters), used by nothing else."""
    if not calls:
        return set()
    used_outside = {child for v in order if v not in calls for child in v.children}
    return {
        v for v in order if not v.children and v not in used_outside and neuron_path(scopes[v]) is not None
    }


def _neuron_node(call: list[Value], scopes: dict[Value, tuple], key: str, root: Value) -> Node:
    """The single node of a collapsed neuron call: its output's data and grad, and its ops."""
    output = call[-1]
    path = neuron_path(scopes[output])
    ops = tuple(v.op for v in call)
    return Node(key, "neuron", path, output.data, output.grad, scopes[output], output is root, ops)


def _edges_into_call(call: list[Value], hidden: set, drawn) -> list[Edge]:
    """One edge per outside Value that feeds a neuron call, carrying the sum of the grads sent back to it."""
    inside = set(call)
    flows: dict[str, float] = {}
    for v in call:
        for child, local in zip(v.children, v.local_grads()):
            if child in inside or child in hidden:
                continue
            tail = drawn(child)
            flows[tail] = flows.get(tail, 0.0) + local * v.grad
    head = drawn(call[-1])
    return [Edge(tail, head, flow) for tail, flow in flows.items()]
