"""Sample indices drawn in bulk are the numbers, and leave the generator, as one draw at a time."""

from __future__ import annotations

import random

import pytest

from micrograd44.training.draws import SampleDraws, draw_indices


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 12, 129, 1000, 2**31 + 5, 2**32 - 1, 2**32, 2**40])
@pytest.mark.parametrize("count", [0, 1, 10, 8004])
def test_bulk_draws_are_the_draws_of_randrange(n, count):
    bulk, one_by_one = random.Random(f"draws {n}"), random.Random(f"draws {n}")
    drawn = draw_indices(bulk, n, count)
    assert drawn.tolist() == [one_by_one.randrange(n) for _ in range(count)]
    assert bulk.getstate() == one_by_one.getstate()


def test_a_generator_of_a_subclass_is_drawn_from_one_draw_at_a_time():
    class Counting(random.Random):
        calls = 0

        def randrange(self, *args):
            Counting.calls += 1
            return super().randrange(*args)

    plain = random.Random(0)
    assert draw_indices(Counting(0), 4, 50).tolist() == [plain.randrange(4) for _ in range(50)]
    assert Counting.calls == 50


@pytest.mark.parametrize("n", [1, 3, 4, 129, 2**31 + 5, 2**32 - 1, 2**32])
def test_draws_a_chunk_at_a_time_are_the_draws_of_randrange(n):
    draws, one_by_one = SampleDraws(random.Random(f"chunks {n}"), n), random.Random(f"chunks {n}")
    drawn = [int(i) for count in (0, 1, 5, 8004, 3, 1000, 0, 17) for i in draws.take(count)]
    assert drawn == [one_by_one.randrange(n) for _ in range(len(drawn))]
