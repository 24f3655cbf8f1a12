"""Who the client is behind the reverse proxy (the address the login throttle keys on)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import aio
from ui.http_security import client_address

LOCAL = ("127.0.0.1", "::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        # No proxy: the peer is the client, whatever it writes into the header.
        ("203.0.113.7", ["1.2.3.4"], LOCAL, "203.0.113.7"),
        # Behind the local nginx: the address nginx appended.
        ("127.0.0.1", ["203.0.113.7"], LOCAL, "203.0.113.7"),
        # A forged entry stands left of the one nginx appended and is never believed.
        ("127.0.0.1", ["1.2.3.4, 203.0.113.7"], LOCAL, "203.0.113.7"),
        ("127.0.0.1", ["1.2.3.4", "203.0.113.7"], LOCAL, "203.0.113.7"),
        # Two trusted proxies in a row (a load balancer in a private network).
        ("127.0.0.1", ["198.51.100.9, 10.0.0.2"], (*LOCAL, "10.0.0.0/8"), "198.51.100.9"),
        # The same chain with the load balancer not trusted: it is the client.
        ("127.0.0.1", ["198.51.100.9, 10.0.0.2"], LOCAL, "10.0.0.2"),
        # A trusted peer without the header, and garbage in the header.
        ("127.0.0.1", [], LOCAL, "127.0.0.1"),
        ("127.0.0.1", ["1.2.3.4, nonsense"], LOCAL, "127.0.0.1"),
        # Nobody trusted: the header never counts.
        ("127.0.0.1", ["203.0.113.7"], (), "127.0.0.1"),
        (None, ["203.0.113.7"], LOCAL, None),
    ],
)
def test_client_address(peer, forwarded, trusted, client):
    assert client_address(peer, forwarded, trusted) == client


@given(st.lists(st.text(max_size=40), max_size=4))
def test_a_forged_header_never_names_a_client_for_an_untrusted_peer(forwarded):
    assert client_address("203.0.113.7", forwarded, LOCAL) == "203.0.113.7"
    # Behind the proxy the answer is the appended hop, whatever stands left of it.
    assert client_address("127.0.0.1", [*forwarded, "198.51.100.1"], LOCAL) == "198.51.100.1"


def _seen_by_app(client, headers, trusted=LOCAL, kind="http"):

    from ui.http_security import ClientAddress

    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    scope = {
        "type": kind,
        "scheme": "http" if kind == "http" else "ws",
        "client": (client, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    aio.run(ClientAddress(app, trusted=trusted)(scope, None, None))
    return seen


def test_the_middleware_sets_client_and_scheme_from_trusted_proxies_only():
    behind = _seen_by_app(
        "127.0.0.1", {"X-Forwarded-For": "1.2.3.4, 203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert behind["client"] == ("203.0.113.7", 50000) and behind["scheme"] == "https"
    socket = _seen_by_app("127.0.0.1", {"X-Forwarded-Proto": "https"}, kind="websocket")
    assert socket["scheme"] == "wss"
    direct = _seen_by_app(
        "203.0.113.7", {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    )
    assert direct["client"] == ("203.0.113.7", 50000) and direct["scheme"] == "http"
