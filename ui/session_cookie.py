"""The team's login cookie: what it holds, how it is signed, and the CSRF tokens.

The cookie (``stammtisch_team``) holds only the random id of a server-side session
(:mod:`stammtisch.organizer_sessions`), signed with ``itsdangerous`` under the app's
secret key (``STAMMTISCH_SECRET_KEY``; the same value on every process) and dated, so
that a cookie older than a session can live is refused before any database lookup.
It is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` and, over HTTPS, ``Secure``.

State changes through the server's session routes need a CSRF token bound to the
session they act on: an HMAC under the same key of the purpose and the session's
secret binding (the handover code's hash, or the hash of the cookie's id). A foreign
page can neither read nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from itsdangerous import URLSafeTimedSerializer

from stammtisch.organizer_sessions import ABSOLUTE_LIFETIME

COOKIE = "stammtisch_team"
_SALT = "stammtisch.organizer-session"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
# What sign() produces: URL-safe base64 parts joined by dots. (itsdangerous itself would
# skip non-ASCII characters in a signature, so a cookie with junk appended still passed.)
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_\-.]{1,400}")


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign(secret: str, token: str) -> str:
    """The cookie's value for a session id."""
    return _serializer(secret).dumps(token)


def unsign(secret: str, value: object) -> str | None:
    """The session id in a cookie value, or None for anything not signed by us, too old,
    or malformed. Never raises: the value comes from the browser."""
    if not isinstance(value, str) or not _COOKIE_VALUE.fullmatch(value):
        return None
    try:
        token = _serializer(secret).loads(value, max_age=ABSOLUTE_LIFETIME.total_seconds())
    except Exception:  # BadSignature, BadTimeSignature, SignatureExpired, BadPayload, …
        return None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return token


def csrf_token(secret: str, purpose: str, binding: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), f"{purpose}|{binding}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def csrf_ok(secret: str, purpose: str, binding: str, given: object) -> bool:
    if not isinstance(given, str) or not given or len(given) > 100:
        return False
    return hmac.compare_digest(csrf_token(secret, purpose, binding), given)
