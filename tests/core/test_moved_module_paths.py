"""Every module path the redesign moved still imports: the module at its new home, with a warning."""

import importlib
import sys
from pathlib import Path

import pytest

from micrograd44._moved import ALSO, MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_loads_its_new_home_with_a_warning(old, monkeypatch):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        module = importlib.import_module(old)
    home = importlib.import_module(MOVED[old])
    assert module is home or (
        old in ALSO and all(getattr(module, n) is v for n, v in vars(home).items() if n[0] != "_")
    )


def test_names_the_old_training_modules_re_exported_still_import(monkeypatch):
    for old in ALSO:
        monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning):
        from micrograd44.train import (
            Column,
            Recipe,
            Snapshot,
            StopRequested,
            block_means,
            run,
            stop_on_signal,
        )
        from micrograd44.trainer import FULL_BATCH, LogFunction, Trainer, TrainingInterrupted, fit
    assert Recipe.__module__ == "micrograd44.training.course" and callable(run) and callable(fit)
    import micrograd44.training as training

    old_names = (Column, Snapshot, StopRequested, block_means, stop_on_signal, Trainer, TrainingInterrupted)
    assert old_names == tuple(getattr(training, name.__name__) for name in old_names)
    assert FULL_BATCH == -1 and LogFunction is not None


def test_no_old_path_is_still_a_file_of_the_package():
    # a file left at an old path would be imported instead of the module's new home
    root = Path(importlib.import_module("micrograd44").__file__).parent.parent
    left = [old for old in MOVED if (root / f"{old.replace('.', '/')}.py").exists()]
    assert left == [] and not any((root / old.replace(".", "/")).is_dir() for old in MOVED)
