"""The notebooks' first cell installs micrograd44 where it is missing: from the clone around it, or a wheel.

Each case runs the cell in a fresh virtual environment that sees this environment's
third-party packages (numpy, graphviz, matplotlib: no download) but not micrograd44, from a
copy of the repository, as a user who opens a notebook of a clone (or who set SOURCE) does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "out", "site", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)
SHOWS_IT_INSTALLED = "import micrograd44, viz; print(micrograd44.__file__)"


def install_cell(name: str) -> str:
    """The source of the notebook's first code cell."""
    notebook = json.loads((REPOSITORY / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "".join(next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")["source"])


def test_every_notebook_shares_one_install_cell():
    names = sorted(path.stem for path in (REPOSITORY / "notebooks").glob("*.ipynb"))
    assert len(names) == 3 and {install_cell(name) for name in names} == {install_cell("xor_44")}
    assert "\nSOURCE = None" in install_cell("xor_44")


@pytest.fixture
def fresh_python(tmp_path) -> tuple[Path, dict]:
    """(python, environment) of a new virtual environment without micrograd44, seeing our other packages."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # this environment's site-packages as a plain path: its packages, but not its .pth files,
    # so not an editable install of micrograd44
    (Path(site_packages) / "borrowed.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    missing = subprocess.run(
        [python, "-c", SHOWS_IT_INSTALLED], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert missing.returncode == 1 and "No module named 'micrograd44'" in missing.stderr
    return python, env


@pytest.fixture
def clone(tmp_path) -> Path:
    """A copy of the repository, as a user's clone."""
    shutil.copytree(REPOSITORY, tmp_path / "clone", ignore=NOT_SOURCE)
    return tmp_path / "clone"


def run_cell(python: Path, env: dict, cell: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the cell's code with this Python in cwd (a kernel works in its notebook's folder)."""
    return subprocess.run([python, "-c", cell], capture_output=True, text=True, cwd=cwd, env=env)


def installed_from(python: Path, env: dict, tmp_path: Path) -> Path:
    """Where micrograd44 is imported from now, outside any clone."""
    result = subprocess.run(
        [python, "-c", SHOWS_IT_INSTALLED], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def test_in_a_clone_the_cell_installs_the_clone(fresh_python, clone, tmp_path):
    python, env = fresh_python
    result = run_cell(python, env, install_cell("xor_44"), clone / "notebooks")
    assert result.returncode == 0, result.stderr
    assert installed_from(python, env, tmp_path).is_relative_to(python.parent.parent)  # in the venv
    again = run_cell(python, env, install_cell("xor_44"), clone / "notebooks")
    assert again.returncode == 0 and again.stdout == ""  # installed: the cell does nothing


def test_with_source_set_to_a_wheel_the_cell_installs_the_wheel(fresh_python, clone, tmp_path):
    python, env = fresh_python
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(clone),
        ],
        capture_output=True,
        check=True,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    elsewhere = tmp_path / "somewhere" / "notebooks"
    elsewhere.mkdir(parents=True)
    # not in a clone and SOURCE not set: one line says what to do
    lost = run_cell(python, env, install_cell("xor_44"), elsewhere)
    assert lost.returncode == 1
    assert (
        lost.stderr.strip()
        .splitlines()[-1]
        .endswith("is neither a clone of micrograd44 nor a wheel: set SOURCE")
    )
    cell = install_cell("xor_44").replace("\nSOURCE = None", f"\nSOURCE = {str(wheel)!r}")
    result = run_cell(python, env, cell, elsewhere)
    assert result.returncode == 0, result.stderr
    assert installed_from(python, env, tmp_path).is_relative_to(python.parent.parent)
