"""The general trainer's bookkeeping, against numbers worked out here: the samples of each step, the
epochs logged and what is logged, the learning rates a schedule sets, snapshots and divergence."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from micrograd44 import MLP
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer, TrainingDiverged, fit

SAMPLES = [[0.0], [0.5], [1.0], [-0.5]]
TARGETS = [0.0, 0.3, 1.0, -0.2]


def trainer(**options) -> Trainer:
    model = MLP(1, [3, 1], activation="tanh", seed=0)
    optimizer = options.pop("optimizer", None) or SGD(model.parameters(), lr=0.1)
    return Trainer(model, SAMPLES, TARGETS, loss=mse_loss, optimizer=optimizer, **options)


@pytest.mark.parametrize("engine", ["eager", "python"])
def test_each_sampling_takes_the_samples_it_names(engine):
    cycle = trainer(sampling="cycle", engine=engine)
    cycle.train(3)
    assert cycle.history.samples == [0, 1, 2, 3] * 3
    full = trainer(sampling="full-batch", engine=engine)
    full.train(3)
    assert full.history.samples == [None] * 3 and full.history.steps_per_epoch == 1
    drawn = trainer(sampling="random", seed=11, engine=engine)
    drawn.train(3)
    rng = random.Random("micrograd44 samples 11")  # the sample stream of seed 11
    assert drawn.history.samples == [rng.randrange(4) for _ in range(12)]


@pytest.mark.parametrize("engine", ["eager", "python"])
@pytest.mark.parametrize(
    ("epochs", "every", "logged"), [(7, 3, [0, 3, 6]), (6, 3, [0, 3]), (4, 1, [0, 1, 2, 3])]
)
def test_on_log_gets_the_logged_epochs_with_their_last_loss_and_mean(engine, epochs, every, logged):
    log = []
    run = trainer(sampling="cycle", engine=engine, log_every=every, on_log=lambda *entry: log.append(entry))
    run.train(epochs)
    history = run.history
    assert [epoch for epoch, _, _ in log] == logged
    for epoch, last, mean in log:
        steps = history.step_losses[4 * epoch : 4 * epoch + 4]
        assert last == steps[-1]
        assert mean == history.epoch_losses[epoch]
        assert math.isclose(mean, sum(steps) / 4, rel_tol=1e-12)


def test_on_log_counts_epochs_across_calls_of_train():
    log = []
    run = trainer(sampling="cycle", log_every=2, on_log=lambda *entry: log.append(entry[0]))
    for epochs in (3, 1, 2):
        run.train(epochs)
    assert log == [0, 2, 4] and run.epoch == 6


def test_a_schedule_sets_the_rate_of_every_epoch_in_order():
    asked = []

    def schedule(epoch):
        asked.append(epoch)
        return 0.1 / (1 + epoch)

    run = trainer(sampling="full-batch", lr_schedule=schedule)
    run.train(3)
    run.train(2)
    assert asked == [0, 1, 2, 3, 4]
    assert run.optimizer.lr == 0.1 / 5


def test_a_snapshot_records_its_step_epoch_sample_loss_and_the_model_then():
    run = trainer(sampling="cycle", snapshot_at={5})
    run.train(2)
    (snapshot,) = run.history.snapshots
    assert (snapshot.step, snapshot.epoch, snapshot.sample) == (5, 1, 1)
    assert snapshot.loss == run.history.step_losses[5]
    names = [name for name, _ in run.history.model.named_parameters()]
    assert list(snapshot.values) == names == list(snapshot.grads)
    assert len(snapshot.predictions) == len(SAMPLES)
    full = trainer(sampling="full-batch", snapshot_at={0})
    full.train(1)
    assert full.history.snapshots[0].sample is None and full.history.snapshots[0].epoch == 0


def test_divergence_names_the_epoch_and_step_it_happened_at():
    model = MLP(1, [3, 1], activation="relu", seed=0)
    run = Trainer(
        model,
        [[1e150]] * 3,
        [0.0] * 3,
        loss=mse_loss,
        optimizer=SGD(model.parameters(), lr=1e10),
        sampling="cycle",
    )
    with pytest.raises(TrainingDiverged) as raised:
        run.train(5)
    error = raised.value
    assert error.step == len(error.history.step_losses)
    assert error.epoch == error.step // 3


@pytest.mark.parametrize(
    "options",
    [
        {"log_every": 0},
        {"log_every": True},
        {"chunk_epochs": 0},
        {"chunk_epochs": 2.0},
        {"sampling": "shuffle"},
        {"engine": "gpu"},
    ],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        trainer(**options)


def test_samples_and_targets_must_match_and_not_be_empty():
    model = MLP(1, [3, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    for samples, targets in (([], []), ([[0.0]], [0.0, 1.0]), ([[0.0], [1.0]], [0.0])):
        with pytest.raises(ValueError):
            Trainer(model, samples, targets, loss=mse_loss, optimizer=optimizer)


def test_numpy_integers_count_epochs_and_bools_do_not():
    run = trainer(sampling="cycle")
    run.train(np.int64(2))
    assert run.epoch == 2 and len(run.history.step_losses) == 8
    with pytest.raises(ValueError):
        run.train(True)
    with pytest.raises(ValueError):
        run.train(-1)


def test_every_epoch_is_logged_by_default():
    log = []
    run = trainer(sampling="cycle", on_log=lambda *entry: log.append(entry[0]))
    run.train(3)
    assert log == [0, 1, 2]


def test_the_options_after_the_data_are_keyword_only():
    model = MLP(1, [3, 1], seed=0)
    with pytest.raises(TypeError):
        Trainer(model, SAMPLES, TARGETS, mse_loss, SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize("sampling", ["cycle", "random", "full-batch"])
def test_a_compiled_engine_stops_at_divergence_as_eager_does(sampling):
    errors = {}
    for engine in ("eager", "python"):
        model = MLP(1, [3, 1], activation="relu", seed=0)
        run = Trainer(
            model,
            [[1e150]] * 3,
            [0.0] * 3,
            loss=mse_loss,
            optimizer=SGD(model.parameters(), lr=1e10),
            sampling=sampling,
            engine=engine,
        )
        with pytest.raises(TrainingDiverged) as raised:
            run.train(5)
        errors[engine] = (raised.value.epoch, raised.value.step, len(raised.value.history.step_losses))
    assert errors["python"] == errors["eager"]


def test_fits_options_after_the_data_are_keyword_only():
    model = MLP(1, [3, 1], seed=0)
    with pytest.raises(TypeError):
        fit(model, SAMPLES, TARGETS, 2, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1))


def test_hundreds_of_scheduled_epochs_stop_at_the_count_asked():
    # epoch counts past 256, where CPython no longer shares one int object per number
    run = trainer(sampling="full-batch", lr_schedule=lambda epoch: 0.01)
    run.train(300)
    assert run.epoch == 300 and len(run.history.step_losses) == 300


def test_a_compiled_engine_trains_on_a_single_sample():
    model = MLP(1, [3, 1], activation="tanh", seed=0)
    run = Trainer(
        model, [[0.5]], [0.2], loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1), engine="python"
    )
    run.train(3)
    assert run.history.samples == [0, 0, 0]
