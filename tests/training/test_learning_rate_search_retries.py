"""The learning-rate search behind the divergence message: which candidates it tries, how many, in what order.

``stable_learning_rate`` trains lr/10, lr/100, ... (``tries`` of them, 6 by default) and
keeps the first that does not diverge; the command line's divergence message reports the
smallest one it tried. Training is replaced here by a recorder that diverges above a
threshold, so the tests count the candidates instead of timing real training.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from micrograd44.cli import train as train_command
from micrograd44.training import TrainingDiverged, course
from micrograd44.training.course import Recipe, stable_learning_rate


class Recorder:
    """A stand-in for course.run: records each recipe, diverges where lr > trains_below."""

    def __init__(self, trains_below: float = 0.0):
        self.trains_below = trains_below
        self.recipes: list[Recipe] = []

    def __call__(self, recipe: Recipe, **_):
        self.recipes.append(recipe)
        if not recipe.lr <= self.trains_below:
            raise TrainingDiverged("diverged", SimpleNamespace(recipe=recipe), 0, 0)
        return SimpleNamespace(recipe=recipe)

    @property
    def rates(self) -> list[float]:
        return [recipe.lr for recipe in self.recipes]


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(course, "run", recorder)
    return recorder


def test_by_default_six_candidates_each_ten_times_smaller(recorder):
    assert stable_learning_rate(Recipe(lr=100.0), epochs=50) is None
    assert recorder.rates == [100.0 / 10**k for k in range(1, 7)]


@pytest.mark.parametrize("tries", [1, 2, 3, 9])
def test_tries_is_the_number_of_candidates(recorder, tries):
    assert stable_learning_rate(Recipe(lr=100.0), epochs=50, tries=tries) is None
    assert len(recorder.rates) == tries
    assert recorder.rates[-1] == 100.0 / 10**tries


@pytest.mark.parametrize("trains_below, expected, tried", [(50.0, 10.0, 1), (0.5, 0.1, 3), (1e-4, 1e-4, 6)])
def test_the_first_candidate_that_trains_ends_the_search(recorder, trains_below, expected, tried):
    recorder.trains_below = trains_below
    assert stable_learning_rate(Recipe(lr=100.0), epochs=50) == expected
    assert len(recorder.rates) == tried


def test_a_candidate_trains_the_asked_epochs_at_most_the_recipes_with_the_compiled_engine(recorder):
    stable_learning_rate(Recipe(lr=100.0, epochs=30), epochs=50, tries=2)
    stable_learning_rate(Recipe(lr=100.0, epochs=300), epochs=50, tries=1)
    assert [(r.epochs, r.engine) for r in recorder.recipes] == [(30, "compiled")] * 2 + [(50, "compiled")]


def test_the_search_stops_where_the_candidate_underflows_to_zero(recorder):
    assert stable_learning_rate(Recipe(lr=1e-321), epochs=5) is None
    assert all(lr > 0.0 for lr in recorder.rates)
    assert len(recorder.rates) == 2  # 1e-322 and 1e-323 are subnormals; 1e-324 is 0


def _diverged_at(recipe: Recipe, epoch: int) -> TrainingDiverged:
    return TrainingDiverged("diverged", SimpleNamespace(recipe=recipe), epoch, 0)


def test_the_message_reports_the_smallest_candidate_tried(recorder):
    message = train_command._checked_learning_rate(_diverged_at(Recipe(lr=100.0, epochs=1000), epoch=3))
    lowest = float(re.search(r"down to (\S+) trains", message).group(1))
    assert lowest == float(f"{min(recorder.rates):g}")
    assert len(recorder.rates) == 6


def test_the_message_suggests_the_candidate_that_trained_for_twice_the_epochs_reached(recorder):
    recorder.trains_below = 0.01
    message = train_command._checked_learning_rate(_diverged_at(Recipe(lr=100.0, epochs=1000), epoch=80))
    suggested = float(re.search(r"--lr (\S+) trains", message).group(1))
    assert suggested == 0.01 and recorder.rates == [10.0, 1.0, 0.1, 0.01]
    assert {r.epochs for r in recorder.recipes} == {2 * (80 + 1)}
