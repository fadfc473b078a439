"""Code that reaches into micrograd's Value internals runs unchanged on micrograd44.

micrograd's notebooks and tutorials read ``v._prev`` and ``v._op``, build nodes as
``Value(data, (a, b), '+')``, call ``v._backward()`` one node at a time, and store their
own attributes on Values (``p.m``, ``p.v``). These tests are such code with only the
import changed.
"""

import math
import random

import pytest

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")

from micrograd_demo import micrograd_names  # noqa: E402

from micrograd44 import MLP, Value, topological_order  # noqa: E402
from micrograd44.optim import Adam  # noqa: E402


@pytest.fixture
def global_random():
    """Leave Python's global generator as the test found it."""
    state = random.getstate()
    yield
    random.setstate(state)


# ---- micrograd's signature, _prev and _op ----


def test_every_micrograd_value_name_exists_here():
    ours = Value(1.0)
    for name in sorted(micrograd_names(micrograd_engine.Value(1.0))):
        getattr(ours, name)  # an AttributeError names the missing one


def test_value_takes_micrograds_positional_signature():
    x = Value(3.0)
    v = Value(2.0, (x,), "+")
    assert v.data == 2.0 and v._prev == {x} and v._op == "+"
    assert Value(1.0, (), "", "a").label == "a"
    assert Value(1.0, label="a").label == "a"
    leaf = Value(1.5)
    assert leaf._prev == set() and leaf._op == ""


def test_prev_is_the_set_of_children_and_op_is_micrograds_string():
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._prev == {a, b} and (a + b)._op == "+"
    assert (a * b)._op == "*"
    square = a * a
    assert square._prev == {a}  # a set: a Value used twice is one child
    assert (a**2)._op == "**2" and (a**2)._prev == {a}
    assert b.relu()._op == "ReLU"
    assert a.tanh()._op == "tanh"
    quotient = a / b  # one node here (micrograd builds a * b**-1): "/" is this engine's own op
    assert quotient._op == "/" and quotient._prev == {a, b}
    difference = a - b  # one node here too (micrograd builds a + (b * -1))
    assert difference._op == "-" and difference._prev == {a, b}


def trace(root):
    """micrograd's notebook trace(): every node and edge, following ``_prev``."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    """micrograd's notebook draw_dot(), with the Graphviz calls recorded as (names, edges).

    Like the notebook, a node is named by ``str(id(n))`` and its op node by that name
    concatenated with ``n._op``.
    """
    nodes, edges = trace(root)
    names, arrows = {}, set()
    for n in nodes:
        uid = str(id(n))
        names[uid] = f"{{ {n.label} | data {n.data:.4f} | grad {n.grad:.4f} }}"
        if n._op:
            names[uid + n._op] = n._op
            arrows.add((uid + n._op, uid))
    for n1, n2 in edges:
        arrows.add((str(id(n1)), str(id(n2)) + n2._op))
    return names, arrows


def test_draw_dot_style_code_draws_every_node_and_op():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    names, arrows = draw_dot(o)
    records = {name: text for name, text in names.items() if text.startswith("{")}
    ops = sorted(text for text in names.values() if not text.startswith("{"))
    assert len(records) == 10  # 5 leaves and 5 results
    assert ops == ["*", "*", "+", "+", "tanh"]
    assert records[str(id(x1))] == "{ x1 | data 2.0000 | grad -1.5000 }"
    assert records[str(id(w1))] == "{ w1 | data -3.0000 | grad 1.0000 }"
    assert (str(id(n)) + "+", str(id(n))) in arrows
    assert (str(id(n)), str(id(o)) + "tanh") in arrows
    assert len(arrows) == 5 + 9  # an op node into each result, and each child into its parent's op


# ---- _backward() one node at a time ----


def test_the_tutorial_walks_the_chain_rule_node_by_node():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.grad = 1.0
    L._backward()
    assert (d.grad, f.grad) == (-2.0, 4.0)
    d._backward()
    assert (e.grad, c.grad) == (-2.0, -2.0)
    e._backward()
    assert (a.grad, b.grad) == (6.0, -4.0)
    for leaf in (a, b, c, f):
        leaf._backward()  # a leaf has nothing to pass on
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)


def test_the_tutorial_neuron_by_hand():
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x1w1, x2w2):
        node._backward()
    assert math.isclose(o.data, math.sqrt(0.5), rel_tol=1e-12)
    assert math.isclose(n.grad, 0.5, rel_tol=1e-12)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    got = {"x1": x1.grad, "w1": w1.grad, "x2": x2.grad, "w2": w2.grad}
    for name, value in expected.items():
        assert math.isclose(got[name], value, rel_tol=1e-12, abs_tol=1e-15), name


def random_graph(rng, size):
    """A random graph of +, *, -, **2, ReLU and tanh over four leaves, reusing nodes (a * a too)."""
    nodes = [Value(rng.uniform(-2.0, 2.0)) for _ in range(4)]
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        op = rng.choice(["+", "*", "-", "square", "relu", "tanh"])
        if op == "+":
            out = a + b
        elif op == "*":
            out = a * b
        elif op == "-":
            out = a - b
        elif op == "square":
            out = a**2
        elif op == "relu":
            out = a.relu()
        else:
            out = a.tanh()
        nodes.append(out.tanh() if abs(out.data) > 10 else out)  # keep the numbers modest
    root = nodes[-1]
    for node in nodes[-8:-1]:
        root = root + node  # several roots' worth of paths into one
    return root


def micrograd_topo(root):
    """micrograd's own ordering: a recursive depth-first walk over ``_prev``, children first."""
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    return topo


@pytest.mark.parametrize("seed", range(30))
def test_backward_step_by_step_equals_backward(seed):
    root = random_graph(random.Random(seed), size=25)
    order = topological_order(root)
    root.backward()
    expected = [v.grad for v in order]

    for v in order:
        v.grad = 0.0
    root.grad = 1.0
    for v in reversed(order):
        v._backward()
    assert [v.grad for v in order] == expected  # the same order: exactly backward()'s numbers

    for v in order:
        v.grad = 0.0
    root.grad = 1.0
    for v in reversed(micrograd_topo(root)):
        v._backward()
    for v, grad in zip(order, expected):  # another valid order: the same sums, summed differently
        assert math.isclose(v.grad, grad, rel_tol=1e-12, abs_tol=1e-12)


# ---- attributes of one's own ----


def test_values_take_attributes_of_their_own():
    p = Value(1.0)
    p.m = 0.0
    p._vis_color = "red"
    p.m += 0.5
    assert (p.m, p._vis_color) == (0.5, "red")


def micrograd_style_adam(parameters, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    """An Adam as micrograd users write it: its moments stored on the parameters."""
    for p in parameters:
        p.m, p.v, p.t = 0.0, 0.0, 0

    def step():
        for p in parameters:
            p.t += 1
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad**2
            m_hat = p.m / (1 - beta1**p.t)
            v_hat = p.v / (1 - beta2**p.t)
            p.data -= lr * m_hat / (math.sqrt(v_hat) + eps)

    return step


def train_with_adam(model, steps):
    """A few Adam steps of a hinge loss on fixed points; the parameters after each step."""
    step = micrograd_style_adam(model.parameters())
    points = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-0.9, -0.4]]
    labels = [1.0, -1.0, 1.0, -1.0]
    history = []
    for _ in range(steps):
        losses = [(1 + -y * model(x)).relu() for x, y in zip(points, labels)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        step()
        history.append([p.data for p in model.parameters()])
    return history


@pytest.mark.usefixtures("global_random")
def test_a_micrograd_style_adam_stores_its_moments_on_the_parameters():
    random.seed(3)
    ours = MLP(2, [6, 1])
    random.seed(3)
    theirs = micrograd_nn.MLP(2, [6, 1])
    random.seed(3)
    reference = MLP(2, [6, 1])

    our_history = train_with_adam(ours, steps=5)
    their_history = train_with_adam(theirs, steps=5)
    for mine, micrograds in zip(our_history, their_history):
        for x, y in zip(mine, micrograds):
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    assert all(p.t == 5 and isinstance(p.m, float) for p in ours.parameters())

    # the same rule as micrograd44.optim.Adam (PyTorch's), which keeps its moments itself
    optimizer = Adam(reference.parameters(), lr=0.01)
    points = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-0.9, -0.4]]
    labels = [1.0, -1.0, 1.0, -1.0]
    for _ in range(5):
        losses = [(1 + -y * reference(x)).relu() for x, y in zip(points, labels)]
        optimizer.zero_grad()
        (sum(losses) * (1.0 / len(losses))).backward()
        optimizer.step()
    for x, y in zip((p.data for p in ours.parameters()), (p.data for p in reference.parameters())):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
