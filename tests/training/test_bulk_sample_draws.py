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


@pytest.fixture
def reads(monkeypatch):
    """The bit counts of every getrandbits call made on plain random.Random generators."""
    asked = []
    plain = random.Random.getrandbits

    def counted(self, k):
        asked.append(k)
        return plain(self, k)

    monkeypatch.setattr(random.Random, "getrandbits", counted)
    return asked


@pytest.mark.parametrize("n", [1, 3, 5, 129, 1000, 2**31 + 5, 2**32 - 1])
@pytest.mark.parametrize("count", [1, 10, 8004])
def test_bulk_draws_read_the_generator_twice_one_bulk_read_and_one_advance(reads, n, count):
    draw_indices(random.Random(f"reads {n} {count}"), n, count)
    assert len(reads) == 2
    assert reads[0] >= reads[1] > 0  # the advance reads the words used, no more than were read


@pytest.mark.parametrize("n", [3, 5, 129, 2**31 + 5])
def test_the_bulk_read_asks_for_at_most_four_percent_more_words_than_the_draws_need_on_average(reads, n):
    count = 8004
    draw_indices(random.Random(f"margin {n}"), n, count)
    accepted = n / 2 ** n.bit_length()  # the share of 32-bit words that randrange keeps
    assert reads[0] // 32 <= 1.04 * count / accepted + 32


def test_no_draws_read_nothing(reads):
    rng = random.Random(3)
    state = rng.getstate()
    assert draw_indices(rng, 7, 0).tolist() == []
    assert rng.getstate() == state
    assert reads == []


def test_a_range_of_no_numbers_is_refused_as_randrange_refuses_it():
    with pytest.raises(ValueError):
        draw_indices(random.Random(0), 0, 3)
    with pytest.raises(ValueError):
        random.Random(0).randrange(0)
