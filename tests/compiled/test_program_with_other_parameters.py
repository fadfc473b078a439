"""Program.with_parameters: one trace serves a second model of the same architecture, bit for bit."""

from __future__ import annotations

import math

import pytest
from compilers import BACKENDS

from micrograd44 import MLP, Value
from micrograd44.compiled import CaptureError, trace
from micrograd44.losses import l1_loss
from micrograd44.optim import SGD


def bits(values) -> list[tuple[float, float]]:
    return [(v, math.copysign(1.0, v)) for v in values]


def traced(model: MLP):
    return trace(lambda x, y, t: l1_loss(model([x, y]), t), (0.0, 0.0, 0.0), parameters=model)


def test_the_copy_reads_and_differentiates_the_other_models_weights():
    first, second = (MLP(2, [4, 1], activation="tanh", seed=s, weight_init="normal") for s in (0, 1))
    program = traced(first).with_parameters(second)
    assert program.parameters == tuple(second.parameters())
    loss = l1_loss(second([0.5, -1.0]), 1.0)
    loss.backward()
    eager_grads = [p.grad for p in second.parameters()]
    second.zero_grad()
    assert program(0.5, -1.0, 1.0) == loss.data
    program.backward(0.5, -1.0, 1.0)
    assert bits(p.grad for p in second.parameters()) == bits(eager_grads)
    assert all(p.grad == 0.0 for p in first.parameters())  # the first model is not touched


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_training_loop_of_the_copy_trains_the_other_model_as_its_own_trace_does(backend):
    """(The loop of a program traced from a model is tested equal to eager elsewhere.)"""
    models = [MLP(2, [3, 1], activation="tanh", seed=s) for s in (0, 1, 1)]
    programs = [traced(models[0]).with_parameters(models[1]), traced(models[2])]
    order = [0, 1, 2, 3, 1, 0]
    samples = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    losses = [
        program.training_loop(SGD(model.parameters(), lr=0.1, momentum=0.9), backend).single_sample(
            samples, order
        )
        for program, model in zip(programs, models[1:])
    ]
    assert bits(losses[0]) == bits(losses[1])
    assert bits(p.data for p in models[1].parameters()) == bits(p.data for p in models[2].parameters())
    assert [p.data for p in models[0].parameters()] == [
        p.data for p in MLP(2, [3, 1], "tanh", seed=0).parameters()
    ]


def test_wrong_parameters_are_refused():
    program = traced(MLP(2, [3, 1], seed=0))
    with pytest.raises(ValueError, match="has 13 parameters, got 9"):
        program.with_parameters(MLP(2, [2, 1], seed=0))
    leaves = MLP(2, [3, 1], seed=0).parameters()
    with pytest.raises(CaptureError):
        program.with_parameters([*leaves[:-1], leaves[0] + 1.0])
    with pytest.raises(CaptureError):
        program.with_parameters([*leaves[:-1], leaves[0]])
    with pytest.raises(TypeError):
        program.with_parameters([*leaves[:-1], 1.0])
    assert isinstance(leaves[0], Value)
