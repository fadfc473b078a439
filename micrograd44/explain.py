"""explain_grad: a gradient as the chain rule's sum over paths, each path a product of local derivatives.

d(root)/d(leaf) is a sum with one term per path from ``root`` down to ``leaf``; each term
multiplies the local derivatives d(node)/d(child) of the path's edges. ``backward()``
computes the same sum, grouped node by node (each node's grad times the local derivative
to the next node), which is why it never lists the paths: their number can grow
exponentially with depth. ``explain_grad`` lists them; ``explain_grad(..., by_node=True)``
shows the grouped form.

Example:
    >>> from micrograd44 import Value
    >>> x = Value(0.5, label="x")
    >>> y = x * x.sin()
    >>> explanation = explain_grad(y, x)
    >>> [round(path.product, 6) for path in explanation.paths]  # sin x and x cos x
    [0.479426, 0.438791]
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .core import Value, chain_rule, topological_order

# explain_grad refuses graphs with more paths than this (each path is a row of the table)
DEFAULT_MAX_PATHS = 1000


class TooManyPathsError(ValueError):
    """A graph with more paths from root to leaf than ``max_paths``.

    Attributes:
        count: how many paths there are.
        max_paths: the limit.
    """

    def __init__(self, message: str, count: int, max_paths: int):
        super().__init__(message)
        self.count = count
        self.max_paths = max_paths


@dataclass(frozen=True)
class GradientPath:
    """One path from root down to leaf and its term of the chain rule's sum.

    Attributes:
        nodes: the Values along the path, root first, leaf last.
        locals: d(nodes[i]) / d(nodes[i + 1]) for each edge, aligned with the edges.
        product: the product of the locals, the path's contribution to d(root)/d(leaf).
    """

    nodes: tuple[Value, ...]
    locals: tuple[float, ...]
    product: float


@dataclass(frozen=True)
class NodeStep:
    """One edge in the per-node form: the node's gradient times the local derivative to its child.

    Attributes:
        node, child: the edge's two ends (child is an input of node's op).
        upstream: d(root)/d(node).
        local: d(node)/d(child).
        product: upstream * local, what this edge sends into d(root)/d(child).
    """

    node: Value
    child: Value
    upstream: float
    local: float
    product: float


class _Table:
    """Text (a table) and HTML forms shared by both explanations."""

    title: str
    headers: tuple[str, ...]
    total_row: tuple[str, ...]

    def rows(self) -> list[tuple[str, ...]]:
        raise NotImplementedError

    def __str__(self) -> str:
        rows = [self.headers, *self.rows(), self.total_row]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.headers))]
        lines = [self.title]
        for k, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if k == 0 or k == len(rows) - 2:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def cells(row, tag):
            return "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in row)

        body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in self.rows())
        return (
            f"<table><caption>{html.escape(self.title)}</caption>"
            f"<thead><tr>{cells(self.headers, 'th')}</tr></thead><tbody>{body}</tbody>"
            f"<tfoot><tr>{cells(self.total_row, 'th')}</tr></tfoot></table>"
        )


class GradientExplanation(_Table):
    """d(root)/d(leaf) as a sum over paths: ``sum(path.product for path in paths)``.

    Attributes:
        root, leaf: the Values explained.
        paths: every path from root to leaf (GradientPath), a Value used twice by one op
            (``a * a``) giving two paths.
        total: the sum of the paths' products; after ``root.backward()`` on fresh grads it
            equals ``leaf.grad`` within rounding (backward adds the same terms grouped by node).
    """

    headers = ("path", "nodes, root to leaf", "local derivatives", "product")

    def __init__(self, root: Value, leaf: Value, paths: list[GradientPath], names: dict[Value, str]):
        self.root, self.leaf, self.paths = root, leaf, paths
        self.total = sum(path.product for path in paths)
        self._names = names
        self.title = f"d {names[root]} / d {names[leaf]}: {len(paths)} path{'' if len(paths) == 1 else 's'}"
        self.total_row = ("sum", "", "", _number(self.total))

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (
                str(k),
                " -> ".join(self._names[node] for node in path.nodes),
                " x ".join(_number(local) for local in path.locals),
                _number(path.product),
            )
            for k, path in enumerate(self.paths, start=1)
        ]


class NodeExplanation(_Table):
    """d(root)/d(leaf) grouped by node, as backward() computes it.

    Attributes:
        root, leaf: the Values explained.
        steps: a NodeStep for every edge between root and leaf, root's edges first.
        total: the sum of the products of the steps into leaf: d(root)/d(leaf).
    """

    headers = ("node", "child", "grad of node", "local derivative", "product")

    def __init__(self, root: Value, leaf: Value, steps: list[NodeStep], names: dict[Value, str]):
        self.root, self.leaf, self.steps = root, leaf, steps
        self.total = sum(step.product for step in steps if step.child is leaf)
        self._names = names
        self.title = f"d {names[root]} / d {names[leaf]}, node by node: each node's grad x local derivative"
        self.total_row = ("", f"sum into {names[leaf]}", "", "", _number(self.total))

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (
                self._names[step.node],
                self._names[step.child],
                _number(step.upstream),
                _number(step.local),
                _number(step.product),
            )
            for step in self.steps
        ]


def explain_grad(
    root: Value, leaf: Value, *, max_paths: int = DEFAULT_MAX_PATHS, by_node: bool = False
) -> GradientExplanation | NodeExplanation:
    """Explain d(root)/d(leaf) by the chain rule: every path from root to leaf and its product.

    Each edge's local derivative is the op's (``node.local_grads()``), read from the data
    the graph holds; grads are neither read nor changed. Nodes are named by their label,
    or by their op and their place ``v<i>`` in ``topological_order(root)``, the names
    ``viz.draw_graph`` gives them in its DOT source; a node a module made is named by the
    module's path and the op (``layers.1.neurons.3 tanh``).

    Args:
        root: the output, usually a loss.
        leaf: any Value of root's graph, usually a parameter.
        max_paths: refuse graphs with more paths than this (TooManyPathsError).
        by_node: return the per-node form instead (NodeExplanation): each edge's
            ``grad of node x local derivative``; its size is the number of edges, however
            many paths there are.

    Returns:
        A GradientExplanation (or NodeExplanation): ``print`` it for a table; in Jupyter it
        shows as an HTML table. Its ``total`` is d(root)/d(leaf).

    Raises:
        TypeError: root or leaf is not a Value.
        ValueError: leaf is not in root's graph.
        TooManyPathsError: more than max_paths paths; the one-line message gives the count
            and suggests ``by_node=True``.

    Example:
        >>> from micrograd44 import Value
        >>> a = Value(3.0, label="a")
        >>> b = a * a
        >>> explain_grad(b, a).total  # two paths, a and a: 2a
        6.0
    """
    for name, value in (("root", root), ("leaf", leaf)):
        if not isinstance(value, Value):
            raise TypeError(f"explain_grad: {name} must be a Value, got {type(value).__name__}")
    order = topological_order(root)
    if leaf not in set(order):
        raise ValueError(f"explain_grad: {_describe(leaf)} is not in the graph of {_describe(root)}")
    names = {node: _name(node, i) for i, node in enumerate(order)}
    counts = _path_counts(order, leaf)
    if by_node:
        return NodeExplanation(root, leaf, _node_steps(order, counts), names)
    if counts[root] > max_paths:
        raise TooManyPathsError(
            f"explain_grad: {counts[root]:,} paths lead from {names[root]} to {names[leaf]}, more than "
            f"max_paths={max_paths}; group them by node instead (each node's grad times its local derivative "
            "to the next node): explain_grad(root, leaf, by_node=True)",
            counts[root],
            max_paths,
        )
    return GradientExplanation(root, leaf, _paths(root, leaf, counts), names)


def _path_counts(order: list[Value], leaf: Value) -> dict[Value, int]:
    """How many paths lead from each node down to leaf (0 for nodes that do not reach it)."""
    counts: dict[Value, int] = {}
    for node in order:
        counts[node] = 1 if node is leaf else sum(counts[child] for child in node.children)
    return counts


def _paths(root: Value, leaf: Value, counts: dict[Value, int]) -> list[GradientPath]:
    """Every path from root to leaf, depth first, children in their order; no recursion."""
    paths = []
    stack = [((root,), ())]
    while stack:
        nodes, locals_ = stack.pop()
        node = nodes[-1]
        if node is leaf:
            product = 1.0
            for local in locals_:
                product *= local
            paths.append(GradientPath(nodes, locals_, product))
            continue
        slopes = node.local_grads()
        for child, local in reversed(list(zip(node.children, slopes))):
            if counts[child]:
                stack.append(((*nodes, child), (*locals_, local)))
    return paths


def _node_steps(order: list[Value], counts: dict[Value, int]) -> list[NodeStep]:
    """The per-node form: d(root)/d(node) x local for every edge on a path to leaf, root's first.

    The engine's walk (``chain_rule``) on floats, along the edges that lead to leaf; a
    node's gradient is complete when its edges are walked, so each step reads it then.
    """
    edges = []

    def edges_to_leaf(node: Value) -> list[tuple[Value, float]]:
        if not counts[node]:
            return []
        mine = [(child, local) for child, local in zip(node.children, node.local_grads()) if counts[child]]
        edges.extend((node, child, local) for child, local in mine)
        return mine

    grads = chain_rule(order, 1.0, edges_to_leaf, start=0.0)
    return [NodeStep(node, child, grads[node], local, local * grads[node]) for node, child, local in edges]


def _name(node: Value, index: int) -> str:
    """A node's name in the tables: its label, else its module and op, else its place and op."""
    if node.label:
        return node.label
    module = node.scope[-1][1] if node.scope else ""
    return f"{module} {node.op}" if module else f"v{index} ({node.op or 'leaf'})"


def _number(x: float) -> str:
    """A number for the tables: 6 significant digits."""
    return f"{x:.6g}"


def _describe(value: Value) -> str:
    """A Value for a message: its label or its data."""
    return repr(value.label) if value.label else f"the Value with data {value.data!r}"


__all__ = [
    "DEFAULT_MAX_PATHS",
    "GradientExplanation",
    "GradientPath",
    "NodeExplanation",
    "NodeStep",
    "TooManyPathsError",
    "explain_grad",
]
