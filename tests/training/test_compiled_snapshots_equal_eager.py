"""Snapshots of compiled runs: taken without an eager step, equal to the eager engine's, bit for bit.

A compiled run stops its loop before a snapshot's step, computes the snapshot with the
compiled snapshot program (the step's loss and the model's predictions, replayed as C beside
a C loop, else as Python) and lets the next call of the loop take the step itself.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from compilers import BACKENDS

from micrograd44.training import loop as loop_module
from micrograd44.training.course import Recipe, run, snapshot_steps

CASES = {
    "sgd single-sample": Recipe(epochs=40),
    "adam single-sample": Recipe(epochs=40, optimizer="adam", loss="mse"),
    "sgd full-batch": Recipe(epochs=40, sampling="full-batch"),
    "adam full-batch": Recipe(epochs=40, sampling="full-batch", optimizer="adam", seed=5),
    "sgd cycle, relu": Recipe(epochs=40, sampling="cycle", activation="relu"),
}


def bits(value: float) -> tuple[float, float]:
    """A float with its sign, so that 0.0 and -0.0 differ."""
    return value, math.copysign(1.0, value)


def assert_same_snapshots(compiled: list, eager: list) -> None:
    """The same snapshots, every float equal with its sign."""
    assert [s.step for s in compiled] == [s.step for s in eager]
    for c, e in zip(compiled, eager):
        assert (c.epoch, c.step, c.sample) == (e.epoch, e.step, e.sample)
        assert bits(c.loss) == bits(e.loss)
        assert {n: bits(v) for n, v in c.values.items()} == {n: bits(v) for n, v in e.values.items()}
        assert {n: bits(v) for n, v in c.grads.items()} == {n: bits(v) for n, v in e.grads.items()}
        assert list(map(bits, c.predictions)) == list(map(bits, e.predictions))


def _forbidden(self, *args, **kwargs):
    """Stands in for the eager step in a compiled run."""
    raise AssertionError("a compiled run took an eager step")


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("recipe", CASES.values(), ids=CASES)
@pytest.mark.parametrize("every", [1, 7])
def test_compiled_snapshots_are_the_eager_ones_and_take_no_eager_step(recipe, engine, every, monkeypatch):
    eager = run(recipe, snapshot_every=every)
    with monkeypatch.context() as patch:
        for name in ("_step", "_checked_backward"):
            patch.setattr(loop_module.Trainer, name, _forbidden)
        compiled = run(dataclasses.replace(recipe, engine=engine), snapshot_every=every)
    assert [s.step for s in compiled.snapshots] == snapshot_steps(recipe, every)
    assert_same_snapshots(compiled.snapshots, eager.snapshots)
    assert compiled.step_losses == eager.step_losses
    assert compiled.final_state == eager.final_state


@pytest.mark.parametrize("engine", BACKENDS)
def test_the_course_recipe_snapshots_at_its_logged_epochs_equal_eager(engine):
    eager = run(Recipe(), snapshot_every=50)
    compiled = run(Recipe(engine=engine), snapshot_every=50)
    assert len(compiled.snapshots) == 42
    assert_same_snapshots(compiled.snapshots, eager.snapshots)


@pytest.mark.parametrize("engine", BACKENDS)
def test_a_snapshot_the_compiled_program_cannot_take_is_taken_as_eager_takes_it(engine):
    # lr 100 with mse: the forward pass overflows at step 52; the snapshots before it are kept
    # and the failing step raises the eager engine's error
    recipe = Recipe(loss="mse", lr=100)
    errors = []
    for chosen in (engine, "eager"):
        with pytest.raises(loop_module.TrainingDiverged) as caught:
            run(dataclasses.replace(recipe, engine=chosen), snapshot_every=1)
        errors.append(caught.value)
    compiled, eager = errors
    assert str(compiled) == str(eager) and compiled.step == eager.step == 52
    assert_same_snapshots(compiled.history.snapshots, eager.history.snapshots)
