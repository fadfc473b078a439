"""Losses equal torch.nn's (value and gradient) and reject mismatched inputs clearly."""

import math

import pytest
import torch

import micrograd44
from micrograd44 import Value
from micrograd44.losses import bce_with_logits, hinge, l1_loss, mse_loss

PREDICTIONS = [0.3, -1.7, 2.5, 0.0]
TARGETS = [1.0, 0.0, 1.0, 0.0]


def torch_hinge(scores, labels):
    return torch.relu(1 - labels * scores).mean()


@pytest.mark.parametrize(
    ("loss", "torch_loss", "targets"),
    [
        (l1_loss, torch.nn.L1Loss(), TARGETS),
        (mse_loss, torch.nn.MSELoss(), TARGETS),
        (bce_with_logits, torch.nn.BCEWithLogitsLoss(), [1.0, 0.0, 0.3, 0.0]),
        (hinge, torch_hinge, [1.0, -1.0, 1.0, -1.0]),
    ],
    ids=["l1", "mse", "bce_with_logits", "hinge"],
)
def test_value_and_grads_equal_torch(loss, torch_loss, targets):
    predictions = [Value(p) for p in PREDICTIONS]
    out = loss(predictions, targets)
    out.backward()
    tp = torch.tensor(PREDICTIONS, dtype=torch.float64, requires_grad=True)
    expected = torch_loss(tp, torch.tensor(targets, dtype=torch.float64))
    expected.backward()
    assert math.isclose(out.data, expected.item(), rel_tol=1e-12)
    for p, g in zip(predictions, tp.grad.tolist()):
        assert math.isclose(p.grad, g, rel_tol=1e-12, abs_tol=1e-15)


def test_a_single_value_and_number_work():
    p = Value(0.25)
    assert l1_loss(p, 1.0).data == 0.75
    assert mse_loss(p, 1).data == 0.5625


def test_bce_with_logits_never_overflows():
    assert math.isfinite(bce_with_logits([Value(-1000.0), Value(1000.0)], [1.0, 0.0]).data)


@pytest.mark.parametrize("loss", [l1_loss, mse_loss, bce_with_logits, hinge])
def test_mismatched_lengths_and_types_are_named(loss):
    with pytest.raises(ValueError, match=r"2 predictions but 3 targets"):
        loss([Value(1.0), Value(2.0)], [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match=r"prediction 1 is a float"):
        loss([Value(1.0), 2.0], [1.0, 0.0])
    with pytest.raises(TypeError, match=r"target 0 is a str"):
        loss([Value(1.0)], ["1"])
    with pytest.raises(ValueError, match=r"at least one"):
        loss([], [])


@pytest.mark.parametrize("loss", [l1_loss, mse_loss, bce_with_logits, hinge])
def test_value_targets_build_the_same_graph_as_numbers(loss):
    p1, p2 = Value(0.3), Value(0.3)
    target = Value(1.0)
    with_value, with_number = loss(p1, target), loss(p2, 1.0)
    with_value.backward()
    with_number.backward()
    assert (with_value.data, p1.grad) == (with_number.data, p2.grad)
    assert [n.op for n in micrograd44.topological_order(with_value)] == [
        n.op for n in micrograd44.topological_order(with_number)
    ]
