"""assert_matches_torch: every value and gradient of a graph against its twin in PyTorch float64."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..autodiff import grad
from ..core.value import Value, topological_order
from ..gradcheck import allclose, check_tolerance
from .common import TorchMismatch, mismatch
from .twin import torch_twin

# A path with more nodes than twice this (plus one) shows this many at each end.
_PATH_ENDS = 4


def assert_matches_torch(root: Value, *, rtol: float = 1e-12, atol: float = 0.0, grads: bool = True) -> None:
    """Assert that PyTorch float64 computes every value and gradient of root's graph as micrograd44 does.

    The graph below ``root`` is replayed op by op in PyTorch (``torch_twin``). Every node's
    value is compared, in topological order; then, with ``grads``, ``root.backward()`` and
    PyTorch's backward run and every node's gradient d(root)/d(node) is compared, the
    leaves' and the interior nodes'. Two numbers agree when
    ``|ours - theirs| <= atol + rtol * |theirs|`` (``torch.allclose``'s test); an inf or a
    nan must be the same in both.

    What it does to ``.grad``: nothing that stays. The gradients compared are root's alone,
    computed as if every grad started at 0, and every node's ``.grad`` is then put back as
    it was (also when the assertion fails): call it before or after your own
    ``backward()``, it changes neither what it compares nor what you compute.

    Args:
        root: the output Value of a graph built by the engine.
        rtol: the relative tolerance. PyTorch's tanh, exp, ... may differ from Python's
            math module in the last place, so 1e-12 leaves room for chains of ops.
        atol: the absolute tolerance. Where a graph subtracts nearly equal numbers, a
            last-place difference in them is a large relative difference in the result:
            give such graphs an atol near 1e-15 times the size of the terms.
        grads: False compares the values only; no backward pass runs.

    Raises:
        TorchMismatch: an AssertionError naming where the two differ, in one line: for a
            value, the first node in topological order that differs (values flow up from
            the leaves); for a gradient, the first node that differs in the order
            backward() reaches them (gradients flow down from root), and the op node above
            it whose local derivative differs (``origin``), then how many gradients differ
            and the first of them in topological order. The message gives the node's op
            and label, both numbers, their relative difference and a path from a leaf.
        ValueError: a tolerance is negative, or the graph holds a node made micrograd-style
            with an op that is not in the op table (PyTorch has no twin for it).

    Example:
        >>> from micrograd44 import Value
        >>> x = Value(0.5, label="x")
        >>> assert_matches_torch((1 + x.sin()).log())
    """
    if not isinstance(root, Value):
        raise TypeError(f"assert_matches_torch: root must be a Value, got {type(root).__name__}")
    check_tolerance("rtol", rtol)
    check_tolerance("atol", atol)
    nodes = topological_order(root)
    twin = torch_twin(root)
    for node in nodes:
        theirs = twin[node].item()
        if not allclose(node.data, theirs, rtol, atol, equal_nan=True):
            path = _path(node, lambda leaf: bool(leaf.label))
            raise _mismatch("value", node, node.data, theirs, nodes, path, (rtol, atol))
    if not grads:
        return
    ours = dict(zip(nodes, grad(root, nodes)))  # as root.backward() from zero grads, .grad untouched
    twin[root].backward(retain_graph=True)  # kept, so that a failure can ask for one local derivative
    theirs = {node: _grad_of(twin[node]) for node in nodes}
    differing = [
        node for node in reversed(nodes) if not allclose(ours[node], theirs[node], rtol, atol, equal_nan=True)
    ]
    if not differing:
        return
    first = differing[0]
    origin = _origin(first, nodes, twin, (rtol, atol))
    wrong = set(differing)
    path = _path(first, lambda leaf: leaf in wrong)
    if origin is not None:
        path.append(origin[0])
    raise _mismatch(
        "gradient",
        first,
        ours[first],
        theirs[first],
        nodes,
        path,
        (rtol, atol),
        origin=origin,
        count=_count(differing, nodes, ours, theirs),
    )


def _count(differing: list[Value], nodes: list[Value], ours: dict, theirs: dict) -> str:
    """How many gradients differ, and the first in topological order where that is another node."""
    count = f"{len(differing)} of {len(nodes)} gradients differ"
    earliest = differing[-1]  # differing runs in backward order
    if earliest is differing[0]:
        return count
    return (
        f"{count}, the first in topological order at {_named(earliest, nodes)}: "
        f"micrograd44 {ours[earliest]!r}, PyTorch {theirs[earliest]!r}"
    )


def _grad_of(tensor: torch.Tensor) -> float:
    """A twin tensor's gradient as a float; 0.0 where PyTorch passed it none."""
    return 0.0 if tensor.grad is None else tensor.grad.item()


def _origin(node: Value, nodes: list[Value], twin: dict, tolerances: tuple) -> tuple | None:
    """(parent, input index, ours, theirs): the first parent whose local derivative d(parent)/d(node) differs.

    node is the first gradient to differ in backward order, so every parent's gradient
    agrees: a local derivative that differs is where the difference starts.
    """
    for parent in nodes:
        if not any(child is node for child in parent.children):
            continue
        ours = sum(local for child, local in zip(parent.children, parent.local_grads()) if child is node)
        (slope,) = torch.autograd.grad(twin[parent], twin[node], retain_graph=True, allow_unused=True)
        theirs = 0.0 if slope is None else slope.item()
        if not allclose(ours, theirs, *tolerances, equal_nan=True):
            index = next(i for i, child in enumerate(parent.children) if child is node)
            return parent, index, ours, theirs
    return None


def _path(node: Value, preferred: Callable[[Value], bool]) -> list[Value]:
    """Nodes from a leaf up to node, through a leaf for which ``preferred`` holds if there is one."""
    leads = set()  # the nodes with a preferred leaf below them
    for below in topological_order(node):
        if (not below.children and preferred(below)) or any(c in leads for c in below.children):
            leads.add(below)
    path = [node]
    while path[-1].children:
        children = path[-1].children
        path.append(next((c for c in children if c in leads), children[0]))
    return path[::-1]


def _shown(path: list[Value]) -> str:
    """The path as "x -> * -> tanh[h] -> +": leaves by label (or value), other nodes by op[label]."""
    names = [
        (f"{node.op}[{node.label}]" if node.label else node.op)
        if node.children
        else (node.label or repr(node.data))
        for node in path
    ]
    if len(names) > 2 * _PATH_ENDS + 1:
        hidden = len(names) - 2 * _PATH_ENDS
        names = [*names[:_PATH_ENDS], f"({hidden} more)", *names[-_PATH_ENDS:]]
    return " -> ".join(names)


def _named(node: Value, nodes: list[Value]) -> str:
    """The node by its op and label, and its place in topological order."""
    if node.children:
        what = f"the {node.op!r} node {node.label!r}" if node.label else f"an unlabelled {node.op!r} node"
    else:
        what = f"the leaf {node.label!r}" if node.label else "an unlabelled leaf"
    place = next(i for i, other in enumerate(nodes) if other is node)
    return f"{what} (node {place + 1} of {len(nodes)} in topological order)"


def _mismatch(
    quantity, node, ours, theirs, nodes, path, tolerances, origin=None, count=None
) -> TorchMismatch:
    """The failure of assert_matches_torch: the path, and where the difference starts and how many differ."""
    details = [f"path: {_shown(path)}"]
    if origin is not None:
        parent, index, local_ours, local_theirs = origin
        details.append(
            f"the difference starts at {_named(parent, nodes)}, whose local derivative "
            f"d({parent.op})/d(input {index}) is {local_ours!r} in micrograd44, {local_theirs!r} in PyTorch"
        )
    if count is not None:
        details.append(count)
    return mismatch(
        quantity,
        node,
        _named(node, nodes),
        ours,
        theirs,
        tolerances,
        *details,
        path=tuple(path),
        origin=None if origin is None else origin[0],
    )
