"""The generated functions: each one's structure written once, and spelled in Python or in C.

A program runs four generated functions: ``forward`` and ``backward`` of one sample, and
the ``single_sample`` and ``full_batch`` training loops. ``Writer`` holds their skeletons
(read a sample, forward, backward, checks, update, record), built on one ``Lowering`` of
the tape; ``PythonWriter`` and ``CWriter`` spell each part of a skeleton in their
language: how a function takes its arguments and returns, how the steps and the rows are
looped over, how a failed step is reported.

The Python functions raise where the engine raises (the loops catch it and report the
stage "forward"); the C functions never raise: where the engine would raise they compute
nan or inf, and a failed test returns a status (``STAGES``). Either way Python then
replays the failed step with the engine, which raises its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..codegen.c import PRELUDE, C, c_all_finite, c_lines, declare, unless_finite
from ..codegen.lowering import C_DOUBLES, SCALARS, Lowering
from ..codegen.python import PYTHON, all_finite, indent, python_lines, tuple_source
from ..codegen.statements import Assign
from ..codegen.tape import Tape
from ..codegen.updates import UpdateCode

# status of a C function -> the stage at which a step failed (see loop.StepFailed); 0 is success
STAGES = {1: "forward", 2: "loss", 3: "gradient", 4: "update"}

# The arguments of both generated Python loops; ``schedule`` is the sample order or the number of epochs.
LOOP_ARGUMENTS = ["samples", "schedule", "scale", "params", "state", "hyper", "check_finite"]

Fail = Callable[[str], list[str]]  # a stage -> the lines that end the function with it


class Writer:
    """The skeletons of the generated functions of one tape; a subclass spells them in its language."""

    def __init__(self, tape: Tape, lowering: Lowering):
        self.tape = tape
        self.lowering = lowering
        names = lowering.names
        self.inputs = [names[s] for s in tape.inputs]
        self.parameters = [names[s] for s in tape.parameters]
        self.root = names[tape.root]
        self.values = lowering.values()

    def one_sample(self, backward: bool) -> list[str]:
        """``forward`` (the outputs) or ``backward`` (also d(root)/d(parameter)) of one sample."""
        lines = [*self.read_arguments(), *self.forward(self.one_sample_failure)]
        assignments, grads = [], None
        if backward:
            assignments, grad_of = self.lowering.backward_assignments(
                "1.0", self.tape.parameters, accumulate=False
            )
            grads = [grad_of[s] for s in self.tape.parameters]
            lines += self.assignments(assignments)
        lines += self.return_outputs(grads)
        return self.function("backward" if backward else "forward", lines, [t for t, _ in assignments])

    def training_loop(self, update: UpdateCode, full_batch: bool) -> list[str]:
        """``single_sample`` or ``full_batch``: every step inside the function, the optimizer state in locals.

        A step reads its sample (for full_batch: every sample, their gradients summed in
        order), runs forward and backward, checks the loss and the gradients, updates,
        checks the parameters and records the loss.
        """
        seed = "scale" if full_batch else "1.0"
        backward, grad_of = self.lowering.backward_assignments(
            seed, self.tape.parameters, accumulate=full_batch
        )
        grads = [grad_of[s] for s in self.tape.parameters]
        kept = self.kept_grads(grads)
        fail = self.loop_failure(update, full_batch, kept)
        if full_batch:
            rows = self.each_row([*self.forward(fail), *self.assignments(backward), self.add_term(self.root)])
            step = [
                *self.assignments((g, "0.0") for g in grads),
                *self.start_terms(),
                *self.guard([*rows, *self.assignments([("loss", self.mean_loss())])], update, full_batch),
            ]
            loss = "loss"
        else:
            sample = [*self.read_sample(), *self.forward(fail, late=True), *self.assignments(backward)]
            step = self.guard(sample, update, full_batch)
            loss = self.root
        step += self.assignments((k, g) for k, g in zip(kept, grads) if k != g)
        checks = self.when(
            "check_finite",
            [
                *self.when(self.not_finite(loss), fail("loss")),
                *self.unless_all_finite(kept, fail("gradient")),
            ],
        )
        step += checks if full_batch else self.late_checks(loss, kept, checks, fail)
        statements = update.step(kept, self.printer)
        step += self.statements(statements)
        step += self.when("check_finite", self.unless_all_finite(self.parameters, fail("update"), many=True))
        step += self.record(loss)
        gradients = [g for g in grads if g.startswith("g_")]  # the others are numbers or other variables
        temporaries = [*(t for t, _ in backward), *gradients, *kept, *_targets(statements)]
        return self.loop(update, full_batch, step, kept, temporaries)


class PythonWriter(Writer):
    """Python: functions for ``codegen.python.define``, the parameters and state in and out as tuples."""

    printer = PYTHON

    def __init__(self, tape: Tape):
        super().__init__(tape, Lowering(tape, SCALARS))

    def arguments(self, name: str) -> list[str]:
        """The arguments of a generated function (one sample's, then the parameters' grads for backward)."""
        if name in ("single_sample", "full_batch"):
            return LOOP_ARGUMENTS
        previous = [f"{p}_grad" for p in self.parameters] if name == "backward" else []
        return [*self.inputs, *self.parameters, *previous]

    # ---- one sample ----

    def read_arguments(self) -> list[str]:
        return []

    @staticmethod
    def one_sample_failure(stage: str) -> list[str]:
        return ["engine_would_raise()"]

    def return_outputs(self, grads: list[str] | None) -> list[str]:
        """Return the outputs, and for backward each parameter's grad plus the call's gradient."""
        outputs = tuple_source(self.lowering.outputs())
        if grads is None:
            return [f"return {outputs}"]
        previous = [f"{p}_grad" for p in self.parameters]  # the parameters' .grad before the call
        totals = [p if g == "0.0" else f"{p} + {g}" for p, g in zip(previous, grads)]
        return [f"return {outputs}, {tuple_source(totals)}"]

    def function(self, name: str, body: list[str], temporaries: list[str]) -> list[str]:
        return body

    # ---- statements ----

    def forward(self, fail: Fail, late: bool = False) -> list[str]:
        """The forward pass; EagerWouldRaise unless every op node is finite."""
        return [*self.lowering.forward(), *self.lowering.finite_check()]

    def assignments(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        return [f"{target} = {source}" for target, source in pairs]

    def statements(self, statements: list) -> list[str]:
        return python_lines(statements)

    def when(self, condition: str, lines: list[str]) -> list[str]:
        return [f"if {condition}:", *indent(lines)] if lines else []

    def not_finite(self, name: str) -> str:
        return f"not isfinite({name})"

    def unless_all_finite(self, names: Sequence[str], lines: list[str], many: bool = False) -> list[str]:
        return self.when(f"not {all_finite(names)}", lines)

    # ---- training loops ----

    def kept_grads(self, grads: list[str]) -> list[str]:
        return grads

    def _state(self, update: UpdateCode) -> str:
        """The parameters and the optimizer state, as returned by a loop."""
        return f"{tuple_source(self.parameters)}, {tuple_source(update.state)}"

    def loop_failure(self, update: UpdateCode, full_batch: bool, grads: list[str]) -> Fail:
        step = "epoch" if full_batch else "step"
        result = f"losses, {self._state(update)}, {tuple_source(grads)}"
        return lambda stage: [f'return "{stage}", {step}, {result}']

    def read_sample(self) -> list[str]:
        return [f"{self._unpack()} = samples[i]"]

    def _unpack(self) -> str:
        """The target of an assignment from one sample's row."""
        return ", ".join(self.inputs) + "," if self.inputs else "_"

    def each_row(self, lines: list[str]) -> list[str]:
        return [f"for {self._unpack()} in samples:", *indent(lines)]

    def add_term(self, root: str) -> str:
        return f"terms.append({root})"

    def start_terms(self) -> list[str]:
        return ["terms = []"]

    def mean_loss(self) -> str:
        return "fsum(terms) * scale"

    def guard(self, lines: list[str], update: UpdateCode, full_batch: bool) -> list[str]:
        """The lines, and the stage "forward" where they raise."""
        return [
            "try:",
            *indent(lines),
            "except (ArithmeticError, ValueError):",
            f'    return "forward", {"epoch" if full_batch else "step"}, losses, {self._state(update)}, None',
        ]

    def late_checks(self, loss: str, grads: list[str], checks: list[str], fail: Fail) -> list[str]:
        return checks

    def record(self, loss: str) -> list[str]:
        return [f"record({loss})"]

    def loop(
        self, update: UpdateCode, full_batch: bool, step: list[str], grads: list[str], temporaries
    ) -> list[str]:
        """Unpack the parameters, the optimizer state and the hyper-parameters; run the steps; return."""
        lines = [f"{tuple_source(self.parameters)} = params"] if self.parameters else []
        if update.state:
            lines.append(f"{tuple_source(update.state)} = state")
        header = "for epoch in range(schedule):" if full_batch else "for step, i in enumerate(schedule):"
        count = "schedule" if full_batch else "len(schedule)"
        return [
            *lines,
            f"{tuple_source(update.hyper_names)} = hyper",
            "losses = []",
            "record = losses.append",
            header,
            *indent(step),
            f"return None, {count}, losses, {self._state(update)}, {tuple_source(grads)}",
        ]


class CWriter(Writer):
    """C: functions over arrays of doubles that return a status; generated names and numbers only."""

    printer = C

    def __init__(self, tape: Tape):
        super().__init__(tape, Lowering(tape, C_DOUBLES))

    # ---- one sample ----

    def read_arguments(self) -> list[str]:
        return [*self._read_inputs("in"), *(f"{p} = par[{k}];" for k, p in enumerate(self.parameters))]

    def _read_inputs(self, row: str) -> list[str]:
        """Assign the inputs from a row of doubles."""
        return [f"{x} = {row}[{k}];" for k, x in enumerate(self.inputs)]

    @staticmethod
    def one_sample_failure(stage: str) -> list[str]:
        return ["return 1;"]

    def return_outputs(self, grads: list[str] | None) -> list[str]:
        """Write the outputs, and for backward add each parameter's gradient into its grad (one addition)."""
        lines = [f"out[{k}] = {o};" for k, o in enumerate(self.lowering.outputs())]
        return lines + [f"grad[{k}] = grad[{k}] + {g};" for k, g in enumerate(grads or []) if g != "0.0"]

    def function(self, name: str, body: list[str], temporaries: list[str]) -> list[str]:
        grad = "double *grad, " if name == "backward" else ""
        return [
            f"int mg_{name}(const double *in, const double *par, {grad}double *out)",
            "{",
            *declare([*self.inputs, *self.parameters, *self.values, *temporaries]),
            *indent(body),
            "    return 0;",
            "}",
        ]

    # ---- statements ----

    def forward(self, fail: Fail, late: bool = False) -> list[str]:
        """The forward pass, then ``fail`` unless every op node is finite (with ``late``, in late_checks)."""
        lines = [f"{target} = {expression};" for target, expression in self.lowering.forward_assignments()]
        return (
            lines if late or not self.values else lines + self.unless_all_finite(self.values, fail("forward"))
        )

    def assignments(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        return [f"{target} = {source};" for target, source in pairs]

    def statements(self, statements: list) -> list[str]:
        return c_lines(statements)

    def when(self, condition: str, lines: list[str]) -> list[str]:
        if len(lines) == 1:
            return [f"if ({condition}) {{ {lines[0]} }}"]
        return [f"if ({condition}) {{", *indent(lines), "}"]

    def not_finite(self, name: str) -> str:
        return f"!isfinite({name})"

    def unless_all_finite(self, names: Sequence[str], lines: list[str], many: bool = False) -> list[str]:
        """``lines`` unless every variable is finite; for ``many`` variables, a cheap test first."""
        exact = self.when(f"!({c_all_finite(names)})", lines)
        return unless_finite(names, exact) if many else exact

    # ---- training loops ----

    def kept_grads(self, grads: list[str]) -> list[str]:
        return [f"gr{k}" for k in range(len(grads))]

    def loop_failure(self, update: UpdateCode, full_batch: bool, grads: list[str]) -> Fail:
        status = {stage: code for code, stage in STAGES.items()}
        return lambda stage: [f"status = {status[stage]}; goto done;"]

    def read_sample(self) -> list[str]:
        return self._read_inputs(f"(samples + order[step] * {len(self.inputs)})")

    def each_row(self, lines: list[str]) -> list[str]:
        read = self._read_inputs(f"(samples + row * {len(self.inputs)})")
        return ["for (row = 0; row < n_rows; row++) {", *indent([*read, *lines]), "}"]

    def add_term(self, root: str) -> str:
        return f"terms[row] = {root};"

    def start_terms(self) -> list[str]:
        return []

    def mean_loss(self) -> str:
        return "mg_fsum((int)n_rows, terms) * scale"

    def guard(self, lines: list[str], update: UpdateCode, full_batch: bool) -> list[str]:
        return lines

    def late_checks(self, loss: str, grads: list[str], checks: list[str], fail: Fail) -> list[str]:
        """One cheap test of the op nodes, the loss and the grads; the slow path tells which failed."""
        forward = self.unless_all_finite(self.values, fail("forward")) if self.values else []
        return unless_finite(list(dict.fromkeys([*self.values, loss, *grads])), [*forward, *checks])

    def record(self, loss: str) -> list[str]:
        return [f"losses[step] = {loss};"]

    def loop(
        self, update: UpdateCode, full_batch: bool, step: list[str], grads: list[str], temporaries
    ) -> list[str]:
        """Read the parameters, the state and the hyper-parameters into locals, run the steps, write back."""
        state, hyper = update.state, update.hyper_names
        variables = [*self.inputs, *self.values, *temporaries, "loss", "checked"]
        variables = [v for v in dict.fromkeys(variables) if v not in (*self.parameters, *state, *hyper)]
        if full_batch:
            signature = ["int mg_full_batch(const double *samples, long n_rows, long steps, double scale,"]
            signature.append("    double *terms,")
        else:
            signature = ["int mg_single_sample(const double *samples, const long *order, long steps,"]
        return [
            *signature,
            "    double *par, double *state, const double *hyper, int check_finite,",
            "    double *losses, double *grad, long *taken)",
            "{",
            *(f"    double {p} = par[{k}];" for k, p in enumerate(self.parameters)),
            *(f"    double {s} = state[{k}];" for k, s in enumerate(state)),
            *(f"    const double {h} = hyper[{k}];" for k, h in enumerate(hyper)),
            *declare(variables),
            "    long step, row = 0;",
            "    int status = 0;",
            "    (void)row;",
            "    for (step = 0; step < steps; step++) {",
            *indent(step, 2),
            "    }",
            "done:",
            *(f"    par[{k}] = {p};" for k, p in enumerate(self.parameters)),
            *(f"    state[{k}] = {s};" for k, s in enumerate(state)),
            *(f"    grad[{k}] = {g};" for k, g in enumerate(grads)),
            "    *taken = step;",
            "    return status;",
            "}",
        ]


def c_source(tape: Tape, update: UpdateCode | None = None, mode: str = "single_sample") -> str:
    """The C source of a program's one-sample functions, or of one training loop (a mode) for an update."""
    writer = CWriter(tape)
    if update is None:
        functions = [*writer.one_sample(backward=False), "", *writer.one_sample(backward=True)]
    else:
        functions = writer.training_loop(update, full_batch=mode == "full_batch")
    return "\n".join([PRELUDE, *functions]) + "\n"


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
