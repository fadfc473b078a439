"""Recipe(engine="compiled"): the same History as the eager engine, bit for bit, in every case run() has.

Every comparison is exact equality (0.0 == -0.0 aside): the compiled loop performs the
eager engine's float operations in the same order, snapshots are the parameters, grads and
loss the loop copies at their steps (the predictions from the loop's program run with
them), and a failing step is taken again by the eager engine.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math
import shutil
import signal
from pathlib import Path

import pytest
from cli_runs import interrupt_training, run_train

from micrograd44 import MLP
from micrograd44.compiled import StepFailed, TrainingLoop
from micrograd44.training import ENGINES, SAMPLINGS, History, TrainingDiverged, TrainingInterrupted
from micrograd44.training import course as course_module
from micrograd44.training.course import OPTIMIZERS, Recipe, run
from micrograd44.training.loop import Trainer

ROOT = Path(__file__).resolve().parents[2]


def comparable(values: list[float] | dict[str, float]) -> list | dict:
    """The floats with each nan replaced by the string 'nan', so that equal runs compare equal."""
    if isinstance(values, dict):
        return {name: "nan" if v != v else v for name, v in values.items()}
    return ["nan" if v != v else v for v in values]


def assert_same_history(compiled: History, eager: History) -> None:
    """Every field of the two histories is equal, step by step and snapshot by snapshot."""
    assert compiled.recipe == dataclasses.replace(eager.recipe, engine="compiled")
    assert compiled.initial_state == eager.initial_state
    assert compiled.samples == eager.samples
    assert compiled.step_losses == eager.step_losses
    assert compiled.epoch_losses == eager.epoch_losses
    assert comparable(compiled.final_state) == comparable(eager.final_state)
    assert compiled.model.state_dict().keys() == eager.model.state_dict().keys()
    assert comparable(compiled.predictions) == comparable(eager.predictions)
    assert compiled.snapshots == eager.snapshots


def logged_run(recipe: Recipe, **options) -> tuple[History, list]:
    """run(recipe) and every on_log call it made."""
    logged = []
    history = run(recipe, on_log=lambda *entry: logged.append(entry), **options)
    return history, logged


def both_engines(recipe: Recipe, **options) -> tuple[tuple[History, list], tuple[History, list]]:
    """logged_run() of the recipe with each engine, compiled first."""
    compiled = logged_run(dataclasses.replace(recipe, engine="compiled"), **options)
    return compiled, logged_run(dataclasses.replace(recipe, engine="eager"), **options)


def test_every_engine_has_an_implementation():
    assert set(ENGINES) == {"eager", "compiled", "python", "c"}
    assert Recipe().engine == "eager"


# ---- the same History ----

COMBINATIONS = list(itertools.product(SAMPLINGS, OPTIMIZERS, course_module.LOSSES))


@pytest.mark.parametrize(
    ("sampling", "optimizer", "loss"), COMBINATIONS, ids=["-".join(c) for c in COMBINATIONS]
)
def test_same_history_and_log_for_every_sampling_optimizer_and_loss(sampling, optimizer, loss):
    recipe = Recipe(epochs=151, sampling=sampling, optimizer=optimizer, loss=loss)
    (compiled, compiled_log), (eager, eager_log) = both_engines(recipe)
    assert_same_history(compiled, eager)
    assert compiled_log == eager_log
    assert [epoch for epoch, _, _ in compiled_log] == [0, 50, 100, 150]


VARIANTS = {
    "relu": dict(activation="relu"),
    "sigmoid, one hidden layer": dict(activation="sigmoid", hidden=(3,)),
    "no hidden layer": dict(hidden=(), activation=None),
    "sgd without momentum": dict(momentum=0.0),
    "zero weights": dict(weight_init="zeros", bias_init="zeros"),
    "adam full-batch, he init": dict(optimizer="adam", sampling="full-batch", weight_init="he", seed=5),
}


@pytest.mark.parametrize("options", VARIANTS.values(), ids=VARIANTS)
def test_same_history_for_other_models_and_optimizer_settings(options):
    recipe = Recipe(epochs=60, print_every=7, **options)
    (compiled, compiled_log), (eager, eager_log) = both_engines(recipe)
    assert_same_history(compiled, eager)
    assert compiled_log == eager_log


@pytest.fixture(scope="module")
def course():
    """The course recipe, 2001 epochs, with each engine: snapshots every 50 epochs, and none."""
    (compiled, compiled_log), (eager, eager_log) = both_engines(Recipe(), snapshot_every=50)
    plain = run(Recipe(engine="compiled"))
    return compiled, compiled_log, eager, eager_log, plain


def test_the_course_recipe_gives_the_same_history_snapshots_and_log(course):
    compiled, compiled_log, eager, eager_log, _ = course
    assert len(compiled.step_losses) == 8004 and len(compiled.snapshots) == 42
    assert_same_history(compiled, eager)
    assert compiled_log == eager_log and len(compiled_log) == 41
    assert compiled.solved


def test_the_course_recipe_without_snapshots_is_the_same_run(course):
    _, _, eager, _, plain = course
    assert plain.snapshots == []
    assert_same_history(plain, dataclasses.replace(eager, snapshots=[]))


@pytest.mark.parametrize(
    ("recipe", "every"),
    [
        (Recipe(epochs=30), 1),
        (Recipe(epochs=30), 7),
        (Recipe(epochs=31, print_every=10, sampling="cycle", optimizer="adam"), 3),
        (Recipe(epochs=30, sampling="full-batch", loss="mse"), 4),
        (Recipe(epochs=1), 50),
    ],
)
def test_same_snapshots_where_the_compiled_runs_stop(recipe, every):
    (compiled, compiled_log), (eager, eager_log) = both_engines(recipe, snapshot_every=every)
    assert [s.step for s in compiled.snapshots] == course_module.snapshot_steps(recipe, every)
    assert_same_history(compiled, eager)
    assert compiled_log == eager_log


@pytest.mark.parametrize("print_every", [1, 7, 5000])
def test_runs_split_at_every_log_and_at_the_chunk_size(print_every, monkeypatch):
    monkeypatch.setitem(Trainer.__init__.__kwdefaults__, "chunk_epochs", 4)  # runs of at most 4 epochs
    recipe = Recipe(epochs=30, print_every=print_every)
    (compiled, compiled_log), (eager, eager_log) = both_engines(recipe, snapshot_every=6)
    assert_same_history(compiled, eager)
    assert compiled_log == eager_log
    assert [epoch for epoch, _, _ in compiled_log] == list(range(0, 30, print_every))


def test_zero_epochs():
    (compiled, compiled_log), (eager, _) = both_engines(Recipe(epochs=0), snapshot_every=5)
    assert compiled.step_losses == [] and compiled_log == [] and compiled.snapshots == []
    assert_same_history(compiled, eager)


# ---- failing loudly: the same error, at the same step, with the same history ----


def both_diverge(recipe: Recipe, **options) -> tuple[TrainingDiverged, TrainingDiverged]:
    """The TrainingDiverged of each engine, compiled first."""
    errors = []
    for engine in ("compiled", "eager"):
        with pytest.raises(TrainingDiverged) as caught:
            run(dataclasses.replace(recipe, engine=engine), **options)
        errors.append(caught.value)
    return errors[0], errors[1]


def assert_same_divergence(compiled: TrainingDiverged, eager: TrainingDiverged) -> None:
    """The same message, epoch, step and history."""
    assert str(compiled) == str(eager)
    assert (compiled.epoch, compiled.step) == (eager.epoch, eager.step)
    assert_same_history(compiled.history, eager.history)
    assert compiled.__cause__ is None


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_an_overflowing_forward_pass_stops_at_the_same_step(sampling):
    compiled, eager = both_diverge(Recipe(loss="mse", lr=100, sampling=sampling), snapshot_every=5)
    assert_same_divergence(compiled, eager)
    assert "the forward pass failed (**2: " in str(compiled)
    assert compiled.history.snapshots


def test_the_course_divergence_is_epoch_13_step_52():
    compiled, eager = both_diverge(Recipe(loss="mse", lr=100))
    assert_same_divergence(compiled, eager)
    assert (compiled.epoch, compiled.step) == (13, 52) and len(compiled.history.epoch_losses) == 13


def test_a_failing_op_on_the_inputs_is_described_as_eager_describes_it():
    # The first layer overflows: the error lists the inputs, unlabelled constants in the eager graph.
    compiled, eager = both_diverge(Recipe(hidden=(), activation=None, lr=8e307, momentum=0.0))
    assert_same_divergence(compiled, eager)
    assert "linear: the result is inf" in str(compiled) and "an unlabelled input (data 1.0)" in str(compiled)


def test_a_non_finite_update_stops_after_it_as_eager_does():
    compiled, eager = both_diverge(Recipe(lr=1e308))
    assert_same_divergence(compiled, eager)
    assert "the update made a parameter non-finite" in str(compiled)
    assert not all(math.isfinite(v) for v in compiled.history.final_state.values())


def test_a_non_finite_gradient_stops_before_the_update(monkeypatch):
    # A linear model whose forward pass is finite (its hidden unit is 0) but whose
    # gradient overflows: dL/dh = w2 * 2 (p - t) = 1e300 * 2e10.
    real = course_module.build_model

    def poised(recipe):
        model = real(recipe)
        state = {name: 0.0 for name in model.state_dict()}
        model.load_state_dict({**state, "layers.1.neurons.0.w.0": 1e300, "layers.1.neurons.0.b": 1e10})
        return model

    monkeypatch.setattr(course_module, "build_model", poised)
    compiled, eager = both_diverge(Recipe(hidden=(1,), activation=None, loss="mse", sampling="full-batch"))
    assert_same_divergence(compiled, eager)
    assert "training diverged at epoch 0, step 0: a gradient is not finite" in str(compiled)


def test_a_compiled_failure_the_eager_engine_does_not_repeat_is_an_internal_error(monkeypatch):
    def fails_at_step_2(self, mode, samples, order, **options):
        steps = real(self, mode, samples, order[:2], **options)
        raise StepFailed("step 2: the loss is not finite", "loss", 2, steps)

    real = TrainingLoop.run
    monkeypatch.setattr(TrainingLoop, "run", fails_at_step_2)
    with pytest.raises(
        RuntimeError, match=r"the compiled engine stopped at step 2 \(loss\), which the eager"
    ):
        run(Recipe(epochs=3, engine="compiled"))


# ---- Ctrl-C ----


def test_keyboard_interrupt_from_on_log_keeps_the_history_so_far():
    def interrupt(epoch, loss, mean):
        if epoch == 100:
            raise KeyboardInterrupt

    histories = []
    for engine in ("compiled", "eager"):
        with pytest.raises(TrainingInterrupted) as caught:
            run(Recipe(engine=engine), on_log=interrupt, snapshot_every=40)
        histories.append(caught.value.history)
    compiled, eager = histories
    assert len(compiled.epoch_losses) == 101 and len(compiled.step_losses) == 404
    assert compiled.final_state == compiled.model.state_dict()
    assert_same_history(compiled, eager)


@pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is not signal.default_int_handler, reason="SIGINT is taken"
)
def test_ctrl_c_stops_the_compiled_engine_at_the_end_of_its_run(monkeypatch):
    def ctrl_c_at_epoch_50(epoch, loss, mean):
        if epoch == 50:
            signal.raise_signal(signal.SIGINT)  # deferred: training goes on to the end of the run

    with pytest.raises(TrainingInterrupted) as caught:
        run(Recipe(engine="compiled"), on_log=ctrl_c_at_epoch_50)
    history = caught.value.history
    assert len(history.step_losses) == 404 and len(history.epoch_losses) == 101  # the run of epochs 51..100
    eager = run(Recipe(epochs=101))
    assert history.step_losses == eager.step_losses and history.epoch_losses == eager.epoch_losses
    assert history.final_state == eager.final_state == history.model.state_dict()


# ---- the command line ----


def test_engine_flag_writes_the_same_files(tmp_path, capsys):
    outputs = {}
    for engine in ENGINES:
        argv = ["--epochs", "120", "--sampling", "cycle", "--engine", engine, "--out", str(tmp_path / engine)]
        status, out, err = run_train(argv, capsys)
        assert status == 0, err
        outputs[engine] = out
    assert "Recipe: a variant of the course recipe" in outputs["compiled"]
    assert "  engine      compiled" in outputs["compiled"]
    assert "  engine      eager" in outputs["eager"]
    log = {
        engine: [line for line in out.splitlines() if line.startswith("Epoch: ")]
        for engine, out in outputs.items()
    }
    assert log["compiled"] == log["eager"] and len(log["eager"]) == 3
    for name in ("history.csv", "model.json"):
        assert (tmp_path / "compiled" / name).read_bytes() == (tmp_path / "eager" / name).read_bytes()
    assert '"engine": "compiled"' in (tmp_path / "compiled" / "recipe.json").read_text()


def test_the_course_recipe_with_the_compiled_engine_is_still_the_course_exercise(tmp_path, capsys):
    status, out, err = run_train(["--engine", "compiled", "--out", str(tmp_path)], capsys)
    assert status == 0, err
    assert "Recipe: the course's 44-parameter XOR exercise" in out
    assert "XOR solved: yes" in out


def test_divergence_with_the_compiled_engine_in_the_cli(tmp_path, capsys):
    argv = ["--loss", "mse", "--lr", "100", "--engine", "compiled", "--out", str(tmp_path), "--quiet"]
    status, _, err = run_train(argv, capsys)
    assert status == 1
    assert (
        "micrograd44 train: error: training diverged at epoch 13, step 52" in err and "Traceback" not in err
    )
    assert len(list(csv.reader((tmp_path / "history.csv").open()))) == 1 + 52


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_report_with_the_compiled_engine_is_the_same_page(tmp_path, capsys):
    pages = {}
    for engine in ENGINES:
        report = tmp_path / f"{engine}.html"
        argv = ["--epochs", "120", "--snapshot-every", "20", "--report", str(report), "--engine", engine]
        status, out, err = run_train([*argv, "--out", str(tmp_path / engine), "--quiet"], capsys)
        assert status == 0, err
        pages[engine] = report.read_text(encoding="utf-8")
    assert pages["compiled"] == pages["eager"]


def test_ctrl_c_in_the_cli_with_the_compiled_engine(tmp_path):
    argv = ["--engine", "compiled", "--epochs", "1000000", "--print-every", "20", "--out", str(tmp_path)]
    status, out, err = interrupt_training(argv, after="Epoch: 2000,")
    assert status == 130, err
    assert "Interrupted after" in out and "Traceback" not in err
    rows = list(csv.reader((tmp_path / "history.csv").open()))
    steps = len(rows) - 1
    assert steps > 2000 * 4 and steps % 4 == 0  # the compiled runs end at epoch ends
    assert MLP.load(tmp_path / "model.json").num_parameters() == 44
