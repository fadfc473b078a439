"""The generated functions: each one's structure written once, and spelled in Python or in C.

A program runs four generated functions: ``forward`` and ``backward`` of one sample, and
the ``single_sample`` and ``full_batch`` training loops. ``Writer`` holds their skeletons
(read a sample, forward, backward, checks, update, record), built on one ``Lowering`` of
the tape; ``PythonWriter`` and ``CWriter`` spell the parts of a skeleton in their
language: its statements, how a function takes its arguments and returns, how the rows
are looped over, how a failed step is reported.

The Python functions raise where the engine raises (the loops catch it and report the
stage "forward"); the C functions never raise: where the engine would raise they compute
nan or inf, and a failed test returns a status (``STAGES``). Either way Python then
replays the failed step with the engine, which raises its own error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..codegen.expr import Printer
from ..codegen.lowering import SCALARS, Lowering
from ..codegen.python import PYTHON, PYTHON_SYNTAX, SCALAR_NAMESPACE, all_finite, indent, tuple_source
from ..codegen.statements import Assign, Syntax, lines_of
from ..codegen.tape import Tape
from .updates import UpdateCode

# status of a C function -> the stage at which a step failed (see loop.StepFailed); 0 is success
STAGES = {1: "forward", 2: "loss", 3: "gradient", 4: "update"}

# The arguments of both generated Python loops; ``schedule`` is the sample order or the number of
# epochs; ``record_at`` maps each step to record to its row of ``recorded`` (see Writer.copy_recorded).
LOOP_ARGUMENTS = [
    "samples",
    "schedule",
    "scale",
    "params",
    "state",
    "hyper",
    "check_finite",
    "record_at",
    "recorded",
]

Fail = Callable[[str], str]  # a stage -> the statement that ends the function with it

# an element of an array: "G[12]"
_ELEMENT = re.compile(r"(\w+)\[(\d+)\]")


class Writer:
    """The skeletons of the generated functions of one tape; a subclass spells them in its language.

    A subclass sets the spelling of the language's simple statements: ``printer`` and
    ``syntax`` (``statements.Syntax``) for expressions and assignments, and format strings:
    ``when`` opens a test (closed by ``syntax.end`` where indentation does not close it),
    ``not_finite`` tests one variable, ``add_term``, ``mean_loss`` and ``record`` handle the
    losses of a loop's rows and steps.
    """

    printer: Printer
    syntax: Syntax
    tests_late: bool  # a single-sample step tests its forward pass with the loss and gradients
    when: str
    not_finite: str
    add_term: str
    mean_loss: str
    record: str

    def __init__(self, tape: Tape, lowering: Lowering):
        self.tape = tape
        self.lowering = lowering
        names = lowering.names
        self.inputs = [names[s] for s in tape.inputs]
        self.parameters = [names[s] for s in tape.parameters]
        self.root = names[tape.root]
        self.values = lowering.values()

    def one_sample(self, backward: bool) -> list[str]:
        """``forward`` (the outputs) or ``backward`` (also d(root)/d(parameter)) of one sample.

        ``backward`` gives this call's gradients only, each from its first contribution (0.0
        where none reaches): ``Program.backward`` adds them into ``.grad`` as eager does.
        """
        lines = [*self.read_arguments(), *self.forward(self.one_sample_failure)]
        grads, temporaries = None, []
        if backward:
            backward_lines, grads, temporaries = self.backward("1.0", accumulate=False)
            lines += backward_lines
        lines += self.return_outputs(grads)
        return self.function("backward" if backward else "forward", lines, temporaries)

    def training_loop(self, update: UpdateCode, full_batch: bool) -> list[str]:
        """``single_sample`` or ``full_batch``: every step inside the function, the optimizer state in locals.

        A step reads its sample (for full_batch: every sample, their gradients summed in
        order), runs forward and backward, checks the loss and the gradients, copies the
        parameters, gradients and loss where the step is one to record (``copy_recorded``), updates,
        checks the parameters and records the loss.
        """
        backward, grads, temporaries = self.backward("scale" if full_batch else "1.0", accumulate=full_batch)
        fail = self.loop_failure(update, full_batch, grads)
        if full_batch:
            row = [*self.forward(fail), *backward, self.add_term.format(self.root)]
            rows = [*self.each_row(row), *self.assign([("loss", self.mean_loss)])]
            step = [*self.zero(grads), *self.guard(update, full_batch, rows)]
            loss = "loss"
        else:
            sample = [*self.read_sample(), *self.forward(fail, late=True), *backward]
            step = self.guard(update, full_batch, sample)
            loss = self.root
        checks = self.test(
            "check_finite",
            [
                *self.test(self.not_finite.format(loss), [fail("loss")]),
                *self.unless_finite(grads, fail("gradient")),
            ],
        )
        step += checks if full_batch else self.late_checks(loss, grads, checks, fail)
        step += self.copy_recorded(grads, loss, full_batch)
        update_lines, update_temporaries = self.update(update, grads)
        step += update_lines
        step += self.test("check_finite", self.unless_finite(self.parameters, fail("update"), many=True))
        step.append(self.record.format(loss))
        gradients = [g for g in grads if g.startswith("g_")]  # the others are numbers or other variables
        temporaries = [*temporaries, *gradients, *grads, *update_temporaries]
        return self.loop(update, full_batch, step, grads, temporaries)

    def backward(self, seed: str, accumulate: bool) -> tuple[list[str], list[str], list[str]]:
        """The backward pass: its lines, the gradient of each parameter, the variables it sets."""
        parameters = self.tape.parameters
        assignments, grad_of = self.lowering.backward_assignments(seed, parameters, accumulate)
        return self.assign(assignments), [grad_of[s] for s in parameters], [t for t, _ in assignments]

    def zero(self, grads: list[str]) -> list[str]:
        """Set the gradients' variables to 0.0."""
        return self.assign((g, "0.0") for g in grads)

    def update(self, update: UpdateCode, grads: list[str]) -> tuple[list[str], list[str]]:
        """The optimizer's update of every parameter: its lines and the variables it assigns."""
        statements = update.step(self.printer, lambda first: update.each(grads, self.printer, first))
        return lines_of(statements, self.syntax), _targets(statements)

    def forward(self, fail: Fail, late: bool = False) -> list[str]:
        """The forward pass, then ``fail("forward")`` unless every op node is finite.

        With ``late`` a language that tests late (``tests_late``) leaves the test to ``late_checks``.
        """
        lines = self.forward_lines()
        if (late and self.tests_late) or not self.values:
            return lines
        return lines + self.unless_finite(self.values, fail("forward"))

    def assign(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """Assignments of sources to targets."""
        return [self.syntax.assign.format(target=target, source=source) for target, source in pairs]

    def test(self, condition: str, lines: list[str]) -> list[str]:
        """The lines, run where the condition holds (nothing for no lines)."""
        if not lines:
            return []
        end = self.syntax.end
        if end is not None and len(lines) == 1:
            return [f"{self.when.format(condition)} {lines[0]} {end}"]
        return [self.when.format(condition), *indent(lines), *([end] if end else [])]

    def late_checks(self, loss: str, grads: list[str], checks: list[str], fail: Fail) -> list[str]:
        """The checks after a single-sample step's backward pass."""
        return checks


class InArrays:
    """Mixed into a Writer whose loops hold the parameters in an array ``P`` and their gradients in ``G``.

    Its lowering prints the backward pass into G (``backward_lines``), and the optimizer
    state is held in arrays too (``UpdateCode.arrays``): C's ``c_source.CWriter``, and
    ``python_layers.PythonLayersWriter``'s numpy layers.
    """

    tape: Tape
    lowering: Lowering

    @property
    def count(self) -> int:
        """The number of parameters: the length of P and of G."""
        return len(self.tape.parameters)

    def backward(self, seed: str, accumulate: bool) -> tuple[list[str], list[str], list[str]]:
        """The backward pass into G: assigned afresh, or added to what G holds with ``accumulate``."""
        lines, scalars = self.lowering.backward_lines(seed, accumulate)
        return lines, [f"G[{k}]" for k in range(self.count)], scalars


def whole_arrays(names: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """The arrays whose elements from 0 on are all among the names (with their lengths), and the other names.

    A finiteness test reads such an array in one call instead of element by element.
    """
    names = list(dict.fromkeys(names))
    elements: dict[str, list[int]] = {}
    for n in names:
        match = _ELEMENT.fullmatch(n)
        if match:
            elements.setdefault(match[1], []).append(int(match[2]))
    whole = {
        a: len(indices) for a, indices in elements.items() if sorted(indices) == list(range(len(indices)))
    }
    others = [n for n in names if not (_ELEMENT.fullmatch(n) and _ELEMENT.fullmatch(n)[1] in whole)]
    return whole, others


class PythonWriter(Writer):
    """Python: function bodies for ``codegen.python.define``, parameters and state in and out as tuples."""

    printer = PYTHON
    syntax = PYTHON_SYNTAX
    tests_late = False
    namespace = SCALAR_NAMESPACE  # what the generated code sees
    when, not_finite = "if {}:", "not isfinite({})"
    add_term, mean_loss, record = "terms.append({})", "fsum(terms) * scale", "record({})"

    def __init__(self, tape: Tape):
        super().__init__(tape, Lowering(tape, SCALARS))

    def arguments(self) -> list[str]:
        """The arguments of a one-sample function: inputs, then parameters (a loop's are LOOP_ARGUMENTS)."""
        return [*self.inputs, *self.parameters]

    def read_arguments(self) -> list[str]:
        return []

    @staticmethod
    def one_sample_failure(stage: str) -> str:
        return "engine_would_raise()"

    def return_outputs(self, grads: list[str] | None) -> list[str]:
        """Return the outputs, and for backward each parameter's gradient of the call."""
        outputs = tuple_source(self.lowering.outputs())
        if grads is None:
            return [f"return {outputs}"]
        return [f"return {outputs}, {tuple_source(grads)}"]

    def function(self, name: str, body: list[str], temporaries: list[str]) -> list[str]:
        return body

    def forward_lines(self) -> list[str]:
        """The forward pass, with comments naming where each node came from."""
        return self.lowering.forward()

    def unless_finite(self, names: Sequence[str], line: str, many: bool = False) -> list[str]:
        """``line`` unless every variable is finite."""
        return self.test(f"not {all_finite(names)}", [line])

    def _state(self, update: UpdateCode) -> str:
        """The parameters and the optimizer state, as returned by a loop."""
        return f"{tuple_source(self.parameters)}, {tuple_source(update.state)}"

    def loop_failure(self, update: UpdateCode, full_batch: bool, grads: list[str]) -> Fail:
        """Return the stage and the results so far; raise for "forward", which ``guard`` reports."""
        step = "epoch" if full_batch else "step"
        result = f"losses, {self._state(update)}, {self._grads_out(grads, full_batch)}"

        def fail(stage: str) -> str:
            return "engine_would_raise()" if stage == "forward" else f'return "{stage}", {step}, {result}'

        return fail

    @staticmethod
    def _grad_values(grads: list[str], full_batch: bool) -> list[str]:
        """The gradients as ``.grad`` holds them after a step: 0.0 plus each for one sample (``zeroed``)."""
        return grads if full_batch else zeroed(grads)

    def _grads_out(self, grads: list[str], full_batch: bool) -> str:
        """The gradients a loop returns, as ``.grad`` holds them."""
        return tuple_source(self._grad_values(grads, full_batch))

    def copy_recorded(self, grads: list[str], loss: str, full_batch: bool) -> list[str]:
        """At a step of ``record_at``: its row of ``recorded`` gets the parameters, grads and loss."""
        step = "epoch" if full_batch else "step"
        row = tuple_source([*self.parameters, *self._grad_values(grads, full_batch), loss])
        return self.test(f"{step} in record_at", [f"recorded[record_at[{step}]] = {row}"])

    def _unpack(self) -> str:
        """The target of an assignment from one sample's row."""
        return ", ".join(self.inputs) + "," if self.inputs else "_"

    def read_sample(self) -> list[str]:
        return [f"{self._unpack()} = samples[i]"]

    def each_row(self, lines: list[str]) -> list[str]:
        return ["terms = []", f"for {self._unpack()} in samples:", *indent(lines)]

    def guard(self, update: UpdateCode, full_batch: bool, lines: list[str]) -> list[str]:
        """The lines, and the stage "forward" where they raise."""
        return [
            "try:",
            *indent(lines),
            "except (ArithmeticError, ValueError):",
            f'    return "forward", {"epoch" if full_batch else "step"}, losses, {self._state(update)}, None',
        ]

    def unpack(self, update: UpdateCode) -> list[str]:
        """Unpack the parameters, the optimizer state and the hyper-parameters into locals."""
        unpack = [f"{tuple_source(self.parameters)} = params"] if self.parameters else []
        unpack += [f"{tuple_source(update.state)} = state"] if update.state else []
        return [*unpack, f"{tuple_source(update.hyper_names)} = hyper"]

    def loop(
        self, update: UpdateCode, full_batch: bool, step: list[str], grads: list[str], temporaries
    ) -> list[str]:
        """Read the parameters, optimizer state and hyper-parameters (``unpack``); run the steps; return."""
        header = "for epoch in range(schedule):" if full_batch else "for step, i in enumerate(schedule):"
        count = "schedule" if full_batch else "len(schedule)"
        return [
            *self.unpack(update),
            "losses = []",
            "record = losses.append",
            header,
            *indent(step),
            f"return None, {count}, losses, {self._state(update)}, {self._grads_out(grads, full_batch)}",
        ]


def zeroed(grads: Sequence[str]) -> list[str]:
    """``0.0 + g`` for each gradient: what the engine's ``.grad`` holds after zero_grad() and backward().

    A step's gradient starts from its first contribution where the engine starts from 0.0
    and adds it; they differ only for a zero, which 0.0 + g turns into the engine's +0.0
    (a sum that starts from 0.0 is -0.0 only when every term is). The updates are the same
    either way: with either zero as the gradient each gives the same numbers, unless the
    parameter itself is -0.0.
    """
    return [f"0.0 + {g}" for g in grads]


def _targets(statements) -> list[str]:
    """Every variable the statements assign, in order of first assignment."""
    found: dict[str, None] = {}
    for statement in statements:
        if isinstance(statement, Assign):
            found.setdefault(statement.target)
        else:
            for target in _targets([*statement.then, *statement.otherwise]):
                found.setdefault(target)
    return list(found)
