"""viz.draw_network and viz.draw_parameters: each of the 44 parameters exactly once, with value and grad."""

import re
from collections import Counter

import pytest

import viz
from micrograd44 import MLP, Neuron
from micrograd44.training.course import Recipe, build_model, forward_backward
from viz import style

NODE = re.compile(r'^\t+"?([\w.]+)"? \[label=', re.MULTILINE)
EDGE = re.compile(r'^\t+"?([\w.]+)"?(?::out:e)? -> "?([\w.]+)"?:w(\d+):w \[(.*)\]$', re.MULTILINE)
ROW_ID = re.compile(
    r'<TD(?: PORT="\w+")? BGCOLOR="#FFF1B8" ID="([\w.]+)" ALIGN="LEFT">([\w.]+)</TD>'
    r'<TD ALIGN="RIGHT">([^<]+)</TD>'
)


def trained_step() -> MLP:
    """The course model after one step's backward (grads filled in)."""
    recipe = Recipe()
    model = build_model(recipe)
    forward_backward(model, recipe, [1])
    return model


def test_the_44_parameter_network_has_10_neurons_2_inputs_and_every_parameter_once():
    model = trained_step()
    source = viz.draw_network(model).source
    nodes = NODE.findall(source)
    assert sorted(n for n in nodes if n.startswith("x")) == ["x0", "x1"]
    assert len([n for n in nodes if ".neurons." in n]) == 5 + 4 + 1
    rows = ROW_ID.findall(source)
    names = [name for name, _ in model.named_parameters()]
    assert Counter(name for name, _, _ in rows) == Counter(names)
    assert len(rows) == 44
    values = {name: p for name, p in model.named_parameters()}
    for name, short, value in rows:
        assert name.endswith("." + short) and value == style.format_number(values[name].data)
        assert f"g {style.format_number(values[name].grad)}<" in source
    assert "MLP 2 -&gt; 5 -&gt; 4 -&gt; 1 : 44 parameters" in source
    assert "No backward() yet" not in source and "All grads are 0" not in source


def test_one_edge_per_weight_into_its_row_coloured_by_the_grad_sign():
    model = trained_step()
    edges = EDGE.findall(viz.draw_network(model).source)
    assert len(edges) == 2 * 5 + 5 * 4 + 4 * 1
    weights = dict(model.named_parameters())
    largest = style.largest_magnitude(w.grad for name, w in weights.items() if ".w." in name)
    for _, head, k, attributes in edges:
        name = f"{head}.w.{k}"
        w = weights[name]
        assert f'tooltip="{name} = {w.data!r}, grad {w.grad!r}"' in attributes
        assert f'color="{style.sign_colour(w.grad)}"' in attributes
        assert f"penwidth={style.pen_width(w.grad, largest)}" in attributes
    layer1 = [tail for tail, head, _, _ in edges if head == "layers.1.neurons.2"]
    assert layer1 == [f"layers.0.neurons.{i}" for i in range(5)]


def test_width_by_weight_colours_by_the_weight_sign():
    model = trained_step()
    edges = EDGE.findall(viz.draw_network(model, width_by="weight").source)
    weights = dict(model.named_parameters())
    for _, head, k, attributes in edges:
        assert f'color="{style.sign_colour(weights[f"{head}.w.{k}"].data)}"' in attributes
    with pytest.raises(ValueError, match=r"unknown width_by 'bias'; choose one of 'grad', 'weight'"):
        viz.draw_network(model, width_by="bias")


def test_network_before_backward_says_the_grads_are_zero_and_checks_its_model():
    source = viz.draw_network(build_model(Recipe())).source
    assert "All grads are 0: no backward() yet" in source
    with pytest.raises(TypeError, match="draws an MLP, got Neuron"):
        viz.draw_network(Neuron(2))


def test_linear_output_and_activation_are_named():
    source = viz.draw_network(MLP(3, [2, 1], activation="relu", seed=0)).source
    assert "relu(w\u00b7x + b)" in source and "w\u00b7x + b (linear)" in source
    assert "layers.0: 2 neurons, relu" in source and "layers.1: 1 neuron, no activation" in source


def test_the_parameter_table_lists_every_parameter_with_value_grad_and_total():
    model = trained_step()
    source = viz.draw_parameters(model).source
    for number, (name, p) in enumerate(model.named_parameters(), start=1):
        row = (
            f'<TD ALIGN="RIGHT">{number}</TD><TD ALIGN="LEFT" BGCOLOR="{style.FILLS["parameter"]}">'
            f'<FONT FACE="monospace">{name}</FONT></TD>'
            f'<TD ALIGN="RIGHT"><FONT FACE="monospace">{style.format_number(p.data)}</FONT></TD>'
            f'<TD ALIGN="RIGHT"><FONT FACE="monospace" COLOR="{style.sign_colour(p.grad)}">'
            f"{style.format_number(p.grad)}</FONT></TD>"
        )
        assert source.count(row) == 1
    assert "total: 44 parameters" in source
    assert "MLP(2 -&gt; 5 -&gt; 4 -&gt; 1, act=tanh, 44 parameters)" in source
    assert source.count("Neuron(nin=") == 10
    assert "All grads are 0" not in source


def test_the_parameter_table_of_any_module_and_before_backward():
    source = viz.draw_parameters(Neuron(3, seed=0), title="one neuron").source
    assert "one neuron" in source and "total: 4 parameters" in source and "All grads are 0" in source
    with pytest.raises(TypeError, match="draws a micrograd44 Module, got list"):
        viz.draw_parameters([])
