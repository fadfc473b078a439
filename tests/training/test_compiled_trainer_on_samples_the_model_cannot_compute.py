"""A compiled Trainer whose loss fails on some samples stops as eager does: same error, step and history."""

from __future__ import annotations

import pytest
from compilers import BACKENDS

from micrograd44 import MLP
from micrograd44.core.errors import DomainError
from micrograd44.optim import SGD
from micrograd44.training import Trainer, TrainingDiverged
from micrograd44.training.step_program import step_program


def log_of_target(predictions, targets):
    """A user's loss that needs a positive target (the prediction times 0 keeps it in the graph)."""
    return (predictions[0] * 0.0 + targets[0]).log()


def stopped(engine: str, targets: list[float], sampling: str):
    model = MLP(1, [2, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    trainer = Trainer(
        model,
        [[0.0], [1.0], [2.0]],
        targets,
        loss=log_of_target,
        optimizer=optimizer,
        engine=engine,
        sampling=sampling,
    )
    with pytest.raises(TrainingDiverged) as caught:
        trainer.train(5)
    error = caught.value
    return error.epoch, error.step, str(error), list(error.history.step_losses), error.history.final_state


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("sampling", ["cycle", "random"])
@pytest.mark.parametrize("targets", [[-1.0, 2.0, 3.0], [-1.0, -2.0, -3.0], [2.0, 3.0, -1.0]])
def test_the_compiled_engines_stop_where_and_as_eager_stops(engine, sampling, targets):
    assert stopped(engine, targets, sampling) == stopped("eager", targets, sampling)


def test_the_step_program_of_samples_none_computes_raises_the_first_samples_error():
    model = MLP(1, [2, 1], seed=0)
    rows = [[0.0, -1.0], [1.0, -2.0], [2.0, -3.0]]  # (x, target): every target's log fails
    with pytest.raises(DomainError) as caught:
        step_program(model, log_of_target, rows, model.parameters())
    assert caught.value.op == "log" and [v.data for v in caught.value.operands] == [-1.0]


def test_the_step_program_is_traced_on_the_first_sample_that_computes():
    model = MLP(1, [2, 1], seed=0)
    rows = [[0.0, -1.0], [1.0, 2.0], [2.0, 3.0]]
    program = step_program(model, log_of_target, rows, model.parameters())
    assert program.input_names == ("x1", "target")
    assert program(5.0, 4.0)[0] == log_of_target([model([5.0])], [4.0]).data
