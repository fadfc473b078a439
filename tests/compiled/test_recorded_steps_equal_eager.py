"""TrainingLoop.run(record_at=...) copies eager's parameters, grads and loss at those steps; outputs_at too.

The rows are compared with the eager loop's ``p.data``, ``p.grad`` and loss after each
recorded step's backward, before its update, bit for bit, on both backends, for
single-sample and full-batch steps, SGD with momentum and Adam. ``Program.outputs_at`` (Python
and C) gives the engine's outputs under each recorded set of parameters.
"""

from __future__ import annotations

import math
import random

import pytest
from compilers import compiler_found

from micrograd44 import MLP
from micrograd44.compiled import StepFailed, trace
from micrograd44.losses import l1_loss
from micrograd44.optim import SGD, Adam

XOR = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
ORDER = [random.Random(5).randrange(4) for _ in range(60)]
RECORD = [0, 3, 17, 59]
BACKENDS = [
    "python",
    pytest.param("c", marks=pytest.mark.skipif(not compiler_found(), reason="no C compiler")),
]
OPTIMIZERS = {"sgd": lambda ps: SGD(ps, lr=0.05, momentum=0.9), "adam": lambda ps: Adam(ps, lr=0.01)}


def model_and_optimizer(optimizer: str):
    model = MLP(2, [5, 4, 1], activation="tanh", seed=3)
    return model, OPTIMIZERS[optimizer](model.parameters())


def eager_records(optimizer: str, full_batch: bool) -> dict[int, tuple[list, list, float]]:
    """{step: (values, grads, loss)} of the eager loop at the recorded steps, after backward."""
    model, chosen = model_and_optimizer(optimizer)
    records = {}
    for step in range(len(ORDER)):
        chosen.zero_grad()
        if full_batch:
            loss = l1_loss([model(x[:2]) for x in XOR], [x[2] for x in XOR])
        else:
            x = XOR[ORDER[step]]
            loss = l1_loss(model(x[:2]), x[2])
        loss.backward()
        if step in RECORD:
            records[step] = (
                [p.data for p in model.parameters()],
                [p.grad for p in model.parameters()],
                loss.data,
            )
        chosen.step()
    return records


def compiled_loop(optimizer: str, backend: str):
    model, chosen = model_and_optimizer(optimizer)
    program = trace(
        lambda x1, x2, t: [l1_loss(model([x1, x2]), t), model([x1, x2])], (0.0, 0.0, 0.0), parameters=model
    )
    return model, program, program.training_loop(chosen, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("full_batch", [False, True], ids=["single-sample", "full-batch"])
def test_recorded_rows_are_eager_values_grads_and_losses(backend, optimizer, full_batch):
    expected = eager_records(optimizer, full_batch)
    _, _, loop = compiled_loop(optimizer, backend)
    mode, schedule = ("full_batch", len(ORDER)) if full_batch else ("single_sample", ORDER)
    steps = loop.run(
        mode, XOR, schedule, record_at=[59, -1, 3, 0, 17, 3, 10**6]
    )  # unsorted, repeated, out of range
    assert steps.recorded.tolist() == RECORD
    assert steps.values.tolist() == [expected[s][0] for s in RECORD]
    assert steps.grads.tolist() == [expected[s][1] for s in RECORD]
    assert steps.recorded_losses.tolist() == [expected[s][2] for s in RECORD]
    assert steps.losses[RECORD].tolist() == steps.recorded_losses.tolist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_step_that_fails_in_its_update_is_recorded_before_it(backend):
    model, _, loop = compiled_loop("sgd", backend)
    loop.optimizer.lr = math.inf  # the first update makes the parameters infinite
    with pytest.raises(StepFailed) as failure:
        loop.run("single_sample", XOR, ORDER, check_finite=True, record_at=[0, 1])
    assert failure.value.stage == "update"
    assert failure.value.steps.recorded.tolist() == [0]
    assert len(failure.value.steps.losses) == 0
    fresh, _ = model_and_optimizer("sgd")
    assert failure.value.steps.values.tolist() == [[p.data for p in fresh.parameters()]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_at_the_recorded_parameters_are_the_engines(backend):
    model, program, loop = compiled_loop("sgd", backend)
    steps = loop.run("single_sample", XOR, ORDER, record_at=RECORD)
    runner = program.c_program() if backend == "c" else program
    outputs, failed = runner.outputs_at(steps.values, XOR)
    assert not failed.any()
    for values, row in zip(steps.values.tolist(), outputs.tolist()):
        for p, value in zip(model.parameters(), values):
            p.data = value
        assert [prediction for _, prediction in row] == [model(x[:2]).data for x in XOR]
        assert [loss for loss, _ in row] == [l1_loss(model(x[:2]), x[2]).data for x in XOR]


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_at_marks_where_the_engine_would_raise(backend):
    model = MLP(1, [1], activation=None, seed=0)
    program = trace(lambda x: model([x]).log(), (1.0,), parameters=model)
    runner = program.c_program() if backend == "c" else program
    outputs, failed = runner.outputs_at([[1.0, 0.0], [-1.0, 0.0]], [[1.0], [2.0]])
    assert failed.tolist() == [[False, False], [True, True]]
    assert outputs[0, :, 0].tolist() == [0.0, math.log(2.0)]  # log(1 * x + 0)
    with pytest.raises(ValueError, match="values must have shape"):
        runner.outputs_at([[1.0]], [[1.0]])
