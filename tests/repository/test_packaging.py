"""What a user downloads: the wheel and the sdist, built from a copy of the repository as a packager would.

Both carry the MIT LICENSE; the wheel holds the package, viz and nothing else; the sdist holds
the package, its metadata, the README and the LICENSE, and no tests (they need the whole
repository: docs, examples, notebooks, system tools). Also: ``import viz`` without the graphviz
Python package says which extra to install, and setup.cfg pins PyTorch once.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
# what a copy of the working tree leaves out: local environments and build output
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "out", "site", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def package_modules() -> set[str]:
    """Every module file of micrograd44 and viz, as a path from the repository root."""
    return {
        path.relative_to(REPOSITORY).as_posix()
        for folder in ("micrograd44", "viz")
        for path in (REPOSITORY / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the sdist) built by `python -m build` from a copy of the repository."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(REPOSITORY, source, ignore=NOT_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [wheel] = (work / "dist").glob("*.whl")
    [sdist] = (work / "dist").glob("*.tar.gz")
    return wheel, sdist


def wheel_files(wheel: Path) -> set[str]:
    """The paths inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def sdist_files(sdist: Path) -> set[str]:
    """The files inside the sdist, as paths from its top folder."""
    with tarfile.open(sdist) as archive:
        return {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}


def test_the_repository_has_the_mit_license_the_metadata_names():
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "setup.cfg")
    assert config["metadata"]["license"] == "MIT"
    assert (REPOSITORY / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_the_wheel_and_the_sdist_carry_the_license_text(built):
    wheel, sdist = built
    license_text = (REPOSITORY / "LICENSE").read_bytes()
    with zipfile.ZipFile(wheel) as archive:
        [path] = [name for name in archive.namelist() if name.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(path) == license_text
    with tarfile.open(sdist) as archive:
        [member] = [m for m in archive.getmembers() if m.name.endswith("/LICENSE")]
        assert archive.extractfile(member).read() == license_text


def test_the_wheel_holds_every_module_of_the_package_and_nothing_else(built):
    wheel, _ = built
    files = wheel_files(wheel)
    modules = {name for name in files if not name.split("/")[0].endswith(".dist-info")}
    assert modules == package_modules()


def test_the_sdist_holds_the_package_and_no_tests_that_it_could_not_run(built):
    _, sdist = built
    files = sdist_files(sdist)
    assert package_modules() <= files
    assert {"LICENSE", "README.md", "setup.cfg", "pyproject.toml", "PKG-INFO"} <= files
    assert not [name for name in files if name.startswith(("tests/", "examples/", "notebooks/"))]
    others = {name for name in files - package_modules() if not name.startswith("micrograd44.egg-info/")}
    assert others == {"LICENSE", "README.md", "setup.cfg", "pyproject.toml", "PKG-INFO", "MANIFEST.in"}


def test_import_viz_without_graphviz_names_the_extra_to_install(tmp_path):
    # graphviz made unimportable, as in an environment installed without the viz extra
    code = "import sys; sys.modules['graphviz'] = None; import viz"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: viz needs the graphviz Python package")
    assert last.endswith("pip install 'micrograd44[viz]'")


def test_pytorch_is_pinned_once_and_the_test_extra_takes_it_from_the_torch_extra():
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "setup.cfg")
    extras = {name: value.split() for name, value in config["options.extras_require"].items()}
    assert [extra for extra, requirements in extras.items() if any("torch==" in r for r in requirements)] == [
        "torch"
    ]
    [itself] = [r for r in extras["test"] if r.startswith("micrograd44[")]
    assert {"torch", "viz", "docs", "jupyter"} <= set(itself[len("micrograd44[") : -1].split(","))


def test_make_installs_quietly_and_can_take_pytorchs_cpu_builds():
    # what `make demo` and `make test` would run, without running it
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "test", "TORCH_INDEX=https://cpu.example/whl"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    installs = {line for line in result.stdout.splitlines() if "pip install" in line}
    assert len(installs) == 3  # pip itself, the demo's extras, the test extra
    for line in installs:  # pip's and setuptools' chatter goes to the log, shown only on a failure
        assert ">" in line and "install.log" in line
        assert "--extra-index-url https://cpu.example/whl" in line
