"""The shipped nginx file in front of one app process: HSTS and the security headers
(once, not twice), Streamlit's metrics not reachable, the feed through the proxy."""

from __future__ import annotations

import http.client
import subprocess
import time
from pathlib import Path

import pytest

from tests.appserver import start_app, stop_app
from tests.browser.conftest import SEED_NOW
from tests.browser.test_multi_process import NGINX, _nginx_config
from tests.pgserver import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """(host, port) of nginx with deploy/nginx-stammtisch.conf in front of one app."""
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX} (make test installs it)")
    tmp = tmp_path_factory.mktemp("nginx")
    listen = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'proxied.db'}",
        "STAMMTISCH_NOW": SEED_NOW,
        "STAMMTISCH_OUTBOX_DIR": str(tmp / "outbox"),
        "STAMMTISCH_BASE_URL": f"http://127.0.0.1:{listen}",
    }
    proc, base = start_app(env, log=tmp / "server.log")
    nginx = None
    try:
        backend = base.removeprefix("http://")
        conf = _nginx_config(tmp, listen, [backend, backend])
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while _status(("127.0.0.1", listen), "/_stcore/health") != 200:
            if nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(tmp / 'error.log').read_text()}")
            time.sleep(0.2)
        yield ("127.0.0.1", listen)
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        stop_app(proc)


def _request(address, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(*address, timeout=15)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _status(address, path: str) -> int | None:
    try:
        return _request(address, path).status
    except OSError:
        return None


@pytest.mark.parametrize("path", ["/", "/team-auswertung", "/kalender.ics", "/_stcore/metrics"])
def test_headers_through_the_proxy(proxied, path):
    response = _request(proxied, path)
    assert response.status == (404 if "metrics" in path else 200)
    headers = response.headers
    assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]
    for name, value in [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
    ]:
        assert headers.get_all(name) == [value], (path, name)
    [csp] = headers.get_all("Content-Security-Policy")
    assert "frame-ancestors 'self'" in csp


def test_metrics_are_not_reachable_through_the_proxy(proxied):
    for path in ("/_stcore/metrics", "/_stcore/metrics?families=cache_memory_bytes"):
        assert _status(proxied, path) == 404
