"""A compiled Trainer whose loss fails on some samples stops as eager does: same error, step and history."""

from __future__ import annotations

import pytest
from compilers import BACKENDS

from micrograd44 import MLP
from micrograd44.optim import SGD
from micrograd44.training import Trainer, TrainingDiverged


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
