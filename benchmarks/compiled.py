"""The compiled engine beside the eager engine and PyTorch: step time, epochs per second, throughput.

Four figures, each measured side by side in this one process (the contenders take turns,
repetition after repetition, and medians are reported):

- course recipe: microseconds per single-sample SGD step (44 parameters, L1 loss, lr 0.02,
  momentum 0.9, random XOR samples, 8004 steps) for the compiled loop, the eager engine
  and PyTorch eager float64/float32, with the speed-up over PyTorch float64;
- full batch: epochs per second, one step on the mean loss over the 4 XOR samples;
- batched forward: samples per second of the 44-parameter model over 10^6 points, the
  compiled numpy program against PyTorch float64 and float32 (no autograd);
- compile time: trace the loss and build the training loop, up to the first step.

    python benchmarks/compiled.py [--quick] [--steps N] [--epochs N] [--points N] [--repeats N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
from course_step import INPUTS, TARGETS, micrograd44_eager, take_turns, torch_eager
from reference_engines import load_torch

from micrograd44 import MLP
from micrograd44.compiled import trace
from micrograd44.losses import l1_loss
from micrograd44.optim import SGD

QUICK = ["--quick"]
QUICK_SIZES = {"steps": 1000, "epochs": 200, "points": 100_000, "repeats": 1}
SAMPLES = [[*x, t] for x, t in zip(INPUTS, TARGETS)]
BASELINE = "pytorch eager float64"


def course_model() -> MLP:
    """The course's 44-parameter model with its initial weights."""
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)


def compiled_course_loop(backend: str = "python"):
    """The course model, its optimizer, and the compiled training loop of its per-sample L1 loss."""
    model = course_model()
    optimizer = SGD(model.parameters(), lr=0.02, momentum=0.9)
    program = trace(lambda x1, x2, t: l1_loss(model([x1, x2]), t), (0.0, 0.0, 0.0), parameters=model)
    return model, program.training_loop(optimizer, backend)


def micrograd44_compiled(samples, check_finite=False):
    """A training run of the compiled loop (compiled before the clock starts, by a call with no steps)."""
    _, loop = compiled_course_loop()
    loop.single_sample(SAMPLES, [])
    return lambda: loop.single_sample(SAMPLES, samples, check_finite=check_finite)


def course_steps(steps: int, repeats: int) -> None:
    """Print microseconds per single-sample step and the speed-up over PyTorch float64."""
    rng = random.Random(0)
    samples = [rng.randrange(4) for _ in range(steps)]
    factories = {
        "micrograd44 compiled": micrograd44_compiled,
        "compiled, check_finite": lambda s: micrograd44_compiled(s, check_finite=True),
        "micrograd44 eager": micrograd44_eager,
        "pytorch eager float64": torch_eager("float64"),
        "pytorch eager float32": torch_eager("float32"),
    }
    contenders = {name: (lambda f=f: f(samples)) for name, f in factories.items() if f is not None}
    medians = {name: seconds / steps * 1e6 for name, seconds in take_turns(contenders, repeats).items()}
    print(f"Course recipe, single-sample SGD steps ({steps} steps, median of {repeats}):")
    print(f"{'engine':<26}{'us/step':>10}{'speed-up over ' + BASELINE:>38}")
    for name, us in medians.items():
        ratio = f"{medians[BASELINE] / us:.1f}x" if BASELINE in medians else "-"
        print(f"{name:<26}{us:>10.2f}{ratio:>38}")


def eager_full_batch(epochs: int):
    """Full-batch epochs of the eager engine."""
    model = course_model()
    optimizer = SGD(model.parameters(), lr=0.02, momentum=0.9)

    def train():
        for _ in range(epochs):
            optimizer.zero_grad()
            l1_loss([model(x) for x in INPUTS], TARGETS).backward()
            optimizer.step()

    return train


def compiled_full_batch(epochs: int):
    """Full-batch epochs of the compiled loop (compiled before the clock starts, by a call with no epochs)."""
    _, loop = compiled_course_loop()
    loop.full_batch(SAMPLES, 0)
    return lambda: loop.full_batch(SAMPLES, epochs)


def torch_full_batch(epochs: int, dtype_name: str):
    """Full-batch epochs of PyTorch eager, or None without torch."""
    torch = load_torch()
    if torch is None:
        return None
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(2)
    model = torch_mlp(torch, dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    loss_fn = torch.nn.L1Loss()
    inputs = torch.tensor(INPUTS, dtype=dtype)
    targets = torch.tensor(TARGETS, dtype=dtype).reshape(4, 1)

    def train():
        for _ in range(epochs):
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()

    return train


def torch_mlp(torch, dtype):
    """PyTorch's 2 -> 5 -> 4 -> 1 tanh model in the given dtype."""
    nn = torch.nn
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1)).to(dtype)


def full_batch(epochs: int, repeats: int) -> None:
    """Print full-batch epochs per second."""
    contenders = {
        "micrograd44 compiled": lambda: compiled_full_batch(epochs),
        "micrograd44 eager": lambda: eager_full_batch(epochs),
    }
    if load_torch() is not None:
        contenders[BASELINE] = lambda: torch_full_batch(epochs, "float64")
    rates = {name: epochs / seconds for name, seconds in take_turns(contenders, repeats).items()}
    print(f"Full batch, one step per epoch on the 4 XOR samples ({epochs} epochs, median of {repeats}):")
    print(f"{'engine':<26}{'epochs/s':>12}{'x ' + BASELINE:>34}")
    for name, rate in rates.items():
        ratio = f"{rate / rates[BASELINE]:.1f}x" if BASELINE in rates else "-"
        print(f"{name:<26}{rate:>12,.0f}{ratio:>34}")


def torch_forward(torch, dtype_name: str, xy: np.ndarray):
    """A run of PyTorch's forward pass (no autograd) over the points in the given dtype."""
    dtype = getattr(torch, dtype_name)
    module, tensor = torch_mlp(torch, dtype), torch.from_numpy(xy).to(dtype)

    def run():
        with torch.no_grad():
            module(tensor)

    return run


def batched_forward(points: int, repeats: int) -> None:
    """Print samples per second of the 44-parameter model's forward pass over many points."""
    xy = np.random.default_rng(0).uniform(-1.0, 2.0, (points, 2))
    model = course_model()
    net = trace(lambda x1, x2: model([x1, x2]), (0.0, 0.0), parameters=model)
    columns = (xy[:, 0].copy(), xy[:, 1].copy())
    net.evaluate(0.0, 0.0)  # generates and compiles the numpy program
    contenders = {"micrograd44 compiled (numpy)": lambda: lambda: net.evaluate(*columns)}
    torch = load_torch()
    if torch is not None:
        contenders["pytorch float64"] = lambda: torch_forward(torch, "float64", xy)
        contenders["pytorch float32"] = lambda: torch_forward(torch, "float32", xy)
    rates = {name: points / seconds for name, seconds in take_turns(contenders, repeats).items()}
    print(f"Batched forward of the 44-parameter model on {points:,} points (median of {repeats}):")
    print(f"{'engine':<30}{'samples/s':>14}{'x pytorch float64':>22}")
    for name, rate in rates.items():
        ratio = f"{rate / rates['pytorch float64']:.2f}x" if "pytorch float64" in rates else "-"
        print(f"{name:<30}{rate:>14,.0f}{ratio:>22}")


def compile_time(repeats: int) -> None:
    """Print the time to trace the 44-parameter loss and build its training loop, up to the first step."""
    times = []
    for _ in range(max(repeats, 5)):
        start = time.perf_counter()
        _, loop = compiled_course_loop()
        loop.single_sample(SAMPLES, [0])
        times.append(time.perf_counter() - start)
    median_ms = statistics.median(times) * 1e3
    print(f"Compile time (trace, generate and compile the step loop, take 1 step): {median_ms:.1f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (sizes still settable)")
    parser.add_argument("--steps", type=int, default=8004)
    parser.add_argument("--epochs", type=int, default=2001)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**QUICK_SIZES)
        args = parser.parse_args(argv)
    course_steps(args.steps, args.repeats)
    print()
    full_batch(args.epochs, args.repeats)
    print()
    batched_forward(args.points, args.repeats)
    print()
    compile_time(args.repeats)


if __name__ == "__main__":
    main()
