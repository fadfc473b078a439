"""Microseconds per single-sample training step of the course recipe, engines side by side.

Each engine trains the 44-parameter model (2 -> 5 -> 4 -> 1, tanh hidden layers, linear
output) with L1 loss and SGD (lr 0.02, momentum 0.9) on one randomly drawn XOR sample per
step, 8004 steps: the course's 2001 epochs. The engines take turns, repetition after
repetition, in one process, and the median of each is reported with its ratio to ours.

    python benchmarks/course_step.py [--steps 8004] [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from reference_engines import load_micrograd, load_torch

from micrograd44 import MLP
from micrograd44.losses import l1_loss
from micrograd44.optim import SGD

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [0.0, 1.0, 1.0, 0.0]
QUICK = ["--steps", "1000", "--repeats", "1"]


def micrograd44_eager(samples):
    """A training run of this engine: returns a function that runs every step."""
    model = MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    optimizer = SGD(model.parameters(), lr=0.02, momentum=0.9)

    def train():
        for i in samples:
            optimizer.zero_grad()
            l1_loss(model(INPUTS[i]), TARGETS[i]).backward()
            optimizer.step()

    return train


def torch_eager(dtype_name):
    """A training run of PyTorch eager in the given dtype, or None without torch."""
    torch = load_torch()
    if torch is None:
        return None
    dtype = getattr(torch, dtype_name)

    def make(samples):
        torch.manual_seed(2)
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 5),
            torch.nn.Tanh(),
            torch.nn.Linear(5, 4),
            torch.nn.Tanh(),
            torch.nn.Linear(4, 1),
        ).to(dtype)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
        loss_fn = torch.nn.L1Loss()
        inputs = torch.tensor(INPUTS, dtype=dtype)
        targets = torch.tensor(TARGETS, dtype=dtype).reshape(4, 1)

        def train():
            for i in samples:
                optimizer.zero_grad()
                loss_fn(model(inputs[i]), targets[i]).backward()
                optimizer.step()

        return train

    return make


def micrograd_eager():
    """A training run of micrograd (tanh added in its closure style), or None without micrograd."""
    loaded = load_micrograd()
    if loaded is None:
        return None
    Value, _, Layer, _ = loaded

    def make(samples):
        random.seed(2)
        layers = [Layer(2, 5, nonlin=False), Layer(5, 4, nonlin=False), Layer(4, 1, nonlin=False)]
        params = [p for layer in layers for p in layer.parameters()]
        buffers = [0.0] * len(params)

        def forward(x):
            for k, layer in enumerate(layers):
                x = [n(x) for n in layer.neurons]
                if k < 2:
                    x = [v.tanh() for v in x]
            return x[0]

        def train():
            for i in samples:
                for p in params:
                    p.grad = 0
                error = forward(INPUTS[i]) - TARGETS[i]
                loss = error.relu() + (-error).relu()  # |error|: micrograd has no abs
                loss.backward()
                for k, p in enumerate(params):
                    buffers[k] = 0.9 * buffers[k] + p.grad
                    p.data -= 0.02 * buffers[k]

        return train

    return make


def engines() -> dict:
    """name -> factory(samples) -> train(), for every engine installed here."""
    found = {
        "micrograd44 eager": micrograd44_eager,
        "pytorch eager float64": torch_eager("float64"),
        "pytorch eager float32": torch_eager("float32"),
        "micrograd (+ tanh)": micrograd_eager(),
    }
    return {name: make for name, make in found.items() if make is not None}


def take_turns(contenders: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each contender; each call ``make()`` untimed, then the returned run timed."""
    timings = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, make in contenders.items():
            run = make()
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in timings.items()}


def measure(factories: dict, steps: int, repeats: int) -> dict[str, float]:
    """Median microseconds per step of each engine, the engines taking turns each repetition."""
    rng = random.Random(0)
    samples = [rng.randrange(4) for _ in range(steps)]
    runs = {name: (lambda make=make: make(samples)) for name, make in factories.items()}
    return {name: seconds / steps * 1e6 for name, seconds in take_turns(runs, repeats).items()}


def report(medians: dict[str, float], baseline: str) -> str:
    """A table of us/step and each engine's time divided by the baseline's (how many times slower)."""
    lines = [f"{'engine':<24}{'us/step':>10}{'x ' + baseline:>28}"]
    for name, us in medians.items():
        lines.append(f"{name:<24}{us:>10.1f}{us / medians[baseline]:>28.2f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8004)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    medians = measure(engines(), args.steps, args.repeats)
    print(f"Course recipe, single-sample steps ({args.steps} steps, median of {args.repeats}):")
    print(report(medians, "micrograd44 eager"))


if __name__ == "__main__":
    main()
