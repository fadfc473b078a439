"""Pictures that fit: boxes named, one colour per kind, drawable suggestions, neuron slice, inline display."""

import base64
import re
import shutil

import pytest

import viz
from micrograd44 import Value
from micrograd44.training.course import Recipe, build_model, forward_backward
from viz import style
from viz.flowgraph import build_flow_graph
from viz.picture import NOTEBOOK_SCALE, missing_dot_hint, natural_width

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def course_loss(samples):
    """The course model's loss on the given XOR samples, after backward."""
    recipe = Recipe()
    return forward_backward(build_model(recipe), recipe, samples)


def boxes(root, **options):
    """{name: kind} of every Value box draw_graph draws."""
    return {node.name: node.kind for node in build_flow_graph(root, **options).nodes if node.kind != "op"}


def test_every_box_of_a_course_step_names_what_it_is():
    drawn = boxes(course_loss([2]))
    assert drawn["x0"] == drawn["x1"] == "input"
    for layer, size in [(0, 5), (1, 4)]:
        for n in range(size):
            assert drawn[f"layers.{layer}.neurons.{n}: z"] == "value"
            assert drawn[f"layers.{layer}.neurons.{n}: tanh"] == "value"
    assert drawn["layers.2.neurons.0: z"] == "value" and "layers.2.neurons.0: tanh" not in drawn
    assert sum(kind == "parameter" for kind in drawn.values()) == 44
    assert "" not in drawn


def test_the_target_is_named_where_the_engine_subtracts_it():
    model = build_model(Recipe())
    loss = (model([1.0, 0.0]) - 1.0).abs()
    loss.backward()
    order_ops = {node.name for node in build_flow_graph(loss).nodes if node.kind == "op"}
    if "-" not in order_ops:
        pytest.skip("this engine builds a - b as a + (-1 * b): no '-' node to read the target from")
    assert boxes(loss)["target"] == "input"


def test_a_formula_names_its_values_by_their_expressions_and_its_input_is_no_parameter():
    x = Value(0.5, label="x")
    y = (1 + x.sin()).log()
    y.backward()
    assert boxes(y) == {
        "x": "input",
        "constant": "input",
        "sin(x)": "value",
        "1 + sin(x)": "value",
        "log(1 + sin(x))": "value",
    }


def test_colours_mean_the_same_in_every_picture():
    model = build_model(Recipe())
    loss = forward_backward(model, Recipe(), [2])
    parameter = f'BGCOLOR="{style.FILLS["parameter"]}"'
    for source in [
        viz.draw_graph(loss).source,
        viz.draw_network(model).source,
        viz.draw_parameters(model).source,
    ]:
        assert source.count(parameter) >= 44
    graph = viz.draw_graph(loss).source
    for name in ("x0", "x1"):
        label = re.search(rf"\[label=<<TABLE[^\n]*<B>{name}</B>", graph)[0]
        assert style.FILLS["input"] in label and style.FILLS["parameter"] not in label


@needs_dot
def test_every_suggestion_of_graph_too_large_draws_the_four_sample_course_loss(tmp_path):
    loss = course_loss([0, 1, 2, 3])
    with pytest.raises(viz.GraphTooLargeError) as refused:
        viz.draw_graph(loss)
    suggestions = refused.value.suggestions
    assert [name for name, _ in suggestions] == ["draw_graph", "draw_neuron", "draw_graph"]
    for name, options in suggestions:
        graph = getattr(viz, name)(loss, **options)
        assert viz.save(graph, tmp_path / f"{name}.svg").stat().st_size > 0
        for key, value in options.items():
            assert (repr(value) if name == "draw_neuron" else f"{key}={value!r}") in str(refused.value)


def test_a_graph_without_modules_is_offered_only_a_larger_max_nodes():
    y = Value(1.0, label="x")
    for _ in range(30):
        y = y * 1.0001
    with pytest.raises(viz.GraphTooLargeError) as refused:
        viz.draw_graph(y, max_nodes=10)
    assert refused.value.suggestions == [("draw_graph", {"max_nodes": refused.value.count})]


def test_draw_neuron_draws_one_neuron_of_the_course_step():
    flow_names = {node.name for node in build_flow_graph(course_loss([2])).nodes if node.kind != "op"}
    source = viz.draw_neuron(course_loss([2]), "layers.1.neurons.3").source
    names = set(re.findall(r"<B>([^<]+)</B>", source)) & flow_names
    weights = {f"layers.1.neurons.3.w.{k}" for k in range(5)} | {"layers.1.neurons.3.b"}
    inputs = {f"layers.0.neurons.{k}: tanh" for k in range(5)}
    assert names == weights | inputs | {"layers.1.neurons.3: z", "layers.1.neurons.3: tanh"}
    assert 'size="13.333,7.5"' in source


def test_draw_neuron_names_the_neurons_there_are_when_asked_for_another():
    with pytest.raises(
        ValueError, match=r"neuron 'layers.9.neurons.0'; its neurons are 'layers.0.neurons.0'"
    ):
        viz.draw_neuron(course_loss([2]), "layers.9.neurons.0")


def test_slide_preset_sets_a_16_by_9_page():
    assert 'size="13.333,7.5"' in viz.draw_graph(course_loss([2]), slide=True).source
    assert not re.search(r"[ \[]size=", viz.draw_graph(course_loss([2])).source)


@needs_dot
def test_inline_display_is_an_image_at_one_scale_with_the_full_size_a_click_away():
    html = viz.draw_graph(course_loss([2]))._repr_mimebundle_()["text/html"]
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"([^>]*)>', html)
    assert len(images) == 2 and images[0][0] == images[1][0]  # the picture, and at full size
    svg = base64.b64decode(images[0][0])
    assert svg.startswith(b"<?xml")
    shown = int(re.search(r'width="(\d+)"', images[0][1])[1])
    assert shown == round(natural_width(svg) * NOTEBOOK_SCALE)
    assert "max-width:100%" in images[0][1] and "max-width:none" in images[1][1]
    assert "<details><summary>full size</summary>" in html
    # what JupyterLab strips from an untrusted notebook's HTML
    assert "<style" not in html and "<svg" not in html and "<script" not in html


def test_inline_display_without_graphviz_shows_the_install_hint(monkeypatch):
    monkeypatch.setenv("PATH", "")
    y = Value(2.0, label="x") * 3.0
    y.backward()
    for graph in [viz.draw_graph(y), viz.draw_network(build_model(Recipe()))]:
        assert graph._repr_mimebundle_() == {"text/plain": missing_dot_hint()}
    assert viz.render.INSTALL_HINT in missing_dot_hint()
