"""The op table's vocabularies (floats, IEEE floats, Values) give the conditions and choices they name.

The table's rules read conditions through a vocabulary ``m`` (``m.gt``, ``m.where``,
``m.and_``, ...). Each vocabulary must compute the same truth values, including the
entries no rule reads yet, so that a rule written with them later means one thing.
"""

import itertools
import operator

import pytest

from micrograd44.core.ops import FLOATS, VOCABULARY
from micrograd44.core.slopes import IEEE_FLOATS
from micrograd44.core.value import VALUES, Value

VOCABULARIES = {"floats": FLOATS, "ieee floats": IEEE_FLOATS, "values": VALUES}
NUMBERS = [-2.5, -0.0, 0.0, 1.0, 3.0]
CONDITIONS = {"gt": operator.gt, "ge": operator.ge, "eq": operator.eq, "ne": operator.ne}


def test_every_vocabulary_has_every_name():
    for vocabulary in VOCABULARIES.values():
        assert set(VOCABULARY) <= set(vars(vocabulary))


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=VOCABULARIES)
@pytest.mark.parametrize("name", ["and_", "or_"])
def test_and_and_or_follow_their_truth_tables(vocabulary, name):
    expected = {"and_": lambda a, b: a and b, "or_": lambda a, b: a or b}[name]
    for a, b in itertools.product([False, True], repeat=2):
        assert bool(getattr(vocabulary, name)(a, b)) is expected(a, b), (a, b)


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=VOCABULARIES)
@pytest.mark.parametrize("name", CONDITIONS)
def test_comparisons_compare_the_numbers(vocabulary, name):
    wrap = (lambda x: Value(x)) if vocabulary is VALUES else float
    for a, b in itertools.product(NUMBERS, repeat=2):
        assert bool(getattr(vocabulary, name)(wrap(a), b)) is CONDITIONS[name](a, b), (a, b)


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=VOCABULARIES)
def test_where_picks_by_its_condition(vocabulary):
    assert vocabulary.where(True, 1.0, 2.0) == 1.0
    assert vocabulary.where(False, 1.0, 2.0) == 2.0


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=VOCABULARIES)
def test_sign_and_floor_read_the_number(vocabulary):
    wrap = (lambda x: Value(x)) if vocabulary is VALUES else float
    assert [float(vocabulary.sign(wrap(x))) for x in (-2.5, 0.0, 3.0)] == [-1.0, 0.0, 1.0]
    assert [vocabulary.floor(wrap(x)) for x in (-2.5, 0.0, 3.7)] == [-3, 0, 3]
