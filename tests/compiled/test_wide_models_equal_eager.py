"""Wide models on the compiled loops (C prints each layer of neurons as a loop): eager's numbers, bit for bit.

Each run trains a 2-H-H-1 network for a few hundred steps with SGD (momentum) or Adam, eagerly
and on each backend, and compares every loss, parameter, gradient and optimizer buffer by its
bits (the sign of a zero included). Graphs off a network's usual layout (an input read again
after the layer or before it, weights shared between neurons, neurons' parameters out of
order) are compared too, and the Python
loops with numpy layers (wide networks) against those with one line per op, failures included.
"""

from __future__ import annotations

import functools
import random

import pytest
from compilers import BACKENDS, needs_compiler
from parameter_orders import neurons_shuffled

from micrograd44 import MLP, Value, linear
from micrograd44.codegen.loops import find_layers
from micrograd44.compiled import StepFailed, capture, python_layers, trace
from micrograd44.compiled.python_layers import PythonLayersWriter, python_writer
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD, Adam

XOR = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
OPTIMIZERS = {
    "sgd momentum": (SGD, {"lr": 0.02, "momentum": 0.9}),
    "adam": (Adam, {"lr": 0.01}),
}
STEPS = [random.Random(5).randrange(4) for _ in range(300)]


def bits(values) -> list[str]:
    """Each float's exact bits (as hexadecimal), so that -0.0 and 0.0 differ."""
    return [float(v).hex() for v in values]


def model_of(width: int) -> MLP:
    return MLP(2, [width, width, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=7)


def state_of(model, optimizer) -> dict:
    """Every number training leaves behind, as bits."""
    parameters = model.parameters()
    if isinstance(optimizer, Adam):
        buffers = [optimizer.t, *optimizer.m, *optimizer.v]
    else:
        buffers = optimizer.buffers or []
    return {
        "parameters": bits(p.data for p in parameters),
        "grads": bits(p.grad for p in parameters),
        "optimizer": bits(buffers),
    }


@functools.cache
def eager_run(width: int, optimizer_name: str, full_batch: bool) -> tuple[list[str], dict]:
    """The losses and final state of the eager loop (made once per case, shared by the backends)."""
    model = model_of(width)
    make, settings = OPTIMIZERS[optimizer_name]
    optimizer = make(model.parameters(), **settings)
    losses = []
    for i in range(40) if full_batch else STEPS:
        optimizer.zero_grad()
        if full_batch:
            loss = mse_loss([model(s[:2]) for s in XOR], [s[2] for s in XOR])
        else:
            loss = mse_loss(model(XOR[i][:2]), XOR[i][2])
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return bits(losses), state_of(model, optimizer)


def traced(model):
    return trace(lambda x, y, t: mse_loss(model([x, y]), t), (0.0, 0.0, 0.0), parameters=model)


def compiled_run(width: int, optimizer_name: str, full_batch: bool, backend: str) -> tuple[list[str], dict]:
    model = model_of(width)
    make, settings = OPTIMIZERS[optimizer_name]
    optimizer = make(model.parameters(), **settings)
    program = traced(model)
    loop = program.training_loop(optimizer, backend)
    losses = loop.full_batch(XOR, 40) if full_batch else loop.single_sample(XOR, STEPS)
    return bits(losses), state_of(model, optimizer)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer_name", OPTIMIZERS)
@pytest.mark.parametrize("width", [32, 64])
def test_a_wide_single_sample_loop_is_the_eager_loop_bit_for_bit(width, optimizer_name, backend):
    assert compiled_run(width, optimizer_name, False, backend) == eager_run(width, optimizer_name, False)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer_name", OPTIMIZERS)
def test_a_wide_full_batch_loop_is_the_eager_mean_loss_bit_for_bit(optimizer_name, backend):
    assert compiled_run(32, optimizer_name, True, backend) == eager_run(32, optimizer_name, True)


def test_a_networks_layers_are_found_as_loops_over_their_neurons():
    model = model_of(16)
    program = traced(model)
    assert [len(layer.nodes) for layer in find_layers(program._tape)] == [16, 16, 1]
    assert [len(layer.inputs) for layer in find_layers(program._tape)] == [2, 16, 16]


def skip_connection(model: MLP):
    """A network whose output also reads the first hidden layer again, after the second layer."""
    first, second, last = model.layers

    def loss(x, y, t):
        hidden = first([x, y])
        out = last(second(hidden))
        return mse_loss(out + hidden[0] * 0.5 - hidden[1], t)

    return loss


def shared_weights(model: MLP):
    """Two neurons that share their weights (and a lone neuron whose weights are not parameters)."""
    w, b = model.layers[0].neurons[0].w, model.layers[0].neurons[0].b

    def loss(x, y, t):
        a = linear(w, [x, y], b).tanh()
        c = linear(w, [y, x], b).tanh()
        return mse_loss(linear([0.5, -1.5], [a, c], 0.25), t)

    return loss


def read_before_the_next_layer(model: MLP):
    """A network that reads a hidden value again before the next layer: the layer stays one loop."""
    first, second, last = model.layers

    def loss(x, y, t):
        hidden = first([x, y])
        extra = hidden[2] * hidden[0]
        return mse_loss(last(second(hidden)) + extra, t)

    return loss


def plain(model: MLP):
    return lambda x, y, t: mse_loss(model([x, y]), t)


def in_order(model: MLP) -> list:
    return model.parameters()


# (the loss, the order of the parameters, the largest layers found)
GRAPHS = {
    "skip connection": (skip_connection, in_order, [3, 1]),
    "read before the next layer": (read_before_the_next_layer, in_order, [3, 3]),
    "shared weights": (shared_weights, in_order, []),
    "neurons' parameters shuffled": (plain, neurons_shuffled, [3, 3]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", GRAPHS)
def test_neurons_off_the_common_layout_still_give_the_eager_numbers(name, backend, monkeypatch):
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0)  # numpy layers wherever they fit
    make_loss, order, layer_sizes = GRAPHS[name]
    results = []
    for engine in ("eager", backend):
        model = MLP(2, [3, 3, 1], activation="tanh", seed=4)
        loss = make_loss(model)
        optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
        if engine == "eager":
            losses = []
            for i in STEPS[:100]:
                optimizer.zero_grad()
                value = loss(*(Value(v) for v in XOR[i]))
                value.backward()
                optimizer.step()
                losses.append(value.data)
        else:
            program = trace(loss, (0.0, 0.0, 0.0), parameters=order(model))
            sizes = sorted((len(layer.nodes) for layer in find_layers(program._tape)), reverse=True)
            assert sizes[:2] == layer_sizes
            losses = program.training_loop(optimizer, engine).single_sample(XOR, STEPS[:100])
        results.append((bits(losses), state_of(model, optimizer)))
    assert results[0] == results[1]


@needs_compiler
def test_one_sample_backward_in_c_adds_into_grads_as_eager_does():
    model = model_of(8)
    leaves = [Value(0.3, label="x"), Value(-0.7, label="y")]
    root = mse_loss(model(leaves), 1.0)
    program = capture(root, leaves, model).c_program()
    for p in model.parameters():
        p.grad = -0.0
    twin = model_of(8)
    for p in twin.parameters():
        p.grad = -0.0
    mse_loss(twin([0.3, -0.7]), 1.0).backward()
    expected = bits(p.grad for p in twin.parameters())
    program.backward(0.3, -0.7)
    assert bits(p.grad for p in model.parameters()) == expected


def test_the_python_loops_take_numpy_layers_for_a_wide_network_only():
    for width, layered in ((4, False), (64, True)):
        program = traced(model_of(width))
        assert isinstance(python_writer(program._tape), PythonLayersWriter) is layered


def small_run(optimizer_name: str, full_batch: bool, lr: float, layered: bool, monkeypatch):
    """A 2-4-4-1 network's Python loop, with or without numpy layers: its results, or its failure."""
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0 if layered else 10**9)
    model = model_of(4)
    make, settings = OPTIMIZERS[optimizer_name]
    optimizer = make(model.parameters(), **{**settings, "lr": lr})
    program = traced(model)
    loop = program.training_loop(optimizer)
    try:
        losses = (
            loop.full_batch(XOR, 40, check_finite=True)
            if full_batch
            else loop.single_sample(XOR, STEPS, check_finite=True)
        )
        outcome = bits(losses)
    except StepFailed as failure:
        outcome = (failure.stage, failure.step, bits(failure.losses))
    return outcome, state_of(model, optimizer)


@pytest.mark.parametrize("lr", [0.05, 1e300], ids=["trains", "diverges"])
@pytest.mark.parametrize("full_batch", [False, True], ids=["single sample", "full batch"])
@pytest.mark.parametrize("optimizer_name", OPTIMIZERS)
def test_numpy_layers_give_the_python_loops_numbers_and_failures(optimizer_name, full_batch, lr, monkeypatch):
    layered = small_run(optimizer_name, full_batch, lr, True, monkeypatch)
    assert layered == small_run(optimizer_name, full_batch, lr, False, monkeypatch)
