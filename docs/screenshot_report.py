"""Make the screenshot of the training replay in docs/replay.md: docs/images/report.png.

Writes the page of the course recipe with ``micrograd44 train --report``, opens it in
headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by selenium, as
the browser tests do), moves the slider to epoch 450 and saves a screenshot. Run it from
anywhere (Graphviz's ``dot`` must be installed)::

    .venv/bin/python docs/screenshot_report.py
"""

import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Use this checkout's micrograd44 and viz, and the browser helper of its tests.
sys.path[:0] = [str(REPOSITORY), str(REPOSITORY / "tests")]

import headless_chromium  # noqa: E402

from micrograd44.cli import main as micrograd44  # noqa: E402

SCREENSHOT = REPOSITORY / "docs" / "images" / "report.png"
EPOCH_SHOWN = 450


def main() -> int:
    """Write the page, screenshot it; print the command, the page's size and the screenshot's."""
    problem = headless_chromium.missing()
    if problem:
        print(f"screenshot_report: error: {problem}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        command = ["train", "--report", str(page), "--out", str(Path(folder) / "out"), "--quiet"]
        status = micrograd44(command)
        if status != 0 or not page.exists():
            print("screenshot_report: error: the page was not written", file=sys.stderr)
            return 2
        driver = headless_chromium.start(Path(folder) / "profile", width=1500, height=980)
        try:
            driver.get(page.as_uri())
            driver.execute_script(
                "const slider = document.getElementById('snapshot');"
                "const epochs = JSON.parse(document.getElementById('replay-data').textContent)"
                "  .snapshots.map(function (s) { return s.epoch; });"
                "slider.value = epochs.lastIndexOf(arguments[0]);"
                "slider.dispatchEvent(new Event('input'));",
                EPOCH_SHOWN,
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOT))
        finally:
            driver.quit()
        print(f"page: micrograd44 train --report report.html ({page.stat().st_size / 1024:.0f} KB)")
    print(f"wrote {SCREENSHOT.relative_to(REPOSITORY)} ({SCREENSHOT.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
