"""The Python examples of README.md and docs/*.md run as written, and the files they point to exist."""

import re
from pathlib import Path

import pytest
from markdown_blocks import python_blocks

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
PAGES = [README, *sorted((REPOSITORY / "docs").glob("*.md"))]
TEXTS = {page: page.read_text(encoding="utf-8") for page in PAGES}


def name(page: Path) -> str:
    """The page's path from the repository root."""
    return page.relative_to(REPOSITORY).as_posix()


BLOCKS = [(page, i, code) for page in PAGES for i, code in enumerate(python_blocks(TEXTS[page]))]


@pytest.mark.parametrize("page, index, code", BLOCKS, ids=[f"{name(p)}-block{i}" for p, i, _ in BLOCKS])
def test_python_block_runs(page, index, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(page), "exec"), {"__name__": "readme"})


def test_the_first_example_prints_what_the_readme_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks(TEXTS[README])[0], str(README), "exec"), {})
    assert capsys.readouterr().out.split() == ["0.3916538628347176", "0.5931914374807586"]


def relative_links(page: Path) -> list[str]:
    """The targets of the page's Markdown links and images that are files of this repository."""
    targets = re.findall(r"\]\(([^)\s]+)\)", TEXTS[page])
    return [t for t in targets if not re.match(r"[a-z]+:|#", t)]


LINKS = sorted({(page, target) for page in PAGES for target in relative_links(page)})


@pytest.mark.parametrize("page, target", LINKS, ids=[f"{name(p)}->{t}" for p, t in LINKS])
def test_linked_files_exist(page, target):
    path = (page.parent / target).resolve()
    assert path.exists(), f"{name(page)} links to {target}, which does not exist"


NAMED = sorted(
    {
        (page, path)
        for page in PAGES
        for path in re.findall(
            r"`((?:tests|examples|benchmarks|docs|notebooks|scripts)/[\w./-]+)`", TEXTS[page]
        )
    }
)


@pytest.mark.parametrize("page, path", NAMED, ids=[f"{name(p)}:{t}" for p, t in NAMED])
def test_named_files_exist(page, path):
    assert (REPOSITORY / path).exists(), f"{name(page)} names {path}, which does not exist"


def test_the_readme_is_a_front_door():
    assert len(TEXTS[README].splitlines()) <= 200
    assert "docs/" in TEXTS[README] and "make docs" in TEXTS[README]  # where the docs are


def test_no_page_repeats_the_pointer_to_the_list_of_ops():
    for page, text in TEXTS.items():
        assert "See docs/ops.md for the list of ops" not in text, name(page)


def test_the_readme_reads_well_where_its_relative_links_do_not_resolve():
    # as the package's long description (PyPI): each link's text names its target, so a dead
    # link still says where to look, and the picture's text describes it
    for bang, text, target in re.findall(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)", TEXTS[README]):
        if re.match(r"[a-z]+:|#", target):
            continue
        if bang:
            assert len(text.split()) >= 5, f"the picture {target} needs a describing text"
        else:
            assert text.strip("`") == target, f"the link to {target} reads {text!r}"
