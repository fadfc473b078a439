"""Code written for micrograd runs unchanged on micrograd44 and gives micrograd's numbers."""

import math
import random

import pytest

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")

import micrograd44  # noqa: E402


def expression(Value):
    """A micrograd-style program: +=, reflected ops, ** with a number, /, relu, backward."""
    a, b = Value(-2.5), Value(1.5)
    c = a * b + b**2
    c += 2 - a
    d = (c / 3.0).relu() + (a - b).relu() + 0.5 * (b - a) ** 3
    d += d * 2 + 1 / (b + 4)
    d.backward()
    return d.data, a.grad, b.grad


def train(model, inputs, labels, steps):
    """micrograd's demo training style: hinge loss, L2, hand-written SGD, model.zero_grad()."""
    for k in range(steps):
        scores = [model(x) for x in inputs]
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return total.data, [p.data for p in model.parameters()]


def test_the_same_expression_gives_the_same_value_and_grads():
    ours = expression(micrograd44.Value)
    theirs = expression(micrograd_engine.Value)
    for x, y in zip(ours, theirs):
        assert math.isclose(x, y, rel_tol=1e-12)


def test_the_same_mlp_training_gives_the_same_parameters():
    random.seed(0)
    theirs = micrograd_nn.MLP(2, [8, 8, 1])
    ours = micrograd44.MLP(2, [8, 8, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 105
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        mine.data = reference.data
    rng = random.Random(1)
    inputs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(12)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in inputs]
    our_loss, our_params = train(ours, inputs, labels, steps=15)
    their_loss, their_params = train(theirs, inputs, labels, steps=15)
    assert math.isclose(our_loss, their_loss, rel_tol=1e-9)
    for x, y in zip(our_params, their_params):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def test_imports_match_micrograd():
    from micrograd44 import MLP, Value  # noqa: F401
    from micrograd44.engine import Value as EngineValue
    from micrograd44.nn import MLP as NnMLP

    assert EngineValue is Value and NnMLP is MLP
