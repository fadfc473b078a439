"""Layers of any width on the compiled loops (C loops, numpy layers): eager's numbers, bit for bit.

The C loops take the neurons of a layer four at a time, then one at a time for the rest
(codegen/loops.py), forward and backward; the widths 4, 5, 6, 7, 9 and 17 reach every split of a
layer between the two. A layer whose output only some neurons reach takes, backward, only
those neurons, in an order that is no longer evenly spaced, and the others' gradients are
0.0. Every loss, gradient and parameter is compared with eager's by its bits.
"""

from __future__ import annotations

import pytest
from compilers import BACKENDS, needs_compiler
from eager_steps import eager_losses
from parameter_orders import neurons_shuffled

from micrograd44 import MLP, Value, linear
from micrograd44.codegen.loops import find_layers
from micrograd44.compiled import capture, python_layers, trace
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD

SAMPLES = [[0.3, -0.7, 1.1, 0.5], [-1.2, 0.4, 0.9, -0.5], [0.8, 0.1, -0.6, 1.0]]
STEPS = [0, 2, 1, 1, 0, 2, 2, 0]
WIDTHS = [9, 4, 17, 6, 7, 5]


def bits(values) -> list[str]:
    """Each float's exact bits, so that -0.0 and 0.0 differ."""
    return [float(v).hex() for v in values]


def network() -> MLP:
    return MLP(3, [*WIDTHS, 1], activation="tanh", seed=11)


def some_neurons(model: MLP):
    """A loss that reads neurons 0, 2, 3 and 5 of a layer of seven, and the other neurons as outputs
    of their own: they are on the tape, but backward from the loss reaches none of them."""
    (layer,) = model.layers

    def loss(x, y, z, t):
        hidden = layer([x, y, z])
        return [
            mse_loss(hidden[0] * hidden[5] + hidden[3] - hidden[2] * 0.5, t),
            *hidden[4:5],
            *hidden[1:2],
            hidden[6],
        ]

    return loss


def plain(model: MLP):
    return lambda x, y, z, t: [mse_loss(model([x, y, z]), t)]


def root_of(make_loss, model: MLP):
    """The loss alone (the first output), for eager."""
    loss = make_loss(model)
    return lambda *values: loss(*values)[0]


def in_order(model: MLP) -> list:
    return model.parameters()


# (the model, the loss of model and sample, the parameters in the program's order)
GRAPHS = {
    "widths 9, 4, 17, 6, 7, 5": (network, plain, in_order),
    "neurons 0, 2, 3, 5 of 7": (lambda: MLP(3, [7], activation="tanh", seed=3), some_neurons, in_order),
    "16, 16, then 3 shuffled": (
        lambda: MLP(3, [16, 16, 3, 1], activation="tanh", seed=5),
        plain,
        neurons_shuffled,
    ),
}


def eager_run(graph: str, full_batch: bool) -> tuple[list[str], list[str]]:
    make_model, make_loss, order = GRAPHS[graph]
    model = make_model()
    loss = root_of(make_loss, model)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = eager_losses(loss, optimizer, SAMPLES, range(6) if full_batch else STEPS, full_batch)
    return bits(losses), bits([*(p.data for p in model.parameters()), *(p.grad for p in model.parameters())])


def compiled_run(graph: str, full_batch: bool, backend: str) -> tuple[list[str], list[str]]:
    make_model, make_loss, order = GRAPHS[graph]
    model = make_model()
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    program = trace(make_loss(model), (0.0, 0.0, 0.0, 0.0), parameters=order(model))
    loop = program.training_loop(optimizer, backend)
    losses = loop.full_batch(SAMPLES, 6) if full_batch else loop.single_sample(SAMPLES, STEPS)
    return bits(losses), bits([*(p.data for p in model.parameters()), *(p.grad for p in model.parameters())])


def test_the_layers_are_loops_of_those_widths():
    sizes_of = {
        "widths 9, 4, 17, 6, 7, 5": [*WIDTHS, 1],
        "neurons 0, 2, 3, 5 of 7": [7],
        "16, 16, then 3 shuffled": [16, 16, 3, 1],
    }
    for graph, sizes in sizes_of.items():
        make_model, make_loss, order = GRAPHS[graph]
        model = make_model()
        program = trace(make_loss(model), (0.0, 0.0, 0.0, 0.0), parameters=order(model))
        assert [len(layer.nodes) for layer in find_layers(program._tape)] == sizes


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("full_batch", [False, True], ids=["single sample", "full batch"])
@pytest.mark.parametrize("graph", GRAPHS)
def test_training_on_layers_of_any_width_is_eager_bit_for_bit(graph, full_batch, backend, monkeypatch):
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0)  # numpy layers wherever they fit
    assert compiled_run(graph, full_batch, backend) == eager_run(graph, full_batch)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("preset", [0.0, -0.0, 0.25, 1.0, 1e300], ids=["0", "-0", "0.25", "1", "1e300"])
@pytest.mark.parametrize("graph", GRAPHS)
def test_one_backward_adds_into_every_grad_as_eager_does(graph, preset, backend):
    """Eager sums each parameter's gradient of the call from 0.0, then adds it to .grad once;
    a parameter the loss does not reach keeps its .grad. Program.backward does the same."""
    make_model, make_loss, order = GRAPHS[graph]
    results = []
    for engine in ("eager", backend):
        model = make_model()
        for p in model.parameters():
            p.grad = preset
        leaves = [Value(v) for v in SAMPLES[0]]
        outputs = make_loss(model)(*leaves)
        if engine == "eager":
            outputs[0].backward()
            values = [output.data for output in outputs]
        else:
            program = capture(outputs, leaves, order(model))
            program = program.c_program() if engine == "c" else program
            values = program.backward(*SAMPLES[0])
            values = values if isinstance(values, tuple) else [values]
        results.append(bits([*values, *(p.grad for p in model.parameters())]))
    assert results[0] == results[1]


@needs_compiler
def test_a_lone_neuron_without_weights_is_its_bias():
    x, b, c = Value(0.5), Value(-0.25), Value(2.0)
    root = linear([], [], b) * x + linear([c], [x], b) * 0.0
    program = capture(root, [x], [b, c]).c_program()
    assert bits([program(0.5), program(-3.0)]) == bits([-0.25 * 0.5 + 0.0, -0.25 * -3.0 + 0.0])


def weights_reversed(model: MLP) -> list:
    """Each neuron's weights in reverse, then its bias: no neuron's weights are consecutive upward."""
    return [p for neuron in model.layers[0].neurons for p in (*reversed(neuron.w), neuron.b)] + [
        p for layer in model.layers[1:] for p in layer.parameters()
    ]


def trained(engine: str, loss, parameters: list) -> tuple[list[str], list[str]]:
    """SGD with momentum over STEPS on the engine: the losses, then every parameter and grad."""
    optimizer = SGD(parameters, lr=0.05, momentum=0.9)
    if engine == "eager":
        losses = []
        for i in STEPS:
            optimizer.zero_grad()
            root = loss(*(Value(v) for v in SAMPLES[i]))
            root.backward()
            optimizer.step()
            losses.append(root.data)
    else:
        program = trace(loss, (0.0, 0.0, 0.0, 0.0), parameters=parameters)
        losses = program.training_loop(optimizer, engine).single_sample(SAMPLES, STEPS)
    return bits(losses), bits([*(v.data for v in parameters), *(v.grad for v in parameters)])


def weights_interleaved(model: MLP) -> list:
    """The first layer's weights input by input (w_0 of every neuron, then w_1, ...), then its biases:
    each neuron's weights run upward, but not consecutively."""
    neurons = model.layers[0].neurons
    weights = [neuron.w[i] for i in range(len(neurons[0].w)) for neuron in neurons]
    rest = [p for layer in model.layers[1:] for p in layer.parameters()]
    return [*weights, *(neuron.b for neuron in neurons), *rest]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", [weights_reversed, weights_interleaved], ids=["reversed", "interleaved"])
def test_neurons_whose_weights_are_not_consecutive_are_no_loops(layout, backend):
    results = []
    for engine in ("eager", backend):
        model = MLP(3, [5, 1], activation="tanh", seed=2)
        parameters = layout(model)
        if engine != "eager":
            program = trace(plain(model), (0.0, 0.0, 0.0, 0.0), parameters=parameters)
            assert [len(layer.nodes) for layer in find_layers(program._tape)] == [1]  # the output neuron
        results.append(trained(engine, root_of(plain, model), parameters))
    assert results[0] == results[1]


def constant_and_masked_slopes(model: MLP, p: Value, q: Value):
    """p's gradient is the number 3.0; q's is masked (relu below 0) where x < 0 (sample 1)."""
    return lambda x, y, z, t: mse_loss(model([x, y, z]) + (q * x).relu() * t, t) + p * 3.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_gradient_that_is_a_number_or_nothing_reaches_the_parameter_every_step(backend):
    results = []
    for engine in ("eager", backend):
        model, p, q = MLP(3, [4, 1], activation="tanh", seed=6), Value(0.5), Value(0.8)
        loss = constant_and_masked_slopes(model, p, q)
        results.append(trained(engine, loss, [*model.parameters(), p, q]))
    assert results[0] == results[1]


@needs_compiler
def test_neurons_with_another_reader_of_their_inputs_between_them_are_two_loops():
    """x is read by neuron a, then by x * 1.0, then by neuron b: x's gradient adds b's, the middle
    node's, then a's contribution (1e16, 1, -1e16: 0.0); one loop over a and b would add the middle
    node's first (1.0)."""
    results = []
    for engine in ("eager", "c"):
        s = Value(0.5)
        w = [Value(-1e16), Value(0.25), Value(1e16), Value(0.5)]
        b = [Value(0.0), Value(0.0)]
        x, y = s * 1.0, s * 2.0
        a = linear(w[:2], [x, y], b[0])
        middle = x * 1.0
        last = linear(w[2:], [x, y], b[1])
        root = (a + middle) + last
        parameters = [*w, *b, s]
        if engine == "eager":
            root.backward()
        else:
            program = capture(root, [], parameters)
            assert sorted(len(layer.nodes) for layer in find_layers(program._tape)) == [1, 1]
            program.c_program().backward()
        results.append(bits(p.grad for p in parameters))
    assert results[0] == results[1]


def times_r_to_the_zero(model: MLP, r: Value):
    return lambda x, y, z, t: mse_loss(model([x, y, z]) * r**0, t)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parameter_nothing_reaches_has_a_zero_grad_after_every_step(backend):
    """r ** 0 passes nothing back (ops.MASKED): r's gradient is 0.0 at every step, whatever it held."""
    results = []
    for engine in ("eager", backend):
        model, r = MLP(3, [4, 1], activation="tanh", seed=6), Value(0.8)
        r.grad = 0.75
        results.append(trained(engine, times_r_to_the_zero(model, r), [*model.parameters(), r]))
    assert results[0] == results[1]
    assert results[0][1][-1] == (0.0).hex()


def three_times(model: MLP):
    """The network's output neuron times 3.0, a root with no activation: its gradient is the number 3.0."""
    return lambda x, y, z, t: model([x, y, z]) * 3.0 + t


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_neuron_whose_gradient_is_a_number_passes_it_on(backend):
    results = []
    for engine in ("eager", backend):
        model = MLP(3, [5, 1], activation="tanh", seed=9)
        results.append(trained(engine, three_times(model), model.parameters()))
    assert results[0] == results[1]
