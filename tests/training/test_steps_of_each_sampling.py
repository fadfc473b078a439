"""draw_steps gives each sampling's sample indices: full batch, the samples in order, or random draws."""

from __future__ import annotations

import random

import pytest

from micrograd44.training.draws import SampleDraws, draw_steps
from micrograd44.training.history import FULL_BATCH

N, EPOCHS = 5, 3


def name(text: str, built: bool) -> str:
    """The sampling's name, as a literal or built at run time as the command line gives it (not interned)."""
    return "".join(list(text)) if built else text


@pytest.fixture(params=[False, True], ids=["literal", "built"])
def built(request):
    return request.param


def test_full_batch_takes_one_step_per_epoch_and_draws_nothing(built):
    rng = random.Random("full batch")
    state = rng.getstate()
    steps = draw_steps(name("full-batch", built), N, EPOCHS, SampleDraws(rng, N))
    assert steps.tolist() == [FULL_BATCH] * EPOCHS
    assert rng.getstate() == state


def test_cycle_takes_the_samples_in_order_every_epoch_and_draws_nothing(built):
    rng = random.Random("cycle")
    state = rng.getstate()
    steps = draw_steps(name("cycle", built), N, EPOCHS, SampleDraws(rng, N))
    assert steps.tolist() == [0, 1, 2, 3, 4] * EPOCHS
    assert rng.getstate() == state


def test_random_takes_one_draw_per_sample_and_epoch(built):
    draws, one_by_one = SampleDraws(random.Random("random"), N), random.Random("random")
    steps = draw_steps(name("random", built), N, EPOCHS, draws)
    assert steps.tolist() == [one_by_one.randrange(N) for _ in range(N * EPOCHS)]
    # the next epochs continue the same stream
    assert draw_steps(name("random", built), N, 2, draws).tolist() == [
        one_by_one.randrange(N) for _ in range(N * 2)
    ]
