"""The helpers the C prelude adds to libm (sign, sigmoid, softplus) give the engine's numbers bit for bit.

Each helper restates a function of the float vocabulary (ops.sign, ops.sigmoid,
ops.softplus) in C, with the same branches; both call the same libm exp and log1p. On a
fine grid over the branch points and far out, eager and C agree to the last bit, zeros'
signs included.
"""

from __future__ import annotations

import math

import pytest
from compilers import needs_compiler

from micrograd44 import Value
from micrograd44.compiled import capture

# every multiple of 1/64 in [-4, 4] (both sides of each branch at 0), and far out
GRID = [i / 64 for i in range(-256, 257)] + [-0.0, 5e-324, -5e-324, -40.0, 40.0, -745.0, 745.0, 1e300, -1e300]


def bits(x: float) -> tuple[float, float]:
    """x with the sign of its zero."""
    return x, math.copysign(1.0, x)


@needs_compiler
@pytest.mark.parametrize("method", ["sigmoid", "softplus", "abs"])
def test_the_c_helper_gives_the_engines_value_and_slope_bit_for_bit(method):
    p = Value(0.0)
    program = capture(getattr(p, method)(), inputs=[], parameters=[p]).c_program()
    for point in GRID:
        leaf = Value(point)
        out = getattr(leaf, method)()
        out.backward()
        p.data, p.grad = point, 0.0
        value = program.backward()
        assert [bits(value), bits(p.grad)] == [bits(out.data), bits(leaf.grad)], point
