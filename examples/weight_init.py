"""How the initial weights decide whether the 44-parameter network learns XOR.

Part 1 trains the course recipe from each weight initialisation scheme over many seeds
and counts how often XOR is solved: zeros; normal, N(0, 1), the course's choice; uniform,
U(-1, 1); Xavier, N(0, 1/fan_in); He, N(0, 2/fan_in). The biases keep the course's
PyTorch default, U(+-1/sqrt(fan_in)), in every run.

Part 2 measures why zeros fail. When every weight and bias starts at 0, the neurons of a
layer compute the same output, receive the same gradient and take the same step, so they
stay copies of each other for the whole training: symmetry never breaks, and a layer of
5 neurons works like a layer of 1. The example trains such a network and prints, for
every layer, the largest difference between two of its neurons' parameters (0.0 means
identical), and how far its parameters moved. With tanh, tanh(0) = 0 blocks every
gradient into the hidden layers, so only the output bias moves; with sigmoid the hidden
neurons do move, and still in lockstep.

weight_init.png shows the success rates and the first layer's neurons after training.
The runs use the compiled engine: the eager engine's results bit for bit, over a hundred times
faster with a C compiler (``--engine eager`` prints the same numbers the slow way).

    python examples/weight_init.py             # 5 schemes x 50 seeds, about 11 s (eager: 5 to 7 min)
    python examples/weight_init.py --jobs 2    # the seeds in 2 processes
    python examples/weight_init.py --fast      # 3 seeds, 50 epochs, to check the script

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/weight_init.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from pathlib import Path

from helpers import sweep  # examples/helpers/sweep.py: the command line every sweep shares
from matplotlib.figure import Figure

from micrograd44.sweep import summarize
from micrograd44.training import History
from micrograd44.training.course import Recipe, run

SCHEMES = ["zeros", "normal", "uniform", "xavier", "he"]
SHOWN_SEED = 2  # the course's seed, for the picture of the first layer


def neurons_by_layer(state: dict[str, float]) -> dict[str, list[list[float]]]:
    """{layer name: [each neuron's parameters in order]} from a state dict.

    Names look like ``layers.1.neurons.3.w.0``: layer ``layers.1``, neuron 3, weight 0.
    """
    neurons: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name, value in state.items():
        layer, neuron = name.split(".neurons.")
        neurons[layer][neuron.split(".")[0]].append(value)
    return {layer: list(by_neuron.values()) for layer, by_neuron in neurons.items()}


def symmetry_report(history: History) -> list[str]:
    """Per layer: the largest difference between two neurons, and the largest parameter change."""
    lines = []
    before = neurons_by_layer(history.initial_state)
    for layer, neurons in neurons_by_layer(history.final_state).items():
        moved = max(abs(a - b) for after, start in zip(neurons, before[layer]) for a, b in zip(after, start))
        if len(neurons) == 1:
            lines.append(f"  {layer}: 1 neuron, largest change during training {moved:.4g}")
            continue
        spread = max(abs(a - b) for neuron in neurons for a, b in zip(neuron, neurons[0]))
        lines.append(
            f"  {layer}: {len(neurons)} neurons, largest difference between two neurons {spread!r}, "
            f"largest change during training {moved:.4g}"
        )
    outputs = ", ".join(f"{p:.4f}" for p in history.predictions)
    lines.append(f"  outputs for (0,0), (0,1), (1,0), (1,1): {outputs}; XOR solved: {history.solved}")
    return lines


def plot(solved: dict[str, int], seeds: int, trained: dict[str, History], path: Path) -> Path:
    """Success rate per scheme; each first-layer neuron's two weights after training."""
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    bars, neurons = figure.subplots(1, 2)
    drawn = bars.bar(list(solved), [100 * count / seeds for count in solved.values()], color="#0072B2")
    bars.bar_label(drawn, labels=[f"{count}/{seeds}" for count in solved.values()])
    bars.set(ylabel="XOR solved (% of seeds)", ylim=(0, 110), title="Success rate by weight initialisation")
    for name, history in trained.items():
        first_layer = neurons_by_layer(history.final_state)["layers.0"]
        weights = [(neuron[0], neuron[1]) for neuron in first_layer]
        label = f"{name}: {len(weights)} neurons, {len(set(weights))} distinct"
        neurons.scatter([w[0] for w in weights], [w[1] for w in weights], s=60, alpha=0.7, label=label)
    neurons.set(xlabel="weight from input 1", ylabel="weight from input 2")
    neurons.set_title("First-layer neurons after training (one dot each)")
    neurons.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sweep.parse_options(__doc__, argv, seeds=50, per="per scheme", fast=(3, 50))
    seeds, base = args.seeds, Recipe(epochs=args.epochs, engine=args.engine)
    started = time.perf_counter()

    results = sweep.run_grid({"weight_init": SCHEMES, "seed": range(seeds)}, args)
    print(f"Part 1: the course recipe ({base.epochs} epochs) from each weight scheme, seeds 0-{seeds - 1}")
    print("| weights | XOR solved | median loss of the last epoch |")
    print("| --- | --- | --- |")
    solved_counts = {}
    for cell in summarize(results, by=["weight_init"]):
        scheme = cell.values["weight_init"]
        solved_counts[scheme] = cell.solved
        print(f"| {scheme} | {cell.solved}/{cell.runs} | {cell.median_last_epoch_loss:.3g} |")

    print(f"\nPart 2: every weight and bias starts at 0 (seed {SHOWN_SEED})")
    trained = {f"normal (seed {SHOWN_SEED})": run(dataclasses.replace(base, seed=SHOWN_SEED))}
    for activation in ("tanh", "sigmoid"):
        zeros = dataclasses.replace(
            base, weight_init="zeros", bias_init="zeros", activation=activation, seed=SHOWN_SEED
        )
        history = run(zeros)
        trained[f"zeros, {activation}"] = history
        print(f"{activation} between the layers:")
        print("\n".join(symmetry_report(history)))
    print(f"for comparison, normal weights (seed {SHOWN_SEED}):")
    print("\n".join(symmetry_report(trained[f"normal (seed {SHOWN_SEED})"])))

    print(f"\nwrote {plot(solved_counts, seeds, trained, Path(args.out) / 'weight_init.png')}")
    print(sweep.finished(time.perf_counter() - started, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
