"""Optimizers that follow torch.optim's update rules exactly: SGD and Adam."""

from __future__ import annotations

import math
from collections.abc import Iterable

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


def _check(name: str, value: float, ok: bool, rule: str) -> float:
    """value if ok, else a ValueError naming the hyper-parameter and the rule."""
    if not ok:
        raise ValueError(f"invalid {name} {value!r}: {rule}")
    return float(value)


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
        self.lr = _check("learning rate", lr, lr > 0, "must be > 0")
        self.momentum = _check("momentum", momentum, momentum >= 0, "must be >= 0")
        self.dampening = _check("dampening", dampening, dampening >= 0, "must be >= 0")
        self.weight_decay = _check("weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening 0")
        self.nesterov = bool(nesterov)
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
        eps: added to the denominator (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
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
        self.lr = _check("learning rate", lr, lr > 0, "must be > 0")
        beta1, beta2 = betas
        self.beta1 = _check("beta1", beta1, 0 <= beta1 < 1, "must be in [0, 1)")
        self.beta2 = _check("beta2", beta2, 0 <= beta2 < 1, "must be in [0, 1)")
        self.eps = _check("eps", eps, eps >= 0, "must be >= 0")
        self.weight_decay = _check("weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
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
