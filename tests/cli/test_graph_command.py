"""``micrograd44 graph``: the three pictures of the course model after the recipe's first step."""

import shutil
import xml.etree.ElementTree as ET

import pytest

from micrograd44 import topological_order
from micrograd44.cli import main
from micrograd44.cli.graph import first_step
from micrograd44.training.course import Recipe, build_model, run

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def test_first_step_is_the_recipe_first_step_at_the_initial_weights():
    recipe = Recipe()
    model, loss, sample = first_step(recipe)
    assert sample == run(Recipe(epochs=1)).samples[0]
    assert model.state_dict() == build_model(recipe).state_dict()
    assert loss.grad == 1.0 and any(p.grad != 0.0 for p in model.parameters())
    assert {p for p in model.parameters()} <= set(topological_order(loss))


@needs_dot
def test_all_three_svgs_are_written_and_parse(tmp_path, capsys):
    assert main(["graph", "--out", str(tmp_path / "pictures")]) == 0
    names = ["graph.svg", "network.svg", "parameters.svg"]
    assert sorted(p.name for p in (tmp_path / "pictures").iterdir()) == sorted([*names, "manifest.json"])
    for name in names:
        ET.parse(tmp_path / "pictures" / name)
    listed = [f"wrote {tmp_path / 'pictures' / name}" for name in [*names, "manifest.json"]]
    assert capsys.readouterr().out.splitlines() == listed
    graph = (tmp_path / "pictures" / "graph.svg").read_text(encoding="utf-8")
    assert "First training step of the course recipe" in graph and "l1 loss" in graph


@needs_dot
def test_one_picture_in_another_format(tmp_path):
    assert main(["graph", "--what", "parameters", "--format", "png", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "parameters.png"]
    assert (tmp_path / "parameters.png").read_bytes().startswith(b"\x89PNG")


@needs_dot
@pytest.mark.parametrize(
    "group, present, absent", [("layer", "layer", "neuron"), ("neuron", "neuron", "nothing")]
)
def test_group_clusters_the_graph(tmp_path, group, present, absent):
    assert main(["graph", "--what", "graph", "--group", group, "--out", str(tmp_path)]) == 0
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert f"<title>cluster_{present}_layers.1" in svg and f"<title>cluster_{absent}_" not in svg


def test_without_dot_one_line_error_with_install_hint_and_the_dot_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert main(["graph", "--what", "network", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert error.startswith("micrograd44 graph: error: Graphviz's `dot` program was not found")
    assert "apt-get install graphviz" in error and "brew install graphviz" in error
    assert (tmp_path / "network.dot").read_text(encoding="utf-8").startswith("digraph network {")


def test_bad_flags_exit_2(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["graph", "--format", "gif"])
    assert exited.value.code == 2 and "invalid choice: 'gif'" in capsys.readouterr().err
