"""One backward pass into a ``.grad`` that is not 0.0, on every engine: eager's bits.

Eager's ``backward()`` sums each leaf's gradient of the call from 0.0, then adds it to the
leaf's ``.grad`` in one addition; a leaf the root does not reach keeps its ``.grad``.
``Program.backward`` (generated Python, C) promises exactly that. Each fixed graph below has
a parameter whose gradient the order of those additions changes, under ``.grad`` preset to
0.0, -0.0, 1.0 or 1e300: several contributions smaller than half an ulp of 1.0, a -0.0
contribution, edges masked always or by the data, a layer of neurons (loops in C), and a
parameter only another output reads.
"""

from __future__ import annotations

import pytest
from compilers import BACKENDS

from micrograd44 import MLP, Value, linear, sum_values
from micrograd44.compiled import capture

PRESETS = {"0": 0.0, "-0": -0.0, "1": 1.0, "1e300": 1e300}


def bits(values) -> list[str]:
    """Each float's exact bits, so that -0.0 and 0.0 differ."""
    return [float(v).hex() for v in values]


def used_twice(x: Value, y: Value):
    """w * x + w * y: w's gradient of the call is x + y, one rounding; into a .grad of 1.0, another."""
    w = Value(1.0)
    return [w * x + w * y], [w]


def shared_by_three_neurons(x: Value, y: Value):
    """One weight w in three neurons: its gradient is three terms of about x each."""
    w, others = Value(0.5), [Value(0.25), Value(-1.5), Value(2.0)]
    biases = [Value(0.1), Value(-0.2), Value(0.3)]
    neurons = [linear([w, v], [x, y], b).tanh() for v, b in zip(others, biases)]
    return [sum_values(neurons)], [w, *others, *biases]


def masked_neuron(x: Value, y: Value):
    """relu of a neuron below 0: the weight of the negative input gets 0.0 * -0.7 = -0.0."""
    w, b = [Value(0.5), Value(2.0)], Value(-5.0)
    return [linear(w, [x, y], b).relu() * 3.0], [*w, b]


def reached_only_along_masked_edges(x: Value, y: Value):
    """r ** 0 passes nothing back, and relu(q * y) with q * y < 0 nothing either: r's and q's
    gradients are 0.0, yet the root reaches them, so eager adds 0.0 to their .grad."""
    r, q, s = Value(0.8), Value(1.5), Value(-2.0)
    return [x * r**0 + (q * y).relu() + s * x], [r, q, s]


def layer_of_six(x: Value, y: Value):
    """A network's layer of six neurons (loops in C) with x = -0.0: every weight of x gets -0.0 times
    its neuron's gradient."""
    model = MLP(2, [6, 1], activation="tanh", seed=7)
    return [model([x, y])], model.parameters()


def another_outputs_parameter(x: Value, y: Value):
    """q is read only by a second output: root.backward() does not reach it, so its .grad stays."""
    w, q = Value(0.75), Value(-1.25)
    return [w * x * y, q * x], [w, q]


# (the graph, the inputs' values)
GRAPHS = {
    "w * x + w * y": (used_twice, [1e-16, 1e-16]),
    "a weight shared by three neurons": (shared_by_three_neurons, [1e-16, 0.5]),
    "relu of a neuron below 0": (masked_neuron, [0.3, -0.7]),
    "reached only along masked edges": (reached_only_along_masked_edges, [0.5, -1.0]),
    "a layer of six neurons, x = -0": (layer_of_six, [-0.0, 0.5]),
    "a parameter of another output": (another_outputs_parameter, [-0.0, 2.0]),
}


def one_backward(engine: str, graph: str, preset: float) -> tuple[list[str], list[str]]:
    """The outputs and every parameter's .grad after one backward pass on the engine."""
    make, values = GRAPHS[graph]
    leaves = [Value(v) for v in values]
    outputs, parameters = make(*leaves)
    for p in parameters:
        p.grad = preset
    if engine == "eager":
        outputs[0].backward()
        results = [v.data for v in outputs]
    else:
        program = capture(outputs, leaves, parameters)
        program = program.c_program() if engine == "c" else program
        results = program.backward(*values)
        results = results if isinstance(results, tuple) else [results]
    return bits(results), bits(p.grad for p in parameters)


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("preset", PRESETS.values(), ids=PRESETS.keys())
@pytest.mark.parametrize("graph", GRAPHS)
def test_one_backward_into_preset_grads_gives_eagers_bits(graph, preset, engine):
    assert one_backward(engine, graph, preset) == one_backward("eager", graph, preset)


@pytest.mark.parametrize("engine", BACKENDS)
def test_the_call_is_summed_before_it_reaches_the_grad(engine):
    """1.0 + (1e-16 + 1e-16) is the float after 1.0; adding each 1e-16 in turn stays at 1.0."""
    _, (grad,) = one_backward(engine, "w * x + w * y", 1.0)
    assert grad == (1.0 + 2e-16).hex() != (1.0).hex()


@pytest.mark.parametrize("engine", BACKENDS)
def test_a_negative_zero_grad_reached_by_the_root_becomes_zero_and_one_not_reached_stays(engine):
    _, grads = one_backward(engine, "reached only along masked edges", -0.0)
    assert grads[:2] == [(0.0).hex(), (0.0).hex()]
    _, (_, q_grad) = one_backward(engine, "a parameter of another output", -0.0)
    assert q_grad == (-0.0).hex()


@pytest.mark.parametrize("engine", BACKENDS)
def test_two_calls_add_twice_one_calls_gradient(engine):
    """From a .grad of 0.0, two calls give exactly twice what one call gives (eager's promise)."""
    make, values = GRAPHS["a weight shared by three neurons"]
    leaves = [Value(v) for v in values]
    outputs, parameters = make(*leaves)
    program = capture(outputs, leaves, parameters)
    program = program.c_program() if engine == "c" else program
    program.backward(*values)
    once = [p.grad for p in parameters]
    program.backward(*values)
    assert bits(p.grad for p in parameters) == bits(2 * g for g in once)
