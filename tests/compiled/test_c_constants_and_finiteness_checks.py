"""C programs (codegen/c.py) against eager: every constant exactly, every overflow caught.

A constant prints as an exact C double (a decimal integer, a hexadecimal float, a negative
one in parentheses), so the C program computes with eager's number. The forward pass ends
with one test that every value is finite (``c_all_finite``); where one is not, the program
replays the step with the engine, which raises its own error: whichever value overflows,
among many.
"""

from __future__ import annotations

import pytest
from compilers import needs_compiler

from micrograd44 import OpError, Value, sum_values
from micrograd44.compiled import capture

pytestmark = needs_compiler

CONSTANTS = [0.1, -0.5, -3.0, 2.0**53, 2.0**53 + 2.0, -(2.0**60) - 512.0, 1e300, -1e-310, 5e-324, -0.0, 1 / 3]


def bits(values) -> list[str]:
    return [float(v).hex() for v in values]


def with_constant(x: Value, c: float) -> list[Value]:
    """A few nodes that read the constant c (a leaf outside inputs and parameters) as they are."""
    k = Value(c)
    return [x * k, x - k, -k + x, k * 0.5 + x, (x + k) * -1.0]


@pytest.mark.parametrize("c", CONSTANTS, ids=repr)
def test_a_constant_is_eagers_number_in_c(c):
    x = Value(0.75)
    program = capture(with_constant(x, c), inputs=[x]).c_program()
    for at in (0.75, -2.5, 1e-300):
        expected = [v.data for v in with_constant(Value(at), c)]
        assert bits(program(at)) == bits(expected), at


def many_exponentials(x: Value, n: int = 11) -> Value:
    """sum_k tanh(exp(x * k)): exp(x * k) overflows from some k on, while tanh keeps the sum finite."""
    return sum_values([(x * float(k)).exp().tanh() for k in range(1, n + 1)])


@pytest.mark.parametrize("k", range(1, 12))
def test_an_overflow_of_any_value_makes_the_c_program_raise(k):
    x = Value(0.5)
    program = capture(many_exponentials(x), inputs=[x]).c_program()
    at = 720.0 / k  # exp(x * j) overflows for j >= k only (exp overflows past 709.78)
    with pytest.raises(OpError):
        many_exponentials(Value(at))
    with pytest.raises(OpError):
        program(at)
    assert program(0.01) == many_exponentials(Value(0.01)).data
