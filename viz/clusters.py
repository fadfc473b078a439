"""Nested Graphviz clusters from the module scopes the engine records on every Value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import graphviz

from . import style

# group option -> the scope kinds that get a cluster (a neuron cluster sits inside its layer's)
GROUPS: dict[str | None, frozenset[str]] = {
    None: frozenset(),
    "layer": frozenset({"layer"}),
    "neuron": frozenset({"layer", "neuron"}),
}

# a module path that may be part of a DOT name as it is
PLAIN_PATH = re.compile(r"[A-Za-z0-9_.]*")

CLUSTER_STYLES = {
    "layer": {"style": "rounded", "color": "#7F7F7F", "bgcolor": "#FAFAFA", "fontsize": "12"},
    "neuron": {"style": "rounded,dashed", "color": "#9DB9D3", "bgcolor": "#F4F8FC", "fontsize": "10"},
}


def add_clustered(
    graph: graphviz.Digraph,
    nodes: Iterable,
    group: str | None,
    add_node: Callable[[graphviz.Digraph, object], None],
) -> None:
    """Add each node (anything with a ``scope``) inside the clusters that ``group`` draws for its scope."""
    kinds = GROUPS[group]
    members: dict[tuple, list] = {(): []}
    subclusters: dict[tuple, list[tuple]] = {(): []}
    for node in nodes:
        path = tuple(entry for entry in node.scope if entry[0] in kinds)
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in members:
                members[prefix] = []
                subclusters[prefix] = []
                subclusters[prefix[:-1]].append(prefix)
        members[path].append(node)
    _emit(graph, (), members, subclusters, add_node)


def _cluster_name(kind: str, path: str, position: tuple[int, ...]) -> str:
    """The DOT name of a cluster: its kind and module path, or its position where the path is not plain.

    A path is any text (labels become scopes); only letters, digits, ``_`` and ``.`` go
    into a name, so no path can be read as Graphviz HTML or break the DOT source.
    """
    if PLAIN_PATH.fullmatch(path):
        return f"cluster_{kind}_{path or 'top'}"
    return f"cluster_{kind}_at_" + "_".join(map(str, position))


def _emit(graph, prefix: tuple, members: dict, subclusters: dict, add_node, position=()) -> None:
    """Add the nodes of one cluster, then its sub-clusters, recursively; the path is each cluster's label."""
    for node in members[prefix]:
        add_node(graph, node)
    for i, inner in enumerate(subclusters[prefix]):
        kind, path = inner[-1]
        with graph.subgraph(name=_cluster_name(kind, path, (*position, i))) as cluster:
            label = style.html_label(style.text(path or kind))
            cluster.attr(label=label, labeljust="l", **CLUSTER_STYLES[kind])
            _emit(cluster, inner, members, subclusters, add_node, (*position, i))
