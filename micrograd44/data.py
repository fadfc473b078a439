"""Small data sets as numpy arrays: the XOR truth table and two interleaving moons."""

from __future__ import annotations

import numpy as np

# The XOR truth table as plain floats: the inputs [x1, x2] and their targets 0, 1, 1, 0.
XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [float(x1 != x2) for x1, x2 in XOR_INPUTS]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR samples as arrays: inputs (4, 2) and targets (4,) = 0, 1, 1, 0."""
    return np.array(XOR_INPUTS), np.array(XOR_TARGETS)


def moons(n: int = 100, noise: float = 0.1, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, shuffled: points (n, 2) and labels (n,) in {0, 1}.

    The upper moon (label 0) is centred at (0, 0), the lower one (label 1) at (1, 0.5);
    Gaussian noise of standard deviation ``noise`` is added to every coordinate. The same
    seed gives the same points.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"moons: n must be an integer >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"moons: noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    angle_upper = np.linspace(0.0, np.pi, n_upper)
    angle_lower = np.linspace(0.0, np.pi, n_lower)
    points = np.concatenate(
        [
            np.stack([np.cos(angle_upper), np.sin(angle_upper)], axis=1),
            np.stack([1.0 - np.cos(angle_lower), 0.5 - np.sin(angle_lower)], axis=1),
        ]
    )
    labels = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])
    points = points + rng.normal(0.0, noise, size=points.shape)
    order = rng.permutation(n)
    return points[order], labels[order]
