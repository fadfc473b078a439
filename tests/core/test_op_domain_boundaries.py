"""Every op's domain boundary, found from the op table and PyTorch, raises the error its check names.

For every op of the table (and the ops x ** n) the boundaries are found, not listed: along
lines through the fixed points of tests/support/op_points.py, bisection down to two
neighbouring floats where PyTorch float64's value of the op turns from finite to inf or
nan (log at 0, log1p at -1, sqrt just below 0, x / 0, 0 ** negative, a negative base to a
non-integer power, and the overflows). On the finite side every check holds and the engine
computes PyTorch's number (to a few units in the last place); on the other side it raises
the error of the check that fails there (DomainError, DivisionByZeroError), or
OverflowValueError where none fails. Inside a region that is not finite (0 ** -1 sits
between two overflows), the error is the one Python's own float arithmetic implies.
"""

from __future__ import annotations

import math
import struct

import pytest
from op_points import EXPONENTS, GRID, PAIR_GRID, points
from torch_functions import torch_value

from micrograd44 import OpError, Value
from micrograd44.compiled import capture
from micrograd44.core import ops
from micrograd44.core.errors import DivisionByZeroError, DomainError, OverflowValueError
from micrograd44.core.value import apply_op

# the ops of one and two inputs (linear and sum have no checks: every real input is in their domain)
RULES = [rule for rule in ops.OPS.values() if rule.arity in (1, 2)] + [ops.power(n) for n in EXPONENTS]
# the points a line runs through: the fixed grid, and the zeros and smallest floats of both signs
LINE = sorted({*GRID, *PAIR_GRID, -0.0, 5e-324, -5e-324, -1.0 - 2.0**-52, 2.0, 2.5})


def ordered(x: float) -> int:
    """x's position among the floats: neighbouring floats are neighbouring integers (-0.0 is 0.0's)."""
    (bits,) = struct.unpack("<q", struct.pack("<d", x))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def from_ordered(n: int) -> float:
    """The float at position n (the inverse of ``ordered``)."""
    bits = n if n >= 0 else (-n) | -0x8000000000000000
    return struct.unpack("<d", struct.pack("<q", bits))[0]


def pytorch(rule: ops.OpRule, point) -> float:
    """PyTorch float64's value of the op at the point, by its own function (not the table's formula)."""
    return torch_value(rule, point)


def finite_in_pytorch(rule, point) -> bool:
    return math.isfinite(pytorch(rule, point))


def boundaries(rule: ops.OpRule) -> list[tuple[tuple, tuple]]:
    """(finite point, neighbouring point where PyTorch is not finite) pairs along lines through the grid."""
    if rule.arity == 1:
        lines = [lambda t: (t,)]
    else:
        lines = [*(lambda t, y=y: (t, y) for y in PAIR_GRID), *(lambda t, x=x: (x, t) for x in PAIR_GRID)]
    found = set()
    for line in lines:
        for a, b in zip(LINE, LINE[1:]):
            lo, hi = ordered(a), ordered(b)
            if finite_in_pytorch(rule, line(a)) == finite_in_pytorch(rule, line(b)):
                continue
            lo_finite = finite_in_pytorch(rule, line(a))
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if finite_in_pytorch(rule, line(from_ordered(mid))) == lo_finite:
                    lo = mid
                else:
                    hi = mid
            inside, outside = (lo, hi) if lo_finite else (hi, lo)
            found.add((line(from_ordered(inside)), line(from_ordered(outside))))
    return sorted(found)


BOUNDARIES = {rule.name: boundaries(rule) for rule in RULES}
RULE_BY_NAME = {rule.name: rule for rule in RULES}


def failing_checks(rule, point) -> list[ops.Check]:
    return [check for check in rule.checks if not check.ok(ops.FLOATS, *point)]


def test_the_known_edges_are_among_the_boundaries_found():
    edges = {name: {outside for _, outside in found} for name, found in BOUNDARIES.items()}
    assert (0.0,) in edges["log"] and (-1.0,) in edges["log1p"] and (-5e-324,) in edges["sqrt"]
    assert (
        (1e-300, 0.0) in edges["/"]
        and (0.0, -5e-324) in edges["**"]
        and (-8.0, 2.0 + 2.0**-51) in edges["**"]
    )
    assert (-5e-324,) in edges["**0.5"] and (0.0,) in edges["**-0.5"]
    checked = {rule.name for rule in RULES if rule.checks}
    assert checked <= {name for name, found in BOUNDARIES.items() if found}


@pytest.mark.parametrize("name", [name for name, found in BOUNDARIES.items() if found])
def test_inside_every_check_holds_and_the_engine_computes_pytorchs_number(name):
    rule = RULE_BY_NAME[name]
    for inside, _ in BOUNDARIES[name]:
        assert failing_checks(rule, inside) == [], inside
        data = apply_op(rule, [Value(x) for x in inside]).data
        assert math.isclose(data, pytorch(rule, inside), rel_tol=1e-15, abs_tol=0.0), inside


@pytest.mark.parametrize("name", [name for name, found in BOUNDARIES.items() if found])
def test_outside_the_engine_raises_the_error_of_the_failing_check(name):
    rule = RULE_BY_NAME[name]
    for _, outside in BOUNDARIES[name]:
        failing = failing_checks(rule, outside)
        expected = failing[0].error if failing else OverflowValueError
        with pytest.raises(OpError) as raised:
            apply_op(rule, [Value(x) for x in outside])
        assert type(raised.value) is expected, outside
        # where PyTorch's value is nan, the input is outside the op's domain: a check says so
        assert failing or not math.isnan(pytorch(rule, outside)), outside


@pytest.mark.parametrize("name", [name for name, found in BOUNDARIES.items() if found])
def test_the_compiled_program_raises_the_same_error_across_the_boundary(name):
    rule = RULE_BY_NAME[name]
    for inside, outside in BOUNDARIES[name]:
        leaves = [Value(x) for x in inside]
        program = capture(apply_op(rule, leaves), inputs=[], parameters=leaves)
        assert program() == apply_op(rule, [Value(x) for x in inside]).data
        for leaf, x in zip(leaves, outside):
            leaf.data = x
        with pytest.raises(OpError) as raised:
            program()
        failing = failing_checks(rule, outside)
        assert type(raised.value) is (failing[0].error if failing else OverflowValueError), outside


def python_says(rule: ops.OpRule, point) -> type:
    """The error Python's own float arithmetic implies at a point: a pole, a domain error or an overflow.

    0 ** -1 and x / 0 raise ZeroDivisionError (a pole); math.log(0) and math.sqrt(-1) raise
    ValueError, and a negative base to a fractional power is complex (outside the domain);
    math.exp(710) raises OverflowError, and an inf result is an overflow too.
    """
    try:
        value = rule.forward(ops.FLOATS, *point)
    except ZeroDivisionError:
        return DivisionByZeroError
    except ValueError:
        return DomainError
    except OverflowError:
        return OverflowValueError
    if isinstance(value, complex):
        return DomainError
    return OverflowValueError if math.isinf(value) else type(None)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_where_pytorch_is_not_finite_the_error_is_what_python_float_arithmetic_says(rule):
    refused = [point for point in points(rule) if not finite_in_pytorch(rule, point)]
    for point in refused:
        with pytest.raises(OpError) as raised:
            apply_op(rule, [Value(x) for x in point])
        assert type(raised.value) is python_says(rule, point), point


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_where_pytorch_is_finite_every_check_holds_and_the_engine_computes(rule):
    for point in points(rule):
        if finite_in_pytorch(rule, point):
            assert failing_checks(rule, point) == [], point
            assert math.isclose(
                apply_op(rule, [Value(x) for x in point]).data,
                pytorch(rule, point),
                rel_tol=1e-15,
                abs_tol=0.0,
            ), point
