"""A Trainer of a model whose architecture and loss were traced before reuses the trace: eager's numbers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from micrograd44 import MLP
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer
from micrograd44.training import step_program as step_module
from micrograd44.training.course import Recipe, run

POINTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [0.0, 1.0, 1.0, 0.0]


@pytest.fixture
def traces(monkeypatch) -> list:
    """Every trace a Trainer makes, from an empty cache."""
    monkeypatch.setattr(step_module, "_traced", {})
    made = []
    real = step_module.trace

    def counted(*args, **kwargs):
        made.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(step_module, "trace", counted)
    return made


def trainer(model, loss=mse_loss, engine="python") -> Trainer:
    return Trainer(
        model, POINTS, TARGETS, loss=loss, optimizer=SGD(model.parameters(), lr=0.1), engine=engine
    )


def signed(values) -> list[tuple[float, float]]:
    return [(v, math.copysign(1.0, v)) for v in values]


def test_runs_of_one_recipe_trace_once_and_equal_eager(traces):
    recipe = Recipe(epochs=30, engine="python")
    histories = [run(dataclasses.replace(recipe, seed=seed)) for seed in (0, 1, 0)]
    assert len(traces) == 1
    for history, seed in zip(histories, (0, 1, 0)):
        eager = run(dataclasses.replace(recipe, seed=seed, engine="eager"))
        assert signed(history.step_losses) == signed(eager.step_losses)
        assert history.final_state == eager.final_state


def test_another_architecture_or_loss_is_traced_again(traces):
    for model in (MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1), MLP(2, [4, 1], seed=0)):
        trainer(model).train(2)
    assert len(traces) == 2
    trainer(MLP(2, [3, 1], seed=2), loss=lambda p, t: mse_loss(p, t)).train(2)  # a user's loss: never reused
    trainer(MLP(2, [3, 1], seed=3), loss=lambda p, t: mse_loss(p, t)).train(2)
    assert len(traces) == 4


def changed_model() -> MLP:
    """The MLP(2, [3, 1]) of seed 0 with its output layer replaced after building by one with tanh."""
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model.layers[-1] = MLP(3, [1], final_activation="tanh", seed=0).layers[0]
    model._assign_names()
    return model


def test_a_model_changed_after_building_is_traced_again(traces):
    trainer(MLP(2, [3, 1], activation="tanh", seed=0)).train(2)
    compiled, eager = trainer(changed_model()), trainer(changed_model(), engine="eager")
    compiled.train(3)
    eager.train(3)
    assert len(traces) == 2
    assert signed(compiled.history.step_losses) == signed(eager.history.step_losses)


def test_the_cache_keeps_the_newest_traces_only(traces, monkeypatch):
    monkeypatch.setattr(step_module, "_TRACES_KEPT", 2)
    for width in (2, 3, 4, 2):
        trainer(MLP(2, [width, 1], seed=0)).train(1)
    assert len(traces) == 4  # the trace of width 2 was dropped when width 4 came
    assert len(step_module._traced) == 2


def test_the_step_programs_inputs_are_the_samples_then_the_target(traces):
    for inputs in (1, 2, 3):
        model = MLP(inputs, [2, 1], seed=0)
        run = Trainer(
            model, [[0.5] * inputs], [1.0], loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1)
        )
        run.engine = "python"
        run.train(1)
        assert run._loop.program.input_names == (*(f"x{i}" for i in range(1, inputs + 1)), "target")


def user_loss(module: str):
    """A loss of a user's module of this name: one function object, used by every Trainer below."""

    def loss(predictions, targets):
        return mse_loss(predictions, targets)

    loss.__module__ = module
    return loss


def test_a_users_loss_or_module_is_traced_for_every_trainer(traces):
    for loss in (user_loss("a_module"), user_loss("z_module")):  # names before and after micrograd44's
        for seed in (0, 1):
            trainer(MLP(2, [3, 1], seed=seed), loss=loss).train(1)
    assert len(traces) == 4
    for _ in range(2):
        model = Doubled()
        Trainer(
            model, POINTS, TARGETS, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1), engine="python"
        ).train(1)
    assert len(traces) == 6


class Doubled(MLP):
    """A user's subclass, which may build its graph from anything."""

    def __init__(self):
        super().__init__(2, [3, 1], seed=0)

    def forward(self, x):
        return super().forward(x) * 2.0
