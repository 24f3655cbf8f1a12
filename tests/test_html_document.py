"""Every page's HTML document is German from the first byte and links the accessibility
aids; everything else the server sends passes through unchanged."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import streamlit

from tests import aio
from ui.html_document import SCRIPT_PATH, STYLE_PATH, GermanDocument, german_document

INDEX = (Path(streamlit.__file__).parent / "static" / "index.html").read_bytes()


def test_streamlits_index_becomes_german():
    html = german_document(INDEX)
    assert b'<html lang="en"' in INDEX  # what Streamlit ships, so this test means something
    assert b'<html lang="de">' in html and b'lang="en"' not in html
    assert b"<title>Strukturwandel-Stammtisch</title>" in html
    assert html.count(STYLE_PATH.encode()) == 1 and html.count(SCRIPT_PATH.encode()) == 1
    head, _body = html.split(b"</head>", 1)
    assert STYLE_PATH.encode() in head and SCRIPT_PATH.encode() in head
    assert german_document(html) == html  # idempotent


@pytest.mark.parametrize(
    "tag",
    [b"<html>", b'<html lang="en">', b"<html lang='en-US' class=x>", b"<HTML LANG=en>"],
)
def test_any_html_tag_gets_german(tag):
    html = german_document(tag + b"<head><title>x</title></head><body></body></html>")
    assert html.lower().startswith(b'<html lang="de"')
    assert html.lower().count(b"lang=") == 1


def _serve(body: bytes, headers: list[tuple[bytes, bytes]], *, method="GET", request=()):
    """Run the middleware around an app answering ``body``; (status, headers, body, seen)."""
    seen: dict = {}

    async def app(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": method, "path": "/themensammlung", "headers": list(request)}
    aio.run(GermanDocument(app)(scope, receive, send))
    start = sent[0]
    out_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    out_body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], out_headers, out_body, seen


HTML_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-length", str(len(INDEX)).encode()),
    (b"etag", b'"abc"'),
    (b"last-modified", b"Sun, 29 Nov 2026 00:13:42 GMT"),
]


def test_html_response_is_rewritten_with_its_length():
    status, headers, body, _ = _serve(INDEX, HTML_HEADERS)
    assert status == 200 and body == german_document(INDEX)
    assert headers["content-length"] == str(len(body))
    assert "etag" not in headers and "last-modified" not in headers


def test_gzipped_html_is_rewritten_too():
    packed = gzip.compress(INDEX)
    headers_in = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-encoding", b"gzip"),
        (b"content-length", str(len(packed)).encode()),
    ]
    _, headers, body, _ = _serve(packed, headers_in)
    assert b'<html lang="de">' in body and "content-encoding" not in headers
    assert headers["content-length"] == str(len(body))


def test_head_has_no_stale_length():
    _, headers, body, _ = _serve(b"", HTML_HEADERS, method="HEAD")
    assert body == b"" and "content-length" not in headers


def test_other_responses_pass_unchanged():
    script = b"console.log('<html lang=\"en\">')"
    headers_in = [(b"content-type", b"text/javascript"), (b"etag", b'"x"')]
    _, headers, body, _ = _serve(script, headers_in)
    assert body == script and headers["etag"] == '"x"'


def test_a_page_visit_is_never_answered_not_modified():
    request = [
        (b"accept", b"text/html,application/xhtml+xml"),
        (b"if-none-match", b'"abc"'),
        (b"if-modified-since", b"Sun, 29 Nov 2026 00:13:42 GMT"),
    ]
    *_, seen = _serve(INDEX, HTML_HEADERS, request=request)
    assert b"if-none-match" not in seen["headers"]
    assert b"if-modified-since" not in seen["headers"]
    # Other requests keep their validators (static files answer 304 as before).
    *_, seen = _serve(b"x", [(b"content-type", b"text/css")], request=request[1:])
    assert b"if-none-match" in seen["headers"]
