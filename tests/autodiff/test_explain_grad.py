"""explain_grad: the chain rule as a sum over paths; the sums equal backward()'s gradients."""

import random

import pytest

from micrograd44 import Value, topological_order
from micrograd44.explain import GradientExplanation, NodeExplanation, TooManyPathsError, explain_grad

UNARY = ("tanh", "sin", "cos", "sigmoid", "atan")


def random_graph(rng: random.Random, size: int) -> tuple[Value, list[Value]]:
    """A graph of ``size`` ops over three leaves, each op reading earlier nodes (so values fan out)."""
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(size):
        kind = rng.choice(("+", "*", "-", "unary"))
        a, b = rng.choice(nodes), rng.choice(nodes[-4:])
        if kind == "+":
            out = a + b
        elif kind == "*":
            out = a * b
        elif kind == "-":
            out = a - b
        else:
            out = getattr(a, rng.choice(UNARY))()
        nodes.append(out)
    return nodes[-1], leaves


@pytest.mark.parametrize("seed", range(40))
def test_the_paths_add_up_to_the_gradient_backward_computes(seed):
    rng = random.Random(seed)
    root, leaves = random_graph(rng, rng.randint(3, 14))
    root.backward()
    used = set(topological_order(root))
    for leaf in [leaf for leaf in leaves if leaf in used]:
        explanation = explain_grad(root, leaf)
        assert explanation.total == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
        assert explain_grad(root, leaf, by_node=True).total == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
        for path in explanation.paths:
            assert path.nodes[0] is root and path.nodes[-1] is leaf
            assert len(path.locals) == len(path.nodes) - 1
            for node, child, local in zip(path.nodes, path.nodes[1:], path.locals):
                assert local in [slope for c, slope in zip(node.children, node.local_grads()) if c is child]


def test_a_value_used_twice_gives_two_paths():
    a = Value(3.0, label="a")
    b = a * a
    explanation = explain_grad(b, a)
    assert [path.product for path in explanation.paths] == [3.0, 3.0]
    assert explanation.total == 6.0


def test_the_table_and_the_html_show_each_path_and_the_sum():
    x = Value(0.5, label="x")
    y = x * x.sin()
    y.label = "y"
    explanation = explain_grad(y, x)
    assert isinstance(explanation, GradientExplanation)
    rows = explanation.rows()
    assert [row[1] for row in rows] == ["y -> x", "y -> v1 (sin) -> x"]
    text = str(explanation)
    assert text.splitlines()[0] == "d y / d x: 2 paths"
    assert text.splitlines()[-1].split() == ["sum", f"{explanation.total:.6g}"]
    page = explanation._repr_html_()
    assert page.count("<tr>") == 4 and "y -&gt; v1 (sin) -&gt; x" in page


def test_the_per_node_form_lists_each_nodes_grad_times_its_local_derivative():
    x = Value(0.5, label="x")
    h = x.tanh()
    y = h * h + x
    y.backward()
    explanation = explain_grad(y, x, by_node=True)
    assert isinstance(explanation, NodeExplanation)
    into_x = [step for step in explanation.steps if step.child is x]
    assert len(into_x) == 2 and explanation.total == pytest.approx(x.grad)
    for step in explanation.steps:
        assert step.product == step.upstream * step.local


def test_a_graph_with_too_many_paths_says_how_many_in_one_line_and_suggests_the_per_node_form():
    x = Value(0.3, label="x")
    y = x
    for _ in range(12):  # every level doubles the paths
        y = y * y
    with pytest.raises(TooManyPathsError) as caught:
        explain_grad(y, x, max_paths=1000)
    assert caught.value.count == 2**12 and caught.value.max_paths == 1000
    message = str(caught.value)
    assert "\n" not in message and "4,096 paths" in message and "by_node=True" in message
    assert len(explain_grad(y, x, by_node=True).steps) == 24


def test_bad_arguments_are_named():
    x, other = Value(1.0, label="x"), Value(2.0, label="other")
    with pytest.raises(ValueError, match="'other' is not in the graph"):
        explain_grad(x.tanh(), other)
    with pytest.raises(TypeError, match="leaf must be a Value"):
        explain_grad(x.tanh(), 1.0)


def test_a_first_layer_weight_of_the_44_parameter_model_has_four_paths():
    from micrograd44.training.course import Recipe, build_model, forward_backward

    model = build_model(Recipe())
    loss = forward_backward(model, Recipe(), [2])
    weight = dict(model.named_parameters())["layers.0.neurons.0.w.0"]
    explanation = explain_grad(loss, weight)
    assert len(explanation.paths) == 4  # one through each neuron of the second layer
    second_layer = [
        next(node for node in path.nodes if "layers.1" in str(node.scope)) for path in explanation.paths
    ]
    assert len(set(second_layer)) == 4
    assert explanation.total == pytest.approx(weight.grad, rel=1e-12)


def test_draw_graph_highlights_the_paths_and_lists_their_products():
    viz = pytest.importorskip("viz")
    x = Value(0.5, label="x")
    y = x * x.sin()
    y.backward()
    source = viz.draw_graph(y, explain=x).source
    explanation = explain_grad(y, x)
    # x -> *, x -> sin, sin -> its result, its result -> *, * -> y: five edges on the two paths
    assert source.count(f'color="{viz.graph.PATH_COLOUR}"') == 5
    for k, row in enumerate(explanation.rows(), start=1):
        assert f"path {k}: {row[1]}: {row[2]} = {row[3]}".replace(">", "&gt;") in source
    with pytest.raises(ValueError, match="collapse"):
        viz.draw_graph(y, explain=x, collapse="neuron")


def test_the_examples_in_the_docstrings_run():
    import doctest

    import micrograd44.explain

    assert doctest.testmod(micrograd44.explain).failed == 0


def test_the_per_node_form_has_a_table_and_html():
    x = Value(0.5, label="x")
    y = x * x.tanh()
    explanation = explain_grad(y, x, by_node=True)
    assert str(explanation).splitlines()[-1].split()[-1] == f"{explanation.total:.6g}"
    assert explanation._repr_html_().count("<tr>") == len(explanation.steps) + 2
