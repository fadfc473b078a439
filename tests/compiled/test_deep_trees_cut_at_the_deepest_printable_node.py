"""A tree deeper than MAX_DEPTH is cut where its left spine reaches MAX_DEPTH, not below.

The node of depth exactly MAX_DEPTH is printed whole, whatever it holds: here its deepest
operand is on its right, so cutting any lower on the left spine would be impossible (the
printer would refuse a tree it can print). The statements compute the tree's number.
"""

from __future__ import annotations

from micrograd44.codegen.expr import MAX_DEPTH, Expr, name
from micrograd44.codegen.python import PYTHON, SCALAR_NAMESPACE


def right_chain(names: list[str]) -> Expr:
    """n0 - (n1 - (n2 - ...)): as deep as it has names."""
    tree = name(names[-1])
    for other in reversed(names[:-1]):
        tree = Expr("-", name(other), tree)
    return tree


def test_a_node_of_max_depth_nested_on_its_right_is_printed_whole():
    names = [f"r{k}" for k in range(MAX_DEPTH - 1)]
    part = Expr("+", name("a"), right_chain(names))
    assert part.depth == MAX_DEPTH
    tree = Expr("*", Expr("-", part, name("b")), name("c"))
    env = {"a": 0.5, "b": 3.0, "c": -2.0, **{n: float(k % 5) - 1.5 for k, n in enumerate(names)}}
    inner = env[names[-1]]
    for n in reversed(names[:-1]):
        inner = env[n] - inner
    expected = ((0.5 + inner) - 3.0) * -2.0
    parts = PYTHON.statements(tree, "t")
    assert len(parts) == 2
    scope = {**SCALAR_NAMESPACE, **env}
    for source in parts:
        scope["t"] = eval(source, scope)
    assert scope["t"] == expected
