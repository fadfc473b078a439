"""``UpdateCode.buffers`` names each parameter's optimizer state once.

The loops' state variables, each parameter's, and the state's arrays derive from it.
"""

from __future__ import annotations

import pytest

from micrograd44 import Value
from micrograd44.compiled.updates import UpdateCode
from micrograd44.optim import SGD, Adam

PARAMETERS = [Value(1.0), Value(2.0)]


@pytest.mark.parametrize(
    "optimizer, state, element_state, arrays, makes_buffers",
    [
        (SGD(PARAMETERS, lr=0.1), [], [], [], False),
        (SGD(PARAMETERS, lr=0.1, momentum=0.9), ["first", "b_p0", "b_p1"], ["b_p0"], ["B"], True),
        (Adam(PARAMETERS), ["t", "m_p0", "m_p1", "v_p0", "v_p1"], ["m_p0", "v_p0"], ["M", "V"], False),
    ],
)
def test_the_state_of_each_optimizer(optimizer, state, element_state, arrays, makes_buffers):
    update = UpdateCode(optimizer, ["p0", "p1"])
    assert update.state == state
    assert update.flag == state[:1]  # Adam's step count, SGD's first-step flag, or none
    assert update.element_state("p0") == element_state
    assert update.arrays() == arrays
    assert update.makes_buffers() is makes_buffers
