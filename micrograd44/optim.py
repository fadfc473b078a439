"""Optimizers that follow torch.optim's update rules exactly: SGD and Adam.

Each optimizer's update of one parameter is written once, as a function over a vocabulary
``m`` of primitives (see ``micrograd44.ops``): ``sgd_update`` and ``adam_update``. Both the
optimizers below and the compiled backends evaluate it on expressions (``sgd_assignments``,
``adam_assignments``) and print it as code: ``step()`` runs it as one Python function per
structure of the update (made on first use, then cached), the compiled training loops as
Python or C. So a compiled training loop updates exactly as ``step()`` does, and ``step()``
pays for the arithmetic only, not for a call per parameter.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import NamedTuple

from .codegen import (
    EXPRESSIONS,
    PYTHON,
    Assign,
    Printer,
    assignments,
    define,
    expr,
    name,
    python_lines,
    variables,
)
from .core.ops import FLOATS
from .core.value import Value


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

    def hyper(self) -> SimpleNamespace:
        """The hyper-parameters ``sgd_update`` reads: lr, momentum, keep (1 - dampening), decay."""
        return SimpleNamespace(
            lr=self.lr, momentum=self.momentum, keep=1.0 - self.dampening, decay=self.weight_decay
        )

    def structure(self) -> SGDStructure:
        """Which terms the update has, for the current hyper-parameters."""
        return SGDStructure(
            decay=self.weight_decay != 0.0,
            momentum=self.momentum != 0.0,
            damped=self.dampening != 0.0,
            nesterov=self.nesterov,
        )

    def step(self) -> None:
        """p -= lr * (momentum buffer or gradient), for every parameter (``sgd_update``)."""
        h, s = self.hyper(), self.structure()
        first = self.buffers is None
        buffers = [0.0] * len(self.params) if first and s.momentum else self.buffers
        _sgd_step(s, first, tuple(vars(h)))(self.params, buffers, *vars(h).values())
        if s.momentum:
            self.buffers = buffers


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

    def hyper(self) -> SimpleNamespace:
        """The hyper-parameters ``adam_update`` reads, with the complements it uses."""
        weight = 1.0 - self.beta1
        return SimpleNamespace(
            lr=self.lr,
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.eps,
            decay=self.weight_decay,
            weight=weight,
            rest=1.0 - weight,
            rest2=1.0 - self.beta2,
        )

    def structure(self) -> AdamStructure:
        """Which terms the update has, for the current hyper-parameters."""
        return AdamStructure(decay=self.weight_decay != 0.0, lerp_from_start=1.0 - self.beta1 < 0.5)

    def step(self) -> None:
        """One Adam update of every parameter (``adam_update``)."""
        self.t += 1
        h, s = self.hyper(), self.structure()
        step = _adam_step(s, tuple(vars(h)))
        step(self.params, self.m, self.v, *adam_shared(FLOATS, h, self.t), *vars(h).values())


# ---- the per-parameter updates, each defined once ----
# ``m`` is the vocabulary (ops.FLOATS here, expressions in the compiled backends), ``h`` the
# hyper-parameters (numbers, or the names the generated code holds them in) and ``s`` the
# structure: which terms the update has, fixed while the hyper-parameters keep their kind.


class SGDStructure(NamedTuple):
    """The terms of an SGD update: weight decay, momentum, dampening, Nesterov momentum.

    A named tuple: made at every step and looked up in the cache of step functions, it is
    built, hashed and compared in C (a frozen dataclass costs several times as much).
    """

    decay: bool
    momentum: bool
    damped: bool
    nesterov: bool


def sgd_update(m, h, s: SGDStructure, p, g, buffer, first: bool) -> tuple:
    """One parameter's SGD step: (new value, new momentum buffer), as ``torch.optim.SGD``.

    ``first`` is true on the step that creates the momentum buffers; without momentum the
    buffer is returned unchanged.
    """
    if s.decay:
        g = g + h.decay * p
    if not s.momentum:
        return p - h.lr * g, buffer
    if first:
        buffer = g
    else:
        buffer = h.momentum * buffer + (h.keep * g if s.damped else g)
    return p - h.lr * (g + h.momentum * buffer if s.nesterov else buffer), buffer


class AdamStructure(NamedTuple):
    """The terms of an Adam update: weight decay, and which of torch's two lerp formulas applies."""

    decay: bool
    lerp_from_start: (
        bool  # torch's lerp: start + w (end - start) for w < 0.5, else end - (end - start)(1 - w)
    )


def adam_shared(m, h, t) -> tuple:
    """The factors every parameter's Adam step t (from 1) shares: (-lr / (1 - beta1^t), sqrt(1 - beta2^t))."""
    return -(h.lr / (1.0 - h.beta1**t)), (1.0 - h.beta2**t) ** 0.5


def adam_update(m, h, s: AdamStructure, shared, p, g, mean, variance) -> tuple:
    """One parameter's Adam step: (new value, first moment, second moment), as ``torch.optim.Adam``."""
    neg_step_size, correction2_sqrt = shared
    if s.decay:
        g = g + h.decay * p
    mean = mean + h.weight * (g - mean) if s.lerp_from_start else g - (g - mean) * h.rest
    variance = variance * h.beta2 + h.rest2 * g * g
    return p + neg_step_size * (mean / (m.sqrt(variance) / correction2_sqrt + h.eps)), mean, variance


# ---- the updates as statements: what step() runs, and what the compiled loops print ----


def sgd_assignments(
    printer: Printer,
    h: SimpleNamespace,
    s: SGDStructure,
    p: str,
    g: str,
    buffer: str,
    first: bool,
    temporary: str,
) -> list[Assign]:
    """``sgd_update`` of the parameter in variable p as assignments to buffer (with momentum), then p.

    Args:
        printer: the language.
        h: the hyper-parameters' variables (``statements.variables(vars(optimizer.hyper()))``).
        s: the update's structure.
        p, g, buffer: the variables of the parameter, its gradient (or a literal) and its
            momentum buffer.
        first: the step that creates the momentum buffer.
        temporary: the prefix of the variables holding values the update reuses.
    """
    value, new_buffer = sgd_update(EXPRESSIONS, h, s, name(p), name(g), name(buffer), first)
    outputs = [(buffer, expr(new_buffer)), (p, value)] if s.momentum else [(p, value)]
    return assignments(outputs, printer, temporary)


def adam_assignments(
    printer: Printer,
    h: SimpleNamespace,
    s: AdamStructure,
    shared: tuple,
    p: str,
    g: str,
    mean: str,
    variance: str,
    temporary: str,
) -> list[Assign]:
    """``adam_update`` of the parameter in variable p as assignments to mean, variance, then p.

    ``shared`` holds the variables of ``adam_shared``'s two factors; the other arguments are
    as for ``sgd_assignments``.
    """
    value, new_mean, new_variance = adam_update(
        EXPRESSIONS, h, s, shared, name(p), name(g), name(mean), name(variance)
    )
    return assignments([(mean, new_mean), (variance, new_variance), (p, value)], printer, temporary)


def _loop(function: str, update: list[Assign], arguments: list[str], indexed: bool) -> Callable:
    """``function(params, *arguments)``: the update, run for each ``parameter`` of params.

    The update reads and assigns the parameter's fields and its state in place
    (``parameter.data``, ``buffers[i]``); ``indexed`` gives it the index ``i``.
    """
    loop = "for i, parameter in enumerate(params):" if indexed else "for parameter in params:"
    lines = [loop, *("    " + line for line in python_lines(update))]
    return define(function, ["params", *arguments], lines, vars(FLOATS))[0]


@functools.cache
def _sgd_step(s: SGDStructure, first: bool, hyper: tuple[str, ...]) -> Callable:
    """``sgd_update`` of every parameter as one function on floats, made once per structure.

    It is called as ``(params, buffers, *hyper-parameters)`` and updates both in place.
    """
    h = variables(hyper)
    update = sgd_assignments(PYTHON, h, s, "parameter.data", "parameter.grad", "buffers[i]", first, "reused_")
    return _loop("sgd_step", update, ["buffers", *hyper], indexed=s.momentum)


@functools.cache
def _adam_step(s: AdamStructure, hyper: tuple[str, ...]) -> Callable:
    """``adam_update`` of every parameter as one function on floats, made once per structure.

    It is called as ``(params, means, variances, *adam_shared(...), *hyper-parameters)``.
    """
    shared = ("neg_step_size", "correction2_sqrt")
    update = adam_assignments(
        PYTHON,
        variables(hyper),
        s,
        tuple(map(name, shared)),
        "parameter.data",
        "parameter.grad",
        "means[i]",
        "variances[i]",
        "reused_",
    )
    return _loop("adam_step", update, ["means", "variances", *shared, *hyper], indexed=True)
