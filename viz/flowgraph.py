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
    """

    def __init__(self, message: str, count: int, max_nodes: int):
        super().__init__(message)
        self.count = count
        self.max_nodes = max_nodes


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

    Raises GraphTooLargeError when the drawing would have more than ``max_nodes`` nodes;
    the uncollapsed graph is counted before anything is built.
    """
    order = topological_order(root)
    if collapse is None:
        _check_size(count_drawn_nodes(order), max_nodes, collapse, modules=any(v.scope for v in order))
    scopes = effective_scopes(order)
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
        nodes.append(_value_node(v, i, scopes[v], root, parameters))
        if v.children:
            nodes.append(Node(op_key(i), "op", v.op, scope=scopes[v]))
            for child, local in zip(v.children, v.local_grads()):
                edges.append(Edge(drawn(child), op_key(i), local * v.grad, local, v.grad))
            edges.append(Edge(op_key(i), value_key(i), v.grad))
    if collapse is not None:
        _check_size(len(nodes), max_nodes, collapse, modules=True)
    return FlowGraph(nodes, edges, backpropagated=root.grad != 0.0)


def _check_size(count: int, max_nodes: int | None, collapse: str | None, *, modules: bool) -> None:
    """GraphTooLargeError with what to try instead when count exceeds max_nodes.

    The grouped and collapsed views are suggested only for graphs that modules made.
    """
    if max_nodes is None or count <= max_nodes:
        return
    if collapse or not modules:
        advice = "a larger max_nodes, or draw a smaller part of the graph"
    else:
        advice = (
            "collapse='neuron' (one node per neuron call), group='layer' or group='neuron' "
            "(clusters per module) to make it readable, or a larger max_nodes"
        )
    raise GraphTooLargeError(
        f"the graph has {count} nodes to draw, more than max_nodes={max_nodes}; "
        f"Graphviz would take long and the picture would be unreadable. Try {advice}.",
        count,
        max_nodes,
    )


def _value_node(v: Value, i: int, scope: tuple, root: Value, parameters) -> Node:
    """The node of one Value, with its kind."""
    if v.children:
        kind = "value"
    elif parameters is not None:
        kind = "parameter" if v in parameters else "input"
    else:
        kind = "parameter" if v.label else "input"
    return Node(value_key(i), kind, v.label, v.data, v.grad, scope, root=v is root)


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
