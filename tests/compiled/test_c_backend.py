"""The C backend: the engine's numbers bit for bit, its cache, its errors, and life without a compiler.

The generated C performs the engine's float operations in the engine's order (no fused
multiply-add, libm's functions as Python's math calls them), so every comparison with the
eager engine is exact equality (0.0 == -0.0 aside, as for the Python backend). Tests that
need a C compiler are skipped when none is found; ``make test`` installs one.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import random
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runs import run_train
from compilers import compiler_found, needs_compiler
from hypothesis import given, settings
from hypothesis import strategies as st
from op_points import RULES
from random_graphs import DAG_SETTINGS, assert_replay_equals_eager_bit_for_bit, dags, same_bits

from micrograd44 import MLP, OpError, Value, ops
from micrograd44.codegen.c import PRELUDE
from micrograd44.codegen.lowering import C_DOUBLES, printed_node
from micrograd44.compiled import capture, toolchain, trace
from micrograd44.compiled import loop as compiled_loop
from micrograd44.core.value import sum_values
from micrograd44.losses import l1_loss, mse_loss
from micrograd44.optim import SGD, Adam
from micrograd44.training.course import Recipe, run

SAMPLES = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty cache directory of its own, through XDG_CACHE_HOME."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "micrograd44"


@pytest.fixture
def no_compiler(monkeypatch):
    """CC pointing nowhere, no loop built in this process yet, the fallback line not yet printed."""
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setattr(compiled_loop, "_loops", {})
    monkeypatch.setattr(toolchain, "_announced", [])


# ---- the engine's numbers on random graphs over every op ----


@needs_compiler
@settings(DAG_SETTINGS, max_examples=40)  # each graph is compiled: fewer than the Python backend's
@given(dag=dags())
def test_c_program_equals_eager_bit_for_bit(dag):
    assert_replay_equals_eager_bit_for_bit(dag, lambda program: program.c_program())


SUMMANDS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 1.7e308, 5e-324, -5e-324, 2.0**-1022, 1.0, -1.0, 2.0**53]),
)


@pytest.fixture(scope="module")
def sums():
    """The C program of a sum node of n terms, for n = 3 to 6, the terms its parameters."""
    if not compiler_found():
        pytest.skip("no C compiler")
    programs = {}
    for n in range(3, 7):
        terms = [Value(0.0, label=f"t{i}") for i in range(n)]
        programs[n] = (terms, capture(sum_values(terms), inputs=[], parameters=terms).c_program())
    return programs


@settings(max_examples=300, deadline=None)
@given(values=st.lists(SUMMANDS, min_size=3, max_size=6))
def test_the_sum_node_is_correctly_rounded_as_the_engines(sums, values):
    terms, native = sums[len(values)]
    for term, value in zip(terms, values):
        term.data = value
    expected = ops.exact_sum(values)
    if not math.isfinite(expected):  # the engine refuses an infinite node: replayed, it raises
        with pytest.raises(OpError):
            native()
        return
    assert same_bits(native(), expected)


# ---- training loops: every optimizer setting, both modes, against the eager loop ----

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.05),
    "sgd-momentum": lambda p: SGD(p, lr=0.02, momentum=0.9),
    "sgd-nesterov-decay": lambda p: SGD(p, lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "sgd-dampening-decay": lambda p: SGD(p, lr=0.03, momentum=0.5, dampening=0.3, weight_decay=0.01),
    "adam": lambda p: Adam(p, lr=0.01),
    "adam-betas-decay": lambda p: Adam(p, lr=0.005, betas=(0.3, 0.99), eps=1e-6, weight_decay=0.01),
}


def _setup(make_optimizer, loss):
    """A fresh 2 -> 4 -> 1 model, its optimizer and its per-sample loss program."""
    model = MLP(2, [4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=3)
    optimizer = make_optimizer(model.parameters())
    program = trace(lambda x1, x2, t: loss(model([x1, x2]), t), (0.0, 0.0, 0.0), parameters=model)
    return model, optimizer, program


def _state(optimizer) -> list:
    """The optimizer's state, comparable."""
    if isinstance(optimizer, Adam):
        return [optimizer.t, optimizer.m, optimizer.v]
    return [optimizer.buffers]


def _eager(make_optimizer, loss, batches) -> tuple[list, list, list, list]:
    """(losses, parameters, grads, optimizer state) of the eager loop over the batches of sample indices."""
    model, optimizer, _ = _setup(make_optimizer, loss)
    losses = []
    for batch in batches:
        optimizer.zero_grad()
        value = loss([model(SAMPLES[i][:2]) for i in batch], [SAMPLES[i][2] for i in batch])
        value.backward()
        optimizer.step()
        losses.append(value.data)
    parameters = model.parameters()
    return losses, [p.data for p in parameters], [p.grad for p in parameters], _state(optimizer)


@needs_compiler
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS)
@pytest.mark.parametrize("loss", [l1_loss, mse_loss], ids=["l1", "mse"])
def test_c_training_loops_equal_the_eager_loop(make_optimizer, loss):
    rng = random.Random(1)
    order = [rng.randrange(4) for _ in range(300)]
    for mode, batches in (("single_sample", [[i] for i in order]), ("full_batch", [[0, 1, 2, 3]] * 100)):
        model, optimizer, program = _setup(make_optimizer, loss)
        loop = program.training_loop(optimizer, "c")
        if mode == "single_sample":
            losses = loop.single_sample(SAMPLES, order, check_finite=True)
        else:
            losses = loop.full_batch(SAMPLES, len(batches), check_finite=True)
        parameters = model.parameters()
        got = losses, [p.data for p in parameters], [p.grad for p in parameters], _state(optimizer)
        assert got == _eager(make_optimizer, loss, batches), mode


@needs_compiler
@pytest.mark.parametrize("mode", ["single_sample", "full_batch"])
def test_values_whose_sum_overflows_are_finite_to_the_checks(mode):
    # the finiteness checks first add the values up: here that sum overflows, and the
    # values one by one must clear the step
    results = []
    for backend in ("c", "python"):
        w1, w2 = Value(1.5e308, label="w1"), Value(1.5e308, label="w2")
        program = trace(lambda x, w1=w1, w2=w2: w1 * x - w2 * x, (1.0,), parameters=[w1, w2])
        loop = program.training_loop(SGD([w1, w2], lr=1e-3, momentum=0.9), backend)
        if mode == "single_sample":
            losses = loop.single_sample([(1.0,), (0.5,)], [0, 1, 1, 0], check_finite=True)
        else:
            losses = loop.full_batch([(1.0,), (0.5,)], 4, check_finite=True)
        results.append((losses, w1.data, w2.data, w1.grad, w2.grad))
    assert results[0] == results[1] and len(results[0][0]) == 4


RECIPES = {
    "course, short": Recipe(epochs=60),
    "cycle, mse": Recipe(epochs=60, sampling="cycle", loss="mse"),
    "full batch, adam": Recipe(epochs=60, sampling="full-batch", optimizer="adam"),
    "relu, random, adam": Recipe(epochs=60, activation="relu", optimizer="adam"),
}


ENGINES = [pytest.param("c", marks=needs_compiler), "python"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("recipe", RECIPES.values(), ids=RECIPES)
def test_both_compiled_backends_give_the_eager_history(recipe, engine):
    compiled, eager = run(dataclasses.replace(recipe, engine=engine)), run(recipe)
    assert compiled.step_losses == eager.step_losses and compiled.epoch_losses == eager.epoch_losses
    assert compiled.final_state == eager.final_state and compiled.predictions == eager.predictions


@needs_compiler
def test_the_c_engine_diverges_where_eager_does_with_its_message():
    errors = []
    for engine in ("c", "eager"):
        with pytest.raises(Exception) as caught:
            run(Recipe(loss="mse", lr=100, engine=engine))
        errors.append(caught.value)
    assert str(errors[0]) == str(errors[1]) and "epoch 13, step 52" in str(errors[0])


# ---- without a compiler ----


def test_without_a_compiler_compiled_falls_back_to_python_in_one_line(no_compiler, capsys):
    recipe = Recipe(epochs=40)
    fallback = run(dataclasses.replace(recipe, engine="compiled"))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "using the Python engine" in lines[0] and "/nonexistent/cc" in lines[0]
    python = run(dataclasses.replace(recipe, engine="python"))
    assert fallback.step_losses == python.step_losses and fallback.final_state == python.final_state
    run(dataclasses.replace(recipe, engine="compiled"))
    assert capsys.readouterr().err == ""  # once per process


def test_without_a_compiler_the_c_engine_says_why(no_compiler):
    with pytest.raises(toolchain.CompilerUnavailable, match="CC='/nonexistent/cc' is not a command"):
        run(Recipe(epochs=2, engine="c"))


def test_the_command_line_refuses_the_c_engine_without_a_compiler_in_one_line(no_compiler, tmp_path, capsys):
    status, out, err = run_train(["--engine", "c", "--epochs", "2", "--out", str(tmp_path)], capsys)
    assert status == 2 and "Traceback" not in err
    assert "argument --engine: the C engine needs a C compiler: CC='/nonexistent/cc'" in err


def test_the_command_line_refuses_a_compiler_that_cannot_build_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CC", "false")  # a command that exists and fails
    status, out, err = run_train(["--engine", "c", "--epochs", "2", "--out", str(tmp_path)], capsys)
    assert status == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "the C engine needs a C compiler" in err and "cannot build a shared library" in err


@needs_compiler
def test_a_compiler_that_cannot_build_counts_as_none(monkeypatch, private_cache, capsys):
    monkeypatch.setenv("CC", "false")
    monkeypatch.setattr(compiled_loop, "_loops", {})
    monkeypatch.setattr(toolchain, "_announced", [])
    history = run(Recipe(epochs=5, engine="compiled"))
    assert "cannot build a shared library" in capsys.readouterr().err
    assert history.step_losses == run(Recipe(epochs=5)).step_losses


# ---- building: the cache, and errors ----

SOURCE = "double mg_twice(double x) { return 2.0 * x; }\n"


def _twice(library) -> float:
    """mg_twice(21.0) from the library."""
    function = library.mg_twice
    function.argtypes, function.restype = [ctypes.c_double], ctypes.c_double
    return function(21.0)


@needs_compiler
def test_libraries_are_built_once_into_a_private_cache(private_cache, monkeypatch):
    assert _twice(toolchain.build(SOURCE)) == 42.0
    assert stat.S_IMODE(private_cache.stat().st_mode) == 0o700
    assert sorted(p.suffix for p in private_cache.iterdir()) == [".c", ".sha256", ".so"]

    def no_compiling(*args):
        raise AssertionError("the cached library was compiled again")

    monkeypatch.setattr(toolchain, "_run_compiler", no_compiling)
    assert _twice(toolchain.build(SOURCE)) == 42.0


def _build_in_another_process(source: str) -> None:
    """Build the source in a new Python process (this one never maps the library it leaves in the cache)."""
    code = "import sys; from micrograd44.compiled import toolchain; toolchain.build(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, source], check=True)


@needs_compiler
@pytest.mark.parametrize("damage", ["truncated", "foreign", "checksum"])
def test_a_damaged_cache_entry_is_rebuilt_never_loaded(private_cache, monkeypatch, damage):
    _build_in_another_process(SOURCE)
    (library,) = private_cache.glob("*.so")
    if damage == "truncated":
        library.write_bytes(library.read_bytes()[:100])
    elif damage == "foreign":
        library.write_bytes(b"\x7fELF not ours")
    else:
        next(private_cache.glob("*.sha256")).write_text("0" * 64)
    loads, compiled = [], []
    real_cdll, real_run = toolchain.ctypes.CDLL, toolchain._run_compiler
    monkeypatch.setattr(toolchain.ctypes, "CDLL", lambda path: loads.append(path) or real_cdll(path))
    monkeypatch.setattr(toolchain, "_run_compiler", lambda *a: compiled.append(a) or real_run(*a))
    assert _twice(toolchain.build(SOURCE)) == 42.0
    assert len(compiled) == 1 and len(loads) == 1  # rebuilt, then loaded once: the new library


@needs_compiler
def test_a_compile_error_shows_the_first_errors_and_keeps_the_source(private_cache):
    with pytest.raises(toolchain.CompileError) as caught:
        toolchain.build("double mg_broken(double x) { return x +; }\n")
    message = str(caught.value)
    kept = message.splitlines()[0].rsplit(" ", 1)[1].rstrip(":")
    assert os.path.exists(kept) and "mg_broken" in open(kept).read()
    assert "error" in message and len(message.splitlines()) <= 1 + toolchain.ERROR_LINES


@needs_compiler
def test_generated_c_holds_no_label_or_name(private_cache):
    hostile = '*/ int evil; /* "\\\n'
    w = Value(0.5, label=hostile)
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    program = trace(lambda a, b: model([a, b]) * w, (0.0, 0.0), parameters=[*model.parameters(), w])
    loop = program.training_loop(SGD([*model.parameters(), w], lr=0.1, momentum=0.9), "c")
    for source in (program.native().source, loop.source):  # native(): c_program()'s older name
        assert "evil" not in source and "layers" not in source and "neurons" not in source


@needs_compiler
def test_the_benchmark_prints_every_figure():
    benchmarks = Path(__file__).resolve().parents[2] / "benchmarks"
    result = subprocess.run(
        [sys.executable, "native.py", "--quick", "--steps", "20", "--seeds", "1"],
        capture_output=True,
        text=True,
        cwd=benchmarks,
    )
    assert result.returncode == 0, result.stderr
    for words in (
        "hand-written C",
        "micrograd44 C, checks on",
        "cold compile",
        "warm start",
        "success_rates",
        "Width sweep",
    ):
        assert words in result.stdout


# ---- the op table, every op printable in C ----

# libm functions whose results IEEE 754 fixes exactly: a compiler folding them cannot change a bit
EXACT_LIBM = {"sqrt", "fabs", "floor"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_op_prints_as_c_calling_only_libm_unfolded_or_the_prelude(rule):
    helpers = set(re.findall(r"^static double (\w+)\(", PRELUDE, re.MULTILINE))
    unfolded = {
        flag.removeprefix("-fno-builtin-") for flag in toolchain.FLAGS if flag.startswith("-fno-builtin-")
    }
    for arity in (1, 3) if rule.arity is None else (rule.arity,):
        code = printed_node(C_DOUBLES, rule.name, "out", [f"c{i}" for i in range(arity)])
        sources = [*code.forward, *(s for slope in code.slopes for s in (slope.value, slope.when) if s)]
        called = {name for source in sources for name in re.findall(r"\b([A-Za-z_]\w*)\(", source)}
        assert called <= helpers | unfolded | EXACT_LIBM, rule.name
