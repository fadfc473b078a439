"""The XOR table and the two-moons data set."""

import numpy as np
import pytest

from micrograd44.data import moons, xor


def test_xor_is_the_truth_table():
    inputs, targets = xor()
    assert inputs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert targets.tolist() == [0, 1, 1, 0]


def test_moons_shapes_labels_and_seed():
    points, labels = moons(101, noise=0.1, seed=4)
    assert points.shape == (101, 2) and labels.shape == (101,)
    assert sorted(set(labels.tolist())) == [0.0, 1.0] and labels.sum() == 51
    again, _ = moons(101, noise=0.1, seed=4)
    assert np.array_equal(points, again)
    assert not np.array_equal(points, moons(101, noise=0.1, seed=5)[0])


def test_moons_without_noise_lie_on_two_half_circles():
    points, labels = moons(50, noise=0.0, seed=0)
    upper, lower = points[labels == 0], points[labels == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()


@pytest.mark.parametrize(("n", "noise"), [(1, 0.1), (10.5, 0.1), (10, -0.1)])
def test_moons_rejects_bad_arguments(n, noise):
    with pytest.raises(ValueError, match="moons"):
        moons(n, noise=noise)
