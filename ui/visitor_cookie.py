"""The anonymous visitor cookie: one "+1" per browser, not per Streamlit session.

A reload, a new tab or a fresh Streamlit session starts a new session, so a vote
remembered in the session would count again. On the first page load (an HTML response to
a GET) a browser without the cookie gets ``stammtisch_besuch``: a random id, nothing else,
HttpOnly (page scripts cannot read it), ``SameSite=Lax``, ``Secure`` over HTTPS, for 180
days. The WebSocket that carries the page then sends it along, and the page reads it with
``st.context.cookies`` (:func:`ui.core.visitor_id`). The database keeps only its hash with
a vote. It is not a tracking cookie: no page view is recorded with it, and the privacy
page names it.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.core import VISITOR_COOKIE, VISITOR_ID_PATTERN

MAX_AGE_DAYS = 180


def cookie_header(value: str, *, secure: bool) -> str:
    parts = [
        f"{VISITOR_COOKIE}={value}",
        "Path=/",
        f"Max-Age={MAX_AGE_DAYS * 86_400}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def has_visitor_cookie(headers: Headers) -> bool:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == VISITOR_COOKIE and VISITOR_ID_PATTERN.fullmatch(value):
            return True
    return False


class VisitorCookie:
    """Sets the visitor cookie on HTML page loads of browsers that have none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or has_visitor_cookie(Headers(scope=scope))
        ):
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.append(
                        "Set-Cookie", cookie_header(secrets.token_urlsafe(24), secure=secure)
                    )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
