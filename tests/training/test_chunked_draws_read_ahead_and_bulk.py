"""SampleDraws reads a plain generator in bulk, serves later chunks from what it read ahead, and
reads every other generator (or range) one randrange at a time, with randrange's numbers."""

from __future__ import annotations

import random

import numpy as np
import pytest

from micrograd44.training.draws import SampleDraws

# n from 1 to the largest range a 32-bit word covers, with shares of accepted words from 0.5 to 1
BULK_RANGES = [1, 2, 3, 5, 129, 1000, 2**31 + 5, 2**32 - 1]


@pytest.fixture
def reads(monkeypatch):
    """(generator, bit count) of every getrandbits call made on random.Random generators."""
    asked = []
    plain = random.Random.getrandbits

    def counted(self, k):
        asked.append((self, k))
        return plain(self, k)

    monkeypatch.setattr(random.Random, "getrandbits", counted)
    return asked


def words_read(reads, rng) -> list[int]:
    """The 32-bit words asked of rng by each of its reads (all of them whole words)."""
    bits = [k for owner, k in reads if owner is rng]
    assert all(k % 32 == 0 for k in bits)
    return [k // 32 for k in bits]


def accepted_share(n: int) -> float:
    """The share of 32-bit words whose top n.bit_length() bits randrange(n) keeps."""
    return n / 2 ** n.bit_length()


def read_ahead(seed: str, n: int, words: int, taken: int) -> int:
    """The draws held for later: accepted tries in the stream's first ``words`` words, less those taken."""
    stream = random.Random(seed)
    top = np.array([stream.getrandbits(32) >> (32 - n.bit_length()) for _ in range(words)])
    return int(np.count_nonzero(top < n)) - taken


@pytest.mark.parametrize("n", BULK_RANGES)
def test_a_plain_generator_is_read_once_for_a_chunk(reads, n):
    rng, one_by_one = random.Random(f"bulk {n}"), random.Random(f"bulk {n}")
    drawn = SampleDraws(rng, n).take(2000)
    assert drawn.tolist() == [one_by_one.randrange(n) for _ in range(2000)]
    assert len(words_read(reads, rng)) == 1


@pytest.mark.parametrize("n", BULK_RANGES)
def test_later_chunks_come_from_the_words_read_ahead_and_read_only_what_they_lack(reads, n):
    seed = f"ahead {n}"
    rng, one_by_one = random.Random(seed), random.Random(seed)
    draws, share = SampleDraws(rng, n), accepted_share(n)
    taken = 0

    def take(count):
        nonlocal taken
        before = len(words_read(reads, rng))
        drawn = draws.take(count)
        assert drawn.tolist() == [one_by_one.randrange(n) for _ in range(count)]
        taken += count
        return words_read(reads, rng)[before:]

    # the first chunk: one read, at most 4% more words than the draws need on average
    (first,) = take(8004)
    assert first <= 1.04 * 8004 / share + 64
    held = read_ahead(seed, n, first, taken)
    assert held > 0
    # chunks no larger than what was read ahead read nothing: half of it, then exactly the rest
    assert take(held // 2) == []
    held = read_ahead(seed, n, first, taken)
    assert take(held) == []
    assert read_ahead(seed, n, first, taken) == 0
    assert take(0) == []
    # a chunk larger than what is held reads once, for the draws it lacks only
    (second,) = take(10)
    assert second <= 1.04 * 10 / share + 64
    read = first + second
    held = read_ahead(seed, n, read, taken)
    (third,) = take(held + 10)
    assert third <= 1.04 * 10 / share + 64
    # the generator is advanced by the words read, no more
    rng_words = random.Random(seed)
    rng_words.getrandbits(32 * (read + third))
    assert rng.getstate() == rng_words.getstate()


@pytest.mark.parametrize("n", [2**32, 2**32 + 1, 2**40])
def test_ranges_beyond_a_word_are_drawn_one_randrange_at_a_time(reads, n):
    rng, one_by_one = random.Random(f"wide {n}"), random.Random(f"wide {n}")
    draws = SampleDraws(rng, n)
    drawn = [*draws.take(30), *draws.take(20)]
    assert drawn == [one_by_one.randrange(n) for _ in range(50)]
    assert rng.getstate() == one_by_one.getstate()
    bits = [k for owner, k in reads if owner is rng]
    assert len(bits) >= 50
    assert set(bits) == {n.bit_length()}


def test_a_generator_of_a_subclass_is_drawn_from_one_randrange_at_a_time():
    class Counting(random.Random):
        calls = 0

        def randrange(self, *args):
            Counting.calls += 1
            return super().randrange(*args)

    rng, plain = Counting(7), random.Random(7)
    draws = SampleDraws(rng, 4)
    drawn = [*draws.take(30), *draws.take(20)]
    assert drawn == [plain.randrange(4) for _ in range(50)]
    assert Counting.calls == 50
    assert rng.getstate() == plain.getstate()


def test_a_range_of_no_numbers_is_refused_as_randrange_refuses_it():
    draws = SampleDraws(random.Random(0), 0)
    assert draws.take(0).tolist() == []
    with pytest.raises(ValueError):
        draws.take(3)
