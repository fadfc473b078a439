"""Weight initialisation schemes, chosen by name, and the generator they draw from."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

# name -> draw(rng, fan_in): one number for a weight or bias of a neuron with fan_in inputs
SCHEMES: dict[str, Callable[[random.Random, int], float]] = {
    # N(0, 1): the course's re-drawn weights
    "normal": lambda rng, fan_in: rng.gauss(0.0, 1.0),
    # U(-1, 1): micrograd's weights
    "uniform": lambda rng, fan_in: rng.uniform(-1.0, 1.0),
    # U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch nn.Linear's default weights and biases
    "torch": lambda rng, fan_in: rng.uniform(-1.0, 1.0) / math.sqrt(fan_in),
    # N(0, 1/fan_in): Xavier in its common simplified (fan-in only) form
    "xavier": lambda rng, fan_in: rng.gauss(0.0, math.sqrt(1.0 / fan_in)),
    # N(0, 2/fan_in): He, for ReLU layers
    "he": lambda rng, fan_in: rng.gauss(0.0, math.sqrt(2.0 / fan_in)),
    # 0: fails to break the symmetry between the neurons of a layer
    "zeros": lambda rng, fan_in: 0.0,
}


def scheme(name: str) -> Callable[[random.Random, int], float]:
    """The draw function of a scheme; ValueError listing the accepted names otherwise."""
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init scheme {name!r}; choose one of {', '.join(SCHEMES)}") from None


# The generator behind the random module's functions: random.seed(n) seeds it, and
# random.uniform is its uniform. (Bound methods name their instance in __self__.)
_GLOBAL_RNG: random.Random = random.random.__self__


def make_rng(seed: int | random.Random | None) -> random.Random:
    """The generator a model draws its initial weights from.

    Args:
        seed: None for Python's global ``random`` generator (as micrograd), so that
            ``random.seed(n)`` before building reproduces a model; an int for a private
            ``random.Random(seed)`` that leaves the global generator untouched; a
            ``random.Random`` to share, so that a model and its sub-modules draw one stream.

    Raises:
        TypeError: for anything else (a bool, a float, a string...).
    """
    if seed is None:
        return _GLOBAL_RNG
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")
