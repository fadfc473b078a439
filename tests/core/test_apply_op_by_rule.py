"""apply_op, which replays an op by its rule: every op of the table gives the node its own operator gives."""

import math

import pytest

from micrograd44 import Value
from micrograd44.core.ops import LINEAR, OPS, SUM
from micrograd44.core.value import apply_op, linear, sum_values

BINARY = {name: rule for name, rule in OPS.items() if rule.arity == 2}
UNARY = {name: rule for name, rule in OPS.items() if rule.arity == 1}


@pytest.mark.parametrize("name", BINARY)
def test_a_binary_op_replayed_equals_the_op(name):
    x, y = Value(1.5), Value(0.75)
    node = apply_op(BINARY[name], [x, y])
    assert node.op == name and node.children == (x, y)
    expected = {"+": 2.25, "-": 0.75, "*": 1.125, "/": 2.0, "**": 1.5**0.75}[name]
    assert math.isclose(node.data, expected, rel_tol=1e-15)


@pytest.mark.parametrize("name", UNARY)
def test_a_unary_op_replayed_equals_the_method(name):
    x = Value(0.5)
    node = apply_op(UNARY[name], (x,))
    assert node.op == name and node.children == (x,)
    assert node.data == getattr(Value(0.5), UNARY[name].method)().data


def test_linear_and_sum_replayed_equal_their_functions():
    w, x, b = [Value(2.0), Value(-1.0)], [Value(0.5), Value(3.0)], Value(0.25)
    node = apply_op(LINEAR, [*w, *x, b])
    assert node.op == LINEAR.name and node.data == linear(w, x, b).data == 2.0 * 0.5 - 3.0 + 0.25
    terms = [Value(0.1), Value(0.2), Value(0.3)]
    assert apply_op(SUM, terms).data == sum_values(terms).data == math.fsum([0.1, 0.2, 0.3])


@pytest.mark.parametrize(("weights", "inputs"), [([1.0, 2.0], [1.0]), ([1.0], [1.0, 2.0]), ([], [1.0])])
def test_linear_refuses_as_many_weights_as_inputs_only(weights, inputs):
    with pytest.raises(ValueError):
        linear(weights, inputs, 0.0)


def test_linear_takes_hundreds_of_weights():
    # lengths past 256, where CPython no longer shares one int object per length
    assert linear([1.0] * 300, [0.5] * 300, 1.0).data == 151.0
