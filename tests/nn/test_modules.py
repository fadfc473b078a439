"""Neuron, Layer and MLP: names, scopes, init schemes, state and equality with torch.nn."""

import math
import random
import statistics

import pytest

from micrograd44 import MLP, Layer, Neuron, StateDictError, Value
from micrograd44.testing import assert_module_matches_torch
from micrograd44.weight_init import SCHEMES


def course_model(seed=2):
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=seed)


def test_the_course_model_has_44_parameters_and_a_linear_output():
    model = course_model()
    assert model.num_parameters() == len(model.parameters()) == 44
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", None]
    assert repr(model) == "MLP(2 -> 5 -> 4 -> 1, act=tanh, 44 parameters)"
    assert repr(model.layers[0]) == "Layer(nin=2, nout=5, act=tanh)"
    assert repr(model.layers[0].neurons[0]) == "Neuron(nin=2, act=tanh)"


@pytest.mark.parametrize(
    ("nouts", "activation", "final"),
    [
        ([5, 4, 1], "tanh", None),
        ([3, 1, 4, 2], "relu", "sigmoid"),
        ([1], "tanh", "tanh"),
        ([6, 1, 3], "sigmoid", None),
    ],
)
def test_outputs_and_every_grad_equal_torch_sequential(nouts, activation, final):
    model = MLP(3, nouts, activation=activation, final_activation=final, weight_init="normal", seed=7)
    assert_module_matches_torch(model, [0.3, -1.1, 0.8], output_grads=list(range(1, model.nout + 1)))


def test_a_one_neuron_layer_in_the_middle_still_works():
    model = MLP(2, [3, 1, 2], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(model([1.0, 2.0]), list)
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)  # as micrograd's Layer


def test_parameters_are_named_by_their_module_path():
    model = course_model()
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.1.neurons.3.w.4" in names and names[-1] == "layers.2.neurons.0.b"
    assert all(p.label == name for name, p in model.named_parameters())
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert [path for path, _ in model.named_modules()][:3] == ["", "layers.0", "layers.0.neurons.0"]


def test_nodes_made_by_a_neuron_record_its_scope():
    model = course_model()
    out = model([0.0, 1.0])
    assert out.scope == (("mlp", ""), ("layer", "layers.2"), ("neuron", "layers.2.neurons.0"))
    hidden = out.children[4]  # (*weights, *inputs, bias): the first input is neuron 0 of layer 1
    assert hidden.op == "tanh" and hidden.scope[-1] == ("neuron", "layers.1.neurons.0")
    assert (out * 2).scope is None


def test_summary_lists_layers_and_total():
    text = course_model().summary()
    assert "layers.0" in text and "Layer(nin=5, nout=4, act=tanh)" in text
    assert text.splitlines()[-1] == "Total parameters: 44"
    for count in ("15", "24", "5"):
        assert count in text


def test_same_seed_same_weights_and_the_global_rng_is_untouched():
    random.seed(123)
    before = random.getstate()
    a, b = course_model(seed=5), course_model(seed=5)
    assert random.getstate() == before
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != course_model(seed=6).state_dict()


@pytest.mark.parametrize(
    ("scheme", "mean", "std"),
    [
        ("normal", 0.0, 1.0),
        ("uniform", 0.0, 1 / math.sqrt(3)),
        ("torch", 0.0, 1 / math.sqrt(3 * 16)),
        ("xavier", 0.0, math.sqrt(1 / 16)),
        ("he", 0.0, math.sqrt(2 / 16)),
        ("zeros", 0.0, 0.0),
    ],
)
def test_init_schemes_draw_the_documented_distribution(scheme, mean, std):
    layer = Layer(16, 400, weight_init=scheme, bias_init=scheme, seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert abs(statistics.fmean(weights) - mean) < 0.05 * max(std, 0.1)
    assert math.isclose(statistics.pstdev(weights), std, rel_tol=0.05, abs_tol=1e-12)
    if scheme == "torch":
        bound = 1 / math.sqrt(16)
        assert all(-bound <= n.b.data <= bound for n in layer.neurons)


def test_weights_and_biases_take_different_schemes():
    model = course_model()
    biases = [p.data for name, p in model.named_parameters() if name.endswith(".b")]
    assert all(abs(b) <= 1 / math.sqrt(2) for b in biases[:5])
    assert all(abs(b) <= 1 / math.sqrt(5) for b in biases[5:9])
    assert set(SCHEMES) == {"normal", "uniform", "torch", "xavier", "he", "zeros"}


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: MLP(2, [4, 1], activation="gelu"), ["activation", "'gelu'", "'tanh'"]),
        (lambda: MLP(2, [4, 1], weight_init="glorot"), ["init scheme", "'glorot'", "xavier"]),
        (lambda: MLP(2, [4, 0]), ["layer size", "0"]),
        (lambda: MLP(0, [4, 1]), ["nin", "0"]),
        (lambda: MLP(2, []), ["nouts", "[]"]),
        (lambda: MLP(2, [4, 1], seed="x"), ["seed", "str"]),
        (lambda: Neuron(2.5), ["nin", "2.5"]),
    ],
)
def test_bad_arguments_get_clear_errors(make, words):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_wrong_number_of_inputs_is_named():
    with pytest.raises(ValueError, match=r"takes 2 inputs, got 3"):
        course_model()([1.0, 2.0, 3.0])


def test_zero_grad_and_state_dict_round_trip(tmp_path):
    model = course_model()
    model([1.0, 0.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    other = course_model(seed=9)
    other.load_state_dict(model.state_dict())
    assert other.state_dict() == model.state_dict()
    model.save(tmp_path / "model.json")
    loaded = MLP.load(tmp_path / "model.json")
    assert repr(loaded) == repr(model) and loaded.state_dict() == model.state_dict()


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = course_model()
    before = model.state_dict()
    state = dict(before)
    del state["layers.0.neurons.0.b"]
    state["layers.9.neurons.0.b"] = 1.0
    state["layers.1.neurons.0.w.0"] = "abc"
    state["layers.1.neurons.0.w.1"] = float("nan")
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(state)
    assert len(info.value.problems) == 4
    for word in ("missing: 'layers.0.neurons.0.b'", "unexpected: 'layers.9", "not a number", "not finite"):
        assert word in str(info.value)
    assert model.state_dict() == before


def test_parameter_count_without_building():
    assert MLP.parameter_count(2, [5, 4, 1], "tanh") == 44
    assert Layer.parameter_count(5, 4) == 24 and Neuron.parameter_count(4) == 5
    with pytest.raises(ValueError, match="layer size"):
        MLP.parameter_count(2, [5, -1])
