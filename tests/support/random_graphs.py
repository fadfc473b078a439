"""Random graphs over every op of the table, and how tests compare their numbers.

A graph is drawn as (leaf values, steps), each step an op and the indices of its operands
among the nodes so far: shared sub-expressions, a node used twice by one op, kinks, zero
and infinite slopes, points at the edges of each domain.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from op_points import RULES

from micrograd44 import OpError, Value, ops
from micrograd44.compiled import capture
from micrograd44.core.value import apply_op, topological_order

TOLERANCE = 1e-12
BOUND = 1e3  # the largest node of the graphs compared with other libraries (see build)


# Leaf values: the edges of the domains and kinks (0, +-1, tiny, large) and ordinary numbers.
# Not -0.0: PyTorch computes x ** -0.5 as 1 / sqrt(x), -inf at -0.0 where IEEE pow gives +inf
# (a -0.0 made inside a graph is left out by differs_from_pytorch_by_design).
SPECIAL = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-300, -1e-300, 1e-8, 20.0, -20.0, 700.0, 3e-308)
LEAVES = st.one_of(st.sampled_from(SPECIAL), st.floats(-3.0, 3.0, allow_nan=False).map(lambda x: x + 0.0))

DAG_SETTINGS = settings(
    max_examples=400,
    deadline=None,  # the machine is shared: timing says nothing about correctness
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def arity_of(rule: ops.OpRule, data) -> int:
    """How many operands a node of the rule takes (drawn for linear and sum)."""
    if rule.arity is not None:
        return rule.arity
    if rule is ops.LINEAR:
        return 2 * data.draw(st.integers(1, 2)) + 1
    return data.draw(st.integers(1, 4))


@st.composite
def dags(draw):
    """(leaf values, steps): each step an op and the indices of its operands among the nodes so far."""
    leaves = draw(st.lists(LEAVES, min_size=1, max_size=3))
    steps = []
    for _ in range(draw(st.integers(1, 7))):
        rule = draw(st.sampled_from(RULES))
        n = arity_of(rule, draw(st.data()))
        last = len(leaves) + len(steps) - 1
        steps.append((rule, draw(st.lists(st.integers(0, last), min_size=n, max_size=n))))
    unused = set(range(len(leaves) + len(steps))) - {i for _, operands in steps for i in operands}
    if len(unused) > 1:  # every node counts: the root sums the ones nothing else reads
        steps.append((ops.SUM, sorted(unused)))
    return leaves, steps


def build(leaf_values, steps, bound: float = math.inf) -> tuple[Value, list[Value]]:
    """(root, leaves) of the DAG, built by the engine; hypothesis rejects points where it raises.

    With a bound, it also rejects graphs with a node larger than that: two libraries that
    both round correctly to 1e-16 can differ in sin(1e115) by everything, because a
    one-ulp difference in the argument is a large angle (the problem, not the code, is
    ill-conditioned there).
    """
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(leaf_values)]
    nodes = list(leaves)
    try:
        for rule, operands in steps:
            nodes.append(apply_op(rule, [nodes[i] for i in operands]))
    except OpError:
        assume(False)
    assume(all(abs(node.data) <= bound for node in nodes))
    return nodes[-1], leaves


def same_bits(a: float, b: float) -> bool:
    """Equal floats, nan equal to nan (0.0 and -0.0 count as equal)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def scale_of(numbers) -> float:
    """The largest finite magnitude among the numbers, at least 1."""
    return max([1.0, *(abs(x) for x in numbers if math.isfinite(x))])


def close(got: float, expected: float, scale: float) -> bool:
    """got equals expected within TOLERANCE of the graph's scale; inf and nan must match exactly."""
    if not (math.isfinite(got) and math.isfinite(expected)):
        return same_bits(got, expected)
    return abs(got - expected) <= TOLERANCE * max(abs(expected), scale)


def assert_replay_equals_eager_bit_for_bit(dag, replay) -> None:
    """Every value and every leaf gradient of ``replay(program)`` equal eager's bit for bit.

    ``replay`` turns a compiled Program into what is tested: the program itself, or its C
    twin (``Program.c_program``).
    """
    root, leaves = build(*dag)
    interior = topological_order(root, leaves=False)
    root.backward()
    eager_grads = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0

    values = replay(capture(interior, inputs=[], parameters=leaves))()
    values = values if isinstance(values, tuple) else (values,)
    assert all(same_bits(v, node.data) for v, node in zip(values, interior))
    replay(capture(root, inputs=[], parameters=leaves)).backward()
    assert [same_bits(leaf.grad, g) for leaf, g in zip(leaves, eager_grads)] == [True] * len(leaves)
