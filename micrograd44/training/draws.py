"""Many random sample indices at once, the same numbers as drawing them one by one.

A training run draws one sample index per step with ``rng.randrange(n)``: 8,004 calls for
the course recipe, which cost more than the compiled loop that takes the steps. For a plain
``random.Random``, ``randrange(n)`` reads one 32-bit word of the Mersenne Twister, keeps its
top ``n.bit_length()`` bits and reads again while they are >= n. ``draw_indices`` reads the
words in bulk with ``getrandbits``, makes the same choices with numpy, and then advances the
generator by exactly the words those choices read, so every later draw is unchanged too.
"""

from __future__ import annotations

import math
import random

import numpy as np

# randrange(n) reads one 32-bit word per try while n.bit_length() <= 32
_WORD_BITS = 32


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
