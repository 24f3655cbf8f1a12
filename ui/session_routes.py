"""The server's routes that set and clear the team's login cookie.

A page runs inside Streamlit's WebSocket and cannot set a cookie; these plain HTTP routes
of the app's own server can. They change state, so they answer POST only (GET gets 405)
and each needs a CSRF token bound to the server-side session (``ui/session_cookie.py``);
a request a browser marks as cross-site is refused as well.

* ``POST /team/sitzung`` ``{"code", "csrf"}``: redeems the one-time handover code of a
  fresh login and sets the cookie with the session's new random id.
* ``POST /team/sitzung/ende`` ``{"csrf"}``: ends the cookie's session (if it still runs)
  and deletes the cookie.
* ``GET /team/sitzung.js``: the small script a page embeds to make one of these calls
  (a file of this origin, so the Content-Security-Policy needs no inline script).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stammtisch import organizer_sessions
from stammtisch.db import session_scope
from stammtisch.tokens import hash_token
from ui import session_cookie

log = logging.getLogger("stammtisch.server")

SET_PATH = "/team/sitzung"
END_PATH = "/team/sitzung/ende"
SCRIPT_PATH = "/team/sitzung.js"
SCRIPT = (Path(__file__).parent / "session.js").read_bytes()
MAX_BODY = 2_000


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.split(":", 1)[0]


def _same_origin(request: Request) -> bool:
    """False for what a browser marks as coming from another site (Fetch Metadata, else
    the Origin header); requests without either (scripts, curl) still need the token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = _host_name(request.headers.get("host", ""))
    return origin != "null" and _host_name(origin.split("://", 1)[-1]) == host


async def _json_body(request: Request) -> dict | None:
    body = await request.body()
    if len(body) > MAX_BODY:
        return None
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _refused() -> Response:
    return Response("Abgelehnt.", status_code=403, media_type="text/plain; charset=utf-8")


def routes(
    engine: Callable[[], Engine], secret: Callable[[], str], https_site: Callable[[], bool]
) -> list[Route]:
    """The routes, on this server's engine and cookie key; ``https_site``: the configured
    address is HTTPS (then the cookie is ``Secure`` even if a proxy did not say so)."""

    def secure(request: Request) -> bool:
        return request.url.scheme == "https" or https_site()

    def redeem(code: str) -> str | None:
        with session_scope(engine()) as s:
            return organizer_sessions.redeem_handover(session=s, code=code, now=datetime.now(UTC))

    def end(token: str) -> None:
        with session_scope(engine()) as s:
            organizer_sessions.end_by_token(session=s, token=token, now=datetime.now(UTC))

    async def set_cookie(request: Request) -> Response:
        data = await _json_body(request)
        if not _same_origin(request) or data is None:
            return _refused()
        code, given = data.get("code"), data.get("csrf")
        if not isinstance(code, str) or not code or len(code) > 200:
            return _refused()
        key = secret()
        if not session_cookie.csrf_ok(key, "set", hash_token(code), given):
            return _refused()
        token = await run_in_threadpool(redeem, code)
        if token is None:
            return _refused()
        response = Response(status_code=204)
        response.set_cookie(
            session_cookie.COOKIE,
            session_cookie.sign(key, token),
            max_age=int(organizer_sessions.ABSOLUTE_LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def clear_cookie(request: Request) -> Response:
        data = await _json_body(request)
        if not _same_origin(request) or data is None:
            return _refused()
        key = secret()
        token = session_cookie.unsign(key, request.cookies.get(session_cookie.COOKIE))
        if token is not None:
            if not session_cookie.csrf_ok(key, "end", hash_token(token), data.get("csrf")):
                return _refused()
            await run_in_threadpool(end, token)
        # Without a valid cookie there is no session to end; deleting the cookie is harmless.
        response = Response(status_code=204)
        response.delete_cookie(
            session_cookie.COOKIE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def script(_request: Request) -> Response:
        return Response(
            SCRIPT,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def post_only(_request: Request) -> Response:
        # Without this, a GET would fall through to Streamlit's page (harmless, but say it).
        return Response("Nur POST.", status_code=405, headers={"Allow": "POST"})

    return [
        Route(SET_PATH, set_cookie, methods=["POST"]),
        Route(SET_PATH, post_only, methods=["GET", "HEAD"]),
        Route(END_PATH, clear_cookie, methods=["POST"]),
        Route(END_PATH, post_only, methods=["GET", "HEAD"]),
        Route(SCRIPT_PATH, script, methods=["GET", "HEAD"]),
    ]
