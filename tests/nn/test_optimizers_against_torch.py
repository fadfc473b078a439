"""SGD and Adam follow torch.optim exactly: 200 steps on the same problem, same parameters."""

import math
import random

import pytest
import torch

from micrograd44 import MLP, Value
from micrograd44.core.ops import FLOATS
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD, Adam, adam_shared, adam_update, sgd_update

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, -0.3]]
TARGETS = [0.0, 1.0, 1.0, 0.0, 0.7]


def torch_twin(model: MLP):
    """float64 torch tensors holding the model's parameters, in named_parameters order."""
    return [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()]


def torch_forward(params, model: MLP, x):
    """The MLP's forward pass computed with torch scalars."""
    it = iter(params)
    values = [torch.tensor(v, dtype=torch.float64) for v in x]
    for layer in model.layers:
        outs = []
        for _ in layer.neurons:
            weights = [next(it) for _ in range(layer.nin)]
            bias = next(it)
            z = sum((w * v for w, v in zip(weights, values)), torch.tensor(0.0, dtype=torch.float64)) + bias
            outs.append(torch.tanh(z) if layer.activation == "tanh" else z)
        values = outs
    return values[0]


@pytest.mark.parametrize(
    ("make", "make_torch"),
    [
        (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
        (lambda p: SGD(p, lr=0.02, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
        (
            lambda p: SGD(p, lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3),
            lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3),
        ),
        (
            lambda p: SGD(p, lr=0.03, momentum=0.5, dampening=0.3, weight_decay=0.01),
            lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.5, dampening=0.3, weight_decay=0.01),
        ),
        (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, foreach=False)),
        (
            lambda p: Adam(p, lr=0.005, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01),
            lambda p: torch.optim.Adam(
                p, lr=0.005, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, foreach=False
            ),
        ),
    ],
    ids=["sgd", "sgd-momentum", "sgd-nesterov-decay", "sgd-dampening-decay", "adam", "adam-betas-decay"],
)
def test_200_steps_give_the_parameters_of_torch_optim(make, make_torch):
    model = MLP(2, [4, 3, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=3)
    params = torch_twin(model)
    optimizer, torch_optimizer = make(model.parameters()), make_torch(params)
    for step in range(200):
        i = step % len(INPUTS)
        optimizer.zero_grad()
        mse_loss(model(INPUTS[i]), TARGETS[i]).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        ((torch_forward(params, model, INPUTS[i]) - TARGETS[i]) ** 2).backward()
        torch_optimizer.step()
    for p, t in zip(model.parameters(), params):
        assert math.isclose(p.data, t.item(), rel_tol=1e-10, abs_tol=1e-14), p.label


def test_zero_grad_clears_every_parameter():
    params = [Value(1.0), Value(2.0)]
    (params[0] * params[1]).backward()
    SGD(params, lr=0.1).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: SGD(p, lr=0.0), ["learning rate", "0.0"]),
        (lambda p: SGD(p, lr=0.1, momentum=-1), ["momentum", "-1"]),
        (lambda p: SGD(p, lr=0.1, nesterov=True), ["Nesterov"]),
        (lambda p: Adam(p, betas=(1.0, 0.9)), ["beta1", "1.0"]),
        (lambda p: Adam(p, eps=-1e-8), ["eps"]),
        (lambda p: SGD([], lr=0.1), ["empty"]),
        (lambda p: SGD([1.0], lr=0.1), ["parameter 0", "float"]),
    ],
)
def test_bad_hyper_parameters_are_named(make, words):
    with pytest.raises((ValueError, TypeError)) as info:
        make([Value(1.0)])
    for word in words:
        assert word in str(info.value)


BAD_HYPERPARAMETERS = [
    (SGD, {"lr": math.inf}, "lr=inf"),
    (SGD, {"lr": math.nan}, "lr=nan"),
    (SGD, {"lr": 0.1, "momentum": math.inf}, "momentum=inf"),
    (SGD, {"lr": 0.1, "dampening": math.inf}, "dampening=inf"),
    (SGD, {"lr": 0.1, "weight_decay": math.inf}, "weight_decay=inf"),
    (SGD, {"lr": "0.1"}, "lr='0.1'"),
    (SGD, {"lr": True}, "lr=True"),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": "yes"}, "nesterov='yes'"),
    (Adam, {"eps": 0}, "eps=0"),
    (Adam, {"eps": math.inf}, "eps=inf"),
    (Adam, {"lr": math.inf}, "lr=inf"),
    (Adam, {"lr": -(10**400)}, "lr=-1000"),
    (Adam, {"weight_decay": math.inf}, "weight_decay=inf"),
    (Adam, {"betas": (0.9, math.nan)}, "betas[1]=nan"),
    (Adam, {"betas": (0.9,)}, "betas=(0.9,)"),
    (Adam, {"betas": None}, "betas=None"),
]


@pytest.mark.parametrize(
    ("kind", "settings", "named"), BAD_HYPERPARAMETERS, ids=[n for _, _, n in BAD_HYPERPARAMETERS]
)
def test_every_hyperparameter_is_checked_and_named(kind, settings, named):
    with pytest.raises(ValueError) as caught:
        kind([Value(1.0)], **settings)
    assert str(caught.value).startswith(f"{kind.__name__}: {named}")
    assert "is invalid" in str(caught.value)


def test_adam_with_the_smallest_eps_steps_on_an_exactly_zero_gradient():
    p = Value(1.0)
    optimizer = Adam([p], lr=0.1, eps=5e-324)
    p.grad = 0.0
    optimizer.step()
    assert p.data == 1.0


# Hyper-parameters changed between steps, as a schedule does: each change is followed by a
# few steps. Some change only a value (lr), others the update's structure (momentum from 0,
# weight decay on, Nesterov, Adam's beta1 across 0.5, which switches torch's lerp formula).
SGD_CHANGES = [
    {},
    {"lr": 0.01},
    {"momentum": 0.9},
    {"dampening": 0.3, "weight_decay": 0.01},
    {"dampening": 0.0, "nesterov": True},
    {"momentum": 0.0, "nesterov": False, "lr": 0.2},
    {"momentum": 0.5},
]
ADAM_CHANGES = [
    {},
    {"lr": 0.01},
    {"weight_decay": 0.01},
    {"beta1": 0.3},
    {"beta2": 0.5, "eps": 1e-3},
    {"beta1": 0.9},
]


def _bits(numbers) -> list[str]:
    """Each float's exact value (the sign of a zero included)."""
    return [float(x).hex() for x in numbers]


def _steps_with_changes(optimizer, changes, expected_step):
    """Apply each change, then take three steps, each checked against expected_step(grads)."""
    rng = random.Random(0)
    for change in changes:
        for attribute, value in change.items():
            setattr(optimizer, attribute, value)
        for _ in range(3):
            grads = [rng.gauss(0.0, 1.0) for _ in optimizer.params]
            for p, g in zip(optimizer.params, grads):
                p.grad = g
            expected = expected_step(grads)
            optimizer.step()
            assert _bits(p.data for p in optimizer.params) == _bits(expected), change


def test_sgd_step_is_sgd_update_on_floats_bit_for_bit_as_hyper_parameters_change():
    params = [Value(x) for x in (0.5, -1.25, 2.0, 0.0)]
    optimizer = SGD(params, lr=0.05)
    data = [p.data for p in params]
    buffers = None

    def expected_step(grads):
        nonlocal data, buffers
        h, s = optimizer.hyper(), optimizer.structure()
        first = buffers is None
        old = [0.0] * len(data) if first else buffers
        updated = [sgd_update(FLOATS, h, s, p, g, b, first) for p, g, b in zip(data, grads, old)]
        data = [value for value, _ in updated]
        if s.momentum:
            buffers = [buffer for _, buffer in updated]
        return data

    _steps_with_changes(optimizer, SGD_CHANGES, expected_step)
    assert _bits(optimizer.buffers) == _bits(buffers)


def test_adam_step_is_adam_update_on_floats_bit_for_bit_as_hyper_parameters_change():
    params = [Value(x) for x in (0.5, -1.25, 2.0, 0.0)]
    optimizer = Adam(params, lr=0.05)
    data, means, variances = [p.data for p in params], [0.0] * 4, [0.0] * 4

    def expected_step(grads):
        nonlocal data, means, variances
        h, s = optimizer.hyper(), optimizer.structure()
        shared = adam_shared(FLOATS, h, optimizer.t + 1)
        updated = [adam_update(FLOATS, h, s, shared, *state) for state in zip(data, grads, means, variances)]
        data, means, variances = (list(column) for column in zip(*updated))
        return data

    _steps_with_changes(optimizer, ADAM_CHANGES, expected_step)
    assert _bits(optimizer.m) == _bits(means) and _bits(optimizer.v) == _bits(variances)
