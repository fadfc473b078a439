"""The node order of core/graph.py on small fixed graphs: exact lists, each node once, leaves apart."""

import pytest

from micrograd44 import Value, topological_order
from micrograd44.core.graph import sorted_graph


def diamond():
    """x, y leaves; a = x*y; b = a + x; c = a * b (c reaches a directly and through b)."""
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    a = x * y
    b = a + x
    c = a * b
    return x, y, a, b, c


def test_sorted_graph_lists_leaves_and_interior_nodes_once_in_a_fixed_order():
    x, y, a, b, c = diamond()
    leaves, interior = sorted_graph(c)
    assert leaves == [x, y]
    assert interior == [a, b, c]


def test_sorted_graph_without_leaves_keeps_the_interior_order():
    x, y, a, b, c = diamond()
    leaves, interior = sorted_graph(c, with_leaves=False)
    assert leaves == []
    assert interior == [a, b, c]


def test_topological_order_puts_leaves_first_then_every_node_after_its_children():
    x, y, a, b, c = diamond()
    assert topological_order(c) == [x, y, a, b, c]
    assert topological_order(c, leaves=False) == [a, b, c]


def test_a_leaf_root_is_its_own_order():
    x = Value(3.0)
    assert sorted_graph(x) == ([x], [])
    assert topological_order(x) == [x]
    assert topological_order(x, leaves=False) == [x]


def test_a_leaf_used_twice_by_one_node_is_listed_once():
    x = Value(3.0)
    square = x * x
    assert sorted_graph(square) == ([x], [square])
    assert topological_order(square) == [x, square]


def test_a_node_pushed_by_two_parents_before_either_is_listed_once():
    # c = a * b with b = a + 1: c pushes a and b, b pushes a again before the first a is popped
    x = Value(0.5)
    a = x.tanh()
    b = a + 1.0
    c = a * b
    leaves, interior = sorted_graph(c)
    one = next(child for child in b._children if child is not a)
    assert leaves == [one, x]  # b, popped first, reaches its constant before a reaches x
    assert interior == [a, b, c]
    assert len(topological_order(c)) == 5


def test_every_node_comes_after_its_children_on_a_wide_shared_graph():
    xs = [Value(float(i)) for i in range(6)]
    layer = [xs[i] * xs[(i + 1) % 6] for i in range(6)]
    mixed = [layer[i] + layer[5 - i] for i in range(6)]
    root = mixed[0]
    for node in mixed[1:]:
        root = root * node
    order = topological_order(root)
    place = {id(node): i for i, node in enumerate(order)}
    assert len(place) == len(order) == 6 + 6 + 6 + 5
    for node in order:
        for child in node._children:
            assert place[id(child)] < place[id(node)]
    assert {id(node) for node in order[:6]} == {id(x) for x in xs}  # the leaves first
    assert order[-1] is root


def test_the_leaf_switches_are_keyword_only():
    x, y, a, b, c = diamond()
    with pytest.raises(TypeError):
        sorted_graph(c, False)
    with pytest.raises(TypeError):
        topological_order(c, False)
