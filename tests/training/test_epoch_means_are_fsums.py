"""History's epoch means: row_fsums gives math.fsum of each row, bit for bit, sign of zero included."""

from __future__ import annotations

import math

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from micrograd44.training.course import Recipe, build_model
from micrograd44.training.history import History, row_fsums

# values that make ties, near-ties, cancellations, signed zeros and subnormals
AWKWARD = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.0,
    -2.0,
    2**-53,
    -(2**-53),
    3 * 2**-53,
    2**-1022,
    -(2**-1022),
    5e-324,
    0.1,
    1e300,
    -1e300,
]


def fsums(rows: numpy.ndarray) -> list[tuple[float, float]]:
    """math.fsum of each row, with its sign."""
    return [(s, math.copysign(1.0, s)) for s in map(math.fsum, rows.tolist())]


def signed(values: numpy.ndarray) -> list[tuple[float, float]]:
    """The values, each with its sign."""
    return [(v, math.copysign(1.0, v)) for v in values.tolist()]


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 17])
@pytest.mark.parametrize("seed", range(3))
def test_random_and_awkward_rows(width, seed):
    rng = numpy.random.default_rng(seed)
    for rows in (
        rng.random((3000, width)) / 4,
        rng.standard_normal((3000, width)) * 10.0 ** rng.integers(-300, 300, (3000, width)),
        rng.choice(AWKWARD, (3000, width)),
    ):
        assert signed(row_fsums(rows)) == fsums(rows)


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        numpy.float64, st.tuples(st.integers(64, 80), st.integers(1, 6)), elements=st.floats(-1e300, 1e300)
    )
)
def test_any_finite_rows(rows):
    assert signed(row_fsums(rows)) == fsums(rows)


def test_few_rows_and_no_columns():
    assert row_fsums(numpy.zeros((0, 4))).tolist() == []
    assert row_fsums(numpy.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
    assert row_fsums(numpy.array([[0.1, 0.2, 0.3]])).tolist() == [math.fsum([0.1, 0.2, 0.3])]


def test_the_history_records_each_epoch_mean_as_an_fsum():
    recipe = Recipe(epochs=300)
    history = History(recipe=recipe, model=build_model(recipe), initial_state={})
    losses = numpy.random.default_rng(0).random(1200)
    history._record_steps(numpy.zeros(1000, dtype=int), losses[:1000])  # 250 epochs at once: in bulk
    history._record_steps(numpy.zeros(200, dtype=int), losses[1000:])
    assert history.epoch_losses == [math.fsum(row) for row in (losses / 4).reshape(-1, 4).tolist()]
