"""micrograd's names for the graph, so that code written for micrograd runs on this engine.

micrograd builds nodes as ``Value(data, (a, b), '+')`` and walks them through ``_prev``
(a set of children), ``_op`` (the op's name) and ``_backward()`` (one node's step of the
chain rule). Value inherits these from ``MicrogradNames``; the engine itself uses
``children``, ``op`` and backward() instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import ops
from .errors import OpError, describe

# An op by the name micrograd gives it in _op ("ReLU"), or by its own name.
_RULES_BY_MICROGRAD_NAME = {
    **ops.OPS,
    **{rule.micrograd: rule for rule in ops.OPS.values() if rule.micrograd},
}


def micrograd_node(value_type: type, children: Iterable, op: str) -> tuple[tuple, ops.OpRule | None]:
    """(children, rule) of a node made as ``Value(data, children, op)``, micrograd's signature.

    The rule is None for an op this engine does not know: such a node needs a ``_backward``
    function of its own, micrograd style.
    """
    if isinstance(children, str):
        raise TypeError(
            "Value's second argument is micrograd's _children (a tuple of Values), "
            f"got the str {children!r}: pass a name as label=..."
        )
    children = tuple(children)
    for i, child in enumerate(children):
        if not isinstance(child, value_type):
            raise TypeError(f"Value: _children[{i}] is a {type(child).__name__}, not a Value")
    if type(op) is not str:
        raise TypeError(f"Value: _op must be a str, got {type(op).__name__}")
    rule = _RULES_BY_MICROGRAD_NAME.get(op)
    if rule is None and op.startswith("**"):
        try:
            rule = ops.rule_for(op)
        except KeyError:
            rule = None
    if rule is not None and rule.arity not in (None, len(children)):
        rule = None  # not this engine's op: it takes another number of children
    return children, rule


def own_slopes(node) -> list[tuple]:
    """(child, d(node)/d(child)) of a node made with an op this engine lacks, from its own _backward.

    The node's ``_backward`` (micrograd style) adds ``local * node.grad`` into each child's
    grad; run once with ``node.grad = 1.0`` and the children's grads at 0, it leaves each
    child's local derivative there. Every grad is put back afterwards.
    """
    step = node.__dict__.get("_backward")
    if step is None:
        op, known = node._op, _RULES_BY_MICROGRAD_NAME.get(node._op)
        if known is not None:
            why = f"{op!r} takes {known.arity} children, got {len(node._children)}"
        else:
            why = f"{op!r} is not an op of this engine (ops: {', '.join(sorted(ops.OPS))}, **n)"
        raise OpError(
            f"backward: {describe(node)} was made as Value(data, children, {op!r}); {why}, "
            "so its local derivatives are unknown: set its _backward function, micrograd style",
            op,
            node._children,
        )
    children = list(dict.fromkeys(node._children))
    saved = [node.grad, *(child.grad for child in children)]
    node.grad = 1.0
    for child in children:
        child.grad = 0.0
    try:
        step()
        return [(child, child.grad) for child in children]
    finally:
        node.grad = saved[0]
        for child, grad in zip(children, saved[1:]):
            child.grad = grad


class MicrogradNames:
    """micrograd's attribute names for a node: ``_prev``, ``_op`` and ``_backward()``."""

    __slots__ = ()
    _micrograd_op = ""  # the op name of a node made micrograd-style with an op this engine lacks

    @property
    def _prev(self) -> set:
        """micrograd's name: the set of this node's children (``children`` keeps their order)."""
        return set(self._children)

    @property
    def _op(self) -> str:
        """micrograd's name: the op as micrograd names it ("+", "*", "**2", "ReLU"), "" for a leaf."""
        return self._micrograd_op if self._rule is None else (self._rule.micrograd or self._rule.name)

    def _backward(self) -> None:
        """micrograd's one chain-rule step: add ``local * self.grad`` into each child's grad.

        Called on every node in reverse topological order, after ``root.grad = 1.0``, it
        gives exactly what ``root.backward()`` gives.
        """
        for child, local in self._edges():
            child.grad += local * self.grad
