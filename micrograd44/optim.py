"""Optimizers that follow torch.optim's update rules exactly: SGD and Adam."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence

from .engine import Value


class Optimizer:
    """Holds a list of parameters and updates their ``data`` from their ``grad``."""

    def __init__(self, params: Iterable[Value]):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Value")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 before the next backward()."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current grad."""
        raise NotImplementedError


def _positive(value: float) -> bool:
    """value > 0."""
    return value > 0


def _non_negative(value: float) -> bool:
    """value >= 0."""
    return value >= 0


def _below_one(value: float) -> bool:
    """0 <= value < 1 (a decay rate)."""
    return 0 <= value < 1


def _check(owner: str, name: str, value, ok: Callable[[float], bool], rule: str) -> float:
    """value as a float if it is a finite real number (not a bool) for which ok(value) holds.

    Otherwise a ValueError naming the optimizer, the hyper-parameter, its value and the
    rule, e.g. "Adam: eps=0 is invalid: eps must be a finite number > 0".
    """
    number = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            pass
    if number is None or not math.isfinite(number) or not ok(number):
        raise ValueError(f"{owner}: {name}={value!r:.60} is invalid: {rule}")
    return number


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD``.

    For each parameter p with gradient g, step t::

        g = g + weight_decay * p
        b = g                                          (t = 1)
        b = momentum * b + (1 - dampening) * g         (t > 1)
        g = g + momentum * b if nesterov else b        (when momentum != 0)
        p = p - lr * g

    Args:
        params: the Values to train.
        lr: learning rate (> 0).
        momentum, dampening, weight_decay: as in PyTorch (>= 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).

    Raises:
        ValueError: a hyperparameter that is not a finite number in its range (nan and
            infinity included), named with its value in the message.

    Example:
        >>> from micrograd44 import MLP
        >>> model = MLP(2, [4, 1], seed=0)
        >>> opt = SGD(model.parameters(), lr=0.02, momentum=0.9)
        >>> opt.zero_grad(); model([1.0, 0.0]).backward(); opt.step()
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        super().__init__(params)
        self.lr = _check("SGD", "lr", lr, _positive, "the learning rate must be a finite number > 0")
        self.momentum = _check(
            "SGD", "momentum", momentum, _non_negative, "momentum must be a finite number >= 0"
        )
        self.dampening = _check(
            "SGD", "dampening", dampening, _non_negative, "dampening must be a finite number >= 0"
        )
        self.weight_decay = _check(
            "SGD", "weight_decay", weight_decay, _non_negative, "weight_decay must be a finite number >= 0"
        )
        if not isinstance(nesterov, bool):
            raise ValueError(f"SGD: nesterov={nesterov!r:.60} is invalid: nesterov must be True or False")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening 0")
        self.nesterov = nesterov
        self.buffers: list[float] | None = None  # momentum buffers, made on the first step

    def step(self) -> None:
        """p -= lr * (momentum buffer or gradient), for every parameter."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0.0:
            for p in self.params:
                p.data -= lr * (p.grad + decay * p.data if decay else p.grad)
            return
        grads = [p.grad + decay * p.data for p in self.params] if decay else [p.grad for p in self.params]
        if self.buffers is None:
            self.buffers = grads.copy()
        else:
            keep = 1.0 - self.dampening
            self.buffers = [momentum * b + keep * g for b, g in zip(self.buffers, grads)]
        if self.nesterov:
            for p, g, b in zip(self.params, grads, self.buffers):
                p.data -= lr * (g + momentum * b)
        else:
            for p, b in zip(self.params, self.buffers):
                p.data -= lr * b


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (no amsgrad), step t counted from 1::

        g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: the Values to train.
        lr: learning rate (> 0).
        betas: decay rates of the two moment estimates, each in [0, 1).
        eps: added to the denominator (> 0; PyTorch accepts 0, which divides 0 by 0 on
            a parameter whose gradient has been exactly 0 so far).
        weight_decay: L2 penalty added to the gradient (>= 0).

    Raises:
        ValueError: a hyperparameter that is not a finite number in its range (nan and
            infinity included), named with its value in the message.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params)
        self.lr = _check("Adam", "lr", lr, _positive, "the learning rate must be a finite number > 0")
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise ValueError(f"Adam: betas={betas!r:.60} is invalid: betas must be a pair (beta1, beta2)")
        self.beta1 = _check("Adam", "betas[0]", betas[0], _below_one, "beta1 must be in [0, 1)")
        self.beta2 = _check("Adam", "betas[1]", betas[1], _below_one, "beta2 must be in [0, 1)")
        self.eps = _check(
            "Adam", "eps", eps, _positive, "eps must be a finite number > 0 (it keeps m / sqrt(v) finite)"
        )
        self.weight_decay = _check(
            "Adam", "weight_decay", weight_decay, _non_negative, "weight_decay must be a finite number >= 0"
        )
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.t += 1
        beta1, beta2, decay = self.beta1, self.beta2, self.weight_decay
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2_sqrt = (1.0 - beta2**self.t) ** 0.5
        weight = 1.0 - beta1
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            m = self.m[i]
            # torch's lerp: start + w * (end - start) for w < 0.5, else end - (end - start) * (1 - w)
            m = m + weight * (g - m) if weight < 0.5 else g - (g - m) * (1.0 - weight)
            v = self.v[i] * beta2 + (1.0 - beta2) * g * g
            self.m[i], self.v[i] = m, v
            p.data += -step_size * (m / (math.sqrt(v) / correction2_sqrt + self.eps))
