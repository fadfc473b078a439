"""A compiled loop that stops at a step the eager engine then completes is an internal error,
raised with every step recorded: those the loop took and the one eager took after it."""

from __future__ import annotations

import pytest

from micrograd44 import MLP
from micrograd44.compiled import StepFailed, TrainingLoop
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD
from micrograd44.training import Trainer, TrainingDiverged

SAMPLES = [[0.0], [0.5], [1.0]]
TARGETS = [0.0, 0.3, 1.0]


@pytest.mark.parametrize("stage", ["loss", "gradient"])
def test_the_error_comes_after_the_eager_step_with_the_history_of_both(monkeypatch, stage):
    def stops_after_two_steps(self, mode, samples, order, **options):
        steps = real(self, mode, samples, order[:2], **options)
        raise StepFailed(f"step 2: the {stage} is not finite", stage, 2, steps)

    real = TrainingLoop.run
    model = MLP(1, [2, 1], activation="tanh", seed=0)
    run = Trainer(
        model,
        SAMPLES,
        TARGETS,
        loss=mse_loss,
        optimizer=SGD(model.parameters(), lr=0.1),
        sampling="cycle",
        engine="python",
    )
    run.train(1)  # steps 0, 1, 2 in one call of the loop
    monkeypatch.setattr(TrainingLoop, "run", stops_after_two_steps)
    with pytest.raises(RuntimeError) as caught:
        run.train(1)
    assert not isinstance(caught.value, TrainingDiverged)
    # steps 3 and 4 compiled, step 5 eager; the message's step is the last one recorded
    assert run.history.samples == [0, 1, 2, 0, 1, 2]
    assert f"step 5 ({stage})" in str(caught.value)
