"""The Trainer asks a schedule for each epoch, and logs each logged epoch, once and in order.

The schedule and on_log here raise at the first epoch out of order, so a loop that takes
no epoch, or goes back, fails at once instead of running until a time limit.
"""

from __future__ import annotations

import random

import pytest

from micrograd44 import MLP
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer

SAMPLES = [[0.0], [0.5], [1.0]]
TARGETS = [0.0, 0.3, 1.0]


def trainer(**options) -> Trainer:
    model = MLP(1, [2, 1], activation="tanh", seed=0)
    return Trainer(
        model, SAMPLES, TARGETS, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1), **options
    )


class InOrder:
    """Records the epochs it is called with; raises at once unless each is the next one expected."""

    def __init__(self, every: int):
        self.every, self.epochs = every, []

    def __call__(self, epoch, *_):
        expected = len(self.epochs) * self.every
        if epoch != expected:
            raise AssertionError(f"called for epoch {epoch}, expected {expected}")
        self.epochs.append(epoch)
        return 0.1


@pytest.mark.parametrize("engine", ["eager", "python"])
def test_a_schedule_is_asked_for_each_epoch_once_in_order(engine):
    schedule = InOrder(every=1)
    run = trainer(sampling="cycle", engine=engine, lr_schedule=schedule)
    run.train(4)
    run.train(3)
    assert schedule.epochs == list(range(7))
    assert run.epoch == 7 and len(run.history.step_losses) == 7 * 3


@pytest.mark.parametrize("engine", ["eager", "python"])
@pytest.mark.parametrize("every", [1, 2, 3])
def test_each_logged_epoch_is_logged_once_in_order(engine, every):
    log = InOrder(every)
    run = trainer(sampling="cycle", engine=engine, log_every=every, on_log=log, chunk_epochs=4)
    run.train(5)
    run.train(6)
    assert log.epochs == list(range(0, 11, every))
    assert run.epoch == 11 and run.history.samples == [0, 1, 2] * 11


def test_the_default_seed_is_zero():
    drawn = trainer()
    drawn.train(2)
    stream = random.Random("micrograd44 samples 0")  # the sample stream of seed 0
    assert drawn.history.samples == [stream.randrange(3) for _ in range(6)]
    seeded = trainer(seed=0)
    seeded.train(2)
    assert seeded.history.step_losses == drawn.history.step_losses
