"""Results of -inf or +inf are refused (OverflowValueError) on every kind of node; new nodes have grad 0."""

import math
import sys

import pytest

from micrograd44 import Value
from micrograd44.core.errors import OpError
from micrograd44.core.value import linear, sum_values

OVERFLOWS = {
    "* to +inf": lambda: Value(1e308) * 10.0,
    "* to -inf": lambda: Value(-1e308) * 10.0,
    "- to -inf": lambda: Value(-1e308) - 1e308,
    "+ to -inf": lambda: Value(-1e308) + Value(-1e308),
    "linear to -inf": lambda: linear([Value(1e308)], [-10.0], 0.0),
    "sum to -inf": lambda: sum_values([-1e308, -1e308]),
    "sum to +inf": lambda: sum_values([1e308, 1e308]),
}


@pytest.mark.parametrize("make", OVERFLOWS.values(), ids=OVERFLOWS)
def test_an_infinite_result_of_either_sign_is_refused(make):
    with pytest.raises(OpError) as raised:
        make()
    assert isinstance(raised.value, OverflowError)


def test_the_largest_finite_results_of_either_sign_are_kept():
    assert (Value(-1e308) * 1.7).data == -1e308 * 1.7
    assert sum_values([-1e308, -7e307]).data == -1.7e308


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(1.0) + 2.0,
        lambda: Value(0.5).tanh(),
        lambda: linear([1.0], [2.0], 3.0),
        lambda: sum_values([1.0, 2.0]),
    ],
)
def test_a_new_node_starts_with_gradient_zero(make):
    node = make()
    assert node.grad == 0.0 and math.copysign(1.0, node.grad) == 1.0


@pytest.mark.parametrize(
    ("make", "error", "op"),
    [
        (lambda: sum_values([1.0, math.nan]), ValueError, "sum"),
        (lambda: sum_values([1.0, "2"]), TypeError, "sum"),
        (lambda: linear([1.0], [math.inf], 0.0), ValueError, "linear"),
        (lambda: linear([1.0], ["a"], 0.0), TypeError, "linear"),
    ],
)
def test_a_bad_number_given_to_an_n_ary_op_is_refused_naming_the_op(make, error, op):
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value).startswith(f"{op}: ")


def test_the_largest_floats_of_either_sign_are_values():
    for data in (sys.float_info.max, -sys.float_info.max):
        assert Value(data).data == data
    for data in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError):
            Value(data)


def test_a_result_of_exactly_the_largest_float_is_kept_and_so_is_that_exponent():
    largest = sys.float_info.max
    assert (Value(largest) * 1.0).data == largest
    assert (Value(-largest) * 1.0).data == -largest
    assert (Value(1.0) ** largest).data == 1.0
    assert (Value(1.0) ** -largest).data == 1.0


@pytest.mark.parametrize("exponent", [math.inf, -math.inf, math.nan, 10**400, -(10**400)])
def test_an_exponent_that_is_not_a_finite_number_is_refused(exponent):
    with pytest.raises(ValueError):
        Value(2.0) ** exponent
