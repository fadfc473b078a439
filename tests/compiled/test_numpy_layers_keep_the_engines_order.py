"""The numpy layers of the generated Python loops (codegen/numpy_layers.py): the engine's numbers.

Each neuron's sum adds its products left to right after a 0.0, as the engine's ``linear``
does; each input's gradient adds the neurons' contributions from the last neuron to the
first, as the engine's walk does. The layers read their weights as strided views of the
parameters, forward or backward through memory; a network with a parameter outside its
layers keeps the plain Python loops.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd44 import MLP, Value
from micrograd44.codegen.numpy_layers import LAYER_NAMESPACE, fits, input_gradients, layer_forward
from micrograd44.compiled import python_layers, trace
from micrograd44.compiled.python_layers import PythonLayersWriter, python_writer
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD

SAMPLES = [[0.3, -0.7, 0.5], [-1.2, 0.4, -0.5], [0.8, 0.1, 1.0]]
STEPS = [0, 2, 1, 1, 0, 2]


def bits(values) -> list[str]:
    return [float(v).hex() for v in values]


def test_a_neurons_sum_of_negative_zeros_starts_from_zero():
    weights = np.array([[-1.0, -2.0], [1.0, 2.0]])
    out = layer_forward(weights, np.array([0.0, 0.0]), np.array([-0.0, -0.0]))
    assert [math.copysign(1.0, v) for v in out] == [1.0, 1.0]
    assert out == [0.0, 0.0]


def test_a_neurons_sum_adds_left_to_right():
    weights = np.array([[1.0, 1e16, -1e16, 3.0]])
    inputs = np.array([1.0, 1.0, 1.0, 1.0])
    # ((((0 + 1) + 1e16) - 1e16) + 3) + 0.5 = 3.5: the 1 is lost in 1e16
    assert layer_forward(weights, inputs, np.array([0.5])) == [3.5]


def test_an_inputs_gradient_adds_the_neurons_from_the_last_to_the_first():
    weights = np.array([[1.0, 2.0], [1e16, 1.0], [-1e16, 0.0]])
    upstream = np.array([1.0, 1.0, 1.0])
    # input 0: (-1e16 + 1e16) + 1 = 1 from the last neuron; the first neuron first would give 0
    assert input_gradients(weights, upstream) == [1.0, 3.0]


def test_rows_reads_strided_views_either_way_through_memory():
    rows = LAYER_NAMESPACE["rows"]
    data = np.arange(12.0)
    assert rows(data, 0, 4, 3, 3).tolist() == [[0.0, 1.0, 2.0], [4.0, 5.0, 6.0], [8.0, 9.0, 10.0]]
    assert rows(data, 8, -4, 3, 3).tolist() == [[8.0, 9.0, 10.0], [4.0, 5.0, 6.0], [0.0, 1.0, 2.0]]
    view = rows(data, 1, 4, 2, 2)
    view[1, 0] = -1.0  # a view: writes reach the parameters
    assert data[5] == -1.0


def neurons_reversed(model: MLP, scale: Value) -> list:
    """Every layer's neurons in reverse: each neuron's weights then its bias, at a negative stride."""
    return [p for layer in model.layers for neuron in reversed(layer.neurons) for p in neuron.parameters()]


def in_order(model: MLP, scale: Value) -> list:
    return model.parameters()


def with_a_scale(model: MLP, scale: Value) -> list:
    """The network's parameters and the scale of its output, which belongs to no layer."""
    return [*model.parameters(), scale]


def bias_first(model: MLP, scale: Value) -> list:
    """Each neuron's bias, then its weights: the weights are consecutive, the bias does not follow them."""
    return [p for layer in model.layers for neuron in layer.neurons for p in (neuron.b, *neuron.w)]


def layers_interleaved(model: MLP, scale: Value) -> list:
    """The two hidden layers' neurons taken in turns (one of the first, one of the second, ...): within
    each layer the neurons are evenly spaced, with a gap of the other layer's neuron between them."""
    first, second, last = model.layers
    turns = [n for pair in zip(first.neurons, second.neurons) for n in pair]
    return [*(p for neuron in turns for p in neuron.parameters()), *last.parameters()]


def run(engine: str, order, monkeypatch) -> tuple[list[str], list[str]]:
    """Training on the engine (numpy layers wherever they fit): the losses, parameters and grads."""
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0)
    model, scale = MLP(2, [2, 2, 1], activation="tanh", seed=8), Value(1.5)
    parameters = order(model, scale)  # a scale left out is a constant

    def loss(x, y, t):
        return mse_loss(model([x, y]) * scale, t)

    optimizer = SGD(parameters, lr=0.1, momentum=0.5)
    if engine == "eager":
        losses = []
        for i in STEPS:
            optimizer.zero_grad()
            value = loss(*(Value(v) for v in SAMPLES[i]))
            value.backward()
            optimizer.step()
            losses.append(value.data)
    else:
        program = trace(loss, (0.0, 0.0, 0.0), parameters=parameters)
        losses = program.training_loop(optimizer, engine).single_sample(SAMPLES, STEPS)
    return bits(losses), bits([*(p.data for p in parameters), *(p.grad for p in parameters)])


@pytest.mark.parametrize("order", [in_order, neurons_reversed, with_a_scale, bias_first, layers_interleaved])
def test_the_numpy_layers_train_as_eager_with_any_layout(order, monkeypatch):
    assert run("python", order, monkeypatch) == run("eager", order, monkeypatch)


def test_only_a_network_whose_every_parameter_is_in_a_layer_laid_out_as_a_networks_fits():
    model, scale = MLP(2, [2, 2, 1], activation="tanh", seed=8), Value(1.5)
    fitting = {}
    for order in (in_order, neurons_reversed, with_a_scale, bias_first, layers_interleaved):
        program = trace(lambda x, y: model([x, y]) * scale, (0.0, 0.0), parameters=order(model, scale))
        fitting[order.__name__] = fits(program._tape)
    assert fitting == {
        "in_order": True,
        "neurons_reversed": True,
        "with_a_scale": False,
        "bias_first": False,
        "layers_interleaved": True,
    }
    net = trace(lambda x, y: model([x, y]), (0.0, 0.0), parameters=model)
    assert isinstance(python_writer(net._tape), PythonLayersWriter) is False  # too few parameters


def one_input_network() -> MLP:
    return MLP(1, [2, 2, 1], activation="tanh", seed=4)


def neurons_nested(model: MLP) -> list:
    """Each neuron of the second layer holds a neuron of the first between its weights and its bias."""
    first, second, last = model.layers
    nested = [p for a, b in zip(first.neurons, second.neurons) for p in (*b.w, *a.parameters(), b.b)]
    return [*nested, *last.parameters()]


def test_a_layer_whose_biases_do_not_follow_their_weights_does_not_fit():
    model = one_input_network()
    for order, expected in ((model.parameters, True), (lambda: neurons_nested(model), False)):
        program = trace(lambda x: model([x]), (0.0,), parameters=order())
        assert fits(program._tape) is expected
    lone = MLP(1, [1], seed=1)  # one neuron of one input
    assert fits(trace(lambda x: lone([x]), (0.0,), parameters=lone)._tape) is True


def one_input_loss(model: MLP):
    return lambda x, t: mse_loss(model([x]), t)


def test_layers_of_one_input_train_as_eager(monkeypatch):
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0)
    results = []
    for engine in ("eager", "python"):
        model = one_input_network()
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.5)
        if engine == "eager":
            losses = []
            for i in STEPS:
                optimizer.zero_grad()
                value = mse_loss(model([Value(SAMPLES[i][0])]), SAMPLES[i][2])
                value.backward()
                optimizer.step()
                losses.append(value.data)
        else:
            program = trace(one_input_loss(model), (0.0, 0.0), parameters=model)
            assert isinstance(python_writer(program._tape), PythonLayersWriter)
            rows = [[sample[0], sample[2]] for sample in SAMPLES]
            losses = program.training_loop(optimizer, engine).single_sample(rows, STEPS)
        results.append((bits(losses), bits(p.data for p in model.parameters())))
    assert results[0] == results[1]
