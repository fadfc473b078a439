"""Code written for micrograd runs unchanged on micrograd44 and gives micrograd's numbers."""

import math
import random
from pathlib import Path

import pytest

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")

from micrograd_demo import (  # noqa: E402
    PUBLISHED_DEMO_STEPS,
    assert_prints_the_published_steps,
    global_generators,  # noqa: F401  (a fixture)
    micrograd_names,
    moons_demo,
    readme_expression,
)

import micrograd44  # noqa: E402

COMPATIBILITY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "micrograd.md"


def micrograd_instances(engine, nn):
    """One instance of each micrograd class, from micrograd's modules or micrograd44's."""
    random.seed(0)
    return {
        "Value": engine.Value(1.0),
        "Neuron": nn.Neuron(2),
        "Layer": nn.Layer(2, 3),
        "MLP": nn.MLP(2, [3, 1]),
    }


def expression(Value):
    """A micrograd-style program: +=, reflected ops, ** with a number, /, relu, backward."""
    a, b = Value(-2.5), Value(1.5)
    c = a * b + b**2
    c += 2 - a
    d = (c / 3.0).relu() + (a - b).relu() + 0.5 * (b - a) ** 3
    d += d * 2 + 1 / (b + 4)
    d.backward()
    return d.data, a.grad, b.grad


def train(model, inputs, labels, steps):
    """micrograd's demo training style: hinge loss, L2, hand-written SGD, model.zero_grad()."""
    for k in range(steps):
        scores = [model(x) for x in inputs]
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return total.data, [p.data for p in model.parameters()]


def test_the_same_expression_gives_the_same_value_and_grads():
    ours = expression(micrograd44.Value)
    theirs = expression(micrograd_engine.Value)
    for x, y in zip(ours, theirs):
        assert math.isclose(x, y, rel_tol=1e-12)


@pytest.mark.usefixtures("global_generators")
def test_the_same_mlp_training_gives_the_same_parameters():
    random.seed(0)
    theirs = micrograd_nn.MLP(2, [8, 8, 1])
    ours = micrograd44.MLP(2, [8, 8, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 105
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        mine.data = reference.data
    rng = random.Random(1)
    inputs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(12)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in inputs]
    our_loss, our_params = train(ours, inputs, labels, steps=15)
    their_loss, their_params = train(theirs, inputs, labels, steps=15)
    assert math.isclose(our_loss, their_loss, rel_tol=1e-9)
    for x, y in zip(our_params, their_params):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def test_imports_match_micrograd():
    from micrograd44 import MLP, Value  # noqa: F401
    from micrograd44.core.value import Value as EngineValue
    from micrograd44.nn import MLP as NnMLP

    assert EngineValue is Value and NnMLP is MLP


# ---- micrograd's nn: keywords, one-neuron layers, seeding with the global random module ----


def activations(module):
    """Each neuron's activation name, neuron by neuron, for a Neuron, a Layer or an MLP."""
    return [m.activation for _, m in module.named_modules() if isinstance(m, micrograd44.Neuron)]


def test_nonlin_false_makes_linear_neurons_as_in_micrograd():
    x = [2.0, -3.0]
    for neuron in (
        micrograd44.Neuron(2, nonlin=False, seed=0),
        micrograd44.Neuron(2, False, seed=0),
    ):
        assert neuron.activation is None and neuron.nonlin is False
        expected = sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data
        assert neuron(x).data == expected
    assert activations(micrograd44.Neuron(2, nonlin=True)) == ["relu"]
    assert activations(micrograd44.Neuron(2, True)) == ["relu"]
    assert activations(micrograd44.Neuron(2)) == ["relu"] and micrograd44.Neuron(2).nonlin is True
    assert activations(micrograd44.Layer(2, 3, nonlin=False)) == [None] * 3
    assert activations(micrograd44.Layer(2, 3, nonlin=True)) == ["relu"] * 3
    assert activations(micrograd44.MLP(2, [16, 16, 1])) == ["relu"] * 32 + [None]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: micrograd44.Neuron(2, "tanh", nonlin=False),
            ["Neuron", "activation='tanh'", "nonlin=False"],
        ),
        (lambda: micrograd44.Layer(2, 3, activation=None, nonlin=True), ["Layer", "not both"]),
        (lambda: micrograd44.Neuron(2, nonlin="relu"), ["Neuron nonlin", "True or False", "'relu'"]),
    ],
)
def test_nonlin_misuse_is_named(make, words):
    with pytest.raises(TypeError) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


@pytest.mark.usefixtures("global_generators")
@pytest.mark.parametrize("nout", [1, 3])
def test_a_layer_returns_what_micrograds_layer_returns(nout):
    random.seed(7)
    theirs = micrograd_nn.Layer(2, nout)
    random.seed(7)
    ours = micrograd44.Layer(2, nout)
    x = [0.5, -1.5]
    their_out, our_out = theirs(x), ours(x)
    if nout == 1:
        assert isinstance(our_out, micrograd44.Value) and isinstance(their_out, micrograd_engine.Value)
        their_out, our_out = [their_out], [our_out]
    else:
        assert isinstance(our_out, list) and isinstance(their_out, list)
    assert [v.data for v in our_out] == [v.data for v in their_out]


@pytest.mark.usefixtures("global_generators")
def test_random_seed_reproduces_an_unseeded_model():
    random.seed(123)
    first = micrograd44.MLP(2, [8, 8, 1])
    random.seed(123)
    second = micrograd44.MLP(2, [8, 8, 1])
    random.seed(124)
    third = micrograd44.MLP(2, [8, 8, 1])
    assert first.state_dict() == second.state_dict() != third.state_dict()
    for make in (lambda: micrograd44.Neuron(3), lambda: micrograd44.Layer(3, 4, nonlin=False)):
        random.seed(5)
        a = make()
        random.seed(5)
        assert make().state_dict() == a.state_dict()


@pytest.mark.usefixtures("global_generators")
def test_an_explicit_seed_keeps_its_private_stream_and_leaves_random_alone():
    random.seed(99)
    before = random.getstate()
    model = micrograd44.MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    assert random.getstate() == before
    random.seed(0)
    again = micrograd44.MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    assert model.state_dict() == again.state_dict()
    rng = random.Random(2)
    shared = micrograd44.MLP(
        2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=rng
    )
    assert shared.state_dict() == model.state_dict()


@pytest.mark.usefixtures("global_generators")
@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.MLP(2, [16, 16, 1]),
        lambda nn: nn.MLP(3, [4, 1, 2]),
        lambda nn: nn.MLP(1, [1]),
        lambda nn: nn.Layer(4, 3, nonlin=False),
        lambda nn: nn.Neuron(5),
    ],
)
def test_micrograd_init_draws_the_same_weights_in_the_same_order(make):
    random.seed(1337)
    theirs = make(micrograd_nn)
    after_theirs = random.getstate()
    random.seed(1337)
    ours = make(micrograd44)
    assert random.getstate() == after_theirs  # the same number of draws
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert [n.nonlin for n in neurons(ours)] == [n.nonlin for n in neurons(theirs)]


def neurons(module):
    """The neurons of a micrograd or micrograd44 Neuron, Layer or MLP, in order."""
    if hasattr(module, "layers"):
        return [n for layer in module.layers for n in layer.neurons]
    return getattr(module, "neurons", [module])


# ---- micrograd's published tests: the expressions of its test file, checked against the ----
# ---- numbers micrograd (and PyTorch, which its tests compare with) print for them         ----


def sanity_check(Value):
    """The expression of micrograd's test_sanity_check: (y, dy/dx)."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.data, x.grad


def more_ops(Value):
    """The expression of micrograd's test_more_ops (also its README's example): (g, dg/da, dg/db)."""
    g, a, b = readme_expression(Value)
    g.backward()
    return g.data, a.grad, b.grad


def test_micrograd_sanity_check():
    assert sanity_check(micrograd44.Value) == (-20.0, 46.0)
    assert sanity_check(micrograd44.Value) == sanity_check(micrograd_engine.Value)


def test_micrograd_more_ops():
    g, a_grad, b_grad = more_ops(micrograd44.Value)
    assert (round(g, 4), round(a_grad, 4), round(b_grad, 4)) == (24.7041, 138.8338, 645.5773)
    for ours, theirs in zip((g, a_grad, b_grad), more_ops(micrograd_engine.Value)):
        assert math.isclose(ours, theirs, rel_tol=1e-12)


# ---- micrograd's demo notebook: two moons, MLP(2, [16, 16, 1]), hinge loss + L2, SGD ----


@pytest.mark.usefixtures("global_generators")
def test_the_moons_demo_prints_micrograds_losses():
    ours = moons_demo(micrograd44.Value, micrograd44.MLP, steps=51)
    # The first step is micrograd's arithmetic exactly; later steps sum each neuron's terms
    # and each leaf's gradient in another order, so they agree to about 1e-14.
    assert ours[0] == PUBLISHED_DEMO_STEPS[0]
    assert_prints_the_published_steps(ours)


@pytest.mark.usefixtures("global_generators")
def test_micrograd_itself_prints_the_published_losses_from_the_same_demo_code():
    # micrograd runs about 2.5 s a step here: two steps show the data and the loop are the
    # notebook's (its own backward orders nodes by set iteration, so not bit for bit either).
    assert_prints_the_published_steps(moons_demo(micrograd_engine.Value, micrograd_nn.MLP, steps=2))


# ---- every micrograd name exists here and is on the compatibility page ----


@pytest.mark.usefixtures("global_generators")
def test_every_micrograd_nn_name_exists_here():
    theirs = micrograd_instances(micrograd_engine, micrograd_nn)
    ours = micrograd_instances(micrograd44.core.value, micrograd44.nn)
    for kind in ("Neuron", "Layer", "MLP"):
        missing = {n for n in micrograd_names(theirs[kind]) if not hasattr(ours[kind], n)}
        assert not missing, kind


@pytest.mark.usefixtures("global_generators")
def test_the_compatibility_page_names_every_micrograd_name():
    page = COMPATIBILITY_PAGE.read_text(encoding="utf-8")
    for kind, instance in micrograd_instances(micrograd_engine, micrograd_nn).items():
        assert f"`{kind}(" in page
        for name in micrograd_names(instance):
            assert f".{name}" in page or f"`{name}" in page, f"{kind}.{name}"
