"""create_graph: a slope of exactly 1.0 passes the upstream gradient on as it is, with no `1.0 *` node.

The gradient graph of ``x + y`` with respect to x is the seed itself; a slope of -1.0, 0.5 or a
Value is a node of its own. The graph is asserted on, not only its values (which a `1.0 *` node
would not change).
"""

from __future__ import annotations

from micrograd44 import Value
from micrograd44.autodiff import grad


def test_a_slope_of_one_is_no_node_in_the_gradient_graph():
    x, y = Value(2.0), Value(3.0)
    (through_add,) = grad(x + y, [x], create_graph=True)
    assert through_add.children == () and through_add.data == 1.0
    (through_relu,) = grad(x.relu(), [x], create_graph=True)  # relu's slope above 0 is 1.0
    assert through_relu.children == () and through_relu.data == 1.0


def test_other_slopes_are_nodes_of_the_gradient_graph():
    x, y = Value(2.0), Value(3.0)
    (through_sub,) = grad(x - y, [y], create_graph=True)  # slope -1.0
    assert through_sub.data == -1.0 and through_sub.children != ()
    (through_mul,) = grad(x * y, [x], create_graph=True)  # slope y, a Value
    assert through_mul.data == 3.0


def test_backward_with_create_graph_leaves_the_seed_as_the_gradient_reached_through_slopes_of_one():
    x, y = Value(2.0), Value(3.0)
    (x + y + y).backward(create_graph=True)
    assert x.grad_value.children == () and x.grad_value.data == 1.0
    assert y.grad_value.data == 2.0 and x.grad_value in y.grad_value.children
