"""Optimizer updates as code: ``optim.sgd_update`` and ``optim.adam_update`` printed for a training loop.

The updates are defined once, in ``micrograd44.optim``, over a vocabulary of primitives.
``sgd_assignments`` and ``adam_assignments`` evaluate them on expressions with the names of
the generated code as their numbers and give each parameter's update as statements (see
``statements``); ``UpdateCode`` writes them for every parameter of a training loop, with
the optimizer's state moved in and out, in any language's printer.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from ..optim import SGD, Adam, AdamStructure, Optimizer, SGDStructure, adam_shared, adam_update, sgd_update
from .expr import EXPRESSIONS, Printer, expr, name
from .statements import Assign, Branch, assignments, variables


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


class UpdateCode:
    """An optimizer's update of every parameter as statements, and its state moved in and out of a loop.

    Attributes:
        key: what the generated code depends on (the optimizer and its structure).
        hyper_names, hyper: the hyper-parameters' variables and their current values.
        state: the variables of the optimizer state, the counter or flag first.
    """

    def __init__(self, optimizer: Optimizer, parameters: list[str]):
        if type(optimizer) not in (SGD, Adam):  # a subclass may update otherwise
            raise TypeError(
                f"a compiled training loop needs micrograd44.optim.SGD or Adam, got {optimizer!r}"
            )
        self.parameters = parameters
        self.adam = isinstance(optimizer, Adam)
        self.structure = optimizer.structure()
        hyper = optimizer.hyper()
        self.key = (type(optimizer).__name__, self.structure)
        self.hyper_names = tuple(vars(hyper))
        self.hyper = tuple(vars(hyper).values())
        self._hyper = variables(vars(hyper))
        if self.adam:
            self.state = ["t", *(f"m_{p}" for p in parameters), *(f"v_{p}" for p in parameters)]
        else:
            self.state = ["first", *(f"b_{p}" for p in parameters)] if self.structure.momentum else []

    def read_state(self, optimizer: Optimizer, positions: list[int]) -> list:
        """The loop's state from the optimizer, for the program's parameters at these optimizer positions."""
        if self.adam:
            return [optimizer.t, *(optimizer.m[k] for k in positions), *(optimizer.v[k] for k in positions)]
        if not self.structure.momentum:
            return []
        if optimizer.buffers is None:
            return [True, *([0.0] * len(positions))]
        return [False, *(optimizer.buffers[k] for k in positions)]

    def write_state(self, optimizer: Optimizer, state: Sequence, positions: list[int]) -> None:
        """Store the loop's final state into the optimizer."""
        if self.adam:
            n = len(positions)
            optimizer.t = int(state[0])
            for m, v, k in zip(state[1 : 1 + n], state[1 + n :], positions):
                optimizer.m[k], optimizer.v[k] = m, v
        elif self.structure.momentum and not state[0]:
            buffers = [0.0] * len(positions)
            for b, k in zip(state[1:], positions):
                buffers[k] = b
            optimizer.buffers = buffers

    def step(self, grads: list[str], printer: Printer) -> list:
        """The statements of one update of every parameter from its gradient's variable or literal."""
        if self.adam:
            return self._adam(grads, printer)
        if not self.structure.momentum:
            return self._sgd(grads, printer, first=False)
        return [
            Branch(
                "first",
                [Assign("first", printer.constant(0.0)), *self._sgd(grads, printer, first=True)],
                self._sgd(grads, printer, first=False),
            )
        ]

    def _sgd(self, grads: list[str], printer: Printer, first: bool) -> list[Assign]:
        """sgd_update of every parameter."""
        statements = []
        for p, g in zip(self.parameters, grads):
            statements += sgd_assignments(
                printer, self._hyper, self.structure, p, g, f"b_{p}", first, f"d_{p}_"
            )
        return statements

    def _adam(self, grads: list[str], printer: Printer) -> list[Assign]:
        """The step count, adam_shared, then adam_update of every parameter."""
        neg_step_size, correction2_sqrt = adam_shared(EXPRESSIONS, self._hyper, name("t"))
        statements = [
            Assign("t", printer.print(name("t") + 1.0)),
            Assign("neg_step_size", printer.print(neg_step_size)),
            Assign("correction2_sqrt", printer.print(correction2_sqrt)),
        ]
        shared = (name("neg_step_size"), name("correction2_sqrt"))
        for p, g in zip(self.parameters, grads):
            statements += adam_assignments(
                printer, self._hyper, self.structure, shared, p, g, f"m_{p}", f"v_{p}", f"d_{p}_"
            )
        return statements
