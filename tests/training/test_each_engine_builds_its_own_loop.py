"""Each compiled engine builds the training loop of its backend, and only that one: "python" never
asks for C, "c" and "compiled" build C (where a compiler works), names read at run time included."""

from __future__ import annotations

import pytest

from micrograd44 import MLP
from micrograd44.compiled import Program
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer

SAMPLES = [[0.0], [0.5], [1.0]]
TARGETS = [0.0, 0.3, 1.0]


def history(engine: str):
    model = MLP(1, [2, 1], activation="tanh", seed=0)
    run = Trainer(
        model, SAMPLES, TARGETS, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.1), engine=engine
    )
    run.train(2)
    return run.history


@pytest.mark.parametrize("built", [False, True], ids=["literal", "built"])
@pytest.mark.parametrize(("engine", "backends"), [("python", ["python"]), ("c", ["c"]), ("compiled", ["c"])])
def test_the_loops_an_engine_builds(monkeypatch, engine, backends, built):
    asked = []
    real = Program.training_loop

    def recorded(self, optimizer, backend="python", *args, **options):
        asked.append(backend)
        return real(self, optimizer, backend, *args, **options)

    monkeypatch.setattr(Program, "training_loop", recorded)
    # a name read from a command line or a file is another str object than the literal
    compiled = history("".join(list(engine)) if built else engine)
    assert asked == backends
    assert compiled.step_losses == history("eager").step_losses
