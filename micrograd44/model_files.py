"""Model files: a module's architecture and parameters as JSON, checked before anything is built.

``Module.save`` and ``Module.load`` read and write them; ``Module.load_state_dict`` checks a
state with the same rules. Nothing is unpickled or evaluated; a file is refused before it is
read when it is too large or not a regular file, and before anything is built when its
config asks for too many parameters.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import os
from collections.abc import Mapping

from .core.errors import StateDictError
from .files import read_json, write_text_atomic

FILE_FORMAT = "micrograd44.module"

# The largest model file Module.load reads (16 MiB), checked before reading: room for about
# 300,000 parameters (a saved parameter takes about 52 bytes), far above any model this
# project trains (the course's has 44).
MAX_FILE_BYTES = 16 * 2**20

# The most parameters a model file's config may ask for, checked before building it
# (building 100,000 scalar parameters takes about half a second).
MAX_PARAMETERS = 100_000

# How many problems an error message lists before "and N more".
_LISTED_PROBLEMS = 10


def _shown(key: str, limit: int = 80) -> str:
    """A key as repr() shows it (control and bidi characters escaped), cut to ``limit`` characters."""
    text = repr(key)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parameter_count(kind: type, config, path) -> int:
    """How many parameters the file's config makes, without building it; StateDictError if it cannot."""
    if not isinstance(config, Mapping):
        raise StateDictError(f"{path}: bad config {config!r:.200}: not a mapping", ["bad config"])
    accepted = inspect.signature(kind.parameter_count).parameters
    unknown = [_shown(key) for key in config if key not in accepted]
    if unknown:
        raise StateDictError(f"{path}: bad config: unknown keys {_listing(unknown)}", ["bad config"])
    try:
        return kind.parameter_count(**config)
    except (TypeError, ValueError) as error:
        raise StateDictError(
            f"{path}: bad config {config!r:.200}: {str(error):.200}", ["bad config"]
        ) from None


def _listing(items: list[str]) -> str:
    """The first _LISTED_PROBLEMS items joined by '; ', then 'and N more' for the rest."""
    shown = "; ".join(items[:_LISTED_PROBLEMS])
    rest = len(items) - _LISTED_PROBLEMS
    return f"{shown}; and {rest} more" if rest > 0 else shown


def _fits_a_finite_float(value: numbers.Real) -> bool:
    """True if float(value) is finite: not nan, not infinite, not an int beyond the float range."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large to convert, as JSON's 1000-digit integers are
        return False


def check_state(params: Mapping, state) -> None:
    """StateDictError listing every missing, unexpected, non-numeric or non-finite entry of state."""
    if not isinstance(state, Mapping):
        raise StateDictError(
            f"load_state_dict: expected a mapping of names to numbers, got {type(state).__name__}",
            [f"not a mapping: {type(state).__name__}"],
        )
    problems = [f"missing: {name!r}" for name in params if name not in state]
    problems += [f"unexpected: {_shown(name)}" for name in state if name not in params]
    for name, value in state.items():
        if name not in params:
            continue
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            problems.append(f"not a number: {name!r} = {value!r:.40}")
        elif not _fits_a_finite_float(value):
            problems.append(f"not finite: {name!r} = {value!r:.40}")
    if problems:
        raise StateDictError(
            f"load_state_dict: {len(problems)} problem(s), nothing was changed: {_listing(problems)}",
            problems,
        )


def write(path: str | os.PathLike, module: str, config: dict, state: dict[str, float]) -> None:
    """Write a model file atomically; ValueError naming any parameter that is not finite."""
    bad = [f"{name!r} = {value!r}" for name, value in state.items() if not math.isfinite(value)]
    if bad:
        raise ValueError(f"save: {path}: non-finite parameters cannot be saved: {_listing(bad)}")
    document = {"format": FILE_FORMAT, "version": 1, "module": module, "config": config, "parameters": state}
    write_text_atomic(path, json.dumps(document, indent=1) + "\n")


def read(path: str | os.PathLike, kinds: dict[str, type], expected: type | None):
    """The module a model file holds, built from ``kinds`` by name (of class ``expected`` if given)."""
    try:
        document = read_json(path, MAX_FILE_BYTES)
    except ValueError as error:
        raise StateDictError(str(error), ["not JSON"]) from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise StateDictError(f"{path}: not a micrograd44 model file", ["wrong format"])
    module_name = document.get("module")
    kind = kinds.get(module_name) if isinstance(module_name, str) else None
    if kind is None or (expected is not None and kind is not expected):
        wanted = expected.__name__ if expected is not None else " or ".join(kinds)
        raise StateDictError(f"{path}: holds {module_name!r:.60}, expected {wanted}", ["wrong module"])
    if document.get("version") != 1:
        raise StateDictError(
            f"{path}: file version {document.get('version')!r:.20}, this micrograd44 reads version 1",
            ["unsupported version"],
        )
    config, parameters = document.get("config"), document.get("parameters")
    count = _parameter_count(kind, config, path)
    if not isinstance(parameters, Mapping):
        raise StateDictError(f"{path}: no parameters in the file", ["no parameters"])
    if count > MAX_PARAMETERS:
        raise StateDictError(
            f"{path}: the config makes {count} parameters (the file holds {len(parameters)}), "
            f"more than the {MAX_PARAMETERS:,} a model file may have",
            ["parameter count"],
        )
    module = kind(**config, seed=0)
    try:
        module.load_state_dict(parameters)
    except StateDictError as error:
        raise StateDictError(f"{path}: {error}", error.problems) from None
    return module
