"""run(recipe, snapshot_every=N): Snapshots at the first step, every N-th epoch and the last step."""

from __future__ import annotations

import pytest

from micrograd44.training import TrainingDiverged
from micrograd44.training.course import INPUTS, Recipe, build_model, forward_backward, run, snapshot_steps


def test_the_course_recipe_is_snapshotted_at_its_first_step_and_every_logged_epoch():
    steps = snapshot_steps(Recipe(), 50)
    assert steps == [0, *(4 * epoch + 3 for epoch in range(0, 2001, 50))]
    assert len(steps) == 42 and steps[-1] == 8003


@pytest.mark.parametrize(
    ("recipe", "every", "expected"),
    [
        (Recipe(epochs=120), 50, [0, 3, 203, 403, 479]),
        (Recipe(epochs=3), 1, [0, 3, 7, 11]),
        (Recipe(epochs=1), 50, [0, 3]),
        (Recipe(epochs=7, sampling="full-batch"), 3, [0, 3, 6]),
        (Recipe(epochs=8, sampling="full-batch"), 3, [0, 3, 6, 7]),
        (Recipe(epochs=0), 50, []),
    ],
)
def test_snapshot_steps_first_every_nth_epoch_end_and_last(recipe, every, expected):
    assert snapshot_steps(recipe, every) == expected


@pytest.mark.parametrize("every", [0, -1, 2.5, True, "50"])
def test_snapshot_every_must_be_a_positive_integer(every):
    with pytest.raises(ValueError, match="snapshot_every must be an integer >= 1"):
        run(Recipe(epochs=1), snapshot_every=every)


@pytest.fixture(scope="module")
def snapshotted():
    """A short run with snapshots every 7 epochs, and the same run without."""
    recipe = Recipe(epochs=30)
    return run(recipe, snapshot_every=7), run(recipe)


def test_no_snapshots_unless_asked_and_asking_changes_nothing(snapshotted):
    with_snapshots, without = snapshotted
    assert without.snapshots == []
    assert with_snapshots.step_losses == without.step_losses
    assert with_snapshots.final_state == without.final_state


def test_each_snapshot_is_its_step_after_backward_before_the_update(snapshotted):
    history, _ = snapshotted
    recipe = history.recipe
    assert [s.step for s in history.snapshots] == snapshot_steps(recipe, 7) == [0, 3, 31, 59, 87, 115, 119]
    assert history.snapshots[0].values == history.initial_state
    for snapshot in history.snapshots:
        assert snapshot.epoch == snapshot.step // recipe.steps_per_epoch
        assert snapshot.loss == history.step_losses[snapshot.step]
        assert snapshot.sample == history.samples[snapshot.step]
        model = build_model(recipe)
        model.load_state_dict(snapshot.values)
        loss = forward_backward(model, recipe, [snapshot.sample])
        assert loss.data == snapshot.loss
        assert snapshot.grads == {name: p.grad for name, p in model.named_parameters()}
        assert snapshot.predictions == [model(x).data for x in INPUTS]
        assert snapshot.rounded == [int(p >= 0.5) for p in snapshot.predictions]
    assert history.snapshots[-1].values != history.final_state  # the last update came after it


def test_a_diverged_run_keeps_the_snapshots_it_took():
    recipe = Recipe(loss="mse", lr=100)
    with pytest.raises(TrainingDiverged) as stopped:
        run(recipe, snapshot_every=5)
    assert stopped.value.step == 52
    assert [s.step for s in stopped.value.history.snapshots] == [0, 3, 23, 43]
