"""Optimizer updates as code: ``optim.sgd_update`` and ``optim.adam_update`` printed for a training loop.

The updates are defined once, in ``micrograd44.optim``, over a vocabulary of primitives;
``optim.sgd_assignments`` and ``optim.adam_assignments`` give each parameter's update as
statements (the same statements ``step()`` runs). ``UpdateCode`` writes them for every
parameter of a training loop, with the optimizer's state moved in and out, in any
language's printer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..codegen.expr import EXPRESSIONS, Printer, name
from ..codegen.statements import Assign, Branch, variables
from ..optim import SGD, Adam, Optimizer, adam_assignments, adam_shared, sgd_assignments


class UpdateCode:
    """An optimizer's update of every parameter as statements, and its state moved in and out of a loop.

    Attributes:
        key: what the generated code depends on (the optimizer and its structure).
        hyper_names, hyper: the hyper-parameters' variables and their current values.
        state: the variables of the optimizer state, the counter or flag first.
        flag: that first variable (Adam's step count "t", SGD's first-step flag "first"), or none.
        buffers: the prefixes of each parameter's state: Adam's moments "m" and "v", SGD's
            momentum buffer "b", or none.
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
            self.buffers, self.flag = ["m", "v"], ["t"]
        elif self.structure.momentum:
            self.buffers, self.flag = ["b"], ["first"]
        else:
            self.buffers, self.flag = [], []
        self.state = [*self.flag, *(f"{b}_{p}" for b in self.buffers for p in parameters)]

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

    def step(self, printer: Printer, each: Callable[[bool], list]) -> list:
        """The statements of one update of every parameter, ``each(first)`` giving the parameters' own.

        Adam's shared factors come before them; SGD with momentum branches on its first
        step, which makes the buffers (``each(True)``).
        """
        if self.makes_buffers():
            return [Branch("first", [Assign("first", printer.constant(0.0)), *each(True)], each(False))]
        return [*self.shared(printer), *each(False)]

    def each(self, grads: list[str], printer: Printer, first: bool) -> list[Assign]:
        """The update of every parameter from its gradient's variable or literal, one after the other."""
        statements = []
        for p, g in zip(self.parameters, grads):
            statements += self.element(printer, p, g, self.element_state(p), first, f"d_{p}_")
        return statements

    def makes_buffers(self) -> bool:
        """True for SGD with momentum, whose first step makes the momentum buffers."""
        return self.buffers == ["b"]

    def element_state(self, p: str) -> list[str]:
        """The variables of one parameter's optimizer state: its momentum buffer, its two moments, or none."""
        return [f"{b}_{p}" for b in self.buffers]

    def arrays(self) -> list[str]:
        """The state's arrays in a loop that holds it in arrays (``source.InArrays``): M and V, B, or none."""
        return [b.upper() for b in self.buffers]

    def shared(self, printer: Printer) -> list[Assign]:
        """What every parameter's update reads, computed once before them: Adam's step count and factors."""
        if not self.adam:
            return []
        neg_step_size, correction2_sqrt = adam_shared(EXPRESSIONS, self._hyper, name("t"))
        return [
            Assign("t", printer.print(name("t") + 1.0)),
            Assign("neg_step_size", printer.print(neg_step_size)),
            Assign("correction2_sqrt", printer.print(correction2_sqrt)),
        ]

    def element(
        self, printer: Printer, p: str, g: str, state: Sequence[str], first: bool, temporary: str
    ) -> list[Assign]:
        """The update of the parameter in variable p from its gradient g (sgd_update or adam_update).

        Args:
            printer: the language.
            p, g: the variables of the parameter and its gradient (or a literal).
            state: the variables of its state (``element_state``); they may be array elements.
            first: the SGD step that creates the momentum buffer.
            temporary: the prefix of the variables holding values the update reuses.
        """
        if self.adam:
            shared = (name("neg_step_size"), name("correction2_sqrt"))
            return adam_assignments(printer, self._hyper, self.structure, shared, p, g, *state, temporary)
        buffer = state[0] if state else f"b_{p}"
        return sgd_assignments(printer, self._hyper, self.structure, p, g, buffer, first, temporary)
