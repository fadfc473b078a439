"""Pickling and copying a graph of any depth: flat rows instead of nested objects.

pickle and copy.deepcopy follow an object's references recursively, so a chain of a few
thousand Values would overflow the stack. Value pickles as its graph flattened into rows,
one per node with its children as row numbers, and is rebuilt from them.
"""

from __future__ import annotations

from . import ops
from .graph import sorted_graph


def flatten_graph(root) -> tuple:
    """The graph below root as flat data: one row per node, children as row numbers, root last."""
    leaves, interior = sorted_graph(root)
    nodes = leaves + interior
    row = {node: i for i, node in enumerate(nodes)}
    return tuple(
        (
            node.data,
            node.grad,
            node.label,
            node.scope,
            None if node._rule is None else node._rule.name,
            tuple(row[c] for c in node._children),
            dict(node.__dict__) if node.__dict__ else None,
        )
        for node in nodes
    )


def rebuild_graph(value_type: type, rows: tuple):
    """The graph that flatten_graph flattened, of nodes of ``value_type``; returns its root."""
    nodes = []
    for data, grad, label, scope, op, children, extra in rows:
        node = value_type.__new__(value_type)
        node.data, node.grad, node.label, node.scope = data, grad, label, scope
        node._rule = None if op is None else ops.rule_for(op)
        node._children = tuple(nodes[c] for c in children)
        if extra:
            node.__dict__.update(extra)
        nodes.append(node)
    return nodes[-1]


class PicklesFlat:
    """Pickles (and deep-copies) a node as its whole graph in flat rows, without recursion."""

    __slots__ = ()

    def __reduce_ex__(self, protocol):
        return (rebuild_graph, (type(self), flatten_graph(self)))
