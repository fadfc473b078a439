"""The generated C: ``source.Writer``'s skeletons spelled in C, with the neurons as loops over arrays.

The C functions take the parameters, their gradients and the optimizer state as arrays
and work on them in place (``P``, ``G``, and the state's buffers ``B``, or moments ``M``
and ``V``); the arrays are ``restrict`` (never overlapping), so the compiler vectorizes
the loops over them. The layers of neurons are loops (``codegen.loops``), and so are the
optimizer's update (the same statements for every parameter, ``UpdateCode.element``) and
the finiteness tests of the parameters and gradients (``mg_all_finite``), so the source
grows with the number of neurons, not with the number of weights. Every other node is a
statement of its own. The functions never raise: a failed test returns a status
(``source.STAGES``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..codegen.c import C_SYNTAX, PRELUDE, C, c_all_finite, declare
from ..codegen.loops import LoopedLowering
from ..codegen.python import indent
from ..codegen.statements import lines_of
from ..codegen.tape import Tape
from .source import STAGES, Fail, InArrays, Writer, _targets, whole_arrays, zeroed
from .updates import UpdateCode

# A loop over the parameters runs over a multiple of this many, then the rest: -O2 vectorizes
# only a loop whose count is a multiple of the vector's length (-fvect-cost-model=very-cheap).
WHOLE_VECTORS = 8

# The arguments of both training loops after those that say where the samples are and how many steps.
_LOOP_ARGUMENTS = [
    "    double *restrict P, double *restrict state, const double *restrict hyper, int check_finite,",
    "    double *restrict losses, double *restrict G, const long *restrict record_at, long n_record,",
    "    double *restrict recorded, long *restrict taken)",
]

# Each generated function's signature, line by line as printed: the one statement of the
# functions' interface (``c_library.argument_types`` reads the types ctypes passes from it).
SIGNATURES = {
    "forward": ["int mg_forward(const double *restrict in, const double *restrict P, double *restrict out)"],
    "backward": [
        "int mg_backward(const double *restrict in, const double *restrict P, double *restrict G, "
        "double *restrict out)"
    ],
    "forward_grid": [
        "int mg_forward_grid(const double *in, long n_in, const double *P, long n_p, long stride,",
        "    double *out, int *failed)",
    ],
    "single_sample": [
        "int mg_single_sample(const double *restrict samples, const long *restrict order, long steps,",
        *_LOOP_ARGUMENTS,
    ],
    "full_batch": [
        "int mg_full_batch(const double *restrict samples, long n_rows, long steps, double scale,",
        "    double *restrict terms,",
        *_LOOP_ARGUMENTS,
    ],
}


def _each_parameter(count: int, lines: list[str]) -> list[str]:
    """The lines in a loop over the parameters' index k (nothing without parameters)."""
    whole = count - count % WHOLE_VECTORS
    ranges = [(0, whole), (whole, count)] if whole and whole < count else [(0, count)]
    loops = [[f"for (long k = {a}; k < {b}; k++) {{", *indent(lines), "}"] for a, b in ranges if b > a]
    return [line for loop in loops for line in loop]


class CWriter(InArrays, Writer):
    """C: functions over arrays of doubles that return a status; generated names and numbers only."""

    printer = C
    syntax = C_SYNTAX
    tests_late = True
    when, not_finite = "if ({}) {{", "!isfinite({})"
    add_term, mean_loss, record = (
        "terms[row] = {};",
        "mg_fsum((int)n_rows, terms) * scale",
        "losses[step] = {};",
    )

    def __init__(self, tape: Tape):
        super().__init__(tape, LoopedLowering(tape))

    def _read_inputs(self, row: str) -> list[str]:
        """Assign the inputs from a row of doubles."""
        return [f"{x} = {row}[{k}];" for k, x in enumerate(self.inputs)]

    def read_arguments(self) -> list[str]:
        return self._read_inputs("in")

    @staticmethod
    def one_sample_failure(stage: str) -> str:
        return "return 1;"

    def return_outputs(self, grads: list[str] | None) -> list[str]:
        """Write the outputs (backward has written each parameter's gradient of the call to G already)."""
        return [f"out[{k}] = {o};" for k, o in enumerate(self.lowering.outputs())]

    def _locals(self, names: Sequence[str]) -> list[str]:
        """Declarations of the names that are not array elements, and of the layers' arrays."""
        scalars = [n for n in names if "[" not in n]
        return [*declare(scalars), *indent(self.lowering.arrays())]

    def function(self, name: str, body: list[str], temporaries: list[str]) -> list[str]:
        return [
            *SIGNATURES[name],
            "{",
            *self._locals([*self.inputs, *self.lowering.scalars(), *temporaries]),
            *indent(body),
            "    return 0;",
            "}",
        ]

    def forward_grid(self) -> list[str]:
        """``mg_forward_grid``: ``mg_forward`` of every input row under every parameter row, in one call.

        Parameter row r starts at ``P + r * stride``; the outputs of input row i under it go
        to ``out + (r * n_in + i) * outputs`` and its status to ``failed[r * n_in + i]``.
        Returns how many failed.
        """
        inputs, outputs = len(self.inputs), len(self.lowering.outputs())
        return [
            *SIGNATURES["forward_grid"],
            "{",
            "    int count = 0;",
            "    for (long r = 0; r < n_p; r++) {",
            "        for (long i = 0; i < n_in; i++) {",
            "            long at = r * n_in + i;",
            f"            failed[at] = mg_forward(in + i * {inputs}, P + r * stride, out + at * {outputs});",
            "            count += failed[at];",
            "        }",
            "    }",
            "    return count;",
            "}",
        ]

    def forward_lines(self) -> list[str]:
        """The forward pass, each layer a loop."""
        return self.lowering.forward_lines()

    def zero(self, grads: list[str]) -> list[str]:
        return _each_parameter(self.count, ["G[k] = 0.0;"])

    @staticmethod
    def all_finite(names: Sequence[str]) -> str:
        """A C condition that holds when every variable is finite; a whole array tested in one call."""
        whole, scalars = whole_arrays(names)
        tests = [f"mg_all_finite({a}, {n})" for a, n in whole.items()]
        return " && ".join([f"({c_all_finite(scalars)})", *tests] if scalars else tests) or "1"

    def unless_finite(self, names: Sequence[str], line: str, many: bool = False) -> list[str]:
        """``line`` unless every variable is finite."""
        return self.test(f"!({self.all_finite(names)})", [line])

    def loop_failure(self, update: UpdateCode, full_batch: bool, grads: list[str]) -> Fail:
        status = {stage: code for code, stage in STAGES.items()}
        return lambda stage: f"status = {status[stage]}; goto done;"

    def read_sample(self) -> list[str]:
        return self._read_inputs(f"(samples + order[step] * {len(self.inputs)})")

    def each_row(self, lines: list[str]) -> list[str]:
        read = self._read_inputs(f"(samples + row * {len(self.inputs)})")
        return ["for (row = 0; row < n_rows; row++) {", *indent([*read, *lines]), "}"]

    def guard(self, update: UpdateCode, full_batch: bool, lines: list[str]) -> list[str]:
        return lines

    def copy_recorded(self, grads: list[str], loss: str, full_batch: bool) -> list[str]:
        """At the next step of ``record_at`` (sorted): the next row of ``recorded`` gets P, G and the loss."""
        count = self.count
        grad = "G[k]" if full_batch else zeroed(["G[k]"])[0]
        copy = _each_parameter(count, ["copy[k] = P[k];", f"copy[{count} + k] = {grad};"])
        return [
            "if (next_record < n_record && record_at[next_record] == step) {",
            f"    double *restrict copy = recorded + next_record * {2 * count + 1};",
            *indent(copy),
            f"    copy[{2 * count}] = {loss};",
            "    next_record++;",
            "}",
        ]

    def late_checks(self, loss: str, grads: list[str], checks: list[str], fail: Fail) -> list[str]:
        """One test of the op nodes (with check_finite, of the loss and grads too); then which failed."""
        forward = self.unless_finite(self.values, fail("forward")) if self.values else []
        values = self.all_finite(self.values) if self.values else "1"
        checked = f"!({values}) || (check_finite && !({self.all_finite([loss, *grads])}))"
        return self.test(checked, [*forward, *checks])

    def update(self, update: UpdateCode, grads: list[str]) -> tuple[list[str], list[str]]:
        """The update as a loop over the parameters, reading and writing the state's arrays in place."""
        shared = update.shared(self.printer)
        state = [f"{a}[k]" for a in update.arrays()]

        def each(first: bool) -> list[str]:
            statements = update.element(self.printer, "P[k]", "G[k]", state, first, "d_")
            temporaries = [t for t in _targets(statements) if "[" not in t]
            body = [*declare(temporaries, indent=""), *lines_of(statements, self.syntax)]
            return _each_parameter(self.count, body)

        if update.makes_buffers():
            lines = ["if (first != 0.0) {", "    first = 0.0;", *indent(each(True)), "} else {"]
            return [*lines, *indent(each(False)), "}"], []
        return [*lines_of(shared, self.syntax), *each(False)], _targets(shared)

    def loop(
        self, update: UpdateCode, full_batch: bool, step: list[str], grads: list[str], temporaries
    ) -> list[str]:
        """Point at the parameters, grads and state, read the hyper-parameters into locals, run the steps."""
        hyper, count = update.hyper_names, self.count
        flag = update.flag  # SGD's first-step flag or Adam's step count, a local; the buffers stay arrays
        buffers = {"M": "state + 1", "V": f"state + 1 + {count}", "B": "state + 1"}
        variables = [*self.inputs, *self.lowering.scalars(), *temporaries, "loss"]
        variables = [v for v in dict.fromkeys(variables) if v not in (*flag, *hyper)]
        return [
            *SIGNATURES["full_batch" if full_batch else "single_sample"],
            "{",
            *(f"    double *restrict {a} = {buffers[a]};" for a in update.arrays()),
            *(f"    double {s} = state[0];" for s in flag),
            *(f"    const double {h} = hyper[{k}];" for k, h in enumerate(hyper)),
            *self._locals(variables),
            "    long step, row = 0, next_record = 0;",
            "    int status = 0;",
            "    (void)row;",
            "    for (step = 0; step < steps; step++) {",
            *indent(step, 2),
            "    }",
            "done:",
            *(f"    state[0] = {s};" for s in flag),
            *([] if full_batch else indent(_each_parameter(count, [f"G[k] = {zeroed(['G[k]'])[0]};"]))),
            "    *taken = step;",
            "    return status;",
            "}",
        ]


def c_source(tape: Tape, update: UpdateCode | None = None, mode: str = "single_sample") -> str:
    """The C source of a program's one-sample functions, or of one training loop (a mode) for an update."""
    writer = CWriter(tape)
    if update is None:
        functions = [
            *writer.one_sample(backward=False),
            "",
            *writer.one_sample(backward=True),
            "",
            *writer.forward_grid(),
        ]
    else:
        functions = writer.training_loop(update, full_batch=mode == "full_batch")
    return "\n".join([PRELUDE, *functions]) + "\n"
