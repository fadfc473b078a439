"""Every branch of SGD's and Adam's updates against torch.optim, step by step on one parameter vector.

The course's settings leave some branches unused: Adam with beta1 <= 0.5 (torch's other
lerp formula), SGD's dampening without weight decay. Each case here runs 20 steps with
the same gradients in both and compares the parameters, and Adam's moments, after every step.
"""

import math
import random

import pytest
import torch

from micrograd44 import Value
from micrograd44.optim import SGD, Adam

START = [0.5, -1.25, 2.0, 0.0, 3e-3, 7.0, -0.1, 1e-5]


def close(ours, theirs):
    return all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(ours, theirs, strict=True))


def steps_against_torch(make, make_torch, steps=20, seed=1):
    """Run both optimizers on the same gradients; yield (ours, torch's optimizer, its tensor) per step."""
    rng = random.Random(seed)
    params = [Value(x) for x in START]
    tensor = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer, torch_optimizer = make(params), make_torch([tensor])
    for _ in range(steps):
        grads = [rng.gauss(0.0, 1.0) for _ in params]
        for p, g in zip(params, grads):
            p.grad = g
        tensor.grad = torch.tensor(grads, dtype=torch.float64)
        optimizer.step()
        torch_optimizer.step()
        assert close([p.data for p in params], tensor.detach().tolist())
        yield optimizer, torch_optimizer, tensor


@pytest.mark.parametrize("beta1", [0.9, 0.6, 0.5, 0.3, 0.1, 0.0])
@pytest.mark.parametrize("weight_decay", [0.0, 0.02, 1.0])
@pytest.mark.parametrize("beta2", [0.99, 0.3, 0.0])
def test_adam_follows_torch_for_every_beta1_on_both_sides_of_its_lerp_switch(beta1, weight_decay, beta2):
    settings = {"lr": 0.05, "betas": (beta1, beta2), "eps": 1e-8, "weight_decay": weight_decay}
    # beta2 < 0.5: sqrt(v) follows |g| closely, and rounding apart from torch's grows fast: 5 steps
    steps = 20 if beta2 == 0.99 else 5
    for ours, theirs, tensor in steps_against_torch(
        lambda p: Adam(p, **settings), lambda p: torch.optim.Adam(p, foreach=False, **settings), steps
    ):
        state = theirs.state[tensor]
        assert close(ours.m, state["exp_avg"].tolist())
        assert close(ours.v, state["exp_avg_sq"].tolist())


@pytest.mark.parametrize(
    "settings",
    [
        {"lr": 0.05},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.4},
        {"lr": 0.05, "momentum": 0.7, "nesterov": True},
        {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.4, "weight_decay": 0.05},
        {"lr": 0.05, "weight_decay": 1.0},
        {"lr": 0.05, "momentum": 1.0, "dampening": 1.0},
        {"lr": 0.05, "momentum": 0.5, "dampening": 1.0, "weight_decay": 1.0},
    ],
)
def test_sgd_follows_torch_in_every_combination_of_its_terms(settings):
    for ours, theirs, tensor in steps_against_torch(
        lambda p: SGD(p, **settings), lambda p: torch.optim.SGD(p, foreach=False, **settings)
    ):
        if settings.get("momentum"):
            assert close(ours.buffers, theirs.state[tensor]["momentum_buffer"].tolist())


@pytest.mark.parametrize(("beta1", "from_start"), [(0.9, True), (0.51, True), (0.5, False), (0.3, False)])
def test_adam_takes_torchs_lerp_formula_by_the_weight_1_minus_beta1(beta1, from_start):
    # torch.lerp: start + w (end - start) for w < 0.5, else end - (end - start)(1 - w)
    assert Adam([Value(1.0)], betas=(beta1, 0.999)).structure().lerp_from_start is from_start


def test_adams_first_moment_uses_the_lerp_formula_of_its_weight_to_the_last_bit():
    # one step from a moment m = 0.1 towards g = 0.7, weight 1 - beta1
    for beta1 in (0.9, 0.7, 0.3, 0.2):
        p = Value(0.0)
        optimizer = Adam([p], lr=0.01, betas=(beta1, 0.999))
        optimizer.m = [0.1]
        p.grad = 0.7
        optimizer.step()
        weight = 1.0 - beta1
        expected = 0.1 + weight * (0.7 - 0.1) if weight < 0.5 else 0.7 - (0.7 - 0.1) * (1.0 - weight)
        assert optimizer.m[0].hex() == expected.hex(), beta1


def test_sgd_without_momentum_keeps_no_momentum_buffers_as_torch_keeps_none():
    for ours, theirs, tensor in steps_against_torch(
        lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05, foreach=False), steps=2
    ):
        assert ours.buffers is None
        assert theirs.state[tensor].get("momentum_buffer") is None


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_zero_gradient_keeps_its_sign_in_sgds_state_as_in_torch(momentum):
    # no weight decay: the gradient -0.0 goes into the momentum buffer as it is (torch clones it)
    p = Value(0.0)
    tensor = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    optimizer = SGD([p], lr=0.1, momentum=momentum)
    torch_optimizer = torch.optim.SGD([tensor], lr=0.1, momentum=momentum, foreach=False)
    p.grad = -0.0
    tensor.grad = torch.tensor([-0.0], dtype=torch.float64)
    optimizer.step()
    torch_optimizer.step()
    assert p.data.hex() == tensor.item().hex()
    if momentum:
        assert optimizer.buffers[0].hex() == theirs_buffer(torch_optimizer, tensor).hex() == (-0.0).hex()


def theirs_buffer(torch_optimizer, tensor) -> float:
    return torch_optimizer.state[tensor]["momentum_buffer"].item()


def test_nesterov_momentum_refuses_any_dampening():
    for dampening in (0.1, 1.0):
        with pytest.raises(ValueError):
            SGD([Value(1.0)], lr=0.1, momentum=0.9, dampening=dampening, nesterov=True)
        with pytest.raises(ValueError):
            torch.optim.SGD([torch.zeros(1)], lr=0.1, momentum=0.9, dampening=dampening, nesterov=True)


@pytest.mark.parametrize("betas", [(0.9,), (0.9, 0.99, 0.5), ()])
def test_adam_needs_exactly_two_betas(betas):
    with pytest.raises(ValueError):
        Adam([Value(1.0)], betas=betas)


@pytest.mark.parametrize("betas", [(-0.1, 0.9), (0.9, -0.5), (-1.0, 0.9), (1.5, 0.9), (0.9, 2.0), (1.0, 0.9)])
def test_adam_refuses_a_beta_outside_0_to_1(betas):
    with pytest.raises(ValueError):
        Adam([Value(1.0)], betas=betas)


def test_adams_defaults_are_torchs():
    ours = Adam([Value(1.0)])
    theirs = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    assert (ours.lr, (ours.beta1, ours.beta2), ours.eps, ours.weight_decay) == (
        theirs["lr"],
        theirs["betas"],
        theirs["eps"],
        theirs["weight_decay"],
    )
