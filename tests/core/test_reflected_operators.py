"""A number on the left of an operator (y + x, y - x, y * x, y / x, y ** x): the values and slopes."""

import math

import pytest

from micrograd44 import Value

CASES = {
    "+": (lambda y, x: y + x, 1.0),
    "-": (lambda y, x: y - x, -1.0),
    "*": (lambda y, x: y * x, 2.5),
    "/": (lambda y, x: y / x, -2.5 / 1.5**2),
    "**": (lambda y, x: y**x, 2.5**1.5 * math.log(2.5)),
}


@pytest.mark.parametrize("op", CASES)
def test_a_number_on_the_left_gives_the_value_and_slope_of_a_value_there(op):
    apply, slope = CASES[op]
    x = Value(1.5)
    out = apply(2.5, x)
    assert isinstance(out, Value)
    assert out.data == apply(2.5, 1.5)
    assert out.data == apply(Value(2.5), Value(1.5)).data
    out.backward()
    assert math.isclose(x.grad, slope, rel_tol=1e-15)


@pytest.mark.parametrize("op", CASES)
def test_a_number_on_the_left_becomes_the_first_child(op):
    apply, _ = CASES[op]
    x = Value(1.5)
    out = apply(2.5, x)
    first, second = out.children
    assert (first.data, second) == (2.5, x)


def test_negation_is_recorded_as_times_minus_one():
    x = Value(1.5)
    out = -x
    assert out.op == "*" and out.children[0] is x and out.children[1].data == -1.0
    assert out.data == -1.5


class _TakesOverFromValue:
    """Not a number: it answers every reflected operator itself, naming the operator."""

    def __radd__(self, other):
        return "+"

    def __rsub__(self, other):
        return "-"

    def __rmul__(self, other):
        return "*"

    def __rtruediv__(self, other):
        return "/"


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_an_operand_that_is_not_a_number_gets_its_own_reflected_operator(op):
    apply, _ = CASES[op]
    assert apply(Value(1.5), _TakesOverFromValue()) == op
