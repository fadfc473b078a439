"""Pictures of micrograd44 models and graphs, drawn with Graphviz.

Reads only the engine's public fields (``data``, ``grad``, ``label``, ``op``,
``children``, ``local_grads()``, ``scope``); the engine never imports viz.

- ``draw_graph(root)``: the computation graph with the gradient on every edge.
- ``draw_neuron(root, "layers.1.neurons.3")``: the slice of one neuron, laid out for a slide.
- ``draw_network(model)``: the MLP as a network diagram, one edge per weight.
- ``draw_parameters(model)``: a table of every parameter's value and grad.
- ``save(graph, path)``: write .svg, .png, .pdf (or the .dot source) by the suffix.
- ``training_report(history, path)``: one HTML page that replays a run's snapshots.

Every ``draw_*`` returns a ``graphviz.Digraph`` (a ``Picture``), which displays inline in
Jupyter scaled to the cell's width; a click on it shows it at full size.

viz draws with the graphviz Python package (the ``viz`` extra); without it, ``import viz``
fails with one line that says how to install it.
"""

try:
    import graphviz  # noqa: F401  (checked here, so that its absence gets the install hint)
except ModuleNotFoundError as error:
    if error.name != "graphviz":
        raise
    raise ModuleNotFoundError(
        "viz needs the graphviz Python package, which is not installed: pip install 'micrograd44[viz]'",
        name="graphviz",
    ) from None

from .flowgraph import GraphTooLargeError
from .graph import draw_graph, draw_neuron
from .network import draw_network
from .parameters import draw_parameters
from .render import DotNotFoundError, save
from .report import training_report

__all__ = [
    "draw_graph",
    "draw_neuron",
    "draw_network",
    "draw_parameters",
    "save",
    "training_report",
    "DotNotFoundError",
    "GraphTooLargeError",
]
