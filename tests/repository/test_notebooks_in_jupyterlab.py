"""The committed notebooks opened as users open them: a real JupyterLab on 127.0.0.1, headless Chromium.

Each notebook is opened without running it, first untrusted (as every user first sees it:
JupyterLab sanitises its HTML outputs), then trusted (`jupyter trust`). In both modes every
picture shows as an image at most the cell's width, backprop_by_hand's steps share one
scale, the largest picture opens at full size in a box that scrolls sideways, and the
notebook shows no unsaved changes. Screenshots of each notebook in both modes land in
out/test-screenshots/jupyterlab/.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import headless_chromium
import pytest
from jupyterlab_process import JupyterLab

from viz.picture import NOTEBOOK_SCALE

pytestmark = pytest.mark.skipif(
    headless_chromium.missing() is not None, reason=str(headless_chromium.missing())
)

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
MODES = ["untrusted", "trusted"]
SCREENSHOTS = REPOSITORY / "out" / "test-screenshots" / "jupyterlab"
# the longest a notebook may take to show its outputs, in seconds (a busy 2-core machine)
OPEN_TIMEOUT = 90

# What one picture output shows: its images' natural and shown widths, the output area's width.
MEASURE = """
const output = arguments[0];
const images = Array.from(output.querySelectorAll("img")).map(function (image) {
    return {natural: image.naturalWidth, shown: image.getBoundingClientRect().width, loaded: image.complete};
});
return {images: images, area: output.getBoundingClientRect().width, text: output.innerText.slice(0, 200)};
"""


def picture_outputs(name: str) -> int:
    """How many outputs of the committed notebook are pictures (HTML holding an image)."""
    notebook = json.loads((REPOSITORY / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return sum(
        "<img " in "".join(output.get("data", {}).get("text/html", ""))
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for output in cell["outputs"]
    )


def wait_for(condition, timeout: float, what: str):
    """Poll condition() until it returns something true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def open_notebook(driver, lab: JupyterLab, path: str, shots: Path) -> dict:
    """Open a notebook in JupyterLab, look at every picture, open the widest at full size; what was seen."""
    driver.get(lab.url(f"lab/tree/{path}") + "&reset")  # reset: no workspace from an earlier page
    wait_for(
        lambda: driver.execute_script("return document.querySelectorAll('.jp-OutputArea-output img').length"),
        OPEN_TIMEOUT,
        f"{path}'s outputs",
    )
    # the kernel starts when the notebook opens; its info is what used to mark the notebook changed
    wait_for(
        lambda: [k for k in lab.api("kernels") if k["execution_state"] == "idle"],
        OPEN_TIMEOUT,
        "the kernel to be idle",
    )
    time.sleep(2)
    driver.save_screenshot(str(shots / "top.png"))
    outputs = driver.find_elements("css selector", ".jp-OutputArea-output")
    pictures = []
    for output in outputs:
        if not output.find_elements("css selector", "img"):
            continue
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", output)
        wait_for(
            lambda output=output: driver.execute_script(MEASURE, output)["images"][0]["natural"],
            10,
            "a picture to load",
        )
        output.screenshot(str(shots / f"picture-{len(pictures)}.png"))
        pictures.append(driver.execute_script(MEASURE, output))
    widest = max(range(len(pictures)), key=lambda i: pictures[i]["images"][0]["natural"])
    output = [o for o in outputs if o.find_elements("css selector", "img")][widest]
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", output)
    output.find_element("css selector", "summary").click()
    time.sleep(0.5)
    zoomed = driver.execute_script(
        """
        const box = arguments[0].querySelector("details > div");
        const image = box.querySelector("img");
        box.scrollLeft = box.scrollWidth;
        return {natural: image.naturalWidth, shown: image.getBoundingClientRect().width,
                box: box.clientWidth, scroll: box.scrollWidth, scrolled: box.scrollLeft,
                area: arguments[0].getBoundingClientRect().width};
        """,
        output,
    )
    box = output.find_element("css selector", "details > div")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", box)
    box.screenshot(str(shots / "widest-at-full-size.png"))
    dirty = driver.execute_script(
        "return Array.from(document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty')).map(t => t.innerText)"
    )
    return {"pictures": pictures, "zoomed": zoomed, "dirty": dirty}


@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    """(notebook, mode) -> what JupyterLab showed; the notebooks first untrusted, then trusted."""
    work = tmp_path_factory.mktemp("jupyterlab")
    root, home = work / "root", work / "home"
    root.mkdir()
    home.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(REPOSITORY / "notebooks" / f"{name}.ipynb", root)
    lab = JupyterLab(root, home).start()
    driver = headless_chromium.start(work / "profile", width=1600, height=1000)
    seen = {}
    try:
        for mode in MODES:
            for name in NOTEBOOKS:
                if mode == "trusted":
                    lab.trust(root / f"{name}.ipynb")
                cells = lab.api(f"contents/{name}.ipynb")["content"]["cells"]
                trusted = {cell["metadata"].get("trusted") for cell in cells if cell["cell_type"] == "code"}
                shots = SCREENSHOTS / f"{name}-{mode}"
                shutil.rmtree(shots, ignore_errors=True)
                shots.mkdir(parents=True)
                seen[name, mode] = {"trusted": trusted, **open_notebook(driver, lab, f"{name}.ipynb", shots)}
                lab.close_sessions()  # its kernel stops before the next notebook opens
    finally:
        driver.quit()
        lab.stop()
    return seen


CASES = [(name, mode) for mode in MODES for name in NOTEBOOKS]


@pytest.mark.parametrize("name, mode", CASES)
def test_the_notebook_opens_in_the_mode_asked_with_no_unsaved_changes(seen, name, mode):
    assert seen[name, mode]["trusted"] == {mode == "trusted"}
    assert seen[name, mode]["dirty"] == []


@pytest.mark.parametrize("name, mode", CASES)
def test_every_picture_shows_as_an_image_at_most_the_cells_width(seen, name, mode):
    pictures = seen[name, mode]["pictures"]
    assert len(pictures) == picture_outputs(name) > 0
    for picture in pictures:
        shown = picture["images"][0]
        assert shown["loaded"] and shown["natural"] > 0 and shown["shown"] > 100
        assert shown["shown"] <= picture["area"] + 0.5
        assert "loss (log scale)" not in picture["text"]  # no SVG shown as its text


@pytest.mark.parametrize("mode", MODES)
def test_backprop_by_hands_steps_share_one_scale(seen, mode):
    steps = seen["backprop_by_hand", mode]["pictures"][:3]  # after each of the three steps of f
    scales = [picture["images"][0]["shown"] / picture["images"][0]["natural"] for picture in steps]
    assert scales == pytest.approx([NOTEBOOK_SCALE] * 3, rel=0.01)


@pytest.mark.parametrize("name, mode", CASES)
def test_the_widest_picture_opens_at_full_size_in_a_box_that_scrolls(seen, name, mode):
    zoomed = seen[name, mode]["zoomed"]
    assert zoomed["shown"] == pytest.approx(zoomed["natural"], abs=1)
    assert zoomed["box"] <= zoomed["area"] + 0.5
    if zoomed["natural"] > zoomed["box"]:
        assert zoomed["scroll"] >= zoomed["natural"] and zoomed["scrolled"] > 0


def test_xor_44s_step_graph_is_too_wide_to_read_without_the_full_size(seen):
    # the graph of one step (thousands of pixels wide): fitted to the cell, readable only zoomed
    zoomed = seen["xor_44", "untrusted"]["zoomed"]
    assert zoomed["natural"] > 2 * zoomed["box"]
