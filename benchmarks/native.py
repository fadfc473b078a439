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
  for each seed, L1 and MSE) with the C engine, per 100 runs.

    python benchmarks/native.py [--quick] [--steps N] [--repeats N] [--seeds N]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from compiled import SAMPLES, compiled_course_loop, course_model
from course_step import take_turns

from micrograd44.compiled import loop as compiled_loop
from micrograd44.compiled import toolchain
from micrograd44.training.course import Recipe, run

QUICK = ["--quick"]
QUICK_SIZES = {"steps": 1000, "repeats": 1, "seeds": 3}
HAND_WRITTEN = Path(__file__).resolve().parent / "course_step_by_hand.c"
LIMIT = "hand-written C (-O2)"


def initial_parameters() -> np.ndarray:
    """The course model's initial weights in named_parameters() order: every contender starts from them.

    (libm's tanh takes longer on some arguments than on others, so the weights matter.)
    """
    return np.array([p.data for p in course_model().parameters()])


def hand_written_loop():
    """The hand-written course loop, compiled now with the C backend's compiler and flags."""
    directory = Path(tempfile.mkdtemp(prefix="micrograd44-bench-"))
    library = directory / "course_step_by_hand.so"
    command = [*toolchain.compiler(), *toolchain.FLAGS, "-o", str(library), str(HAND_WRITTEN), "-lm"]
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


def jax_scan():
    """The course loop in JAX float64, one lax.scan over the steps, or None without JAX."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    data = jnp.array(SAMPLES, dtype=jnp.float64)

    def loss(params, sample):
        (w1, b1), (w2, b2), (w3, b3) = params
        h = jnp.tanh(w1 @ sample[:2] + b1)
        h = jnp.tanh(w2 @ h + b2)
        return jnp.abs((w3 @ h + b3)[0] - sample[2])

    def step(carry, index):
        params, buffers = carry
        value, grads = jax.value_and_grad(loss)(params, data[index])
        buffers = jax.tree_util.tree_map(lambda b, g: 0.9 * b + g, buffers, grads)
        params = jax.tree_util.tree_map(lambda p, b: p - 0.02 * b, params, buffers)
        return (params, buffers), value

    train = jax.jit(lambda carry, order: jax.lax.scan(step, carry, order))
    flat, params, start = initial_parameters(), [], 0
    for inputs, outputs in ((2, 5), (5, 4), (4, 1)):
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (sizes still settable)")
    parser.add_argument("--steps", type=int, default=8004)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=100, help="seeds per loss of the success-rate runs")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**QUICK_SIZES)
        args = parser.parse_args(argv)
    try:
        toolchain.compiler()
    except toolchain.CompilerUnavailable as error:
        print(f"No C backend figures: {error}")
        return
    course_steps(args.steps, args.repeats)
    print()
    compile_times(args.repeats)
    print()
    success_rates(args.seeds)


if __name__ == "__main__":
    main()
