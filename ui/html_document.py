"""The HTML document every page starts from, in German, with the app's accessibility aids.

Streamlit serves one ``index.html`` for every page address (``<html lang="en">``, title
"Streamlit"); the frontend later changes the title but never the language. Screen
readers pick the voice from the first document they get, so :class:`GermanDocument`
rewrites that document on its way out of the app's own server:

* ``<html lang="de">`` (WCAG 3.1.1) and the series' name as the first title (2.4.2);
* the app's stylesheet (``ui/a11y.css``: contrast, visible focus) and its script
  (``ui/a11y.js``: list semantics of the navigation, field errors tied to their fields,
  focus moved to a confirmation) linked from this origin, so the
  Content-Security-Policy needs no inline code and they apply from the first paint.

The page address is Streamlit's (``/themensammlung`` …: the SPA fallback), so the
rewrite works on every HTML response instead of a route per page. A navigation inside
the app never loads a new document, and the frontend does not touch ``lang``.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LANGUAGE = "de"
TITLE = "Strukturwandel-Stammtisch"
STYLE_PATH = "/a11y/stil.css"
SCRIPT_PATH = "/a11y/seite.js"
_HERE = Path(__file__).parent
STYLE = (_HERE / "a11y.css").read_bytes()
SCRIPT = (_HERE / "a11y.js").read_bytes()

_HTML_TAG = re.compile(rb"<html(\s[^>]*)?>", re.IGNORECASE)
_LANG_ATTR = re.compile(rb"""\slang\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_TITLE = re.compile(rb"<title>.*?</title>", re.IGNORECASE | re.DOTALL)
_HEAD_END = re.compile(rb"</head>", re.IGNORECASE)
# What the validators of a conditional request name: left out for rewritten documents,
# which are small and never cached (Streamlit sends them with no-cache anyway).
_CONDITIONAL = (b"if-none-match", b"if-modified-since")


def german_document(html: bytes) -> bytes:
    """``html`` with ``lang="de"``, the series' title and the app's style and script."""

    def html_tag(match: re.Match[bytes]) -> bytes:
        attrs = _LANG_ATTR.sub(b"", match.group(1) or b"")
        return b'<html lang="' + LANGUAGE.encode() + b'"' + attrs + b">"

    html = _HTML_TAG.sub(html_tag, html, count=1)
    html = _TITLE.sub(b"<title>" + TITLE.encode() + b"</title>", html, count=1)
    aids = (
        f'<link rel="stylesheet" href="{STYLE_PATH}" /><script src="{SCRIPT_PATH}" defer></script>'
    ).encode()
    if aids not in html:
        html = _HEAD_END.sub(lambda _m: aids + b"</head>", html, count=1)
    return html


class GermanDocument:
    """Rewrites every HTML response with :func:`german_document` (see module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        accept = Headers(scope=scope).get("accept", "")
        if "text/html" in accept:
            # A page visit: always the whole rewritten document, never "304, keep yours"
            # (a copy cached before this rewrite existed would stay English).
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in _CONDITIONAL],
            }
        await self.app(scope, receive, _Rewriter(send, head=scope["method"] == "HEAD"))


class _Rewriter:
    """Collects an HTML response's body, rewrites it, sends it in one piece; anything else
    passes through untouched."""

    def __init__(self, send: Send, *, head: bool) -> None:
        self.send = send
        self.head = head
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = Headers(raw=message["headers"])
            if headers.get("content-type", "").startswith("text/html"):
                self.start = message
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._send_rewritten()
            return
        await self.send(message)

    async def _send_rewritten(self) -> None:
        assert self.start is not None
        headers = MutableHeaders(raw=list(self.start["headers"]))
        body = b"".join(self.body)
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding == "gzip":
            body = gzip.decompress(body) if body else body
            del headers["content-encoding"]  # a few kilobytes: sent as they are
        elif encoding not in ("", "identity"):
            # An encoding this rewrite cannot read: pass the document on unchanged.
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": body})
            return
        for name in ("etag", "last-modified"):
            if name in headers:
                del headers[name]
        if self.head:
            # No body to measure: say nothing rather than the original's length.
            if "content-length" in headers:
                del headers["content-length"]
        elif self.start["status"] == 200:
            body = german_document(body)
            headers["content-length"] = str(len(body))
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": body})


async def _style(_request: Request) -> Response:
    return Response(STYLE, media_type="text/css; charset=utf-8", headers=_NO_CACHE)


async def _script(_request: Request) -> Response:
    return Response(SCRIPT, media_type="text/javascript; charset=utf-8", headers=_NO_CACHE)


_NO_CACHE = {"Cache-Control": "no-cache"}


def routes() -> list[Route]:
    """The stylesheet and the script the rewritten document links to."""
    return [
        Route(STYLE_PATH, _style, methods=["GET", "HEAD"]),
        Route(SCRIPT_PATH, _script, methods=["GET", "HEAD"]),
    ]
