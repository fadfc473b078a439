"""Points for every op of the table: where the engine computes it, and where it refuses.

The op table (micrograd44.core.ops) is the only list of ops; the tests cross it with fixed
points here (domain edges, kinks, tiny and huge magnitudes, overflow) and with random ones
(test_op_table.py). Adding an op to the table adds it to every test that uses these.
"""

from __future__ import annotations

import itertools

from micrograd44 import OpError, Value, ops
from micrograd44.core.value import apply_op

# The exponents tried for the family of ops x ** n (one rule per n, made by ops.power).
EXPONENTS = (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5, -2.5)
RULES = [*ops.OPS.values(), *(ops.power(n) for n in EXPONENTS)]

# One input: kinks and domain edges (0, +-1, tiny), large magnitudes, and where exp overflows.
GRID = (-800.0, -30.0, -3.7, -1.0, -0.25, 0.0, 1e-300, 1e-3, 0.5, 1.0, 2.3, 17.0, 400.0, 710.0, 1000.0, 1e5)
# Two inputs: every pair of these (negative bases, zero, tiny and huge values).
PAIR_GRID = (-8.0, -2.0, -1.0, 0.0, 1e-300, 0.5, 1.5, 3.0, 400.0, 1e200)
# Any number of inputs (linear: weights, inputs, bias; sum: the terms).
MANY = {
    ops.LINEAR.name: [
        (0.3, -1.2, 1.0, 0.0, 0.1),
        (2.0, 0.5, -3.0, 4.0, -0.7),
        (0.0, 0.0, 0.0, 0.0, 0.0),
        (0.5, 2.0, 1.5),
        (1e300, 1.0, 1e10, 0.0, 0.0),
    ],
    ops.SUM.name: [(0.3,), (0.3, -1.2, 1.0), (1e20, 1.0, -1e20), (1e308, 1e308, -1e308), (1e308, 1e308, 0.0)],
}


def points(rule: ops.OpRule) -> list[tuple[float, ...]]:
    """Every fixed point tried for the rule."""
    if rule.arity == 1:
        return [(x,) for x in GRID]
    if rule.arity == 2:
        return list(itertools.product(PAIR_GRID, PAIR_GRID))
    return MANY[rule.name]


def computes(rule: ops.OpRule, point) -> bool:
    """True where the engine computes the op at the point; False where it raises an OpError."""
    try:
        apply_op(rule, [Value(x) for x in point])
    except OpError:
        return False
    return True


def defined(rule: ops.OpRule) -> list[tuple[float, ...]]:
    """The fixed points where the engine computes the op."""
    return [p for p in points(rule) if computes(rule, p)]


def refused(rule: ops.OpRule) -> list[tuple[float, ...]]:
    """The fixed points where the engine refuses the op (a check fails, or the result is not finite)."""
    return [p for p in points(rule) if not computes(rule, p)]
