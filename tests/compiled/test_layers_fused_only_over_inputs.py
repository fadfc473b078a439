"""Which neurons the numpy code (``Program.evaluate`` and ``gradients``) fuses into one matrix product.

``codegen.lowering.layers`` groups linear nodes whose weights and bias are leaves and whose
inputs depend on the program's inputs (arrays, one element per sample). A group of neurons
that read only parameters computes one number, not one per sample: it must stay scalar code.
"""

from __future__ import annotations

import numpy as np

from micrograd44 import Value, linear
from micrograd44.codegen.lowering import layers
from micrograd44.compiled import capture


def two_neurons_over(shared: list[Value], x: Value, weights: list[float]) -> Value:
    """Two neurons reading ``shared`` with their own parameter weights and biases, times x."""
    first = linear([Value(w) for w in weights[:2]], shared, Value(weights[2]))
    second = linear([Value(w) for w in weights[3:5]], shared, Value(weights[5]))
    return (first + second) * x


WEIGHTS = [0.5, -1.25, 0.75, 2.0, 0.125, -3.0]


def test_neurons_over_parameters_only_are_no_layer():
    x, q = Value(1.0), [Value(0.3), Value(-0.7)]
    root = two_neurons_over(q, x, WEIGHTS)
    program = capture(root, inputs=[x], parameters=q)
    assert layers(program._tape) == []
    xs = np.array([0.5, -2.0, 3.0, 0.0, 1.5])
    expected = []
    for value in xs:
        x.data = float(value)
        expected.append(two_neurons_over(q, Value(float(value)), WEIGHTS).data)
    assert program.evaluate(xs).tolist() == expected


def test_neurons_over_nodes_computed_from_parameters_only_are_no_layer():
    x, q = Value(1.0), [Value(0.3), Value(-0.7)]
    root = two_neurons_over([q[0] * 2.0, q[1] - 0.5], x, WEIGHTS)
    program = capture(root, inputs=[x], parameters=q)
    assert layers(program._tape) == []
    xs = np.array([0.5, -2.0, 3.0])
    expected = [two_neurons_over([q[0] * 2.0, q[1] - 0.5], Value(float(a)), WEIGHTS).data for a in xs]
    assert program.evaluate(xs).tolist() == expected


def test_neurons_over_nodes_computed_from_the_inputs_are_one_layer():
    x, y = Value(1.0), Value(2.0)
    root = two_neurons_over([x.tanh(), y * 2.0], Value(1.0), WEIGHTS)
    tape = capture(root, inputs=[x, y], parameters=[])._tape
    assert layers(tape) == [[s for s in tape.ops if tape.kinds[s] == "linear"]]


def test_neurons_that_share_only_some_inputs_are_no_layer():
    x, y, z = Value(1.0), Value(2.0), Value(3.0)

    def neurons(x, y, z):
        first = linear([Value(0.5), Value(-1.25)], [x, y], Value(0.75))
        second = linear([Value(2.0), Value(0.125)], [x, z], Value(-3.0))
        return [first, second]

    program = capture(neurons(x, y, z), inputs=[x, y, z], parameters=[])
    assert layers(program._tape) == []
    columns = [np.array([0.5, -2.0]), np.array([1.0, 0.25]), np.array([-4.0, 8.0])]
    samples = list(zip(*columns))
    expected = [[neurons(*map(Value, sample))[k].data for sample in samples] for k in range(2)]
    assert [column.tolist() for column in program.evaluate(*columns)] == expected


def test_neurons_over_an_input_and_a_parameter_are_no_layer():
    x, q = Value(1.0), Value(0.3)
    root = two_neurons_over([x, q], Value(1.0), WEIGHTS)
    program = capture(root, inputs=[x], parameters=[q])
    assert layers(program._tape) == []
    xs = np.array([0.5, -2.0, 3.0])
    expected = [two_neurons_over([Value(float(a)), q], Value(1.0), WEIGHTS).data for a in xs]
    assert program.evaluate(xs).tolist() == expected


def test_neurons_whose_bias_is_computed_are_no_layer():
    x, y = Value(1.0), Value(2.0)
    bias = x * 0.5  # a bias that is an op node, one per sample
    first = linear([Value(0.5), Value(-1.25)], [x, y], bias)
    second = linear([Value(2.0), Value(0.125)], [x, y], bias)
    program = capture([first, second], inputs=[x, y], parameters=[])
    assert layers(program._tape) == []
    xs, ys = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.25, -4.0])
    expected = [[0.0 + 0.5 * a + -1.25 * b + a * 0.5 for a, b in zip(xs, ys)]]
    expected.append([0.0 + 2.0 * a + 0.125 * b + a * 0.5 for a, b in zip(xs, ys)])
    assert [column.tolist() for column in program.evaluate(xs, ys)] == expected


def test_neurons_over_the_inputs_are_one_layer_in_tape_order():
    x, y = Value(1.0), Value(2.0)
    root = two_neurons_over([x, y], Value(1.0), WEIGHTS)
    program = capture(root, inputs=[x, y], parameters=[])
    tape = program._tape
    neurons = [s for s in tape.ops if tape.kinds[s] == "linear"]
    assert layers(tape) == [neurons]
    xs, ys = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.25, -4.0])
    expected = [two_neurons_over([Value(a), Value(b)], Value(1.0), WEIGHTS).data for a, b in zip(xs, ys)]
    np.testing.assert_allclose(program.evaluate(xs, ys), expected, rtol=1e-15)


def test_every_neuron_of_a_layer_takes_its_value_from_the_one_product():
    """Each neuron of a fused layer is its row of W @ X + b as numpy computes it, from the layer's
    first neuron on: a node read between the first neuron and the others sees that row too."""
    rng = np.random.default_rng(1)
    weights, biases = rng.normal(size=(3, 3)), rng.normal(size=3)
    xs = rng.normal(size=(3, 40))
    inputs = [Value(0.0) for _ in range(3)]

    def neuron(j: int) -> Value:
        return linear([Value(float(w)) for w in weights[j]], inputs, Value(float(biases[j])))

    first = neuron(0)
    doubled = first * 2.0  # exact: twice the first neuron's value
    outputs = [doubled, first, neuron(1), neuron(2)]
    program = capture(outputs, inputs=inputs, parameters=[])
    assert len(layers(program._tape)) == 1
    product = np.matmul(weights, np.stack(list(xs))) + biases[:, None]
    expected = [(2.0 * product[0]).tolist(), *product.tolist()]
    assert [column.tolist() for column in program.evaluate(*xs)] == expected


def test_products_and_sums_of_parameters_are_no_layer():
    """Two-input ops on leaves (p * q, r + s) are no neurons, whatever their children."""
    x, p, q, r, s = Value(1.0), Value(0.5), Value(-1.5), Value(2.0), Value(0.25)

    def root_of(x: Value) -> Value:
        return x * ((p * q + r * s) + (p + q) * (r - s))

    program = capture(root_of(x), inputs=[x], parameters=[p, q, r, s])
    assert layers(program._tape) == []
    xs = np.array([0.5, -2.0, 3.0])
    assert program.evaluate(xs).tolist() == [root_of(Value(float(a))).data for a in xs]
