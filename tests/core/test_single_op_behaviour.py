"""Behaviour of single ops that the op table's generic tests take as given
(tests/core/test_op_table_against_every_consumer.py).

Every op is checked against PyTorch float64 and central differences at fixed points (domain
edges, kinks, large magnitudes: tests/support/op_points.py) and at random ones in test_op_table.py;
this file keeps the few promises that are about one op's formula.
"""

import math
from fractions import Fraction

import pytest

from micrograd44 import Value
from micrograd44.core import ops


def test_kinks_follow_pytorch():
    for fn in (Value.relu, Value.abs):
        x = Value(0.0)
        fn(x).backward()
        assert x.grad == 0.0


@pytest.mark.parametrize("x", [-1e308, -745.0, -40.0, 40.0, 745.0, 1e308])
def test_sigmoid_and_softplus_never_overflow(x):
    s = Value(x).sigmoid()
    assert 0.0 <= s.data <= 1.0
    assert math.isfinite(Value(x).softplus().data)


@pytest.mark.parametrize(
    "n, doc",
    [
        (2.0, "x ** 2; d/dx = 2 x^1"),
        (3.0, "x ** 3; d/dx = 3 x^2"),
        (-1.0, "x ** -1; d/dx = -1 x^-2"),
        (0.5, "x ** 0.5; d/dx = 0.5 x^-0.5"),
    ],
)
def test_the_doc_line_of_x_to_the_n_states_its_derivative(n, doc):
    assert ops.power(n).doc == doc


def test_a_reciprocal_slope_divides_the_upstream_gradient_whatever_its_type():
    # floats divide as IEEE 754 says (t / 0 = inf); other numbers (an int seed, a Fraction) divide as they do
    slope = ops.Reciprocal(4.0)
    assert [slope * 2.0, slope * 2, slope * Fraction(1, 2)] == [0.5, 0.5, 0.125]
    assert [ops.Reciprocal(0.0) * 3.0, ops.Reciprocal(-0.0) * 3.0, float(ops.Reciprocal(8.0))] == [
        math.inf,
        -math.inf,
        0.125,
    ]


def test_an_exact_sum_beyond_the_largest_float_is_an_infinity_of_its_sign():
    big = 1.7e308
    assert [ops.exact_sum([big, big]), ops.exact_sum([-big, -big]), ops.exact_sum([big, big, -big])] == [
        math.inf,
        -math.inf,
        big,
    ]


def test_a_masked_slope_reads_as_zero_and_a_reciprocal_as_one_over_its_denominator():
    x = Value(-2.0)
    assert float(ops.MASKED) == 0.0
    assert [x.relu().local_grads(), (x**0.0).local_grads(), Value(4.0).log().local_grads()] == [
        (0.0,),
        (0.0,),
        (0.25,),
    ]


@pytest.mark.parametrize("name", ["**x", "exp2", "**1e", "**-"])
def test_rule_for_an_unknown_name_raises_key_error(name):
    with pytest.raises(KeyError):
        ops.rule_for(name)
