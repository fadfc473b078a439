"""The notebooks run top to bottom, print what they teach, and are committed with current outputs."""

import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import nbformat  # noqa: E402
from execute import execute  # noqa: E402


def printed(notebook) -> list[str]:
    """The text each code cell printed, one string per code cell."""
    return [
        "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def pictures(notebook) -> int:
    """How many outputs are inline pictures (an image in HTML)."""
    return sum(
        '<img src="data:image/svg+xml;base64,' in output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.fixture(scope="module", params=["xor_44", "backprop_by_hand", "write_your_own_backward"])
def runs(request, tmp_path_factory):
    """(the committed notebook, the same notebook run now in a fresh kernel)."""
    path = NOTEBOOKS / f"{request.param}.ipynb"
    return request.param, nbformat.read(path, as_version=4), execute(path, tmp_path_factory.mktemp("run"))


def test_the_committed_notebook_keeps_the_outputs_it_prints_today(runs):
    _, committed, fresh = runs
    assert printed(committed) == printed(fresh)
    assert pictures(committed) == pictures(fresh) > 0


def test_each_notebook_shows_what_it_teaches(runs):
    name, _, fresh = runs
    text = "\n".join(printed(fresh))
    if name == "xor_44":
        assert "total: 44 parameters" in text and "epochs       2001" in text
        assert "Epoch: 0, Loss:" in text and "Epoch: 2000, Loss:" in text
        assert "XOR solved: yes" in text
        assert "the same run as above: True" in text
        assert (
            pictures(fresh) == 6
        )  # the loss curve, the network twice, the parameters, the graph, the neuron
    elif name == "write_your_own_backward":
        assert text.count("right: your _backward gives") == 3
        assert "by hand equals backward(): True" in text
        assert "sum of the 4 paths: " in text and text.count(" through layers.1.neurons.") == 4
        assert pictures(fresh) == 3  # the fan-out graph, its two paths, the weight's four paths
    else:
        assert text.count("by hand equals backward(): True") == 2
        assert "3 nodes to step through: ['log', '+', 'sin']" in text
        assert pictures(fresh) == 3 + 2  # after each of the three steps of f, each of the neuron's two


def test_the_first_cell_installs_the_package_only_when_it_is_missing(runs):
    _, committed, _ = runs
    first = committed.cells[1]
    assert first.cell_type == "code" and 'find_spec("micrograd44") is None' in first.source
    assert "pip" in first.source and not first.outputs


def test_a_wrong_answer_in_the_exercise_notebook_names_the_edge_and_both_numbers(tmp_path):
    notebook = nbformat.read(NOTEBOOKS / "write_your_own_backward.ipynb", as_version=4)
    [cell] = [cell for cell in notebook.cells if "def my_log1p_sin" in cell.source]
    right = "math.cos(x.data) / (1 + math.sin(x.data)) * out.grad  # answer"
    assert right in cell.source
    cell.source = cell.source.replace(right, "math.cos(x.data) / (2 + math.sin(x.data)) * out.grad  # answer")
    path = tmp_path / "wrong.ipynb"
    nbformat.write(notebook, path)
    text = "\n".join(printed(execute(path, tmp_path)))
    x = -1.3  # the checker's first point
    assert "wrong: the edge x <- out ('my log(1 + sin)') at x = -1.3: your _backward gives the local" in text
    assert repr(math.cos(x) / (2 + math.sin(x))) in text
    assert f"the right one is {math.cos(x) / (1 + math.sin(x)):.12}" in text
