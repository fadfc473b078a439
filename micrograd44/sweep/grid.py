"""A grid of recipes: for each Recipe field, the values to try; the runs are every combination.

Values are written the same way on the command line, in a grid file and in the results
CSV, one text form per kind of field: integers (``3``, or ``0:1000`` for a range),
floats (``0.02``), names (``l1``; ``none`` where the field accepts None) and hidden layer
sizes (``5-4``; ``none`` for no hidden layer). Several values are separated by commas:
``--lr 0.002,0.02,0.2``, ``--seed 0:10,20:30``, ``--hidden 5-4,8``.

Every value is checked by building a Recipe with it, so the rules live in one place
(``micrograd44.training.course.Recipe``) and a bad grid fails before any run starts. A grid has at
most MAX_RUNS runs, counted before any list of values is built: ``--seeds 0:1000000000``
is one line, not a list of a billion numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..files import read_bounded
from ..training.course import Recipe, RecipeError

# The one departure of a sweep from Recipe's defaults: the compiled engine gives the same
# results bit for bit and trains about ten times faster.
SWEEP_DEFAULTS = {"engine": "compiled"}

# The most runs a grid may have. A sweep holds every run's Recipe and result in memory (about
# 1 kB a run), and 100,000 runs of the course recipe are hours of a cluster's time.
MAX_RUNS = 100_000

# A grid file is a short table; anything larger is refused before it is read.
GRID_MAX_BYTES = 1024 * 1024

_DEFAULT = Recipe()
_FIELDS = {field.name: field for field in dataclasses.fields(Recipe)}


class GridError(ValueError):
    """A grid that cannot be run: an unknown field, no values, or a value Recipe rejects.

    Attributes:
        field: the Recipe field concerned (or the file, for a file that cannot be read).
        problem: what is wrong with it, one line.
        source: where the grid came from (a file name), or None.
    """

    def __init__(self, field: str, problem: str, source: str | None = None):
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {problem}")
        self.field = field
        self.problem = problem
        self.source = source


def field_names() -> list[str]:
    """The Recipe fields a grid can vary, in Recipe's order."""
    return list(_FIELDS)


# what a value of each kind of field looks like, for errors
_KIND_WORDS = {tuple: "layer sizes such as 5-4", int: "an integer", float: "a number", str: "a name"}

# the Python types a grid file's value of each kind may have (one value, not a list of them)
_SCALARS = (str, int, float, bool, type(None))


def _short(value) -> str:
    """A value's repr, cut to 60 characters for a one-line message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(name: str) -> type:
    """The kind of a field's values (int, float, str or tuple), from Recipe's default value."""
    return type(getattr(_DEFAULT, name))


def _accepts_none(name: str) -> bool:
    """True for a field whose annotation allows None (``activation``)."""
    return "None" in str(_FIELDS[name].type)


def format_value(name: str, value) -> str:
    """The text form of one value of the field: ``0.02``, ``5-4``, ``none``..."""
    if value is None:
        return "none"
    if _kind(name) is tuple:
        return "-".join(str(size) for size in value) or "none"
    if _kind(name) is float:
        return repr(float(value))
    return str(value)


def parse_value(name: str, text: str):
    """One value of the field from its text form; GridError when it is not of the field's kind."""
    text = text.strip()
    kind = _kind(name)
    if text == "none" and (kind is tuple or _accepts_none(name)):
        return () if kind is tuple else None
    try:
        if kind is tuple:
            return tuple(int(size) for size in text.split("-"))
        if kind in (int, float):
            return kind(text)
    except ValueError:
        raise GridError(name, f"{_short(text)} is not {_KIND_WORDS[kind]}") from None
    if kind is str:
        return text
    raise GridError(name, f"fields of type {kind.__name__} cannot be swept yet")


def _parse_text(name: str, text: str) -> list:
    """The parts of a comma-separated text: values, and (unlisted) ranges START:STOP for an integer field."""
    parts = []
    for part in text.split(","):
        if _kind(name) is int and ":" in part:
            start, _, stop = part.partition(":")
            bounds = [parse_value(name, start), parse_value(name, stop)]
            if bounds[0] >= bounds[1]:
                raise GridError(
                    name, f"the range {part.strip()} is empty (START:STOP runs START to STOP - 1)"
                )
            parts.append(range(*bounds))
        else:
            parts.append(parse_value(name, part))
    return parts


def _native(name: str, item) -> list:
    """The parts of one value: text in the command line's form, or a Python or JSON/TOML object."""
    if isinstance(item, str):
        return _parse_text(name, item)
    kind = _kind(name)
    if kind is tuple and isinstance(item, (list, tuple)):
        if not all(isinstance(size, int) and not isinstance(size, bool) for size in item):
            raise GridError(name, f"layer sizes must be integers, e.g. [5, 4], got {_short(item)}")
        return [tuple(item)]
    if not isinstance(item, _SCALARS):
        raise GridError(name, f"{_short(item)} is not {_KIND_WORDS.get(kind, 'a value of this field')}")
    if kind is float and isinstance(item, int) and not isinstance(item, bool):
        return [float(item)]
    return [item]


def _parts(name: str, given) -> list:
    """The parts (values and ranges) of one field, from text, a range, a list of values or a single value."""
    if isinstance(given, range):
        return [given]
    if isinstance(given, (list, tuple)):
        if _kind(name) is tuple and not all(isinstance(item, (list, tuple, str)) for item in given):
            raise GridError(
                name, f"give each choice of layer sizes as a list, e.g. [[5, 4], [8]], got {_short(given)}"
            )
        return [part for item in given for part in _native(name, item)]
    return _native(name, given)


def _count(values: range) -> int:
    """How many values a range holds, however large (len() stops at sys.maxsize)."""
    return max(0, -(-(values.stop - values.start) // values.step))


def _values(name: str, given) -> tuple:
    """Every value of one field, counted before it is listed (at most MAX_RUNS) and checked by Recipe."""
    parts = _parts(name, given)
    count = sum(_count(part) if isinstance(part, range) else 1 for part in parts)
    if count == 0:
        raise GridError(name, "has no values")
    if count > MAX_RUNS:
        raise GridError(name, f"has {count:,} values, more than the {MAX_RUNS:,} runs a sweep may have")
    values = [value for part in parts for value in (part if isinstance(part, range) else [part])]
    seen = set()
    for value in values:
        if value in seen:
            raise GridError(name, f"{format_value(name, value)} is given twice")
        seen.add(value)
    integers = [value for value in values if type(value) is int]
    # Recipe's rule for an integer field is a bound (epochs >= 0...): its smallest and largest
    # values stand for all the integers between; any other value is checked on its own.
    for value in [min(integers), max(integers)] if integers else []:
        _check(name, value)
    for value in values:
        if type(value) is not int:
            _check(name, value)
    return tuple(values)


def _check(name: str, value) -> None:
    """Recipe's own check of one value; GridError naming the field when it fails."""
    try:
        Recipe(**{name: value})
    except RecipeError as error:
        raise GridError(error.field, error.rule + f", got {format_value(name, value)}") from None


class Grid:
    """The values of every Recipe field; its runs are all their combinations.

    Fields not given keep Recipe's default, except ``engine``, "compiled" unless given
    (the same results as "eager", bit for bit, about ten times faster). The runs come in
    a fixed order: the first field given varies slowest, the last fastest.

    Args:
        fields: {field name: values}. Values may be text in the command line's form
            (``"0:1000"``, ``"l1,mse"``, ``"5-4,8"``), a range, a list of values (a list of
            lists for ``hidden``) or one value.
        source: where the fields came from (a file name), named in errors.

    Raises:
        GridError: a ValueError naming the field: unknown, without values, a value given
            twice, a value Recipe rejects (its RecipeError's rule), or one that makes the
            grid more than MAX_RUNS runs (counted before any list of values is built).

    Example:
        >>> grid = Grid({"seed": "0:3", "loss": ["l1", "mse"]})
        >>> len(grid), grid.swept
        (6, ['seed', 'loss'])
        >>> [(r.seed, r.loss) for r in grid.recipes()][:3]
        [(0, 'l1'), (0, 'mse'), (1, 'l1')]
    """

    def __init__(self, fields: Mapping, *, source: str | None = None):
        self.values: dict[str, tuple] = {}
        try:
            runs = 1
            for name, given in fields.items():
                if name not in _FIELDS:
                    raise GridError(str(name), _unknown_field(str(name)))
                self.values[name] = _values(name, given)
                runs *= len(self.values[name])
                if runs > MAX_RUNS:
                    raise GridError(
                        name, f"makes the grid {runs:,} runs, more than the {MAX_RUNS:,} a sweep may have"
                    )
        except GridError as error:
            raise GridError(error.field, error.problem, source) from None
        for name in _FIELDS:
            if name not in self.values:
                self.values[name] = (SWEEP_DEFAULTS.get(name, getattr(_DEFAULT, name)),)
        self._members = {name: frozenset(values) for name, values in self.values.items()}

    @property
    def swept(self) -> list[str]:
        """The fields with more than one value, in the grid's order."""
        return [name for name, values in self.values.items() if len(values) > 1]

    def __len__(self) -> int:
        return math.prod(len(values) for values in self.values.values())

    def __contains__(self, recipe) -> bool:
        """True for a Recipe that is one of the grid's runs: each field has one of the grid's values."""
        if not isinstance(recipe, Recipe):
            return False
        return all(getattr(recipe, name) in members for name, members in self._members.items())

    def recipes(self) -> Iterator[Recipe]:
        """Every run's Recipe, the first field varying slowest."""
        names = list(self.values)
        for combination in itertools.product(*self.values.values()):
            yield Recipe(**dict(zip(names, combination)))

    def to_json(self) -> dict:
        """The grid as JSON-ready data: a list of values per field, ``"START:STOP"`` for a run of integers."""
        return {name: _json_values(name, values) for name, values in self.values.items()}

    def __eq__(self, other) -> bool:
        return isinstance(other, Grid) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        swept = ", ".join(f"{name}={_json_values(name, self.values[name])}" for name in self.swept)
        return f"Grid({len(self)} runs: {swept or 'one recipe'})"

    @classmethod
    def load(cls, path: str | Path) -> Grid:
        """A grid from a TOML (``.toml``) or JSON file of {field: values} (see ``read_fields``)."""
        return cls(read_fields(path), source=str(path))


def read_fields(path: str | Path) -> dict:
    """The {field: values} table of a TOML (``.toml``) or JSON grid file, not yet checked.

    The file must be a regular file of at most GRID_MAX_BYTES of UTF-8 text (a FIFO or a
    device is refused without reading or blocking).

    Raises:
        GridError: the file cannot be read or parsed, or does not hold a table.
    """
    path = Path(path)
    try:
        data = read_bounded(path, GRID_MAX_BYTES)
    except ValueError:
        raise GridError(
            str(path), f"larger than {GRID_MAX_BYTES:,} bytes, too large for a grid file"
        ) from None
    except OSError as error:  # read_bounded's own refusals (a FIFO, a device) have no strerror
        why = f"cannot read it ({error.strerror})" if error.strerror else str(error)
        raise GridError(str(path), why.removeprefix(f"cannot read {str(path)!r}: ")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GridError(str(path), f"is not UTF-8 text (byte {error.start})") from None
    language = "TOML" if path.suffix == ".toml" else "JSON"
    try:
        if language == "TOML":
            import tomllib  # Python 3.11+

            fields = tomllib.loads(text)
        else:
            fields = json.loads(text)
    except ImportError:
        raise GridError(str(path), "TOML grids need Python 3.11 or later; write it as JSON") from None
    except RecursionError:
        raise GridError(str(path), f"is not readable as {language} (nested too deeply)") from None
    except ValueError as error:
        raise GridError(str(path), f"is not valid {language} ({error})") from None
    if not isinstance(fields, dict):
        raise GridError(str(path), "must hold a table of {field: values}")
    return fields


def _json_values(name: str, values: tuple):
    """A field's values for JSON: ``"START:STOP"`` for consecutive integers, else a list."""
    consecutive = _kind(name) is int and len(values) > 1 and values == tuple(range(values[0], values[-1] + 1))
    if consecutive:
        return f"{values[0]}:{values[-1] + 1}"
    return [list(value) if isinstance(value, tuple) else value for value in values]


def _unknown_field(name: str) -> str:
    """Why a name is not a field, with the closest field names."""
    close = difflib.get_close_matches(name, _FIELDS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"is not a Recipe field ({hint}the fields are {', '.join(_FIELDS)})"
