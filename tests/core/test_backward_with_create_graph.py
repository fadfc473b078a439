"""backward(create_graph=True): each leaf's grad_value is its gradient as a Value, summed over calls."""

import math

import pytest

from micrograd44 import Value
from micrograd44.core.ops import UNARY


def test_grad_value_holds_each_leafs_gradient_as_a_value_next_to_grad():
    x, y = Value(0.5), Value(-2.0)
    out = x * x * y + y.tanh()
    out.backward(create_graph=True)
    assert isinstance(x.grad_value, Value) and isinstance(y.grad_value, Value)
    assert x.grad_value.data == x.grad == 2 * 0.5 * -2.0
    assert math.isclose(y.grad_value.data, 0.25 + 1 - math.tanh(-2.0) ** 2, rel_tol=1e-15)
    assert y.grad_value.data == y.grad


def test_grad_values_add_up_over_calls_like_grad():
    x = Value(3.0)
    out = x * x
    out.backward(create_graph=True)
    out.backward(create_graph=True)
    assert x.grad == 12.0
    assert x.grad_value.data == 12.0


def test_the_gradient_graph_differentiates_again():
    x = Value(0.7)
    (x**3).backward(create_graph=True)
    first = x.grad_value
    x.grad = 0.0
    first.backward()
    assert math.isclose(x.grad, 6 * 0.7, rel_tol=1e-15)


def test_a_leaf_reached_only_along_masked_edges_gets_no_grad_value():
    x, y = Value(-1.0), Value(2.0)
    out = x.relu() + y  # relu masks its edge at x <= 0
    out.backward(create_graph=True)
    assert "grad_value" not in vars(x)
    assert y.grad_value.data == 1.0


def test_a_leaf_root_gets_a_grad_value_of_one():
    x = Value(4.0)
    x.backward(create_graph=True)
    assert x.grad == 1.0 and x.grad_value.data == 1.0


@pytest.mark.parametrize("point", [0.3, -0.4, 0.0, 2.0])
@pytest.mark.parametrize("method", sorted(rule.method for rule in UNARY.values()))
def test_every_unary_ops_gradient_graph_equals_its_float_gradient(method, point):
    x = Value(point)
    try:
        out = getattr(x, method)()
    except (ArithmeticError, ValueError):  # outside the op's domain
        return
    if not math.isfinite(out.local_grads()[0]):
        return  # an infinite slope has no Value form
    out.backward(create_graph=True)
    gradient = vars(x).get("grad_value")
    if gradient is None:  # a masked edge (relu at 0 or below): nothing reaches x
        assert x.grad == 0.0
        return
    # equal values; the sign of a zero may differ (see test_zero_gradient_signs_against_pytorch.py)
    assert math.isclose(gradient.data, x.grad, rel_tol=1e-12, abs_tol=0.0), (method, point)


@pytest.mark.parametrize("masked_first", [True, False])
def test_nodes_reached_only_through_masked_edges_do_not_stop_the_walk(masked_first):
    a, b, c, d = Value(-1.0), Value(2.0), Value(3.0), Value(0.5)
    masked = (a * b).relu() + (a * d).relu()  # both products are negative: relu masks them
    live = c * d
    out = masked + live if masked_first else live + masked
    out.backward(create_graph=True)
    assert (c.grad, d.grad) == (0.5, 3.0)
    assert (c.grad_value.data, d.grad_value.data) == (0.5, 3.0)
    assert "grad_value" not in vars(a) and "grad_value" not in vars(b)
