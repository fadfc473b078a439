"""micrograd44.training.loop on a tiny model: which epochs are logged with what, what a Snapshot holds,
where a step that fails stops training and what it leaves, and which arguments are refused.

Each expectation is recomputed independently: a Snapshot at step s against a fresh run of
s steps and a hand-made backward, a logged loss against the History, a failing step
against the sample that makes it fail.
"""

from __future__ import annotations

import math
import re

import numpy
import pytest

from micrograd44 import MLP
from micrograd44.compiled import CompilerUnavailable
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer, TrainingDiverged, TrainingInterrupted, fit
from micrograd44.training.history import predict
from micrograd44.training.loop import ENGINES, SAMPLINGS, step_loss

POINTS = [[0.1, 0.2], [0.3, -0.1], [-0.4, 0.5], [0.5, 0.5], [0.9, -0.7]]
TARGETS = [0.0, 1.0, 0.0, 1.0, 0.5]
ENGINES_HERE = ["eager", "python"]


def model(activation="tanh"):
    return MLP(2, [3, 1], activation=activation, seed=2)


def trainer(engine="eager", *, points=POINTS, targets=TARGETS, lr=0.1, activation="tanh", **options):
    net = model(activation)
    return Trainer(
        net, points, targets, loss=mse_loss, optimizer=SGD(net.parameters(), lr=lr), engine=engine, **options
    )


def test_the_names_of_the_samplings_and_engines():
    assert SAMPLINGS == ("random", "cycle", "full-batch")
    assert ENGINES == ("eager", "compiled", "python", "c")


# ---- epochs, steps and the log ----


@pytest.mark.parametrize("engine", ENGINES_HERE)
@pytest.mark.parametrize("sampling, per_epoch", [("random", 5), ("cycle", 5), ("full-batch", 1)])
def test_an_epoch_has_the_samplings_steps_and_the_history_knows_it(engine, sampling, per_epoch):
    run = trainer(engine, sampling=sampling)
    run.train(3)
    assert run.history.steps_per_epoch == per_epoch and run.epoch == 3
    assert len(run.history.step_losses) == 3 * per_epoch and len(run.history.epoch_losses) == 3
    run.train(0)
    assert run.epoch == 3 and len(run.history.step_losses) == 3 * per_epoch
    run.train(numpy.int64(2))
    assert run.epoch == 5 and len(run.history.epoch_losses) == 5


@pytest.mark.parametrize("engine", ENGINES_HERE)
@pytest.mark.parametrize("every, chunk", [(1, 1000), (3, 1000), (3, 2), (4, 1), (20, 1000)])
def test_logged_epochs_are_the_multiples_of_log_every_with_their_last_loss_and_mean(engine, every, chunk):
    log = []
    run = trainer(
        engine, sampling="cycle", log_every=every, chunk_epochs=chunk, on_log=lambda *e: log.append(e)
    )
    run.train(5)
    run.train(6)
    history = run.history
    assert [epoch for epoch, _, _ in log] == list(range(0, 11, every))
    for epoch, loss, mean in log:
        assert loss == history.step_losses[5 * epoch + 4]
        assert mean == history.epoch_losses[epoch]


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_the_history_is_the_same_however_the_epochs_are_chunked_and_logged(engine):
    whole = trainer(engine)
    whole.train(7)
    for options in ({"chunk_epochs": 1}, {"chunk_epochs": 3}, {"log_every": 2, "on_log": lambda *e: None}):
        split = trainer(engine, **options)
        split.train(7)
        assert split.history.step_losses == whole.history.step_losses
        assert split.history.samples == whole.history.samples
        assert split.history.final_state == whole.history.final_state


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_a_schedule_sets_each_epochs_learning_rate_before_it(engine):
    asked = []

    def schedule(epoch):
        asked.append(epoch)
        return 0.1 / (epoch + 1)

    run = trainer(engine, sampling="full-batch", lr_schedule=schedule)
    run.train(2)
    run.train(2)
    assert asked == [0, 1, 2, 3] and run.optimizer.lr == 0.1 / 4
    # the same as setting each rate by hand, one epoch at a time
    by_hand = trainer(engine, sampling="full-batch")
    for epoch in range(4):
        by_hand.optimizer.lr = 0.1 / (epoch + 1)
        by_hand.train(1)
    assert run.history.step_losses == by_hand.history.step_losses
    assert run.history.final_state == by_hand.history.final_state


def test_the_seed_picks_the_random_samples_and_cycle_takes_them_in_order():
    runs = {}
    for seed in (0, 1):
        run = trainer(seed=seed)
        run.train(4)
        runs[seed] = list(run.history.samples)
    assert runs[0] != runs[1] and set(runs[0]) <= set(range(5))
    cycle = trainer(sampling="cycle")
    cycle.train(2)
    assert list(cycle.history.samples) == [0, 1, 2, 3, 4] * 2


def test_a_full_batch_step_is_the_loss_over_every_sample():
    run = trainer(sampling="full-batch")
    net = model()
    expected = step_loss(net, mse_loss, POINTS, TARGETS, range(5)).data
    run.train(1)
    assert run.history.step_losses[0] == expected and list(run.history.samples) == [None]


# ---- snapshots ----


def after_steps(steps: int, engine="eager", **options):
    """A Trainer of the same run stopped after `steps` single-sample steps (cycle sampling)."""
    run = trainer(engine, sampling="cycle", **options)
    whole, rest = divmod(steps, 5)
    run.train(whole)
    for _ in range(rest):  # a partial epoch, by hand
        run._step(len(run.history.step_losses) % 5, ())
    return run


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_a_snapshot_is_the_model_after_its_backward_and_before_its_update(engine):
    at = [0, 4, 7, 12]
    run = trainer(engine, sampling="cycle", snapshot_at=set(at))
    run.train(3)
    history = run.history
    assert [s.step for s in history.snapshots] == at
    for snapshot in history.snapshots:
        step = snapshot.step
        assert snapshot.epoch == step // 5 and snapshot.sample == step % 5
        assert snapshot.loss == history.step_losses[step]
        before = after_steps(step)
        net = before.history.model
        assert snapshot.values == net.state_dict()
        assert snapshot.predictions == [predict(net, x) for x in POINTS]
        for p in net.parameters():
            p.grad = 0.0
        step_loss(net, mse_loss, POINTS, TARGETS, [step % 5]).backward()
        assert snapshot.grads == {name: p.grad for name, p in net.named_parameters()}


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_full_batch_snapshots_have_no_sample_and_one_step_per_epoch(engine):
    run = trainer(engine, sampling="full-batch", snapshot_at={1, 3})
    run.train(4)
    snapshots = run.history.snapshots
    assert [(s.epoch, s.step, s.sample) for s in snapshots] == [(1, 1, None), (3, 3, None)]
    assert [s.loss for s in snapshots] == [run.history.step_losses[1], run.history.step_losses[3]]
    eager = trainer("eager", sampling="full-batch", snapshot_at={1, 3})
    eager.train(4)
    assert snapshots == eager.history.snapshots


def test_snapshots_at_the_edges_of_each_compiled_run():
    at = {0, 4, 5, 9, 10, 14}
    eager = trainer("eager", sampling="cycle", snapshot_at=at)
    compiled = trainer("python", sampling="cycle", snapshot_at=at, chunk_epochs=1)
    for run in (eager, compiled):
        run.train(3)
    assert [s.step for s in compiled.history.snapshots] == sorted(at)
    assert compiled.history.snapshots == eager.history.snapshots
    assert compiled.history.step_losses == eager.history.step_losses


# ---- a step that fails ----

HUGE = [[0.1, 0.2], [0.3, -0.1], [1e300, 1e300], [0.5, 0.5], [0.9, -0.7]]


@pytest.mark.parametrize("engine", ENGINES_HERE)
@pytest.mark.parametrize("sampling, step, epoch", [("cycle", 2, 0), ("full-batch", 0, 0)])
def test_a_forward_pass_that_overflows_stops_at_its_step_before_the_update(engine, sampling, step, epoch):
    run = trainer(engine, points=HUGE, activation=None, sampling=sampling)
    start = run.history.model.state_dict()
    with pytest.raises(TrainingDiverged) as caught:
        run.train(2)
    error = caught.value
    assert (error.step, error.epoch) == (step, epoch)
    assert len(error.history.step_losses) == step
    if sampling == "full-batch":
        assert error.history.final_state == start
    else:
        assert (
            error.history.final_state
            == after_steps(step, points=HUGE, activation=None).history.model.state_dict()
        )


@pytest.mark.parametrize(
    "sampling, at",
    [
        ("cycle", {1, 2}),
        ("full-batch", {0}),
    ],
)
@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_a_snapshot_due_at_the_failing_step_fails_as_the_eager_step_does(sampling, at, engine):
    errors = []
    for each in ("eager", engine):
        run = trainer(each, points=HUGE, activation=None, sampling=sampling, snapshot_at=at)
        with pytest.raises(TrainingDiverged) as caught:
            run.train(2)
        errors.append(caught.value)
    eager, compiled = errors
    assert (compiled.step, compiled.epoch, str(compiled)) == (eager.step, eager.epoch, str(eager))
    assert compiled.history.snapshots == eager.history.snapshots
    assert [s.step for s in eager.history.snapshots] == sorted(at)[:-1]
    assert compiled.history.step_losses == eager.history.step_losses


def test_an_update_that_overflows_stops_after_it_naming_the_parameter():
    errors = []
    for engine in ENGINES_HERE:
        run = trainer(engine, sampling="cycle", targets=[1000.0] * 5, lr=1e307, activation=None)
        with pytest.raises(TrainingDiverged) as caught:
            run.train(2)
        errors.append(caught.value)
    eager, compiled = errors
    assert (eager.step, eager.epoch) == (compiled.step, compiled.epoch)
    assert str(eager) == str(compiled)
    state = eager.history.final_state
    broken = [name for name, value in state.items() if not math.isfinite(value)]
    named = re.search(r"first parameter with a non-finite value or grad: (\S+) = ", str(eager))
    assert named.group(1) == broken[0]
    assert len(eager.history.step_losses) == eager.step == len(compiled.history.step_losses)
    assert list(map(repr, compiled.history.final_state.values())) == list(map(repr, state.values()))


@pytest.mark.parametrize("steps_before", [0, 3, 7])
def test_a_nan_loss_or_gradient_stops_before_the_update(monkeypatch, steps_before):
    real = Trainer._forward_backward
    calls = []

    def nan_at(self, indices):
        calls.append(indices)
        loss = real(self, indices)
        return math.nan if len(calls) == steps_before + 1 else loss

    monkeypatch.setattr(Trainer, "_forward_backward", nan_at)
    run = trainer(sampling="cycle")
    with pytest.raises(TrainingDiverged) as caught:
        run.train(3)
    assert (caught.value.step, caught.value.epoch) == (steps_before, steps_before // 5)
    assert caught.value.history.final_state == after_steps(steps_before).history.model.state_dict()


def test_a_keyboard_interrupt_keeps_the_finished_state_and_predictions():
    def stop(epoch, loss, mean):
        if epoch == 1:
            raise KeyboardInterrupt

    run = trainer(sampling="cycle", on_log=stop)
    with pytest.raises(TrainingInterrupted) as caught:
        run.train(4)
    history = caught.value.history
    assert (
        len(history.step_losses) == 10 and history.final_state == after_steps(10).history.model.state_dict()
    )
    assert history.predictions == [predict(history.model, x) for x in POINTS]


# ---- arguments ----


@pytest.mark.parametrize(
    "options",
    [
        {"points": [], "targets": []},
        {"targets": TARGETS[:4]},
        {"log_every": 0},
        {"log_every": 2.0},
        {"log_every": True},
        {"chunk_epochs": 0},
        {"chunk_epochs": 1.0},
        {"sampling": "batch"},
        {"engine": "gpu"},
    ],
)
def test_arguments_out_of_range_are_refused(options):
    with pytest.raises(ValueError):
        trainer(**options)


def test_counts_of_one_are_allowed():
    run = trainer(log_every=1, chunk_epochs=1)
    run.train(1)
    assert run.epoch == 1


def test_fit_is_a_trainer_trained_once():
    net = model()
    history = fit(
        net, POINTS, TARGETS, epochs=3, loss=mse_loss, optimizer=SGD(net.parameters(), lr=0.1), seed=4
    )
    run = trainer(seed=4)
    run.train(3)
    assert history.step_losses == run.history.step_losses and history.final_state == run.history.final_state


def test_without_a_c_compiler_compiled_falls_back_to_python_and_c_refuses(monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    eager = trainer("eager", snapshot_at={3})
    eager.train(2)
    fallback = trainer("compiled", snapshot_at={3})
    fallback.train(2)
    assert fallback.history.step_losses == eager.history.step_losses
    assert fallback.history.snapshots == eager.history.snapshots
    # a C loop already loaded in this process is used again without the compiler: a graph no
    # other test loads (sigmoid, full batch) makes this one need it
    with pytest.raises(CompilerUnavailable):
        trainer("c", activation="sigmoid", sampling="full-batch").train(1)


def test_a_schedule_of_300_epochs_is_asked_for_each_and_training_ends():
    asked = []

    def schedule(epoch):
        asked.append(epoch)
        return 0.01

    run = trainer(sampling="full-batch", lr_schedule=schedule)
    run.train(300)
    assert asked == list(range(300)) and run.epoch == 300 and len(run.history.step_losses) == 300


@pytest.mark.parametrize("sampling", ["cycle", "full-batch"])
def test_one_sample_trains_and_snapshots_on_every_engine(sampling):
    histories = []
    for engine in ENGINES_HERE:
        run = trainer(engine, points=POINTS[:1], targets=TARGETS[:1], sampling=sampling, snapshot_at={0, 2})
        run.train(3)
        histories.append(run.history)
    eager, compiled = histories
    assert [s.step for s in eager.snapshots] == [0, 2]
    assert compiled.snapshots == eager.snapshots and compiled.step_losses == eager.step_losses


def test_names_read_at_run_time_choose_as_literals_do():
    # "eager" read from a command line or a file is another str object than the literal
    engine, sampling = "".join(["ea", "ger"]), "".join(["full-", "batch"])
    run = trainer(engine, sampling=sampling)
    run.train(2)
    literal = trainer("eager", sampling="full-batch")
    literal.train(2)
    assert run.history.step_losses == literal.history.step_losses
    assert list(run.history.samples) == [None, None] and run.history.steps_per_epoch == 1
