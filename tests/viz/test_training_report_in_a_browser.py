"""The training replay in a real browser: headless Chromium, offline, opens the page from disk and plays."""

from __future__ import annotations

import io
import shutil

import headless_chromium
import numpy as np
import pytest

import viz
from micrograd44.training.course import Recipe, run
from viz import style

pytestmark = [
    pytest.mark.skipif(headless_chromium.missing() is not None, reason=str(headless_chromium.missing())),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]

# a weight whose gradient changes a lot over training, and a bias
WEIGHT = "layers.2.neurons.0.w.1"
BIAS = "layers.1.neurons.3.b"


@pytest.fixture(scope="module")
def course():
    """The course recipe trained with a snapshot every 50 epochs."""
    return run(Recipe(), snapshot_every=50)


@pytest.fixture(scope="module")
def browser(course, tmp_path_factory):
    """Headless Chromium showing the course's replay page, opened from disk."""
    folder = tmp_path_factory.mktemp("replay")
    page = viz.training_report(course, folder / "report.html")
    driver = headless_chromium.start(folder / "profile")
    try:
        driver.get(page.as_uri())
        yield driver
    finally:
        driver.quit()


def shown(driver) -> dict:
    """What the page shows now: slider, epoch label, a weight's texts and edge, the network's markup."""
    return driver.execute_script(
        """
        const byId = function (id) { return document.getElementById(id); };
        const path = byId("network-edge:" + arguments[0]).querySelector("path");
        return {
            slider: Number(byId("snapshot").value),
            label: byId("epoch-label").textContent,
            value: byId("network-value:" + arguments[0]).textContent,
            grad: byId("network-grad:" + arguments[0]).textContent,
            tableGrad: byId("table-grad:" + arguments[1]).textContent,
            stroke: path.getAttribute("stroke"),
            width: Number(path.getAttribute("stroke-width")),
            network: byId("network-picture").innerHTML,
            prediction: byId("prediction-3").textContent,
        };
        """,
        WEIGHT,
        BIAS,
    )


def expected(course, index: int) -> dict:
    """What the page should show for a snapshot, from the History."""
    snapshot = course.snapshots[index]
    return {
        "slider": index,
        "value": style.format_number(snapshot.values[WEIGHT]),
        "grad": style.format_number(snapshot.grads[WEIGHT]),
        "tableGrad": style.format_number(snapshot.grads[BIAS]),
        "stroke": style.sign_colour(snapshot.grads[WEIGHT]),
        "prediction": style.format_number(snapshot.predictions[3]),
    }


def test_the_page_opens_at_the_first_snapshot_with_no_error_and_no_load(browser, course):
    now = shown(browser)
    assert {key: now[key] for key in expected(course, 0)} == expected(course, 0)
    assert now["label"].startswith("epoch 0 of 2001 (counted from 0), step 0,")
    assert browser.execute_script('return performance.getEntriesByType("resource").length') == 0
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_moving_the_slider_changes_the_diagram_and_the_epoch_label(browser, course):
    from selenium.webdriver.common.keys import Keys

    before = shown(browser)
    slider = browser.find_element("id", "snapshot")
    slider.send_keys(Keys.END)
    after = shown(browser)
    last = len(course.snapshots) - 1
    assert {key: after[key] for key in expected(course, last)} == expected(course, last)
    assert (
        after["label"].startswith("epoch 2000 of 2001 (counted from 0), step 8003,")
        and after["label"] != before["label"]
    )
    assert after["network"] != before["network"] and after["width"] != before["width"]
    slider.send_keys(Keys.HOME, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert shown(browser)["label"].startswith("epoch 50 of 2001 (counted from 0), step 203,")
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_play_advances_the_snapshots_and_pause_stops(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    button = browser.find_element("id", "play")
    start = shown(browser)["slider"]
    button.click()
    assert button.text == "Pause"
    WebDriverWait(browser, 30).until(lambda driver: shown(driver)["slider"] >= start + 2)
    button.click()
    assert button.text == "Play"
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_the_screenshot_is_not_blank(browser):
    from matplotlib import image

    pixels = image.imread(io.BytesIO(browser.get_screenshot_as_png()), format="png")
    colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 1000
    assert len(colours) > 100  # text, blue and vermillion edges, the loss curve


def test_script_errors_would_be_seen(browser):
    browser.execute_script("setTimeout(function () { undefinedFunction(); }, 0)")
    browser.execute_script("return new Promise(function (done) { setTimeout(done, 50); })")
    assert any("undefinedFunction" in entry["message"] for entry in browser.get_log("browser"))
