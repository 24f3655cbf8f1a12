"""``streamlit run`` on a free local port, for browser tests and the benchmark."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.pgserver import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("STAMMTISCH_CHROMIUM", "/usr/bin/chromium")
# Headless Debian Chromium as root, without calls to Google's services (no network here).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def start_app(
    env_overrides: dict[str, str],
    script: str = "app.py",
    *,
    log: Path | None = None,
    timeout: float = 60,
    make_run: bool = False,
) -> tuple[subprocess.Popen, str]:
    """Start the script, wait until it is healthy; (process, base URL).

    ``make_run``: start the app as the README says, with ``make run`` (its set-up step
    included; the installation is taken as done, the test run has installed everything).
    The server's output goes to ``log`` (a temporary file when not given), never to a
    pipe nobody reads, which would block a chatty server. The server runs in its own
    process group, so that stopping it also stops what ``make`` started.
    """
    port = free_port()
    # Links in mails point to this server unless the test says otherwise (a proxy).
    env_overrides = {"STAMMTISCH_BASE_URL": f"http://127.0.0.1:{port}", **env_overrides}
    if log is None:
        handle, name = tempfile.mkstemp(prefix="streamlit-", suffix=".log")
        os.close(handle)
        log = Path(name)
    if make_run:
        command = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]
        command.append(f"PORT={port}")
        env_overrides = {"STREAMLIT_SERVER_ADDRESS": "127.0.0.1", **env_overrides}
    else:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env_overrides},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{script} exited early:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    stop_app(proc)
    raise RuntimeError(f"{script} did not become healthy in time:\n{log.read_text()[-2000:]}")


def stop_app(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=15)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the group start_app created for this server
