"""Deep and wide graphs, and what backward() does to gradients that are already there.

Value.backward() documents: gradients accumulate in leaves (twice the call, twice the leaf
grads; several roots add up), interior grads are recomputed by every call, and the
topological sort is iterative, so graph size is bounded by memory, not by the recursion limit.
"""

from __future__ import annotations

import math
import random

import pytest
import torch

from micrograd44 import MLP, Value, ops, sum_values, topological_order
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD

CHAIN_LENGTH = 1_000_000
WIDTH = 100_000


@pytest.fixture
def count_local_grad_calls(monkeypatch):
    """count(*ops): {op name: times backward() asked the op for its local derivatives}, filled later.

    Linear time, checked by counts: one call per node, however the nodes are shared.
    """
    calls = {}

    def count(*ops):
        for op in ops:
            original = op.local

            def local(m, out, *xs, op=op, original=original):
                calls[op.name] = calls.get(op.name, 0) + 1
                return original(m, out, *xs)

            monkeypatch.setattr(op, "local", local)
        return calls

    return count


def test_a_million_node_chain(count_local_grad_calls):
    calls = count_local_grad_calls(ops.MUL)
    x, c = Value(0.5, label="x"), Value(1.0 + 1e-6, label="c")
    y = x
    for _ in range(CHAIN_LENGTH):
        y = y * c  # y = x c^n: dy/dx = c^n, dy/dc = n x c^(n-1)

    y.backward()

    # one node more or less would move x.grad by 1e-6; rounding over the chain stays below 1e-9
    c_to_the_n = math.exp(CHAIN_LENGTH * math.log(c.data))
    assert x.grad == pytest.approx(c_to_the_n, rel=1e-9)
    assert c.grad == pytest.approx(CHAIN_LENGTH * 0.5 * c_to_the_n / c.data, rel=1e-9)
    assert y.data == pytest.approx(0.5 * c_to_the_n, rel=1e-9)
    assert calls == {"*": CHAIN_LENGTH}


def test_a_node_with_a_hundred_thousand_children(count_local_grad_calls):
    calls = count_local_grad_calls(ops.MUL, ops.SUM)
    leaves = [Value(i / WIDTH) for i in range(WIDTH)]
    total = sum_values(leaves)
    root = total * 2.0

    root.backward()

    assert len(total.children) == WIDTH
    assert total.data == math.fsum(x.data for x in leaves)
    assert all(x.grad == 2.0 for x in leaves)
    assert calls == {"*": 1, "sum": 1}


def test_a_leaf_with_a_hundred_thousand_parents():
    rng = random.Random(44)
    x = Value(0.75, label="x")
    weights = [Value(rng.uniform(-1.0, 1.0)) for _ in range(WIDTH)]
    root = sum_values([x * w for w in weights])

    root.backward()

    assert x.grad == pytest.approx(math.fsum(w.data for w in weights), rel=1e-9, abs=1e-9)
    assert all(w.grad == 0.75 for w in weights)


def course_loss(model: MLP) -> Value:
    """A two-sample MSE loss of the course network: every parameter gets two contributions."""
    return mse_loss([model([0.0, 1.0]), model([1.0, 1.0])], [1.0, 0.0])


def course_model() -> MLP:
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)


def test_backward_twice_doubles_leaf_grads_and_recomputes_interior_grads():
    model = course_model()
    loss = course_loss(model)
    loss.backward()
    once = [p.grad for p in model.parameters()]
    interior_once = [node.grad for node in topological_order(loss, leaves=False)]

    loss.backward()

    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once], rel=1e-12, abs=1e-15)
    assert [node.grad for node in topological_order(loss, leaves=False)] == interior_once


def test_backward_twice_doubles_a_leaf_with_one_parent_exactly():
    a, b = Value(1.3), Value(-0.4)
    out = (a.tanh() * b.exp()).sigmoid()
    out.backward()
    once = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])


def test_backward_twice_doubles_every_leaf_grad_exactly():
    model = course_model()
    loss = course_loss(model)
    loss.backward()
    once = [p.grad for p in model.parameters()]
    loss.backward()
    assert [p.grad for p in model.parameters()] == [2 * g for g in once]


def test_zero_grad_between_steps_gives_each_step_its_own_grads():
    trained, fresh = course_model(), course_model()
    optimizer = SGD(trained.parameters(), lr=0.02, momentum=0.9)
    for sample, target in [([0.0, 1.0], 1.0), ([1.0, 1.0], 0.0), ([1.0, 0.0], 1.0)]:
        optimizer.zero_grad()
        mse_loss(trained(sample), target).backward()
        fresh.load_state_dict(trained.state_dict())
        fresh.zero_grad()
        mse_loss(fresh(sample), target).backward()
        assert [p.grad for p in trained.parameters()] == [p.grad for p in fresh.parameters()]
        optimizer.step()


def test_without_zero_grad_the_grads_of_two_steps_add_up():
    model = course_model()
    mse_loss(model([0.0, 1.0]), 1.0).backward()
    first = [p.grad for p in model.parameters()]
    model.zero_grad()
    mse_loss(model([1.0, 1.0]), 0.0).backward()
    second = [p.grad for p in model.parameters()]
    model.zero_grad()

    mse_loss(model([0.0, 1.0]), 1.0).backward()
    mse_loss(model([1.0, 1.0]), 0.0).backward()

    expected = [a + b for a, b in zip(first, second)]
    assert [p.grad for p in model.parameters()] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_several_roots_accumulate_like_pytorch():
    # y is inside z's graph: z.backward() then y.backward() gives x dz/dx + dy/dx, as in PyTorch
    def roots(x, w, exp, tanh):
        """z, then y (which z is built on), then r (which shares only the leaves)."""
        y = exp(x * w) + x
        z = tanh(y * y) * w
        r = x * 3.0 - w
        return z, y, r

    x, w = Value(0.3, label="x"), Value(-1.2, label="w")
    xt = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)

    for root, root_torch in zip(roots(x, w, Value.exp, Value.tanh), roots(xt, wt, torch.exp, torch.tanh)):
        root.backward()
        root_torch.backward(retain_graph=True)
        assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)
        assert w.grad == pytest.approx(wt.grad.item(), rel=1e-12)
