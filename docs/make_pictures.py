"""Draw every picture in docs/images/, and print the figures the docs quote about them.

- ``graph.svg``, ``network.svg``, ``parameters.svg``: those of ``micrograd44 graph``, the
  course model at its initial weights with the gradients of the recipe's first step.
- ``slides/neuron.svg`` (``viz.draw_neuron``) and ``slides/graph.svg`` (``draw_graph(...,
  slide=True)``): the slide preset; for each, the smallest font size it has once placed to
  fit a 16:9 slide of 13.33 x 7.5 inches (docs/pictures.md quotes these lines).
- ``derivative.svg``: the gradient of log(1 + sin x) built as a graph by
  ``grad(..., create_graph=True)``, the derivative's nodes outlined (docs/higher-order.md).
- ``second_order.png``: the Hessian spectra of examples/second_order.py.
- ``lecture_neuron.svg``: the lecture's neuron built with ``micrograd44.micrograd``, one
  ``*`` node per input (docs/micrograd.md); ``explain.svg``: the two paths of a value used
  twice, ``draw_graph(..., explain=x)`` (docs/learning.md).
- ``concepts/*``: the five concept pictures, from the full runs of ``examples/*.py``
  (about a minute; ``--no-concepts`` skips them).

Run it from anywhere (Graphviz's ``dot`` must be installed)::

    python docs/make_pictures.py
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Draw with this checkout's micrograd44 and viz, whether or not they are installed.
sys.path.insert(0, str(REPOSITORY))

import viz  # noqa: E402
from micrograd44 import Value, grad  # noqa: E402
from micrograd44.cli import CommandError  # noqa: E402
from micrograd44.cli.graph import PICTURES, first_step, write_pictures  # noqa: E402
from micrograd44.training.course import Recipe  # noqa: E402

FOLDER = REPOSITORY / "docs" / "images"
CONCEPTS = ("neuron", "chain_rule", "learning_rate", "loss", "weight_init")
# the neuron of the course step drawn for a slide
SLIDE_NEURON = "layers.1.neurons.3"
# a 16:9 slide, in points (13.333 x 7.5 inches)
SLIDE_POINTS = (960.0, 540.0)


def smallest_font_on_slide(svg: str) -> float:
    """The smallest font size, in points, of an SVG scaled to fit a 13.33 x 7.5 inch slide."""
    width, height = (float(x) for x in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    scale = float(re.search(r"scale\(([\d.]+)", svg)[1])
    fit = min(SLIDE_POINTS[0] / width, SLIDE_POINTS[1] / height)
    smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
    return smallest * scale * fit


def write_slides() -> list[Path]:
    """The slide preset's two pictures; prints the smallest font size of each."""
    _, loss, _ = first_step(Recipe())
    slides = {
        "neuron": viz.draw_neuron(loss, SLIDE_NEURON),
        "graph": viz.draw_graph(loss, slide=True, title="One training step of the course recipe"),
    }
    written = []
    for name, graph in slides.items():
        path = viz.save(graph, FOLDER / "slides" / f"{name}.svg")
        size = smallest_font_on_slide(path.read_text(encoding="utf-8"))
        print(f"slides/{name}.svg: smallest font {size:.1f} pt on a 13.33 x 7.5 inch slide")
        written.append(path)
    return written


def write_higher_order() -> list[Path]:
    """The derivative of log(1 + sin x) drawn as a graph, and the Hessian spectra of the course loss."""
    x = Value(0.5, label="x")
    y = (1 + x.sin()).log()
    (slope,) = grad(y, [x], create_graph=True)
    slope.label = "dy/dx"
    slope.backward()  # the gradient of the derivative: the second derivative reaches x
    title = "d/dx log(1 + sin x) at x = 0.5, built by grad(..., create_graph=True)"
    paths = [viz.save(viz.draw_graph(slope, forward=y, title=title), FOLDER / "derivative.svg")]
    script = REPOSITORY / "examples" / "second_order.py"
    subprocess.run([sys.executable, str(script), "--out", str(FOLDER)], check=True, stdout=subprocess.DEVNULL)
    return paths + [FOLDER / "second_order.png"]


def write_learning() -> list[Path]:
    """The lecture's neuron node for node, and the paths that explain a gradient."""
    from micrograd44.micrograd.engine import Value as LectureValue

    x1, x2 = LectureValue(2.0, label="x1"), LectureValue(0.0, label="x2")
    w1, w2 = LectureValue(-3.0, label="w1"), LectureValue(1.0, label="w2")
    b = LectureValue(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    title = "the lecture's neuron: o = tanh(x1*w1 + x2*w2 + b)"
    neuron = viz.draw_graph(o, parameters=[w1, w2, b], title=title)
    x = Value(0.5, label="x")
    s = x.sin()
    s.label = "sin(x)"
    f = x * s
    f.label = "f"
    f.backward()
    explained = viz.draw_graph(f, explain=x, title="f = x sin(x) at x = 0.5: two paths from f to x")
    return [
        viz.save(neuron, FOLDER / "lecture_neuron.svg"),
        viz.save(explained, FOLDER / "explain.svg"),
    ]


def write_concepts() -> list[Path]:
    """The concept pictures, each from the full run of its example."""
    out = FOLDER / "concepts"
    for name in CONCEPTS:
        script = REPOSITORY / "examples" / f"{name}.py"
        subprocess.run(
            [sys.executable, str(script), "--out", str(out)], check=True, stdout=subprocess.DEVNULL
        )
    return sorted(p for p in out.iterdir() if p.stem in CONCEPTS)


def main() -> int:
    """Write the pictures and list them with their sizes; 2 with the reason when it cannot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-concepts", action="store_true", help="skip the five concept pictures")
    args = parser.parse_args()
    try:
        written = write_pictures(FOLDER, PICTURES["all"], "svg") + write_slides() + write_higher_order()
        written += write_learning()
    except (CommandError, viz.DotNotFoundError) as error:
        print(f"make_pictures: error: {error}", file=sys.stderr)
        return 2
    if not args.no_concepts:
        written += write_concepts()
    for path in written:
        print(f"wrote {path.relative_to(REPOSITORY)} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
