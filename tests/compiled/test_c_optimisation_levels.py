"""The C backend's optimisation level, chosen by the source's size, never changes a number.

A large source is compiled at -O0, a small one at -O2 (a wide model's training loop, its
neurons printed as loops, is small); both give the eager engine's History bit for bit.
"""

from __future__ import annotations

import dataclasses

import pytest
from compilers import needs_compiler

from micrograd44.compiled import loop as compiled_loop
from micrograd44.compiled import toolchain
from micrograd44.training.course import Recipe, run

pytestmark = needs_compiler


@pytest.fixture
def levels(tmp_path, monkeypatch) -> list[str]:
    """The optimisation level of each compiler run from now on, into an empty cache of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(compiled_loop, "_loops", {})
    used, real = [], toolchain._run_compiler

    def recorded(command, source, output, limit, level):
        used.append(level)
        return real(command, source, output, limit, level)

    monkeypatch.setattr(toolchain, "_run_compiler", recorded)
    return used


def same_history(a, b) -> bool:
    """The step and epoch losses, final state and predictions are equal."""
    return (a.step_losses, a.epoch_losses, a.final_state, a.predictions) == (
        b.step_losses,
        b.epoch_losses,
        b.final_state,
        b.predictions,
    )


WIDE = {
    "2-32-32-1, random, sgd": Recipe(hidden=(32, 32), epochs=3),
    "2-32-32-1, full batch, adam": Recipe(hidden=(32, 32), epochs=3, sampling="full-batch", optimizer="adam"),
}


@pytest.mark.parametrize("recipe", WIDE.values(), ids=WIDE)
def test_a_wide_model_compiled_at_either_level_gives_the_eager_history(levels, monkeypatch, recipe):
    eager = run(recipe)
    assert same_history(run(dataclasses.replace(recipe, engine="c")), eager)
    assert levels == [toolchain.SMALL_LEVEL]
    monkeypatch.setattr(toolchain, "LARGE_SOURCE", 0)  # every source counts as large: -O0
    monkeypatch.setattr(compiled_loop, "_loops", {})
    assert same_history(run(dataclasses.replace(recipe, engine="c")), eager)
    assert levels == [toolchain.SMALL_LEVEL, toolchain.LARGE_LEVEL]


COURSE = {
    "course": Recipe(epochs=30),
    "full batch, adam, relu": Recipe(epochs=30, sampling="full-batch", optimizer="adam", activation="relu"),
}


@pytest.mark.parametrize("recipe", COURSE.values(), ids=COURSE)
def test_the_course_step_compiled_at_either_level_gives_the_eager_history(levels, monkeypatch, recipe):
    eager = run(recipe)
    assert same_history(run(dataclasses.replace(recipe, engine="c")), eager)
    assert levels == [toolchain.SMALL_LEVEL]
    monkeypatch.setattr(toolchain, "LARGE_SOURCE", 0)  # every source counts as large: -O0
    monkeypatch.setattr(compiled_loop, "_loops", {})
    assert same_history(run(dataclasses.replace(recipe, engine="c")), eager)
    assert levels == [toolchain.SMALL_LEVEL, toolchain.LARGE_LEVEL]
