"""Debian's Chromium, headless and offline, driven by selenium through the system chromedriver."""

from __future__ import annotations

import shutil
from pathlib import Path

# Headless, no sandbox (containers), no GPU, and none of the background traffic Chromium
# starts on its own; the proxy and resolver rules leave it no way to reach the network beyond
# this machine's own 127.0.0.1, where a test serves a page (a JupyterLab, the docs site).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--hide-scrollbars",
)


def missing() -> str | None:
    """Why the browser cannot run here (what to install), or None when it can."""
    absent = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if absent:
        return f"{' and '.join(absent)} not on PATH (Debian: apt-get install chromium chromium-driver)"
    return None


def start(profile: Path, *, width: int = 1600, height: int = 1000):
    """A selenium Chrome driver for headless Chromium with a fresh profile folder and browser logging on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
