"""Every module path the redesign moved still imports: the module at its new home, with a warning."""

import importlib
import sys
from pathlib import Path

import pytest

from micrograd44._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_loads_its_new_home_with_a_warning(old, monkeypatch):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])


def test_no_old_path_is_still_a_file_of_the_package():
    # a file left at an old path would be imported instead of the module's new home
    root = Path(importlib.import_module("micrograd44").__file__).parent.parent
    left = [old for old in MOVED if (root / f"{old.replace('.', '/')}.py").exists()]
    assert left == [] and not any((root / old.replace(".", "/")).is_dir() for old in MOVED)
