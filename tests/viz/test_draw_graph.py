"""viz.draw_graph: a node per Value with data and grad, local x upstream on every edge, clusters, limits."""

import math
import re

import pytest

import viz
from micrograd44 import MLP, Value, losses, topological_order
from micrograd44.training.course import Recipe, build_model, forward_backward
from viz import style

ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<(?:[^<>]|<[^<>]*>)*>|[^\s\]]+)')
STATEMENT = re.compile(r"^\s*(\w+)(?: -> (\w+))? \[(.*)\]$")
SUBGRAPH = re.compile(r'^\s*subgraph "?(\w[^"]*)"? \{$')


def parse(source: str):
    """The DOT source's nodes {name: attributes} and edges [(tail, head, attributes)], in order."""
    nodes, edges = {}, []
    for line in source.splitlines():
        match = STATEMENT.match(line)
        if not match or match[1] in ("graph", "node", "edge"):
            continue
        attributes = {key: value.strip('"') for key, value in ATTRIBUTE.findall(match[3])}
        if match[2]:
            edges.append((match[1], match[2], attributes))
        else:
            nodes[match[1]] = attributes
    return nodes, edges


def clusters_of(source: str) -> dict[str, list[str]]:
    """Each node name -> the names of the clusters around it, outermost first."""
    stack, where = [], {}
    for line in source.splitlines():
        opened = SUBGRAPH.match(line)
        if opened:
            stack.append(opened[1])
        elif line.strip() == "}" and stack:
            stack.pop()
        else:
            match = STATEMENT.match(line)
            if match and not match[2] and match[1] not in ("graph", "node", "edge"):
                where[match[1]] = list(stack)
    return where


def course_step(sample: int = 1) -> tuple[MLP, Value]:
    """The course model at its initial weights after the backward of one single-sample step."""
    recipe = Recipe()
    model = build_model(recipe)
    return model, forward_backward(model, recipe, [sample])


def batch_loss() -> Value:
    """The course model's L1 loss over the 4 XOR samples, after backward."""
    model = build_model(Recipe())
    loss = losses.l1_loss([model(x) for x in ([0, 0], [0, 1], [1, 0], [1, 1])], [0, 1, 1, 0])
    loss.backward()
    return loss


def test_one_node_per_value_with_its_exact_data_and_grad():
    _, loss = course_step()
    order = topological_order(loss)
    nodes, _ = parse(viz.draw_graph(loss).source)
    assert sorted(k for k in nodes if k.startswith("v")) == sorted(f"v{i}" for i in range(len(order)))
    assert sum(k.startswith("op") for k in nodes) == sum(1 for v in order if v.children)
    for i, v in enumerate(order):
        label = nodes[f"v{i}"]["label"]
        assert f">data {style.format_number(v.data)}<" in label
        assert f">grad {style.format_number(v.grad)}<" in label
        if v.children:
            assert nodes[f"op{i}"]["label"] == v.op


def test_each_edge_carries_local_times_upstream_in_child_order():
    _, loss = course_step()
    order = topological_order(loss)
    index = {v: i for i, v in enumerate(order)}
    _, edges = parse(viz.draw_graph(loss).source)
    for i, v in enumerate(order):
        if not v.children:
            continue
        into_op = [(tail, attributes["label"]) for tail, head, attributes in edges if head == f"op{i}"]
        expected = [
            (f"v{index[child]}", style.format_number(local * v.grad))
            for child, local in zip(v.children, v.local_grads())
        ]
        assert into_op == expected
        [out_of_op] = [attributes for tail, head, attributes in edges if tail == f"op{i}"]
        assert out_of_op["label"] == style.format_number(v.grad)


def test_the_flows_leaving_a_value_add_up_to_its_grad():
    _, loss = course_step()
    order = topological_order(loss)
    flow = viz.flowgraph.build_flow_graph(loss)
    for i, v in enumerate(order[:-1]):
        leaving = [e.flow for e in flow.edges if e.tail == f"v{i}"]
        assert math.fsum(leaving) == pytest.approx(v.grad, rel=1e-12, abs=1e-15)


def test_a_child_used_twice_gets_two_edges():
    a = Value(3.0, label="a")
    b = a * a
    b.backward()
    nodes, edges = parse(viz.draw_graph(b).source)
    assert [(tail, attributes["label"]) for tail, head, attributes in edges if head == "op1"] == [
        ("v0", "3.0000"),
        ("v0", "3.0000"),
    ]
    assert ">grad 6.0000<" in nodes["v0"]["label"]


def test_edges_are_coloured_by_sign_and_widened_by_magnitude():
    x = Value(2.0, label="x")
    y = Value(-1e-9, label="tiny")
    z = Value(0.0, label="zero")
    out = x * -3.0 + y + x * z
    out.backward()
    _, edges = parse(viz.draw_graph(out).source)
    by_label = {attributes["label"]: attributes for _, _, attributes in edges}
    assert by_label["-3.0000"]["color"] == style.NEGATIVE
    assert float(by_label["-3.0000"]["penwidth"]) == style.WIDEST
    assert by_label["1.0000"]["color"] == style.POSITIVE
    assert style.THINNEST < float(by_label["1.0000"]["penwidth"]) < style.WIDEST
    assert by_label["0"]["style"] == "dashed" and by_label["0"]["color"] == style.ZERO
    assert float(by_label["0"]["penwidth"]) == style.THINNEST


def test_chain_labels_show_the_product():
    x = Value(0.5, label="x")
    y = x.tanh()
    y.backward()
    _, edges = parse(viz.draw_graph(y, edge_labels="chain").source)
    local = 1 - math.tanh(0.5) ** 2
    assert (
        edges[0][2]["label"] == f"{style.format_number(local)} \u00d7 1.0000 = {style.format_number(local)}"
    )
    _, edges = parse(viz.draw_graph(y, edge_labels=None).source)
    assert all(attributes["label"] == "" for _, _, attributes in edges)


def test_parameter_names_appear_and_node_kinds_differ():
    model, loss = course_step()
    source = viz.draw_graph(loss).source
    nodes, _ = parse(source)
    for name, _ in model.named_parameters():
        assert f"<B>{name}</B>" in source
    fills = {}
    for i, v in enumerate(topological_order(loss)):
        kind = "root" if v is loss else "parameter" if v.label else "input" if not v.children else "value"
        fills.setdefault(kind, set()).add(re.search(r'BGCOLOR="([^"]+)"', nodes[f"v{i}"]["label"])[1])
    assert {kind: fill.pop() for kind, fill in fills.items() if len(fill) == 1} == {
        kind: style.FILLS[kind] for kind in ("parameter", "input", "value", "root")
    }
    assert 'BORDER="2"' in nodes[f"v{len(topological_order(loss)) - 1}"]["label"]


def test_parameters_option_overrides_the_labelled_leaf_rule():
    x = Value(1.0, label="x")
    w = Value(2.0)
    y = x * w
    y.backward()
    nodes, _ = parse(viz.draw_graph(y, parameters=[w]).source)
    order = topological_order(y)
    assert style.FILLS["parameter"] in nodes[f"v{order.index(w)}"]["label"]
    assert style.FILLS["input"] in nodes[f"v{order.index(x)}"]["label"]


def test_before_backward_the_picture_says_so_and_shows_no_grads():
    model = build_model(Recipe())
    loss = losses.l1_loss(model([0.0, 1.0]), 1.0)
    source = viz.draw_graph(loss).source
    assert "No backward() yet" in source
    assert ">grad " not in source
    nodes, edges = parse(source)
    assert all("label" not in attributes for _, _, attributes in edges)
    loss.backward()
    assert "No backward() yet" not in viz.draw_graph(loss).source


def test_a_leaf_root_draws_as_one_node():
    x = Value(3.0, label="x")
    x.backward()
    nodes, edges = parse(viz.draw_graph(x).source)
    assert list(nodes) == ["v0"] and edges == []
    assert "<B>x</B>" in nodes["v0"]["label"] and "grad 1.0000" in nodes["v0"]["label"]


@pytest.mark.parametrize("group, clusters", [("layer", 3), ("neuron", 13)])
def test_group_draws_labelled_clusters_from_the_scopes(group, clusters):
    model, loss = course_step()
    source = viz.draw_graph(loss, group=group).source
    where = clusters_of(source)
    assert len({name for names in where.values() for name in names}) == clusters
    order = topological_order(loss)
    for i, v in enumerate(order):
        if v.label.startswith("layers.1.neurons.3."):
            expected = ["cluster_layer_layers.1"] + (
                ["cluster_neuron_layers.1.neurons.3"] if group == "neuron" else []
            )
            assert where[f"v{i}"] == expected
    assert where[f"v{len(order) - 1}"] == []
    assert "label=<layers.1>" in source  # an HTML-like label: the path is escaped text


def test_a_batch_is_refused_with_advice_and_collapsed_per_neuron_call():
    loss = batch_loss()
    with pytest.raises(viz.GraphTooLargeError, match="collapse='neuron'") as refused:
        viz.draw_graph(loss)
    assert isinstance(refused.value, ValueError) and "max_nodes=200" in str(refused.value)
    flow = viz.flowgraph.build_flow_graph(loss, collapse="neuron")
    calls = [node for node in flow.nodes if node.kind == "neuron"]
    assert len(calls) == 4 * 10
    assert not any(node.kind == "parameter" for node in flow.nodes)
    assert {node.ops for node in calls} == {("linear", "tanh"), ("linear",)}
    source = viz.draw_graph(loss, collapse="neuron", group="layer").source
    nodes, _ = parse(source)
    assert len(nodes) == len(flow.nodes) <= 200


def test_collapsed_edges_carry_the_summed_gradient_back():
    loss = batch_loss()
    order = topological_order(loss)
    flow = viz.flowgraph.build_flow_graph(loss, collapse="neuron")
    drawn = {node.key: node for node in flow.nodes}
    for i, v in enumerate(order):
        key = f"v{i}"
        if key in drawn and v is not loss:
            leaving = [e.flow for e in flow.edges if e.tail == key]
            assert math.fsum(leaving) == pytest.approx(v.grad, rel=1e-12, abs=1e-15)
    for call in (node for node in flow.nodes if node.kind == "neuron" and not node.root):
        leaving = [e.flow for e in flow.edges if e.tail == call.key]
        assert math.fsum(leaving) == pytest.approx(call.grad, rel=1e-12, abs=1e-15)


def test_the_node_limit_refuses_before_any_work():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    with pytest.raises(
        viz.GraphTooLargeError, match="60001 nodes to draw, more than max_nodes=50"
    ) as refused:
        viz.draw_graph(y, max_nodes=50)
    assert (refused.value.count, refused.value.max_nodes) == (60001, 50)
    assert "collapse" not in str(refused.value)  # no module made this graph: no neuron view to offer
    assert len(parse(viz.draw_graph(x * 2.0, max_nodes=5).source)[0]) == 4


@pytest.mark.parametrize(
    "option, value, accepted",
    [
        ("rankdir", "XY", "'LR', 'TB', 'RL', 'BT'"),
        ("group", "module", "None, 'layer', 'neuron'"),
        ("collapse", "layer", "None, 'neuron'"),
        ("edge_labels", "local", "'gradient', 'chain', None"),
    ],
)
def test_unknown_option_values_list_the_accepted_ones(option, value, accepted):
    with pytest.raises(ValueError, match=re.escape(f"unknown {option} {value!r}; choose one of {accepted}")):
        viz.draw_graph(Value(1.0), **{option: value})


def test_bad_arguments():
    with pytest.raises(TypeError, match="needs a micrograd44 Value, got float"):
        viz.draw_graph(1.0)
    with pytest.raises(ValueError, match="max_nodes must be a positive integer"):
        viz.draw_graph(Value(1.0), max_nodes=0)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_rankdir_is_passed_to_graphviz(rankdir):
    assert f"rankdir={rankdir}" in viz.draw_graph(Value(1.0), rankdir=rankdir).source


def test_an_infinite_gradient_gets_its_own_colour_and_legend_entry():
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.backward()
    source = viz.draw_graph(y).source
    _, edges = parse(source)
    assert edges[0][2]["label"] == "inf" and edges[0][2]["color"] == style.NOT_FINITE
    finite = Value(1.0, label="w") * 2.0
    finite.backward()
    assert "nan or infinite" in source and "nan or infinite" not in viz.draw_graph(finite).source
