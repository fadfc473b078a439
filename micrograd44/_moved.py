"""Old module paths that moved in the redesign: importing one gives the module at its new home.

``import micrograd44.engine`` still works and warns (DeprecationWarning) naming the new
place, ``micrograd44.core.value``. The table below is the one list of moves; nothing
else keeps a copy of an old module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

# old module path -> its new home
MOVED = {
    "micrograd44.engine": "micrograd44.core.value",
    "micrograd44.ops": "micrograd44.core.ops",
    "micrograd44.errors": "micrograd44.core.errors",
    "micrograd44.init": "micrograd44.weight_init",
    "micrograd44.train": "micrograd44.training.course",
    "micrograd44.trainer": "micrograd44.training",
    "micrograd44.session": "micrograd44.training.session",
    "micrograd44.draws": "micrograd44.training.draws",
    "micrograd44.commands": "micrograd44.cli",
    "micrograd44.commands.train": "micrograd44.cli.train",
    "micrograd44.commands.graph": "micrograd44.cli.graph",
    "micrograd44.commands.grad": "micrograd44.cli.grad",
    "micrograd44.commands.sweep": "micrograd44.cli.sweep",
    "micrograd44.commands.run_folder": "micrograd44.cli.run_folder",
    "micrograd44.expr": "micrograd44.codegen",
    "micrograd44.statements": "micrograd44.codegen",
    "micrograd44.compiled.rules": "micrograd44.codegen.arrays",
    "micrograd44.compiled.cprinter": "micrograd44.codegen.c",
    "micrograd44.compiled.codegen": "micrograd44.codegen.lowering",
    "micrograd44.compiled.tape": "micrograd44.compiled.capture",
    "micrograd44.compiled.training": "micrograd44.compiled.loop",
    "micrograd44.compiled.native": "micrograd44.compiled.c_library",
}


# old module path -> modules that now hold the rest of its public names (the old module
# re-exported them): importing the old path gives a module with the names of all of them
ALSO = {
    "micrograd44.train": ("micrograd44.training",),
    "micrograd44.trainer": ("micrograd44.training.loop", "micrograd44.training.history"),
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds each old path of MOVED and loads the module at its new path in its place."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; import it from there", DeprecationWarning, stacklevel=3)
        home = importlib.import_module(new)
        if spec.name not in ALSO:
            return home
        merged = types.ModuleType(spec.name, home.__doc__)
        for source in (*map(importlib.import_module, ALSO[spec.name]), home):  # the home's names win
            merged.__dict__.update((k, v) for k, v in vars(source).items() if not k.startswith("_"))
        return merged

    def exec_module(self, module):
        """The module at the new path is already executed."""


def install() -> None:
    """Put the finder on sys.meta_path once, first: an old path never finds another tree's stale file."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())


# Installed on first import, before the package's own modules import any old path.
install()
