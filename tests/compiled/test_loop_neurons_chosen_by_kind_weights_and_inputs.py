"""Which nodes the C loops take as neurons, and which neurons share a loop: eager's numbers either way.

codegen/loops.py prints a ``linear`` node as a loop only when its weights are consecutive
parameters that nothing else reads and its bias is such a parameter too; neurons reading the
same inputs share one loop only when their inputs are distinct. Each graph here sits just
outside one of those conditions (an op of another kind over consecutive parameters, a
neuron without weights, a neuron whose last weights are not its own parameters, neurons
reading one input twice) and is compared with eager, output and parameter gradients, by
their bits. The layers ``find_layers`` returns come in the tape's order of their first neurons.
"""

from __future__ import annotations

import random

import pytest
from compilers import needs_compiler

from micrograd44 import Value, linear, sum_values
from micrograd44.codegen.loops import find_layers
from micrograd44.compiled import trace

pytestmark = needs_compiler


def bits(values) -> list[str]:
    """Each float's exact bits, so that -0.0 and 0.0 differ."""
    return [float(v).hex() for v in values]


def sum_and_add_of_parameters(p, x):
    """A sum over [p0, x, p1] and p2 + p3: ops other than linear, over consecutive parameters used once."""
    return sum_values([p[0], x, p[1]]) * (p[2] + p[3]) + (p[4] * p[5]) * x


def neuron_without_weights(p, x):
    """linear([], [], b): a neuron of no weights, beside one of two."""
    return linear([], [], p[0]) + linear(p[1:3], [x, x * x], p[3]).tanh()


def last_weights_not_own_parameters(p, x):
    """Neurons whose first weights are consecutive parameters but whose later ones are not."""
    shared = linear([p[0], p[1], p[2], p[3] * 1.5], [x, x + 1.0, x * x, x - 2.0], p[4])
    again = linear([p[5], p[6], p[7], p[8]], [x, x * 3.0, x - 1.0, x + 0.5], p[9])
    return shared.tanh() * again


def one_input_read_twice(p, x):
    """Two neurons (then a third) each reading the same hidden value twice."""
    h = (p[0] * x).tanh()
    g = (p[1] * x).sin()
    first = linear(p[2:4], [h, h], p[4])
    second = linear(p[5:7], [h, h], p[7])
    third = linear(p[8:11], [g, h, g], p[11])
    return (first * second - third).tanh()


GRAPHS = {
    "sum and + over parameters": (sum_and_add_of_parameters, 6),
    "a neuron without weights": (neuron_without_weights, 4),
    "last weights not the neuron's own": (last_weights_not_own_parameters, 10),
    "one input read twice": (one_input_read_twice, 12),
}


def parameters(count: int, seed: int) -> list[Value]:
    rng = random.Random(seed)
    return [Value(rng.uniform(-1.5, 1.5), label=f"p{k}") for k in range(count)]


def tape_of(graph: str):
    make, count = GRAPHS[graph]
    p = parameters(count, 0)
    return trace(lambda v: make(p, v), (0.0,), parameters=p)._tape


def eager(graph: str, seed: int, x: float) -> tuple[list[str], list[str]]:
    make, count = GRAPHS[graph]
    p = parameters(count, seed)
    root = make(p, Value(x))
    root.backward()
    return bits([root.data]), bits(q.grad for q in p)


def in_c(graph: str, seed: int, x: float) -> tuple[list[str], list[str]]:
    make, count = GRAPHS[graph]
    p = parameters(count, seed)
    program = trace(lambda v: make(p, v), (0.0,), parameters=p).c_program()
    return bits([program.backward(x)]), bits(q.grad for q in p)


@pytest.mark.parametrize("graph", GRAPHS)
def test_the_c_loops_give_eagers_output_and_gradients(graph):
    for seed in range(12):
        x = random.Random(100 + seed).uniform(-2.0, 2.0)
        assert in_c(graph, seed, x) == eager(graph, seed, x), (graph, seed)


def test_the_loops_taken_for_each_graph():
    """Only linear nodes over their own consecutive parameters are loops; repeated inputs split a layer."""
    expected = {
        "sum and + over parameters": [],
        "a neuron without weights": [1],
        "last weights not the neuron's own": [1],
        "one input read twice": [1, 1, 1],
    }
    for graph in GRAPHS:
        assert [len(layer.nodes) for layer in find_layers(tape_of(graph))] == expected[graph], graph


def test_layers_come_in_the_order_of_their_first_neurons():
    """Neurons a and c read x and y and form one layer; b, between them, reads z and w: [a, c], then [b]."""
    p = parameters(9, 1)

    def loss(x, y, z, w):
        a = linear(p[0:2], [x, y], p[2])
        b = linear(p[3:5], [z, w], p[5])
        c = linear(p[6:8], [x, y], p[8])
        return a * b + c

    tape = trace(loss, (0.0, 0.0, 0.0, 0.0), parameters=p)._tape
    layers = find_layers(tape)
    assert [len(layer.nodes) for layer in layers] == [2, 1]
    assert [layer.nodes[0] for layer in layers] == sorted(layer.nodes[0] for layer in layers)
    assert layers[0].nodes[-1] > layers[1].nodes[-1]
