"""The routes that set and clear the team's login cookie, as the app's server wires them
(``ui.server.routes``): the cookie is ``Secure`` whenever the site is HTTPS, by its
configured address (a proxy may speak plain HTTP to the app) or by the request itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette

from stammtisch import organizer_sessions
from stammtisch.db import session_scope
from stammtisch.tokens import hash_token
from tests import aio
from tests import factories as f
from ui import server, session_cookie, session_routes

SECRET = "k" * 48


def _post(app, scheme: str, path: str, body: dict, cookie: str | None = None) -> tuple:
    """(status, Set-Cookie header) of one POST, driven as the server would (plain ASGI)."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    if cookie:
        headers.append((b"cookie", f"{session_cookie.COOKIE}={cookie}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443 if scheme == "https" else 80),
    }
    sent: list[dict] = []
    request = {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}

    async def receive() -> dict:
        return request

    async def send(message: dict) -> None:
        sent.append(message)

    aio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    found = [v.decode() for k, v in start["headers"] if k == b"set-cookie"]
    return start["status"], (found[0] if found else None)


def _cookie_attributes(header: str) -> dict:
    morsel = SimpleCookie(header)[session_cookie.COOKIE]
    return {
        "value": morsel.value,
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "raw": header,
    }


@pytest.mark.parametrize(
    ("configured", "served_over", "secure"),
    [
        ("https://stammtisch.example.org", "http", True),  # behind a TLS proxy
        ("http://localhost:8501", "http", False),  # a local trial: a Secure cookie would be lost
        ("http://localhost:8501", "https", True),  # HTTPS reached the app itself
    ],
)
def test_team_cookie_is_secure_exactly_when_the_site_is_https(
    engine, now, monkeypatch, configured, served_over, secure
):
    monkeypatch.setenv("STAMMTISCH_BASE_URL", configured)
    monkeypatch.setattr(server, "_engine", lambda: engine)
    monkeypatch.setattr(server, "_secret", lambda: SECRET)
    leon = f.organizer(engine, now=now, name="leon")
    with session_scope(engine) as s:
        started = organizer_sessions.start(session=s, actor=leon, now=datetime.now(UTC))
    code = started.handover_code
    app = Starlette(routes=server.routes())
    csrf = session_cookie.csrf_token(SECRET, "set", hash_token(code))
    status, header = _post(app, served_over, session_routes.SET_PATH, {"code": code, "csrf": csrf})
    assert status == 204
    cookie = _cookie_attributes(header)
    assert cookie["secure"] is secure, cookie["raw"]
    assert cookie["httponly"] and "samesite=lax" in cookie["raw"].lower()

    token = session_cookie.unsign(SECRET, cookie["value"])
    csrf = session_cookie.csrf_token(SECRET, "end", hash_token(token))
    status, header = _post(
        app, served_over, session_routes.END_PATH, {"csrf": csrf}, cookie["value"]
    )
    assert status == 204
    assert _cookie_attributes(header)["secure"] is secure  # deleted with the same flags
