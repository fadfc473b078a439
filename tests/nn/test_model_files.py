"""Model files: plain JSON, atomic saves, and loads that change everything or nothing.

A bad state dict or model file leaves the model exactly as it was and raises a StateDictError
listing every problem; hypothesis generates the corrupt files. Saves are checked by injecting
a failure at each stage of the write.
"""

from __future__ import annotations

import builtins
import errno
import json
import math
import os
import pickle
import re
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from micrograd44 import MLP, Module, Neuron, StateDictError
from micrograd44 import files as model_files

FILE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # every example rewrites one file
)


def course_model(seed: int = 2) -> MLP:
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=seed)


def document_of(model: Module, tmp_path) -> dict:
    """The JSON document ``save`` writes for the model, read back with the standard parser."""
    path = tmp_path / "reference.json"
    model.save(path)
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path, document) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


# ---- load_state_dict and load: every problem listed, nothing changed ----

NAMES = list(course_model().state_dict())
NOT_NUMBERS = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.lists(st.floats(allow_nan=False), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
NOT_FINITE = st.sampled_from([math.inf, -math.inf, math.nan, 10**400, -(10**400)])


@st.composite
def corrupt_parameters(draw) -> tuple[dict, set[str]]:
    """The course model's parameters with missing, unexpected, non-numeric and non-finite entries.

    Returns the corrupt mapping and the problems a load must report, as "kind: name" lines.
    """
    state = dict(course_model(seed=draw(st.integers(0, 99))).state_dict())
    chosen = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=0, max_size=6))
    problems = set()
    for name in chosen:
        kind = draw(st.sampled_from(["missing", "not a number", "not finite"]))
        if kind == "missing":
            del state[name]
        else:
            state[name] = draw(NOT_NUMBERS if kind == "not a number" else NOT_FINITE)
        problems.add(f"{kind}: {name!r}")
    for name in draw(
        st.lists(st.text(alphabet="abn.01_ ", min_size=1, max_size=24), unique=True, max_size=3)
    ):
        if name not in NAMES:
            state[name] = draw(st.floats(allow_nan=False, allow_infinity=False))
            problems.add(f"unexpected: {name!r}")
    assume(problems)
    return state, problems


def problem_kinds(error: StateDictError) -> set[str]:
    """The problems of an error as "kind: name", without the offending values."""
    return {problem.split(" = ")[0] for problem in error.problems}


@FILE_SETTINGS
@given(corrupt=corrupt_parameters())
def test_load_state_dict_lists_every_problem_and_changes_nothing(corrupt):
    state, expected = corrupt
    model = course_model()
    before = model.state_dict()

    with pytest.raises(StateDictError) as caught:
        model.load_state_dict(state)

    assert model.state_dict() == before
    assert problem_kinds(caught.value) == expected
    assert len(caught.value.problems) == len(expected)
    assert f"{len(expected)} problem(s), nothing was changed" in str(caught.value)


@FILE_SETTINGS
@given(corrupt=corrupt_parameters())
def test_load_lists_the_problems_of_a_corrupt_file(tmp_path, corrupt):
    state, expected = corrupt
    path = tmp_path / "model.json"
    document = document_of(course_model(), tmp_path)
    document["parameters"] = state
    path.write_text(json.dumps(document), encoding="utf-8")  # writes NaN and Infinity as Python does

    with pytest.raises(StateDictError) as caught:
        MLP.load(path)

    assert problem_kinds(caught.value) == expected
    assert str(path) in str(caught.value)


def test_a_state_dict_of_another_architecture_changes_nothing():
    model = course_model()
    before = model.state_dict()
    other = MLP(3, [5, 2], seed=0).state_dict()

    with pytest.raises(StateDictError) as caught:
        model.load_state_dict(other)

    assert model.state_dict() == before
    missing = {f"missing: {name!r}" for name in before if name not in other}
    unexpected = {f"unexpected: {name!r}" for name in other if name not in before}
    assert problem_kinds(caught.value) == missing | unexpected
    assert missing and unexpected


def test_a_file_whose_config_and_parameters_disagree_is_refused(tmp_path):
    path = tmp_path / "model.json"
    document = document_of(course_model(), tmp_path)
    document["config"]["nouts"] = [3, 1]
    write_json(path, document)

    with pytest.raises(StateDictError) as caught:
        MLP.load(path)

    assert "unexpected: 'layers.2.neurons.0.b'" in caught.value.problems
    assert "unexpected: 'layers.0.neurons.4.w.0'" in caught.value.problems


@pytest.mark.parametrize(
    ("saved", "loader", "words"),
    [
        (Neuron(2, seed=0), MLP, "holds 'Neuron', expected MLP"),
        (course_model(), Neuron, "holds 'MLP', expected Neuron"),
    ],
)
def test_a_file_of_another_kind_of_module_is_refused(tmp_path, saved, loader, words):
    path = tmp_path / "model.json"
    saved.save(path)
    with pytest.raises(StateDictError, match=words):
        loader.load(path)


def test_module_load_builds_whichever_module_the_file_holds(tmp_path):
    for model in (course_model(), Neuron(3, activation="sigmoid", seed=1)):
        path = tmp_path / "model.json"
        model.save(path)
        loaded = Module.load(path)
        assert type(loaded) is type(model)
        assert loaded.config() == model.config() and loaded.state_dict() == model.state_dict()


# Every field of the document replaced by some other JSON value (small numbers only: a file
# asking for a layer of 10**9 neurons would take that long to build).
SMALL_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 9) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@FILE_SETTINGS
@given(field=st.sampled_from(["format", "version", "module", "config", "parameters"]), value=SMALL_JSON)
def test_any_value_in_any_field_either_loads_or_raises_state_dict_error(tmp_path, field, value):
    path = tmp_path / "model.json"
    document = document_of(course_model(), tmp_path)
    document[field] = value
    write_json(path, document)
    try:
        loaded = Module.load(path)
    except StateDictError as error:
        assert error.problems and str(path) in str(error)
    else:
        assert field == "version" or value == document_of(course_model(), tmp_path)[field]
        assert loaded.state_dict() == course_model().state_dict()


@FILE_SETTINGS
@given(data=st.data())
def test_a_truncated_file_raises_state_dict_error(tmp_path, data):
    path = tmp_path / "model.json"
    course_model().save(path)
    text = path.read_bytes()
    cut = data.draw(st.integers(0, len(text.rstrip()) - 1), label="cut")
    path.write_bytes(text[:cut])

    with pytest.raises(StateDictError) as caught:
        MLP.load(path)

    assert str(path) in str(caught.value)
    assert "not valid JSON" in str(caught.value)


@FILE_SETTINGS
@given(content=st.binary(max_size=64) | st.text(max_size=64).map(lambda s: s.encode("utf-8")))
def test_arbitrary_bytes_raise_state_dict_error(tmp_path, content):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(StateDictError):
        Module.load(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000, "not readable as JSON (nested too deeply)"),
        (b'{"format": ' + b"1" * 5000 + b"}", "not readable as JSON (Exceeds the limit"),
        (b'{"format": "micrograd44.module", "module": ["MLP"]}', "holds ['MLP']"),
        (b"1e999", "not a micrograd44 model file"),
    ],
    ids=["empty", "not UTF-8", "nested too deeply", "number too long", "unhashable module", "a number"],
)
def test_files_that_broke_the_parser_raise_state_dict_error(tmp_path, content, words):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(StateDictError, match=re.escape(words)):
        MLP.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "absent.json")


# ---- plain JSON: nothing unpickled or evaluated ----


def test_a_saved_file_is_strict_json_of_names_and_numbers(tmp_path):
    path = tmp_path / "model.json"
    model = course_model()
    model.save(path)

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    document = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    assert document == {
        "format": "micrograd44.module",
        "version": 1,
        "module": "MLP",
        "config": model.config(),
        "parameters": model.state_dict(),
    }
    assert all(type(v) is float for v in document["parameters"].values())


def test_load_never_unpickles_or_evaluates(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    course_model().save(path)

    def forbidden(*args, **kwargs):
        raise AssertionError("load must not unpickle or evaluate anything")

    for module, name in [(pickle, "load"), (pickle, "loads"), (builtins, "eval"), (builtins, "exec")]:
        monkeypatch.setattr(module, name, forbidden)
    assert MLP.load(path).state_dict() == course_model().state_dict()

    path.write_bytes(pickle.dumps(document_of(course_model(), tmp_path), protocol=0))
    with pytest.raises(StateDictError):
        MLP.load(path)

    document = document_of(course_model(), tmp_path)
    document["config"]["activation"] = "__import__('os').system('false')"
    write_json(path, document)
    with pytest.raises(StateDictError, match="unknown activation"):
        MLP.load(path)


# ---- save: atomic, whatever fails while writing ----


class FailingHalfway:
    """A file handle that writes the first half of the text, then raises ``error``."""

    def __init__(self, handle, error: BaseException):
        self.handle = handle
        self.error = error

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.handle.close()

    def write(self, text):
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        raise self.error


def fail_halfway_through_the_write(monkeypatch, error):
    real_fdopen = os.fdopen
    monkeypatch.setattr(model_files.os, "fdopen", lambda *a, **k: FailingHalfway(real_fdopen(*a, **k), error))


def fail_at(name):
    def inject(monkeypatch, error):
        def failing(*args, **kwargs):
            raise error

        monkeypatch.setattr(model_files.os, name, failing)

    return inject


INJECTIONS = {
    "halfway through the write": fail_halfway_through_the_write,
    "at fsync": fail_at("fsync"),
    "at the rename": fail_at("replace"),
}


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
    ids=["disk full", "Ctrl-C"],
)
@pytest.mark.parametrize("stage", INJECTIONS)
def test_a_failed_save_leaves_the_previous_file_intact_and_no_temporary_file(
    tmp_path, monkeypatch, stage, error
):
    path = tmp_path / "model.json"
    course_model(seed=1).save(path)
    previous = path.read_bytes()

    INJECTIONS[stage](monkeypatch, error)
    with pytest.raises(type(error)):
        course_model(seed=2).save(path)
    monkeypatch.undo()

    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.json"]
    assert MLP.load(path).state_dict() == course_model(seed=1).state_dict()


def test_a_model_with_a_non_finite_parameter_is_not_saved(tmp_path):
    path = tmp_path / "model.json"
    model = course_model()
    model.save(path)
    previous = path.read_bytes()
    model.parameters()[3].data = math.nan

    with pytest.raises(
        ValueError, match=r"non-finite parameters cannot be saved: 'layers\.0\.neurons\.1\.w\.0' = nan"
    ):
        model.save(path)

    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_replaces_the_file_and_round_trips(tmp_path):
    path = tmp_path / "model.json"
    course_model(seed=1).save(path)
    course_model(seed=2).save(path)
    assert MLP.load(path).state_dict() == course_model(seed=2).state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_saved_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "model.json"
        course_model().save(path)
        assert os.stat(path).st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_a_file_of_another_version_is_refused(tmp_path):
    path = tmp_path / "model.json"
    document = document_of(course_model(), tmp_path)
    document["version"] = 2
    write_json(path, document)
    with pytest.raises(StateDictError, match=r"file version 2, this micrograd44 reads version 1"):
        MLP.load(path)


def test_a_config_far_larger_than_its_parameters_is_refused_before_building(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    document = document_of(course_model(), tmp_path)
    document["config"]["nouts"] = [10**9, 1]
    write_json(path, document)
    monkeypatch.setattr(MLP, "__init__", lambda *a, **k: pytest.fail("built the architecture"))
    with pytest.raises(StateDictError, match=r"makes 4000000001 parameters \(the file holds 44\), more than"):
        MLP.load(path)


def test_saving_over_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.json"
    course_model().save(path)
    os.chmod(path, 0o600)
    course_model(seed=3).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
