"""The layout of docs/architecture.md: every module named, the core on the stdlib, none over 500 lines."""

import ast
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
PAGE = (REPOSITORY / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = REPOSITORY / "micrograd44"


def named_on_the_page(folder: Path, path: Path) -> bool:
    """The module's path below ``folder`` is on the page, or its folder and its file name are.

    A package's ``__init__.py`` is named by its folder, or by any module of the folder.
    """
    relative = path.relative_to(folder).as_posix()
    parent = path.parent.relative_to(folder).as_posix()
    if path.name == "__init__.py" and (f"`{parent}/" in PAGE or parent == "."):
        return True
    return f"`{relative}`" in PAGE or (f"`{parent}/`" in PAGE and path.name in PAGE)


def test_every_module_of_the_package_and_of_viz_is_on_the_page():
    missing = [
        path.relative_to(REPOSITORY).as_posix()
        for folder in (PACKAGE, REPOSITORY)
        for path in sorted((folder if folder is PACKAGE else REPOSITORY / "viz").rglob("*.py"))
        if not named_on_the_page(folder, path)
    ]
    assert missing == []


def test_the_core_imports_only_the_standard_library_and_itself():
    outside = []
    for path in sorted((PACKAGE / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                outside.append(f"{path.name}: {'.' * node.level}{node.module}")
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                if node.module.split(".")[0] not in sys.stdlib_module_names:
                    outside.append(f"{path.name}: {node.module}")
            elif isinstance(node, ast.Import):
                outside += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name.split(".")[0] not in sys.stdlib_module_names
                ]
    assert outside == []


def test_the_chain_rule_is_on_the_first_screen_of_the_module_that_defines_value():
    lines = (PACKAGE / "core" / "value.py").read_text(encoding="utf-8").splitlines()
    first = next(
        i for i, line in enumerate(lines, 1) if "grad[child] = " in line and "local * upstream" in line
    )
    defines_value = next(i for i, line in enumerate(lines, 1) if line.startswith("class Value"))
    assert first <= 150 and defines_value <= 150


def test_no_module_of_the_package_or_of_viz_is_over_500_lines():
    longer = {
        path.relative_to(REPOSITORY).as_posix(): count
        for folder in (PACKAGE, REPOSITORY / "viz")
        for path in sorted(folder.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert longer == {}
