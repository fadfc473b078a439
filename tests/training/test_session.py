"""Session: training k epochs at a time ends where an uninterrupted train.run ends, bit for bit."""

import pytest

from micrograd44.training import TrainingDiverged
from micrograd44.training.course import Recipe, run
from micrograd44.training.session import Session


def trained_in_pieces(recipe, pieces, **kwargs):
    """A Session trained in calls of the given sizes, then to the end."""
    session = Session(recipe, **kwargs)
    for epochs in pieces:
        session.train(epochs)
    session.train()
    return session


@pytest.mark.parametrize(
    "recipe",
    [
        Recipe(epochs=203),
        Recipe(epochs=120, engine="compiled"),
        Recipe(epochs=90, sampling="full-batch", optimizer="adam", lr=0.05),
        Recipe(epochs=75, sampling="cycle", loss="mse", print_every=7),
    ],
    ids=["course", "compiled", "full-batch-adam", "cycle-mse"],
)
def test_pieces_equal_an_uninterrupted_run(recipe):
    whole = run(recipe, snapshot_every=25)
    session = trained_in_pieces(recipe, [1, 0, 49, 3, 17], snapshot_every=25)
    assert session.done and session.epoch == recipe.epochs
    assert session.history.step_losses == whole.step_losses
    assert session.history.samples == whole.samples
    assert session.history.epoch_losses == whole.epoch_losses
    assert session.history.final_state == whole.final_state
    assert session.history.predictions == whole.predictions
    assert [s.step for s in session.history.snapshots] == [s.step for s in whole.snapshots]
    assert [s.values for s in session.history.snapshots] == [s.values for s in whole.snapshots]


def test_the_log_is_called_at_the_same_epochs_with_the_same_numbers():
    recipe = Recipe(epochs=130, print_every=20)
    expected, logged = [], []
    run(recipe, on_log=lambda *line: expected.append(line))
    trained_in_pieces(recipe, [5, 15, 1, 60], on_log=lambda *line: logged.append(line))
    assert logged == expected


def test_model_and_history_are_current_between_calls():
    session = Session(Recipe(epochs=50))
    model = session.model
    assert session.history.final_state == session.history.initial_state
    session.train(10)
    assert session.model is model
    assert len(session.history.step_losses) == 40 and len(session.history.epoch_losses) == 10
    assert session.history.final_state == model.state_dict()
    assert session.history.predictions == [model(x).data for x in [[0, 0], [0, 1], [1, 0], [1, 1]]]


@pytest.mark.parametrize("epochs", [-1, 51, 2.0, True, "3"])
def test_train_refuses_epochs_outside_the_recipe(epochs):
    session = Session(Recipe(epochs=50))
    with pytest.raises(ValueError, match=r"epochs must be an integer from 0 to 50 \(0 of the recipe's 50"):
        session.train(epochs)


def test_a_diverged_session_keeps_its_history_and_takes_no_more_steps():
    session = Session(Recipe(epochs=200, loss="mse", lr=100))
    with pytest.raises(TrainingDiverged) as caught:
        session.train(200)
    assert caught.value.history is session.history
    with pytest.raises(ValueError, match="stopped by a divergence"):
        session.train(1)


def test_session_needs_a_recipe():
    with pytest.raises(TypeError, match="Session needs a micrograd44.training.course.Recipe, got dict"):
        Session({"epochs": 3})
    assert Session().recipe == Recipe()


def test_the_docstring_example_runs():
    import doctest

    import micrograd44.training.session

    assert doctest.testmod(micrograd44.training.session).failed == 0
