"""SGD and Adam follow torch.optim exactly: 200 steps on the same problem, same parameters."""

import math

import pytest
import torch

from micrograd44 import MLP, Value
from micrograd44.losses import mse_loss
from micrograd44.optim import SGD, Adam

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
