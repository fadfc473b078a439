"""The C loop reads the sample order as a contiguous array, whatever the strides of the one given.

An int array given as the order is taken as it is (``TrainingLoop._sample_indices``); a
view with other strides (every other element, reversed) must reach C as its elements in
order, not as the memory its first element starts.
"""

from __future__ import annotations

import numpy as np
import pytest
from compilers import needs_compiler

from micrograd44 import MLP
from micrograd44.compiled import trace
from micrograd44.optim import SGD

SAMPLES = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
BASE = np.array([0, 1, 2, 3, 3, 2, 1, 0, 2, 0], dtype=np.int_)


def losses(backend: str, order) -> list[float]:
    """The losses of single-sample steps in that order, on a fresh model."""
    model = MLP(2, [3, 1], seed=0)
    program = trace(lambda x, y, t: (model([x, y]) - t) ** 2, (0.0, 0.0, 0.0), parameters=model)
    return program.training_loop(SGD(model.parameters(), lr=0.1), backend).single_sample(SAMPLES, order)


@needs_compiler
@pytest.mark.parametrize("view", [BASE[::2], BASE[::-1], BASE[::-3], BASE[1::4]])
def test_a_strided_order_gives_the_losses_of_its_elements(view):
    assert not view.flags.c_contiguous or len(view) < 2
    expected = losses("python", view.tolist())
    assert losses("c", view) == expected
    assert losses("python", view) == expected
