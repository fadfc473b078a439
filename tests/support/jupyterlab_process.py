"""A real JupyterLab for the browser tests: on 127.0.0.1, serving a folder, with its own settings."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# the longest JupyterLab may take to answer after it starts, in seconds (a busy 2-core machine)
START_TIMEOUT = 120


class JupyterLab:
    """A JupyterLab serving ``root``; its config, data (the trust database) and runtime are in ``home``."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        # the kernel runs this Python (the kernelspec says "python"), importing this checkout
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
            ),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> JupyterLab:
        """Start the server and wait until its API answers."""
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",  # CI runs as root
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        # jupytext's server extension (mkdocs-jupyter brings it) would change how notebooks load
        config = {"ServerApp": {"jpserver_extensions": {"jupyterlab_jupytext": False}}}
        (self.home / "config").mkdir(parents=True, exist_ok=True)
        (self.home / "config" / "jupyter_server_config.json").write_text(json.dumps(config), encoding="utf-8")
        # no "get notified about Jupyter news?" prompt over the notebook (offline anyway)
        notification = (
            self.home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        )
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text(json.dumps({"fetchNews": "false"}), encoding="utf-8")
        log = open(self.home / "jupyterlab.log", "w")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(self.home / 'jupyterlab.log').read_text()[-2000:]}")
            try:
                self.api("status")
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer in {START_TIMEOUT} s")

    def stop(self) -> None:
        """Stop the server and its kernels."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def url(self, path: str) -> str:
        """The address of a page of this JupyterLab, with the token."""
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def api(self, path: str):
        """A GET on the REST API, as JSON."""
        with urllib.request.urlopen(self.url(f"api/{path}"), timeout=10) as response:
            return json.load(response)

    def close_sessions(self) -> None:
        """Close every open notebook's session, which stops its kernel."""
        for session in self.api("sessions"):
            request = urllib.request.Request(self.url(f"api/sessions/{session['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()

    def trust(self, notebook: Path) -> None:
        """Sign the notebook in this server's trust database, as `jupyter trust` does for a user."""
        subprocess.run(
            [sys.executable, "-m", "jupyter", "trust", str(notebook)],
            env=self.env,
            check=True,
            capture_output=True,
        )


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
