"""Curvature: Newton's method against gradient descent, and the Hessian of the 44-parameter loss.

The second derivative says how fast the slope changes. Newton's method divides the slope
by it and jumps to where a parabola with that curvature bottoms out; gradient descent
only follows the slope with a fixed step. On f(x) = exp(x) - 2x (minimum at ln 2) the
example counts the steps each needs. Then it builds the 44 x 44 Hessian of the course's
loss (the mean over the four XOR samples) at the recipe's initial weights and after its
2001 epochs (``second_derivatives``, the graph form of ``micrograd44.hessian``) and
compares their eigenvalues (numpy): positive ones are directions curving up, negative
ones directions curving down (a saddle), near-zero ones flat directions. second_order.png plots both spectra.

    python examples/second_order.py            # about 3 s: trains the recipe once
    python examples/second_order.py --fast     # the same recipe on the compiled engine

The times are wall-clock on a quiet 2-core machine, measured with
`time python examples/second_order.py`; on a busy machine they take several times longer.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from micrograd44 import Value, grad
from micrograd44.autodiff import second_derivatives
from micrograd44.training.course import Recipe, sample_loss
from micrograd44.training.session import Session

START = 2.0
TOLERANCE = 1e-10  # converged: |x - ln 2| below this
LEARNING_RATE = 0.1
MAX_STEPS = 10_000
FLAT = 1e-6  # an eigenvalue of smaller magnitude counts as flat


def f(x: Value) -> Value:
    """exp(x) - 2x: f' = exp(x) - 2, f'' = exp(x), minimum at ln 2."""
    return x.exp() - 2 * x


def steps_to_converge(update) -> int:
    """How many updates x <- update(x) take from START to within TOLERANCE of ln 2."""
    x = START
    for step in range(1, MAX_STEPS + 1):
        x = update(x)
        if abs(x - math.log(2)) < TOLERANCE:
            return step
    return MAX_STEPS


def newton(x: float) -> float:
    """One Newton step: x - f'(x) / f''(x), both derivatives from the engine."""
    leaf = Value(x)
    (slope,) = grad(f(leaf), [leaf], create_graph=True)
    (curvature,) = grad(slope, [leaf])
    return x - slope.data / curvature


def gradient_descent(x: float) -> float:
    """One gradient step: x - lr f'(x)."""
    leaf = Value(x)
    return x - LEARNING_RATE * grad(f(leaf), [leaf])[0]


def loss_hessian(session: Session) -> np.ndarray:
    """The 44 x 44 Hessian of the mean loss over the four samples at the model's current weights."""
    loss = sample_loss(session.model, session.recipe, [0, 1, 2, 3])
    return np.array(second_derivatives(loss, session.model.parameters()))


def describe(eigenvalues: np.ndarray) -> str:
    """A row of the spectrum table."""
    negative = int((eigenvalues < -FLAT).sum())
    flat = int((abs(eigenvalues) <= FLAT).sum())
    return (
        f"| {eigenvalues.max():.4g} | {eigenvalues.min():.4g} | {negative} | {flat} | "
        f"{int((eigenvalues > FLAT).sum())} |"
    )


def plot(spectra: dict[str, np.ndarray], path: Path) -> Path:
    """The sorted eigenvalues of each Hessian on a symmetric log scale."""
    figure = Figure(figsize=(8, 3.6), layout="constrained")
    axes = figure.subplots()
    for (name, eigenvalues), marker in zip(spectra.items(), "os"):
        axes.plot(np.sort(eigenvalues)[::-1], marker, label=name, markersize=4)
    axes.set_yscale("symlog", linthresh=1e-4)
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set_xlabel("eigenvalue index (largest first)")
    axes.set_ylabel("eigenvalue of the Hessian")
    axes.set_title("Curvature of the 44-parameter XOR loss (mean over the 4 samples)")
    axes.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="out/examples/", help="folder for the picture (default: %(default)s)"
    )
    parser.add_argument("--fast", action="store_true", help="train on the compiled engine (the same numbers)")
    args = parser.parse_args(argv)

    print(f"f(x) = exp(x) - 2x from x = {START}, to within {TOLERANCE:g} of ln 2:")
    print(f"  Newton's method (x - f'/f''): {steps_to_converge(newton)} steps")
    print(f"  gradient descent (lr {LEARNING_RATE}): {steps_to_converge(gradient_descent)} steps")

    session = Session(Recipe(engine="compiled" if args.fast else "eager"))
    spectra = {"initial weights": np.linalg.eigvalsh(loss_hessian(session))}
    session.train()
    spectra[f"after {session.recipe.epochs} epochs"] = np.linalg.eigvalsh(loss_hessian(session))

    print("\nEigenvalues of the 44 x 44 Hessian of the course loss (mean over the 4 samples):")
    print(f"| weights | largest | smallest | negative | flat (abs <= {FLAT:g}) | positive |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, eigenvalues in spectra.items():
        print(f"| {name} {describe(eigenvalues)}")
    print(f"\nwrote {plot(spectra, Path(args.out) / 'second_order.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
