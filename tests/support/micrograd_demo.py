"""micrograd's demo and names, for the tests that run micrograd's own code on this engine."""

import math
import random

import numpy as np
import pytest


def micrograd_names(instance):
    """The public and underscore names micrograd code can use on an instance (not dunders)."""
    names = set(vars(instance)) | {n for klass in type(instance).__mro__ for n in vars(klass)}
    return {n for n in names if not n.startswith("__")}


@pytest.fixture
def global_generators():
    """Leave Python's and numpy's global generators as the test found them."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)


# step -> (loss, accuracy) as its notebook printed them, after np.random.seed(1337) and
# random.seed(1337): the first five of its 100 steps and a few later ones
PUBLISHED_DEMO_STEPS = {
    0: (0.8958441028683222, 0.50),
    1: (1.7235905336972022, 0.81),
    2: (0.7429006313851131, 0.77),
    3: (0.7705641260584198, 0.82),
    4: (0.3692793385976538, 0.84),
    10: (0.24507023853658053, 0.91),
    20: (0.18977522856087634, 0.91),
    30: (0.11731297569011848, 0.95),
    50: (0.09875114765619622, 0.96),
}


def sklearn_moons(n_samples=100, noise=0.1):
    """scikit-learn's make_moons(n_samples, noise) as the demo called it, from numpy's global generator.

    Two half circles, the upper one labelled 0, the lower one 1, shuffled with one
    ``shuffle`` of the indices, then Gaussian noise added to every coordinate.
    """
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper, lower = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_lower)
    x = np.append(np.cos(upper), 1 - np.cos(lower))
    y = np.append(np.sin(upper), 1 - np.sin(lower) - 0.5)
    points = np.vstack([x, y]).T
    labels = np.hstack([np.zeros(n_upper, dtype=np.intp), np.ones(n_lower, dtype=np.intp)])
    order = np.arange(n_samples)
    np.random.shuffle(order)
    points, labels = points[order], labels[order]
    points += np.random.normal(scale=noise, size=points.shape)
    return points, labels


def moons_demo(Value, MLP, steps):
    """micrograd's demo notebook, cell by cell, with the given Value and MLP: (loss, accuracy) per step."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = sklearn_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    printed = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        printed.append((total_loss.data, acc))
    return printed


def assert_prints_the_published_steps(printed):
    """Each step's (loss, accuracy) is the notebook's; the loss to 1e-12 relative."""
    for step, (loss, accuracy) in PUBLISHED_DEMO_STEPS.items():
        if step < len(printed):
            assert math.isclose(printed[step][0], loss, rel_tol=1e-12), step
            assert printed[step][1] == accuracy, step


def readme_expression(Value):
    """micrograd's README example (its test_more_ops) before backward: (g, a, b)."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g, a, b
