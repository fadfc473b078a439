"""The docs site: `mkdocs build --strict` (warnings are errors), served on 127.0.0.1, read in Chromium.

Every page loads without a console error, every link within the site leads to a page (and
an anchor) that exists, every picture loads, the search finds `backward`, and the API
reference has an entry for every public name of every module it lists.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import headless_chromium
import pytest

pytestmark = pytest.mark.skipif(
    headless_chromium.missing() is not None, reason=str(headless_chromium.missing())
)

REPOSITORY = Path(__file__).resolve().parents[2]
SITE_HOOKS = importlib.util.spec_from_file_location("site_hooks", REPOSITORY / "docs" / "site_hooks.py")
# what the browser collects on a page: its links within the site, its pictures, its anchors
READ_PAGE = """
const links = Array.from(document.querySelectorAll("a[href]")).map(a => a.href)
    .filter(href => href.startsWith(location.origin));
const images = Array.from(document.querySelectorAll("img")).map(function (image) {
    return {src: image.src.slice(0, 120), loaded: image.complete && image.naturalWidth > 0};
});
const ids = Array.from(document.querySelectorAll("[id]")).map(element => element.id);
return {title: document.title, links: links, images: images, ids: ids,
        text: document.body.innerText.length};
"""


def hooks():
    """docs/site_hooks.py, the site's MkDocs hooks, as a module."""
    module = importlib.util.module_from_spec(SITE_HOOKS)
    SITE_HOOKS.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built as `make docs` builds it, in a temporary folder."""
    folder = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


@pytest.fixture(scope="module")
def served(site):
    """The site's address on a local HTTP server (Python's http.server) on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(address, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)


def pages(site: Path) -> list[str]:
    """Every page of the site, as a path from its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")


@pytest.fixture(scope="module")
def browsed(site, served, tmp_path_factory) -> dict:
    """page -> what headless Chromium saw on it, and the console's errors."""
    driver = headless_chromium.start(tmp_path_factory.mktemp("profile"), width=1400, height=900)
    seen = {}
    try:
        for page in pages(site):
            driver.get(served + page)
            for _ in range(100):
                if driver.execute_script("return document.readyState") == "complete":
                    break
                time.sleep(0.1)
            time.sleep(0.3)  # the theme's scripts run after the load event
            seen[page] = driver.execute_script(READ_PAGE)
            seen[page]["errors"] = [
                entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            ]
        driver.get(served + "index.html")
        seen["search"] = search(driver, "backward")
    finally:
        driver.quit()
    return seen


def search(driver, word: str) -> list[str]:
    """The links of the search's results for a word, typed into the search box as a user does."""
    driver.find_element("css selector", "form.md-search__form").click()  # the header's search box
    driver.find_element("css selector", "input.md-search__input").send_keys(word)
    # The theme redraws the result list as the index answers, so the links are read in one
    # script call (no element handle can go stale) and taken once two reads agree.
    read = "return [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)"
    previous = None
    for _ in range(100):
        links = driver.execute_script(read)
        if links and links == previous:
            return links
        previous = links
        time.sleep(0.1)
    return previous or []


def test_the_site_has_the_pages_of_docs_the_notebooks_and_the_reference(site):
    built = set(pages(site))
    documents = {f"{p.stem}.html" for p in (REPOSITORY / "docs").glob("*.md")}
    notebooks = {f"notebooks/{p.stem}.html" for p in (REPOSITORY / "notebooks").glob("*.ipynb")}
    assert built == documents | notebooks | {"index.html", "reference.html"}


def test_every_page_loads_without_a_console_error(site, browsed):
    for page in pages(site):
        assert browsed[page]["text"] > 200, f"{page} is (nearly) empty"
        assert browsed[page]["errors"] == [], f"{page}: {browsed[page]['errors']}"


def test_every_link_within_the_site_leads_to_a_page_and_anchor_that_exist(site, browsed):
    for page in pages(site):
        for link in browsed[page]["links"]:
            parts = urllib.parse.urlsplit(link)
            path = urllib.parse.unquote(parts.path).lstrip("/") or "index.html"
            target = site / path
            if path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page} links to {link}, which is not in the site"
            if parts.fragment and target.suffix == ".html":
                fragment = urllib.parse.unquote(parts.fragment)
                assert fragment in browsed[target.relative_to(site).as_posix()]["ids"], (
                    f"{page} links to {link}: no such anchor"
                )


def test_every_picture_loads(site, browsed):
    pictures = 0
    for page in pages(site):
        for image in browsed[page]["images"]:
            assert image["loaded"], f"{page}: the picture {image['src']} did not load"
            pictures += 1
    assert pictures >= 10  # the pages' pictures and the notebooks' outputs


def test_the_search_finds_backward(browsed):
    results = browsed["search"]
    assert results, "the search found nothing for 'backward'"
    assert any("reference.html" in link or "api.html" in link for link in results)


def public_entries() -> list[str]:
    """Every public name the reference promises: each listed module's public classes and functions."""
    site_hooks = hooks()
    names = []
    for module_name in site_hooks.REFERENCE:
        module = importlib.import_module(module_name)
        for name in site_hooks.public_names(module):
            obj = getattr(module, name)
            if not inspect.ismodule(obj):
                names.append(f"{module_name}.{name}")
    return names


def test_the_reference_has_an_entry_for_every_public_name(site):
    page = (site / "reference.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    for public in public_entries():
        assert public in text, f"the API reference has no entry for {public}"
    for shown in ["micrograd44.Value", "micrograd44.nn.MLP", "micrograd44.optim.SGD", "viz.draw_graph"]:
        assert shown in public_entries()
