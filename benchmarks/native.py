"""The C backend beside its limit: a hand-written C loop of the same step, and JAX when installed.

Four figures, measured side by side in this one process (the contenders take turns,
repetition after repetition, and medians are reported):

- course recipe: microseconds per single-sample step (44 parameters, L1 loss, SGD lr 0.02
  momentum 0.9, 8004 random XOR samples) of the C backend with finiteness checks on (what
  ``Recipe(engine="c")`` runs), without them, and of the Python backend, each as a multiple of
  ``course_step_by_hand.c`` (compiled in this run with the same compiler and flags), and of
  JAX float64 with the whole loop in one ``lax.scan`` (a row only when JAX is installed);
- cold compile: trace the step, generate its C, compile it into an empty cache, load it;
- warm start: the same in a new process whose cache holds the library (timed inside it);
- success rates: the training time of examples/success_rates.py's runs (the course recipe
  for each seed, L1 and MSE) with the C engine, per 100 runs;
- width sweep: the course step on wider networks (hidden 5-4, 16-16, 32-32, 64-64 by
  default), a row per engine and width: the C loop's cold compile and warm start (each in a
  new process, the warm start the median of three; a cold compile that takes longer than
  --compile-limit seconds is stopped and shown as such), the Python engine's build in this
  process, JAX's jit compile of its float64 ``lax.scan`` (a row saying "not installed"
  without JAX: ``pip install micrograd44[bench]``), and the microseconds per step of the
  three, taking turns, each as a multiple of C's.

    python benchmarks/native.py [--quick] [--steps N] [--repeats N] [--seeds N]
        [--widths 5-4,16-16,...] [--sweep-steps N] [--compile-limit SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from compiled import SAMPLES, compiled_course_loop, course_model
from course_step import take_turns

from micrograd44 import MLP
from micrograd44.compiled import loop as compiled_loop
from micrograd44.compiled import toolchain, trace
from micrograd44.losses import l1_loss
from micrograd44.optim import SGD
from micrograd44.training.course import Recipe, run

QUICK = ["--quick"]
QUICK_SIZES = {"steps": 1000, "repeats": 1, "seeds": 3, "widths": "5-4", "sweep_steps": 200}
WIDTHS = "5-4,16-16,32-32,64-64"
HAND_WRITTEN = Path(__file__).resolve().parent / "course_step_by_hand.c"
LIMIT = "hand-written C (-O2)"
JAX_ROW = "JAX lax.scan float64"


def initial_parameters() -> np.ndarray:
    """The course model's initial weights in named_parameters() order: every contender starts from them.

    (libm's tanh takes longer on some arguments than on others, so the weights matter.)
    """
    return np.array([p.data for p in course_model().parameters()])


def hand_written_loop():
    """The hand-written course loop, compiled now with the C backend's compiler and flags."""
    directory = Path(tempfile.mkdtemp(prefix="micrograd44-bench-"))
    library = directory / "course_step_by_hand.so"
    command = [*toolchain.compiler(), "-O2", *toolchain.FLAGS, "-o", str(library), str(HAND_WRITTEN), "-lm"]
    subprocess.run(command, check=True)
    function = ctypes.CDLL(str(library)).course_steps
    pointer = ctypes.c_void_p
    function.argtypes = [pointer, pointer, ctypes.c_long, ctypes.c_double, ctypes.c_double, *[pointer] * 4]
    samples = np.array(SAMPLES, dtype=np.float64)

    def make(order):
        indices = np.array(order, dtype=np.int_)
        parameters = initial_parameters()
        buffers, first, losses = np.zeros(44), np.ones(1, dtype=np.intc), np.zeros(len(order))

        def train():
            function(
                samples.ctypes.data, indices.ctypes.data, len(indices), 0.02, 0.9,
                parameters.ctypes.data, buffers.ctypes.data, first.ctypes.data, losses.ctypes.data,
            )  # fmt: skip

        return train

    return make


def micrograd44_loop(backend: str, check_finite: bool):
    """A run of the course loop with a backend (compiled before the clock starts)."""

    def make(order):
        _, loop = compiled_course_loop(backend)
        loop.compile()
        indices = np.array(order, dtype=np.int_)  # as the trainer passes its draws
        return lambda: loop.single_sample(SAMPLES, indices, check_finite=check_finite)

    return make


def jax_scan(hidden=(5, 4), flat=None):
    """The course loop (of a network with these hidden sizes) in JAX float64, one lax.scan over the steps.

    None without JAX. ``flat``: the initial parameters in named_parameters() order (the
    course model's by default).
    """
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    data = jnp.array(SAMPLES, dtype=jnp.float64)

    def loss(params, sample):
        h = sample[:2]
        for w, b in params[:-1]:
            h = jnp.tanh(w @ h + b)
        w, b = params[-1]
        return jnp.abs((w @ h + b)[0] - sample[2])

    def step(carry, index):
        params, buffers = carry
        value, grads = jax.value_and_grad(loss)(params, data[index])
        buffers = jax.tree_util.tree_map(lambda b, g: 0.9 * b + g, buffers, grads)
        params = jax.tree_util.tree_map(lambda p, b: p - 0.02 * b, params, buffers)
        return (params, buffers), value

    train = jax.jit(lambda carry, order: jax.lax.scan(step, carry, order))
    flat = initial_parameters() if flat is None else flat
    sizes, params, start = [2, *hidden, 1], [], 0
    for inputs, outputs in zip(sizes, sizes[1:]):
        layer = flat[start : start + outputs * (inputs + 1)].reshape(outputs, inputs + 1)
        params.append((jnp.array(layer[:, :inputs]), jnp.array(layer[:, inputs])))
        start += layer.size
    carry = (params, jax.tree_util.tree_map(jnp.zeros_like, params))

    def make(order):
        indices = jnp.array(order)
        jax.block_until_ready(train(carry, indices))  # compiled before the clock starts
        return lambda: jax.block_until_ready(train(carry, indices))

    return make


def course_steps(steps: int, repeats: int) -> None:
    """Print microseconds per step of each contender and its multiple of the hand-written loop."""
    rng = random.Random(0)
    order = [rng.randrange(4) for _ in range(steps)]
    factories = {
        LIMIT: hand_written_loop(),
        "micrograd44 C, checks on": micrograd44_loop("c", True),
        "micrograd44 C, no checks": micrograd44_loop("c", False),
        "micrograd44 Python, checks on": micrograd44_loop("python", True),
        "JAX lax.scan float64": jax_scan(),
    }
    contenders = {name: (lambda f=f: f(order)) for name, f in factories.items() if f is not None}
    medians = {name: seconds / steps * 1e6 for name, seconds in take_turns(contenders, repeats).items()}
    print(f"Course recipe, single-sample SGD steps ({steps} steps, median of {repeats}):")
    print(f"{'engine':<32}{'us/step':>10}{'x ' + LIMIT:>28}")
    for name, us in medians.items():
        print(f"{name:<32}{us:>10.3f}{us / medians[LIMIT]:>28.2f}")
    if "JAX lax.scan float64" not in medians:
        print("(JAX is not installed: no JAX row)")
    else:
        ratio = medians["JAX lax.scan float64"] / medians["micrograd44 C, checks on"]
        print(f"micrograd44 C (checks on) is {ratio:.1f}x faster than JAX lax.scan float64")
    # the whole run() (History recorded) beside the C loop alone (TrainingLoop.single_sample) over its steps
    runs = {}
    for epochs in (2001, 20001):
        recipe = Recipe(epochs=epochs, engine="c")
        same_steps = list(run(recipe).samples)  # also compiles before the clock starts
        runs[f"C loop alone, {epochs:,} epochs"] = lambda o=same_steps: micrograd44_loop("c", True)(o)
        runs[f"run() at {epochs:,} epochs"] = lambda r=recipe: lambda: run(r)
        runs[f"run() at {epochs:,} epochs, snapshot_every=50"] = lambda r=recipe: (
            lambda: run(r, snapshot_every=50)
        )
    seconds = take_turns(runs, repeats)
    print(f"\nThe course recipe's run() with the C engine (median of {repeats}):")
    print(f"{'what':<44}{'ms':>10}{'x the C loop alone':>22}")
    for name, time_taken in seconds.items():
        epochs = name.split(" at ")[-1].split(" epochs")[0] if name.startswith("run()") else None
        alone = seconds[f"C loop alone, {epochs} epochs"] if epochs else time_taken
        print(f"{name:<44}{time_taken * 1e3:>10.2f}{time_taken / alone:>22.2f}")


_WARM_START = """
import time
from compiled import compiled_course_loop
_, loop = compiled_course_loop("c")
start = time.perf_counter()
loop.compile()
print(time.perf_counter() - start)
"""


def compile_times(repeats: int) -> None:
    """Print the median cold compile and warm start of the course step's C loop."""
    cold = []
    for _ in range(max(repeats, 3)):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["XDG_CACHE_HOME"] = cache
            compiled_loop._loops.clear()
            _, loop = compiled_course_loop("c")
            start = time.perf_counter()
            loop.compile()
            cold.append(time.perf_counter() - start)
    del os.environ["XDG_CACHE_HOME"]
    compiled_course_loop("c")[1].compile()  # the library in the user's cache
    warm = []
    here = Path(__file__).resolve().parent
    for _ in range(max(repeats, 3)):
        result = subprocess.run(
            [sys.executable, "-c", _WARM_START], cwd=here, capture_output=True, text=True, check=True
        )
        warm.append(float(result.stdout))
    cold_ms, warm_ms = statistics.median(cold) * 1e3, statistics.median(warm) * 1e3
    print(f"Course step's C loop, cold compile (generate, compile, load): {cold_ms:.0f} ms")
    print(f"Course step's C loop, warm start (find in the cache, check, load): {warm_ms:.1f} ms")


def success_rates(seeds: int) -> None:
    """Print the training time of examples/success_rates.py's runs with the C engine, per 100 runs."""
    recipes = [Recipe(loss=loss, seed=seed, engine="c") for loss in ("l1", "mse") for seed in range(seeds)]
    run(recipes[0])  # compiled before the clock starts
    start = time.perf_counter()
    for recipe in recipes:
        run(recipe)
    seconds = time.perf_counter() - start
    print(
        f"examples/success_rates.py's runs (course recipe, 8004 steps each) with the C engine: "
        f"{len(recipes)} runs in {seconds:.2f} s, {seconds / len(recipes) * 100:.2f} s per 100 runs"
    )


def width_loop(hidden: tuple[int, ...], backend: str):
    """The course step on a network with these hidden sizes, compiled into a training loop (not yet built)."""
    model = MLP(2, [*hidden, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    optimizer = SGD(model.parameters(), lr=0.02, momentum=0.9)
    program = trace(lambda x1, x2, t: l1_loss(model([x1, x2]), t), (0.0, 0.0, 0.0), parameters=model)
    return model, program.training_loop(optimizer, backend)


_TIMED_COMPILE = """
import sys, time
from native import width_loop
_, loop = width_loop(tuple(int(h) for h in sys.argv[1].split("-")), "c")
start = time.perf_counter()
loop.compile()
print(time.perf_counter() - start)
"""


def timed_compile(hidden: str, cache: str, limit: float) -> tuple[float | None, str]:
    """Seconds the C loop takes to compile in a new process with this cache (None past the limit), and why.

    The process runs in a session of its own, which is killed at the end (a compiler left
    running by a timeout included).
    """
    environment = {**os.environ, "XDG_CACHE_HOME": cache, "MICROGRAD44_COMPILE_TIMEOUT": str(limit + 60)}
    here = Path(__file__).resolve().parent
    process = subprocess.Popen(
        [sys.executable, "-c", _TIMED_COMPILE, hidden],
        cwd=here,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, errors = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        out, errors = None, f"over the {limit:g} s limit"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    if out is None or process.returncode != 0:
        return None, (errors.strip().splitlines() or ["no message"])[-1]
    return float(out), ""


def width_sweep(widths: str, steps: int, repeats: int, limit: float) -> None:
    """Print, per width, a row for each engine: C, Python and JAX lax.scan, their build times and steps."""
    rng = random.Random(0)
    order = [rng.randrange(4) for _ in range(steps)]
    indices = np.array(order, dtype=np.int_)
    print(f"Width sweep, the course step on 2-H1-H2-1 networks ({steps} steps, median of {repeats}):")
    print(f"{'hidden':<8}{'params':>7}  {'engine':<22}{'build s':>9}{'warm ms':>9}{'us/step':>10}{'x C':>7}")
    for hidden in widths.split(","):
        sizes = tuple(int(h) for h in hidden.split("-"))
        builds: dict[str, float | None] = {}
        with tempfile.TemporaryDirectory() as cache:
            builds["c"], failure = timed_compile(hidden, cache, limit)
            warm = None
            if builds["c"] is not None:  # the median of three new processes (one is at the machine's mercy)
                warm = statistics.median(timed_compile(hidden, cache, limit)[0] or 0.0 for _ in range(3))
            model, python_loop = width_loop(sizes, "python")
            start = time.perf_counter()
            python_loop.compile()
            builds["python"] = time.perf_counter() - start
            contenders = {"python": lambda loop=python_loop: lambda: loop.single_sample(SAMPLES, indices)}
            if builds["c"] is not None:
                os.environ["XDG_CACHE_HOME"] = cache
                _, c_loop = width_loop(sizes, "c")
                c_loop.compile()  # from the cache
                del os.environ["XDG_CACHE_HOME"]
                contenders["c"] = lambda loop=c_loop: lambda: loop.single_sample(SAMPLES, indices)
            jax_make = jax_scan(sizes, np.array([p.data for p in model.parameters()]))
            if jax_make is not None:
                start = time.perf_counter()
                jax_run = jax_make(order)  # compiles
                builds["jax"] = time.perf_counter() - start
                contenders["jax"] = lambda train=jax_run: train
            us = {name: s / steps * 1e6 for name, s in take_turns(contenders, repeats).items()}
        for name, engine in (("c", "micrograd44 C"), ("python", "micrograd44 Python"), ("jax", JAX_ROW)):
            row = f"{hidden:<8}{len(model.parameters()):>7}  {engine:<22}"
            if name == "jax" and jax_make is None:
                print(f"{row}{'not installed':>35}")
                continue
            if name not in us:
                print(f"{row}{'failed':>9}  ({failure})")
                continue
            build = f"{builds[name]:>9.2f}"
            warmth = f"{warm * 1e3:>9.1f}" if name == "c" and warm is not None else f"{'-':>9}"
            ratio = f"{us[name] / us['c']:>7.2f}" if "c" in us else f"{'-':>7}"
            print(f"{row}{build}{warmth}{us[name]:>10.2f}{ratio}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (sizes still settable)")
    parser.add_argument("--steps", type=int, default=8004)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=100, help="seeds per loss of the success-rate runs")
    parser.add_argument("--widths", default=WIDTHS, help=f"hidden sizes to sweep (default: {WIDTHS})")
    parser.add_argument("--sweep-steps", type=int, default=2000, help="steps per run of the width sweep")
    parser.add_argument("--compile-limit", type=float, default=240, help="seconds a cold compile may take")
    parser.add_argument("--only-sweep", action="store_true", help="print the width sweep only")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**QUICK_SIZES)
        args = parser.parse_args(argv)
    try:
        toolchain.compiler()
    except toolchain.CompilerUnavailable as error:
        print(f"No C backend figures: {error}")
        return
    if not args.only_sweep:
        course_steps(args.steps, args.repeats)
        print()
        compile_times(args.repeats)
        print()
        success_rates(args.seeds)
        print()
    width_sweep(args.widths, args.sweep_steps, args.repeats, args.compile_limit)


if __name__ == "__main__":
    main()
