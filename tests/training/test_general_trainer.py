"""The general trainer (micrograd44.training) on a data set other than XOR: every engine, the same History."""

from __future__ import annotations

import doctest
import itertools

import pytest

import micrograd44.training.loop
from micrograd44 import MLP
from micrograd44.data import moons
from micrograd44.losses import hinge, mse_loss
from micrograd44.optim import SGD, Adam
from micrograd44.training import (
    CHUNK_EPOCHS,
    SAMPLINGS,
    History,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
    fit,
)

POINTS, LABELS = moons(12, noise=0.1, seed=3)
SIGNS = 2 * LABELS - 1  # hinge labels -1 and +1

OPTIMIZERS = {
    "sgd": lambda params: SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda params: SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda params: Adam(params, lr=0.01),
}


def train(engine: str, *, optimizer="sgd", loss=hinge, epochs=6, **options) -> tuple[History, list]:
    """fit a fresh MLP 2 -> 6 -> 1 on the moons; its History and the log."""
    model = MLP(2, [6, 1], activation="tanh", seed=5)
    log = []
    history = fit(
        model,
        POINTS,
        SIGNS,
        epochs=epochs,
        loss=loss,
        optimizer=OPTIMIZERS[optimizer](model.parameters()),
        engine=engine,
        seed=7,
        log_every=2,
        on_log=lambda *entry: log.append(entry),
        **options,
    )
    return history, log


def assert_same(a: History, b: History) -> None:
    """Every step, sample, epoch mean, snapshot and final weight equal, bit for bit."""
    assert a.step_losses == b.step_losses and len(a.step_losses) > 0
    assert a.samples == b.samples
    assert a.epoch_losses == b.epoch_losses
    assert a.snapshots == b.snapshots
    assert a.final_state == b.final_state and a.predictions == b.predictions


@pytest.mark.parametrize(
    "sampling, optimizer, loss", list(itertools.product(SAMPLINGS, OPTIMIZERS, [hinge, mse_loss]))
)
def test_every_engine_gives_the_eager_history(sampling, optimizer, loss):
    eager, eager_log = train("eager", sampling=sampling, optimizer=optimizer, loss=loss)
    for engine in ("python", "compiled"):
        compiled, compiled_log = train(engine, sampling=sampling, optimizer=optimizer, loss=loss)
        assert_same(compiled, eager)
        assert compiled_log == eager_log
    assert [epoch for epoch, _, _ in eager_log] == [0, 2, 4]


def test_an_epoch_is_one_step_per_sample_or_one_full_batch_step():
    random, _ = train("eager", sampling="random", epochs=2)
    cycle, _ = train("eager", sampling="cycle", epochs=2)
    full, _ = train("eager", sampling="full-batch", epochs=2)
    assert len(random.step_losses) == len(cycle.step_losses) == 2 * len(POINTS)
    assert set(random.samples) <= set(range(len(POINTS))) and random.samples != cycle.samples
    assert cycle.samples == [*range(len(POINTS))] * 2
    assert full.samples == [None, None] and len(full.epoch_losses) == 2


def test_a_history_records_sample_indices_of_any_size():
    points, labels = moons(300, seed=1)  # indices beyond a signed byte
    histories = []
    for engine in ("eager", "compiled"):
        model = MLP(2, [3, 1], activation="tanh", seed=0)
        optimizer = SGD(model.parameters(), lr=0.01)
        history = fit(model, points, labels, epochs=1, loss=mse_loss, optimizer=optimizer, engine=engine)
        histories.append(history)
    assert_same(*histories)
    assert max(histories[0].samples) > 127 and set(histories[0].samples) <= set(range(len(points)))


@pytest.mark.parametrize("engine", ["eager", "compiled"])
def test_the_history_does_not_depend_on_how_the_epochs_are_split_into_runs(engine):
    whole, _ = train(engine, epochs=5)
    for chunk_epochs in (1, 2):
        split, _ = train(engine, epochs=5, chunk_epochs=chunk_epochs)
        assert_same(split, whole)


def test_a_learning_rate_schedule_is_followed_by_every_engine():
    def schedule(epoch):
        return 0.5 / (1 + epoch)

    histories = [
        train(engine, sampling="full-batch", lr_schedule=schedule)[0] for engine in ("eager", "compiled")
    ]
    assert_same(*histories)
    constant, _ = train("eager", sampling="full-batch")
    assert histories[0].step_losses[0] == constant.step_losses[0]
    assert histories[0].step_losses[1:] != constant.step_losses[1:]


def test_snapshots_are_the_same_where_the_compiled_runs_stop():
    eager, _ = train("eager", snapshot_at={0, 13, 40})
    compiled, _ = train("compiled", snapshot_at={0, 13, 40})
    assert [s.step for s in eager.snapshots] == [0, 13, 40]
    assert eager.snapshots[1].sample == eager.samples[13] and len(eager.snapshots[1].predictions) == len(
        POINTS
    )
    assert_same(compiled, eager)


def test_a_trainer_trains_a_few_epochs_at_a_time_as_fit_does():
    whole, _ = train("compiled", epochs=5)
    model = MLP(2, [6, 1], activation="tanh", seed=5)
    trainer = Trainer(
        model,
        POINTS,
        SIGNS,
        loss=hinge,
        optimizer=OPTIMIZERS["sgd"](model.parameters()),
        seed=7,
        engine="compiled",
    )
    for epochs in (2, 0, 3):
        trainer.train(epochs)
    assert trainer.epoch == 5
    assert_same(trainer.history, whole)


def test_divergence_stops_every_engine_at_the_same_step_with_the_same_message():
    errors = []
    for engine in ("eager", "compiled"):
        model = MLP(2, [6, 1], activation=None, seed=5)
        with pytest.raises(TrainingDiverged) as caught:
            fit(
                model,
                POINTS,
                SIGNS,
                epochs=50,
                loss=mse_loss,
                optimizer=SGD(model.parameters(), lr=50.0),
                engine=engine,
            )
        errors.append(caught.value)
    compiled, eager = errors
    assert str(compiled) == str(eager) and "The learning rate 50 is too large: try a smaller one." in str(
        eager
    )
    assert (compiled.epoch, compiled.step) == (eager.epoch, eager.step)
    assert compiled.history.step_losses == eager.history.step_losses and eager.step > 0
    assert compiled.history.final_state == eager.history.final_state


def test_a_keyboard_interrupt_from_on_log_keeps_the_history_so_far():
    def stop_at_epoch_2(epoch, loss, mean):
        if epoch == 2:
            raise KeyboardInterrupt

    model = MLP(2, [6, 1], activation="tanh", seed=5)
    with pytest.raises(TrainingInterrupted) as caught:
        fit(
            model,
            POINTS,
            SIGNS,
            epochs=5,
            loss=hinge,
            optimizer=SGD(model.parameters(), lr=0.1),
            on_log=stop_at_epoch_2,
        )
    history = caught.value.history
    assert len(history.epoch_losses) == 3 and history.final_state == model.state_dict()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"targets": [1.0]}, "Trainer needs samples and as many targets, got 12 and 1"),
        (
            {"sampling": "batch"},
            "Trainer: sampling 'batch' is unknown (choose one of 'random', 'cycle', 'full-batch')",
        ),
        ({"engine": "gpu"}, "Trainer: engine 'gpu' is unknown"),
        (
            {"log_every": 0},
            f"Trainer: log_every and chunk_epochs must be integers >= 1, got 0 and {CHUNK_EPOCHS}",
        ),
    ],
)
def test_bad_arguments_are_one_line_value_errors(options, message):
    model = MLP(2, [6, 1], seed=5)
    arguments = {"targets": SIGNS, "loss": hinge, "optimizer": SGD(model.parameters(), lr=0.1), **options}
    targets = arguments.pop("targets")
    with pytest.raises(ValueError) as caught:
        Trainer(model, POINTS, targets, **arguments)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_the_docstring_examples_run():
    assert doctest.testmod(micrograd44.training.loop).failed == 0


@pytest.mark.parametrize("epochs", [-1, 2.0, True])
def test_epochs_must_be_a_count(epochs):
    model = MLP(2, [6, 1], seed=5)
    trainer = Trainer(model, POINTS, SIGNS, loss=hinge, optimizer=SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="Trainer.train: epochs must be an integer >= 0, got "):
        trainer.train(epochs)
    assert trainer.epoch == 0 and len(trainer.history.step_losses) == 0
