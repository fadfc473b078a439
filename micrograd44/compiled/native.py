"""The C backend: a program's forward, backward and training loops written as C, run through ctypes.

The C is printed from the same ``Lowering`` as the Python backend, with the op table's
rules printed by ``cprinter.CPrinter`` and the optimizer's update by ``updates.UpdateCode``:
the same operations in the same order, so its numbers are the engine's bit for bit. It
holds generated names and numbers only (no label, no module path, not even in a comment).

Each generated function returns a status instead of raising: 0 when every step was
taken, else the stage at which a step stopped (``STAGES``), which the Python side turns
into the same result as the Python backend's (and, for "forward", replays the step with
the engine to raise its own error).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import expr, ops, optim, statements
from . import codegen, cprinter, rules, tape, updates
from .codegen import Lowering
from .cprinter import PRELUDE, C, c_literal, c_rule
from .tape import Tape
from .toolchain import build_from
from .updates import Assign, UpdateCode, c_lines

# status -> stage (see training.StepFailed); 0 is success
STAGES = {1: "forward", 2: "loss", 3: "gradient", 4: "update"}

# pointers are passed as addresses of numpy arrays (faster than ctypes pointer objects)
_DOUBLES = _LONGS = ctypes.c_void_p

# the argument types of each generated function
_SIGNATURES = {
    "mg_forward": [_DOUBLES] * 3,
    "mg_backward": [_DOUBLES] * 4,
    "mg_single_sample": [
        _DOUBLES, _LONGS, ctypes.c_long, *[_DOUBLES] * 3, ctypes.c_int, _DOUBLES, _DOUBLES, _LONGS,
    ],
    "mg_full_batch": [
        _DOUBLES, ctypes.c_long, ctypes.c_long, ctypes.c_double, *[_DOUBLES] * 4, ctypes.c_int, _DOUBLES,
        _DOUBLES, _LONGS,
    ],
}  # fmt: skip


def _function(library: ctypes.CDLL, name: str):
    """A generated function of the library, with its argument types and an int status."""
    function = getattr(library, name)
    function.argtypes = _SIGNATURES[name]
    function.restype = ctypes.c_int
    return function


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


def _declare(names: Sequence[str], indent: str = "    ") -> list[str]:
    """Declarations of the variables as doubles set to 0.0, a few per line."""
    names = list(dict.fromkeys(names))
    return [
        f"{indent}double {', '.join(f'{n} = 0.0' for n in names[i : i + 8])};"
        for i in range(0, len(names), 8)
    ]


def _tree_sum(terms: Sequence[str]) -> str:
    """The C sum of the terms as a balanced tree, so that its additions are independent of each other."""
    while len(terms) > 1:
        pairs = [terms[k : k + 2] for k in range(0, len(terms), 2)]
        terms = [f"({pair[0]} + {pair[1]})" if len(pair) == 2 else pair[0] for pair in pairs]
    return terms[0]


def _all_finite(names: Sequence[str]) -> str:
    """A C condition that holds when every variable is finite, without a branch per variable.

    x - x is 0 for a finite x and nan otherwise, and any sum with a nan is nan.
    """
    return f"{_tree_sum([f'({n} - {n})' for n in names])} == 0.0" if names else "1"


def _unless_finite(names: Sequence[str], then: list[str]) -> list[str]:
    """C lines that run ``then`` when some variable may be non-finite, tested at half the cost of _all_finite.

    The plain sum of the variables is finite when they all are, and also unless it overflows:
    ``then`` must test them one by one (with _all_finite) before it concludes.
    """
    return [
        f"checked = {_tree_sum(list(names))};",
        "if (!(checked - checked == 0.0)) {",
        *("    " + line for line in then),
        "}",
    ]


class _Writer:
    """The C functions of one program (and optionally one optimizer update), as source."""

    def __init__(self, tape: Tape):
        self.tape = tape
        self.lowering = Lowering(tape, c_rule, literal=c_literal)
        names = self.lowering.names
        self.inputs = [names[s] for s in tape.inputs]
        self.parameters = [names[s] for s in tape.parameters]
        self.root = names[tape.root]
        self.forward = [(names[s], expression) for s, expression in self.lowering.forward_assignments()]
        self.values = list(dict.fromkeys(target for target, _ in self.forward))

    def _forward_lines(self, fail: str | None) -> list[str]:
        """The forward pass, then ``fail`` unless every op node is finite (the engine refuses others).

        With ``fail`` None the check is left to the caller.
        """
        lines = [f"{target} = {expression};" for target, expression in self.forward]
        if self.values and fail is not None:
            lines.append(f"if (!({_all_finite(self.values)})) {{ {fail} }}")
        return lines

    def _read_inputs(self, row: str) -> list[str]:
        """Assign the inputs from a row of doubles."""
        return [f"{x} = {row}[{k}];" for k, x in enumerate(self.inputs)]

    def one_sample(self) -> list[str]:
        """``mg_forward(inputs, params, outputs)`` and ``mg_backward(inputs, params, grads, outputs)``."""
        backward, grads = self.lowering.backward_assignments("1.0", self.tape.parameters, accumulate=False)
        outputs = [self.lowering.names[s] for s in self.tape.outputs]
        declared = [*self.inputs, *self.parameters, *self.values]
        read = [*self._read_inputs("in"), *(f"{p} = par[{k}];" for k, p in enumerate(self.parameters))]
        write = [f"out[{k}] = {o};" for k, o in enumerate(outputs)]
        forward = [
            "int mg_forward(const double *in, const double *par, double *out)",
            "{",
            *_declare(declared),
            *("    " + line for line in [*read, *self._forward_lines("return 1;"), *write]),
            "    return 0;",
            "}",
        ]
        add = [
            f"grad[{k}] = grad[{k}] + {grads[s]};"
            for k, s in enumerate(self.tape.parameters)
            if grads[s] != "0.0"
        ]
        body = [*read, *self._forward_lines("return 1;"), *(f"{t} = {e};" for t, e in backward), *write, *add]
        return [
            *forward,
            "",
            "int mg_backward(const double *in, const double *par, double *grad, double *out)",
            "{",
            *_declare([*declared, *(t for t, _ in backward)]),
            *("    " + line for line in body),
            "    return 0;",
            "}",
        ]

    def training_loop(self, update: UpdateCode, full_batch: bool) -> list[str]:
        """``mg_single_sample`` or ``mg_full_batch``: every step inside C, the optimizer state in locals."""
        tape = self.tape
        seed = "scale" if full_batch else "1.0"
        backward, grads = self.lowering.backward_assignments(seed, tape.parameters, accumulate=full_batch)
        step_grads = [f"gr{k}" for k in range(len(self.parameters))]
        statements = update.step(step_grads, C)
        loss = "loss" if full_batch else self.root
        finish = "status = {}; goto done;"
        if full_batch:
            checks = [
                "if (check_finite) {",
                f"    if (!isfinite({loss})) {{ {finish.format(2)} }}",
                f"    if (!({_all_finite(step_grads)})) {{ {finish.format(3)} }}",
                "}",
            ]
        else:  # one test of the op nodes, the loss and the grads; the slow path tells which failed
            checks = _unless_finite(
                list(dict.fromkeys([*self.values, loss, *step_grads])),
                [
                    f"if (!({_all_finite(self.values)})) {{ {finish.format(1)} }}",
                    "if (check_finite) {",
                    f"    if (!isfinite({loss})) {{ {finish.format(2)} }}",
                    f"    if (!({_all_finite(step_grads)})) {{ {finish.format(3)} }}",
                    "}",
                ],
            )
        checks += [
            *c_lines(statements),
            "if (check_finite) {",
            *(
                "    " + line
                for line in _unless_finite(
                    self.parameters, [f"if (!({_all_finite(self.parameters)})) {{ {finish.format(4)} }}"]
                )
            ),
            "}",
            f"losses[step] = {loss};",
        ]
        collect = [f"{g} = {grads[s]};" for g, s in zip(step_grads, tape.parameters)]
        chain = [f"{t} = {e};" for t, e in backward]
        if full_batch:
            body = [
                *(f"{grads[s]} = 0.0;" for s in tape.parameters),
                "for (row = 0; row < n_rows; row++) {",
                *("    " + line for line in self._read_inputs(f"(samples + row * {len(self.inputs)})")),
                *("    " + line for line in self._forward_lines(finish.format(1))),
                *("    " + line for line in chain),
                f"    terms[row] = {self.root};",
                "}",
                "loss = mg_fsum((int)n_rows, terms) * scale;",
                *collect,
                *checks,
            ]
            signature = "int mg_full_batch(const double *samples, long n_rows, long steps, double scale,"
        else:
            body = [
                *self._read_inputs(f"(samples + order[step] * {len(self.inputs)})"),
                *self._forward_lines(None),
                *chain,
                *collect,
                *checks,
            ]
            signature = "int mg_single_sample(const double *samples, const long *order, long steps,"
        state, hyper = update.state, update.hyper_names
        variables = [
            *self.inputs,
            *self.values,
            *(t for t, _ in backward),
            *(g for g in grads.values() if g.startswith("g_")),
            *step_grads,
            *_targets(statements),
            "loss",
            "checked",
        ]
        variables = [v for v in dict.fromkeys(variables) if v not in (*self.parameters, *state, *hyper)]
        return [
            signature,
            *(["    double *terms,"] if full_batch else []),
            "    double *par, double *state, const double *hyper, int check_finite,",
            "    double *losses, double *grad, long *taken)",
            "{",
            *(f"    double {p} = par[{k}];" for k, p in enumerate(self.parameters)),
            *(f"    double {s} = state[{k}];" for k, s in enumerate(state)),
            *(f"    const double {h} = hyper[{k}];" for k, h in enumerate(hyper)),
            *_declare(variables),
            "    long step, row = 0;",
            "    int status = 0;",
            "    (void)row;",
            "    for (step = 0; step < steps; step++) {",
            *("        " + line for line in body),
            "    }",
            "done:",
            *(f"    par[{k}] = {p};" for k, p in enumerate(self.parameters)),
            *(f"    state[{k}] = {s};" for k, s in enumerate(state)),
            *(f"    grad[{k}] = {g};" for k, g in enumerate(step_grads)),
            "    *taken = step;",
            "    return status;",
            "}",
        ]


def c_source(tape: Tape, update: UpdateCode | None = None, mode: str = "single_sample") -> str:
    """The C source of a program's one-sample functions, or of one training loop (a mode) for an update."""
    writer = _Writer(tape)
    if update is None:
        return "\n".join([PRELUDE, *writer.one_sample()]) + "\n"
    return "\n".join([PRELUDE, *writer.training_loop(update, full_batch=mode == "full_batch")]) + "\n"


def _doubles(values) -> np.ndarray:
    """A new contiguous array of doubles."""
    return np.array(values, dtype=np.float64).reshape(-1)


def _pointer(array: np.ndarray) -> int:
    """The address of the array's data (the caller keeps the array alive during the call)."""
    return array.ctypes.data


@functools.cache
def _generator_digest() -> str:
    """A digest of the code of every module that decides the generated C."""
    digest = hashlib.sha256()
    modules = (ops, optim, expr, statements, rules, codegen, cprinter, updates, tape, sys.modules[__name__])
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _fingerprint(graph: Tape, *parts) -> str:
    """A digest of everything the C source of a tape (and the given parts) is made from."""
    structure = (graph.kinds, graph.children, graph.constants, graph.inputs, graph.parameters, graph.outputs)
    text = f"{_generator_digest()}\0{structure!r}\0{graph.first_op}\0{parts!r}"
    return hashlib.sha256(text.encode()).hexdigest()


class NativeProgram:
    """A program's one-sample passes as compiled C: ``Program.native()``.

    Calls as the Program does (``native(*inputs)``, ``native.backward(*inputs)``), with
    the same results: where the C code reports that the engine would raise, the program
    rebuilds the graph with the engine, which raises its own error.

    Attributes:
        source: the generated C.
    """

    def __init__(self, program):
        self.program = program
        library = build_from(_fingerprint(program._tape), lambda: self.source)
        self._forward, self._backward = _function(library, "mg_forward"), _function(library, "mg_backward")

    @functools.cached_property
    def source(self) -> str:
        """The generated C."""
        return c_source(self.program._tape)

    def __call__(self, *inputs) -> float | tuple[float, ...]:
        """The outputs for one sample, as ``Program.__call__``."""
        program = self.program
        xs = program._inputs(inputs)
        out, values = np.zeros(len(program._tape.outputs)), _doubles(xs)
        parameters = _doubles([p.data for p in program.parameters])
        if self._forward(_pointer(values), _pointer(parameters), _pointer(out)):
            return program._result([v.data for v in program._rebuild(xs)])
        return program._result(out.tolist())

    def backward(self, *inputs) -> float | tuple[float, ...]:
        """The outputs for one sample, d(root)/d(p) added into every ``.grad``, as ``Program.backward``."""
        program = self.program
        xs = program._inputs(inputs)
        out, values = np.zeros(len(program._tape.outputs)), _doubles(xs)
        parameters = _doubles([p.data for p in program.parameters])
        grads = _doubles([p.grad for p in program.parameters])
        if self._backward(_pointer(values), _pointer(parameters), _pointer(grads), _pointer(out)):
            built = program._rebuild(xs)
            built[0].backward()
            return program._result([v.data for v in built])
        for p, grad in zip(program.parameters, grads.tolist()):
            p.grad = grad
        return program._result(out.tolist())


class NativeLoop:
    """One training loop (a mode) of one program and one optimizer structure, as compiled C.

    Called as the Python backend's generated loop is, with the same arguments and the same
    result (see ``training.TrainingLoop._run``).
    """

    def __init__(self, graph: Tape, update: UpdateCode, mode: str, fingerprint: str):
        self._graph, self._update, self.mode = graph, update, mode
        self._run = _function(build_from(fingerprint, lambda: self.source), f"mg_{mode}")
        self._count = len(graph.parameters)

    @functools.cached_property
    def source(self) -> str:
        """The generated C."""
        return c_source(self._graph, self._update, self.mode)

    def __call__(self, rows, schedule, scale, params, state, hyper, check_finite):
        """Run the loop: (stage, step, losses, params, state, grads)."""
        run = self._single_sample if self.mode == "single_sample" else self._full_batch
        return run(rows, schedule, scale, params, state, hyper, check_finite)

    def _single_sample(self, rows, schedule, scale, params, state, hyper, check_finite):
        """Steps on one sample each, ``schedule`` the sample index of every step."""
        order = np.asarray(schedule, dtype=np.int_)
        arrays = self._arrays(rows, len(order), params, state, hyper)
        samples, losses, par, st, hy, grads, taken = arrays
        status = self._run(
            _pointer(samples), _pointer(order), len(order), _pointer(par), _pointer(st), _pointer(hy),
            int(check_finite), _pointer(losses), _pointer(grads), _pointer(taken),
        )  # fmt: skip
        return self._result(status, arrays, state)

    def _full_batch(self, rows, schedule, scale, params, state, hyper, check_finite):
        """``schedule`` steps, each on the mean of the root over every row."""
        terms = np.zeros(len(rows))
        arrays = self._arrays(rows, schedule, params, state, hyper)
        samples, losses, par, st, hy, grads, taken = arrays
        status = self._run(
            _pointer(samples), len(rows), schedule, scale, _pointer(terms), _pointer(par), _pointer(st),
            _pointer(hy), int(check_finite), _pointer(losses), _pointer(grads), _pointer(taken),
        )  # fmt: skip
        return self._result(status, arrays, state)

    def _arrays(self, rows, steps: int, params, state, hyper) -> tuple[np.ndarray, ...]:
        """The arrays a loop reads and writes: samples, losses, params, state, hyper, grads, steps taken."""
        return (
            _doubles(rows),
            np.zeros(steps),
            _doubles(params),
            _doubles(state),
            _doubles(hyper),
            np.zeros(self._count),
            np.zeros(1, dtype=np.int_),
        )

    @staticmethod
    def _result(status: int, arrays: tuple[np.ndarray, ...], state_in: list):
        """The Python loop's return value: (stage, step, losses, params, state, grads).

        The state comes back with the types it went in with (the SGD flag a bool, Adam's
        step count an int).
        """
        _, losses, par, st, _, grads, taken = arrays
        stage, step = STAGES.get(status), int(taken[0])
        state = [type(s)(v) for s, v in zip(state_in, st.tolist())]
        return (
            stage,
            step,
            losses[:step].tolist(),
            par.tolist(),
            state,
            None if stage == "forward" else grads.tolist(),
        )


_loops: dict[str, NativeLoop] = {}


def native_loop(graph: Tape, update: UpdateCode, mode: str) -> NativeLoop:
    """The NativeLoop of a program's tape, an update's structure and a mode, made once per process.

    Loops are told apart by their fingerprint, which tells a constant -0.0 from 0.0 (equal tapes may not).
    """
    fingerprint = _fingerprint(graph, update.key, update.hyper_names, update.state, mode)
    if fingerprint not in _loops:
        _loops[fingerprint] = NativeLoop(graph, update, mode, fingerprint)
    return _loops[fingerprint]
