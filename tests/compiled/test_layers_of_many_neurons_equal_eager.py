"""Layers of 8 and 16 neurons (whole groups of four) and networks of over 256 parameters: eager's numbers.

The C loops take a layer's neurons four at a time (codegen/loops.py); at widths 8 and 16
every neuron is in such a group and none is left for the one-at-a-time loop, and backward
the groups after the first take the loop over the rest. A 2-16-16-1 network has 337
parameters, so the parameter indices the loops and the numpy layers compute pass 256 (the
last int Python keeps as one shared object). Graphs that read a layer's inputs again,
before or after it, keep the engine's order in C and in the numpy layers. A few steps each,
on the C loops and on the Python loops with numpy layers, compared with eager by their bits;
with the finiteness checks on, the numpy layers stop where the Python loops of one line per op do.
"""

from __future__ import annotations

import pytest
from compilers import needs_compiler
from eager_steps import eager_losses

from micrograd44 import MLP, Value
from micrograd44.codegen.loops import find_layers
from micrograd44.codegen.numpy_layers import fits
from micrograd44.compiled import StepFailed, capture, python_layers, trace
from micrograd44.compiled.python_layers import PythonLayersWriter, python_writer
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD

XOR = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
STEPS = [1, 3, 0, 2, 2, 1]
# (the hidden widths, the biggest hidden layer's neuron count)
WIDTHS = {"2-8-8-1": [8, 8, 1], "2-16-16-1": [16, 16, 1], "2-12-4-1": [12, 4, 1]}
ENGINES = [pytest.param("c", marks=needs_compiler), "numpy layers"]


def bits(values) -> list[str]:
    """Each float's exact bits, so that -0.0 and 0.0 differ."""
    return [float(v).hex() for v in values]


def plain(model: MLP):
    return lambda x, y, t: mse_loss(model([x, y]), t)


def skip_connection(model: MLP):
    """The output also reads the first hidden layer again, after the second layer."""
    first, second, last = model.layers

    def loss(x, y, t):
        hidden = first([x, y])
        return mse_loss(last(second(hidden)) + hidden[0] * 0.5 - hidden[5], t)

    return loss


def read_before_the_next_layer(model: MLP):
    """A hidden value read again before the next layer: the next layer stays one loop."""
    first, second, last = model.layers

    def loss(x, y, t):
        hidden = first([x, y])
        extra = hidden[6] * hidden[1]
        return mse_loss(last(second(hidden)) + extra, t)

    return loss


LOSSES = {
    "plain": plain,
    "skip connection": skip_connection,
    "read before the next layer": read_before_the_next_layer,
}


def model_of(widths: str) -> MLP:
    return MLP(2, WIDTHS[widths], activation="tanh", seed=9)


def run(widths: str, loss_name: str, engine: str, full_batch: bool, monkeypatch) -> tuple[list, list]:
    """The losses, then every parameter and gradient, of a few SGD steps on one engine."""
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0)  # numpy layers wherever they fit
    model = model_of(widths)
    loss = LOSSES[loss_name](model)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    if engine == "eager":
        losses = eager_losses(loss, optimizer, XOR, range(3) if full_batch else STEPS, full_batch)
    else:
        program = trace(loss, (0.0, 0.0, 0.0), parameters=model)
        if engine == "numpy layers" and loss_name == "plain":
            assert isinstance(python_writer(program._tape), PythonLayersWriter)
        loop = program.training_loop(optimizer, "python" if engine == "numpy layers" else engine)
        losses = loop.full_batch(XOR, 3) if full_batch else loop.single_sample(XOR, STEPS)
    parameters = model.parameters()
    return bits(losses), bits([*(p.data for p in parameters), *(p.grad for p in parameters)])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("widths", WIDTHS)
def test_single_sample_steps_equal_eager(widths, engine, monkeypatch):
    expected = run(widths, "plain", "eager", False, monkeypatch)
    assert run(widths, "plain", engine, False, monkeypatch) == expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("widths", ["2-16-16-1", "2-12-4-1"])
def test_full_batch_steps_equal_eager(widths, engine, monkeypatch):
    expected = run(widths, "plain", "eager", True, monkeypatch)
    assert run(widths, "plain", engine, True, monkeypatch) == expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss_name", ["skip connection", "read before the next layer"])
def test_inputs_read_again_keep_the_engines_order(loss_name, engine, monkeypatch):
    expected = run("2-8-8-1", loss_name, "eager", False, monkeypatch)
    assert run("2-8-8-1", loss_name, engine, False, monkeypatch) == expected


def test_the_layers_found_and_where_they_fit():
    sizes = {
        ("2-16-16-1", "plain"): [16, 16, 1],
        ("2-8-8-1", "skip connection"): [8, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        ("2-8-8-1", "read before the next layer"): [8, 8, 1],
    }
    for (widths, loss_name), expected in sizes.items():
        model = model_of(widths)
        tape = trace(LOSSES[loss_name](model), (0.0, 0.0, 0.0), parameters=model)._tape
        assert [len(layer.nodes) for layer in find_layers(tape)] == expected
    model = model_of("2-16-16-1")
    assert fits(trace(plain(model), (0.0, 0.0, 0.0), parameters=model)._tape)
    assert fits(trace(plain(model), (0.0, 0.0, 0.0), parameters=model.parameters()[::-1])._tape) is False


@needs_compiler
@pytest.mark.parametrize("preset", [0.0, -0.0, 0.25])
def test_one_backward_in_c_adds_into_grads_as_eager_does(preset):
    model, twin = model_of("2-16-16-1"), model_of("2-16-16-1")
    leaves = [Value(0.3, label="x"), Value(-0.7, label="y")]
    program = capture(mse_loss(model(leaves), 1.0), leaves, model).c_program()
    for p in (*model.parameters(), *twin.parameters()):
        p.grad = preset
    mse_loss(twin([0.3, -0.7]), 1.0).backward()
    program.backward(0.3, -0.7)
    assert bits(p.grad for p in model.parameters()) == bits(p.grad for p in twin.parameters())


def checked_run(lr: float, full_batch: bool, layered: bool, monkeypatch):
    """A 2-16-16-1 Python loop with check_finite, with or without numpy layers: its losses, or its failure."""
    monkeypatch.setattr(python_layers, "LAYERS_FROM", 0 if layered else 10**9)
    model = model_of("2-16-16-1")
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    program = trace(plain(model), (0.0, 0.0, 0.0), parameters=model)
    assert isinstance(python_writer(program._tape), PythonLayersWriter) is layered
    loop = program.training_loop(optimizer)
    try:
        if full_batch:
            outcome = bits(loop.full_batch(XOR, 3, check_finite=True))
        else:
            outcome = bits(loop.single_sample(XOR, STEPS, check_finite=True))
    except StepFailed as failure:
        outcome = (failure.stage, failure.step, bits(failure.losses))
    return outcome, bits(p.data for p in model.parameters())


@pytest.mark.parametrize("lr", [0.05, 1e300], ids=["trains", "diverges"])
@pytest.mark.parametrize("full_batch", [False, True], ids=["single sample", "full batch"])
def test_checked_numpy_layers_stop_where_the_scalar_loops_do(lr, full_batch, monkeypatch):
    layered = checked_run(lr, full_batch, True, monkeypatch)
    assert layered == checked_run(lr, full_batch, False, monkeypatch)
