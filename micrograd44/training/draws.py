"""The sample indices of a run's steps: random ones many at once, the same numbers as drawn one by one.

A training run draws one sample index per step with ``rng.randrange(n)``: 8,004 calls for
the course recipe, which cost more than the compiled loop that takes the steps. For a plain
``random.Random``, ``randrange(n)`` reads one 32-bit word of the Mersenne Twister, keeps its
top ``n.bit_length()`` bits and reads again while they are >= n. ``draw_indices`` reads the
words in bulk with ``getrandbits``, makes the same choices with numpy, and then advances the
generator by exactly the words those choices read, so every later draw is unchanged too.
``SampleDraws`` draws a run's steps a chunk at a time without that rewind: it keeps the words
it read ahead for its next chunk.
"""

from __future__ import annotations

import math
import random

import numpy as np

from .history import FULL_BATCH

# randrange(n) reads one 32-bit word per try while n.bit_length() <= 32
_WORD_BITS = 32


def sampler(seed: int) -> random.Random:
    """The random stream of the sample draws of ``seed``, separate from any weights' stream."""
    return random.Random(f"micrograd44 samples {seed}")


def draw_steps(sampling: str, n: int, epochs: int, draws: SampleDraws) -> np.ndarray:
    """The sample index of every step of some epochs over n samples (random ones taken from draws).

    A full-batch step's index is ``FULL_BATCH``.
    """
    if sampling == "full-batch":
        return np.full(epochs, FULL_BATCH)
    if sampling == "cycle":
        return np.tile(np.arange(n), epochs)
    return draws.take(epochs * n)


def draw_indices(rng: random.Random, n: int, count: int) -> np.ndarray:
    """``[rng.randrange(n) for _ in range(count)]`` as an int array, leaving rng as those calls would.

    Generators of a subclass of random.Random (which may draw differently) are called one
    draw at a time.
    """
    if type(rng) is not random.Random or not 1 <= n < 2**_WORD_BITS:
        return np.array([rng.randrange(n) for _ in range(count)], dtype=np.int_)
    bits = n.bit_length()
    start = rng.getstate()
    tries = np.empty(0, dtype=np.uint32)
    kept = np.empty(0, dtype=np.int_)
    while len(kept) < count:
        words = _words(rng, _enough_words(count - len(kept), n / 2**bits))
        tries = np.concatenate([tries, words >> (_WORD_BITS - bits)])
        kept = np.flatnonzero(tries < n)
    words_read = int(kept[count - 1]) + 1 if count else 0
    rng.setstate(start)
    _words(rng, words_read)
    return tries[kept[:count]].astype(np.int_)


def _enough_words(draws: int, accepted: float) -> int:
    """Words that nearly always hold ``draws`` accepted tries (the mean plus four standard deviations)."""
    return math.ceil((draws + 4 * math.sqrt(draws * (1 - accepted))) / accepted) + 16


def _words(rng: random.Random, count: int) -> np.ndarray:
    """The generator's next ``count`` 32-bit words, in the order single draws would read them."""
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    number = rng.getrandbits(_WORD_BITS * count)  # the first word read is the lowest
    return np.frombuffer(number.to_bytes(4 * count, "little"), dtype="<u4")


class SampleDraws:
    """The sample indices of a run, drawn from one generator a chunk at a time: ``randrange(n)``'s numbers.

    ``take(count)`` gives the next ``count`` of ``[rng.randrange(n) for ...]``, as one
    ``draw_indices`` call would, but the words it reads beyond them are kept for the next
    call instead of being read again after a rewind of the generator, so nothing else may
    draw from ``rng`` in between. Generators that ``draw_indices`` takes one draw at a
    time are taken one draw at a time here too.

    Example:
        >>> draws, plain = SampleDraws(random.Random(1), 4), random.Random(1)
        >>> [*draws.take(3), *draws.take(2)] == [plain.randrange(4) for _ in range(5)]
        True
    """

    def __init__(self, rng: random.Random, n: int):
        self._rng, self._n = rng, n
        self._bulk = type(rng) is random.Random and 1 <= n < 2**_WORD_BITS
        self._tries = np.empty(0, dtype=np.uint32)  # read ahead: each word's top n.bit_length() bits

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` sample indices, an int array."""
        if not self._bulk:
            return draw_indices(self._rng, self._n, count)
        n, shift = self._n, _WORD_BITS - self._n.bit_length()
        tries = self._tries
        kept = np.flatnonzero(tries < n)
        while len(kept) < count:
            words = _words(self._rng, _enough_words(count - len(kept), n / 2 ** (_WORD_BITS - shift)))
            tries = np.concatenate([tries, words >> shift])
            kept = np.flatnonzero(tries < n)
        used = int(kept[count - 1]) + 1 if count else 0
        self._tries = tries[used:]
        return tries[kept[:count]].astype(np.int_)
