"""HTTP hardening of the app's own server, for every response it sends.

Two ASGI middlewares that ``app.py`` puts in front of Streamlit (they see every request:
pages, static files, the WebSocket, ``/kalender.ics``, the team's session routes):

* :class:`ClientAddress` decides who the client is. Behind the documented reverse proxy
  the TCP peer is the proxy; the client is then the last address in ``X-Forwarded-For``
  that was added by a proxy we trust (``STAMMTISCH_TRUSTED_PROXIES``, default the local
  machine). Anything a client writes into that header itself stands further left and is
  never believed. The result replaces the ASGI ``client``, so ``st.context.ip_address``
  and every route see the same address. (Uvicorn, Streamlit's server, already does this
  for the proxies in ``FORWARDED_ALLOW_IPS``, by default also the local machine; this
  step adds the proxies of our own setting, so one setting describes the deployment.)
* :class:`SecurityHeaders` adds a Content-Security-Policy that Streamlit's frontend
  works with (its own scripts, inline styles of its CSS-in-JS, data/blob images, the
  WebSocket to the same host; no foreign origin anywhere), ``frame-ancestors 'self'``
  (no foreign page frames the app or its login), ``nosniff`` and
  ``Referrer-Policy: same-origin``. It also answers Streamlit's metrics endpoint
  (``/_stcore/metrics``: cache names, hit counts, sizes of the team's imports) with 404:
  Streamlit has no switch for it, and nobody outside the server needs it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path

import streamlit
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/_stcore/metrics"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


@functools.cache
def _inline_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in Streamlit's index.html (today one line that
    tells prerenderers to wait); read from the installed package, so an upgrade that
    changes them keeps working."""
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    hashes = []
    for body in _INLINE_SCRIPT.findall(index.read_text(encoding="utf-8")):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return tuple(hashes)


def content_security_policy() -> str:
    """The policy for every response: only this origin, nowhere else."""
    directives = {
        "default-src": ["'self'"],
        # 'wasm-unsafe-eval': the frontend compiles WebAssembly (no JavaScript eval).
        "script-src": ["'self'", "'wasm-unsafe-eval'", *_inline_script_hashes()],
        # Streamlit's components style themselves with inline <style> (emotion).
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],  # includes the WebSocket to this host
        "worker-src": ["'self'", "blob:"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers() -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Security-Policy", content_security_policy()),
        ("X-Frame-Options", "SAMEORIGIN"),  # for browsers without frame-ancestors
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    )


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP response; hides the metrics endpoint."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/") == METRICS_PATH:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, self._send(send))
            return
        await self.app(scope, receive, self._send(send))

    def _send(self, send: Send) -> Send:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        return send_with_headers


def is_trusted(address: str | None, trusted: Iterable[str]) -> bool:
    """True when ``address`` is one of the trusted proxies (addresses or networks)."""
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(t, strict=False) for t in trusted)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Iterable[str]
) -> str | None:
    """The client's address: the peer, unless it is a trusted proxy; then, walking
    ``X-Forwarded-For`` from the right (each proxy appends the address it saw), the first
    address that is not a trusted proxy. Unparseable entries end the walk there."""
    trusted = tuple(trusted)
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # a garbled entry: stay with the last address a proxy vouched for
        client = hop
        if not is_trusted(hop, trusted):
            return hop
    return client


class ClientAddress:
    """Replaces the ASGI ``client`` with :func:`client_address` (HTTP and WebSocket) and,
    when a trusted proxy says the browser used HTTPS (``X-Forwarded-Proto``), the scheme,
    so that the team's cookie is marked ``Secure``."""

    def __init__(self, app: ASGIApp, *, trusted: tuple[str, ...]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            host, port = scope["client"]
            headers = Headers(scope=scope)
            resolved = client_address(host, headers.getlist("x-forwarded-for"), self.trusted)
            changes: dict = {}
            if resolved != host:
                changes["client"] = (resolved, port)
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto == "https" and is_trusted(host, self.trusted):
                changes["scheme"] = "https" if scope["type"] == "http" else "wss"
            if changes:
                scope = {**scope, **changes}
        await self.app(scope, receive, send)
