"""Secret tokens for personal links: 256 random bits, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 random bits


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_fresh_token(registration, *, keep_previous: bool = True) -> str:
    """Give a registration a fresh personal link and return its token.

    ``keep_previous``: the link the person has keeps working (a promotion or a repeated
    form mails the fresh one); otherwise every earlier link stops working ("Link
    verloren?": whoever found the old one must not keep access).
    """
    token = new_token()
    registration.previous_token_hash = registration.token_hash if keep_previous else None
    registration.token_hash = hash_token(token)
    return token
