"""The app's server side: start-up hook, error page and plain HTTP routes.

``app.py`` builds the ``st.App`` from these parts; ``streamlit run app.py`` (what
``make run`` does) then serves the pages of ``navigation.py`` and, on the same port, the
subscribable calendar feed at ``/kalender.ics``; every page's HTML document is German
and links the accessibility aids (``ui/html_document.py``). Nothing here runs inside a page.
"""

from __future__ import annotations

import gc
import importlib
import logging
from contextlib import asynccontextmanager
from functools import cache
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from stammtisch import mailer, subscriptions
from stammtisch.bootstrap import init_database
from stammtisch.clock import clock_from_setting
from stammtisch.config import ConfigError
from stammtisch.db import make_engine, session_scope
from stammtisch.feed import upcoming_feed
from stammtisch.site import session_secret
from ui import core, html_document, session_routes
from ui.http_security import ClientAddress, SecurityHeaders
from ui.visitor_cookie import VisitorCookie

log = logging.getLogger("stammtisch.server")


# The same settings as the pages: the environment, then .streamlit/secrets.toml.
settings = core.settings


@cache
def _engine() -> Engine:
    cfg = settings()
    engine = make_engine(cfg.database_url)
    init_database(engine, now=clock_from_setting(cfg.now).now())
    return engine


@cache
def _secret() -> str:
    """The key for the team's login cookie: configured, else the installation's own."""
    configured = settings().secret_key
    if configured:
        return configured
    with session_scope(_engine()) as s:
        return session_secret(session=s)


def _feed_bytes(page_url: str) -> bytes:
    now = clock_from_setting(settings().now).now()
    return upcoming_feed(_engine(), now=now, page_url=page_url)


async def calendar_feed(request: Request) -> Response:
    """The subscribable feed. Its links use the configured address; the request's Host
    only when allow-listed, and such a response is cached by nobody but the client."""
    page_url, from_request = settings().link_base(request.headers.get("host"), request.url.scheme)
    body = await run_in_threadpool(_feed_bytes, page_url)
    headers = {
        "Content-Disposition": 'inline; filename="strukturwandel-stammtisch.ics"',
        "Cache-Control": "private, max-age=900" if from_request else "public, max-age=900",
    }
    if from_request:
        headers["Vary"] = "Host"
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


# Imported at start-up by the pages; loaded before the first visitor, then frozen.
WARM_MODULES = ("stammtisch.analytics", "stammtisch.planning", "ui.charts", "ui.forms")


def _warm_up() -> None:
    """Load what every page needs, then exempt it from the garbage collector's full passes.

    The app keeps a large, long-lived heap (pandas, Altair's Vega-Lite schema, SQLAlchemy,
    Streamlit itself). Python's full collections walk all of it: 50–110 ms pauses in the
    middle of page runs, measured on the dashboard. Objects that exist after this warm-up
    live as long as the process, so ``gc.freeze()`` moves them out of the collector's way.
    """
    import altair as alt
    import pandas as pd

    for module in WARM_MODULES:
        importlib.import_module(module)

    # Altair loads and compiles its schema on the first validated chart.
    alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x="a:Q").to_dict()
    gc.collect()
    gc.freeze()


def _start_mail() -> None:
    """Check the mail settings (a bad one stops the start) and start this process's sender."""
    cfg = settings()
    try:
        how = mailer.check_settings(cfg)
    except ConfigError as exc:
        log.critical("Mail-Einstellungen unbrauchbar: %s", exc)
        raise SystemExit(f"Start abgebrochen – {exc}") from exc
    if not cfg.mail_worker:
        log.info("mail: no sender in this process (STAMMTISCH_MAIL_WORKER=0); use the CLI")
        return
    log.info("mail: sending via %s", how)
    mailer.start_worker(
        mailer.MailWorker(_engine(), settings, lambda: clock_from_setting(settings().now).now())
    )


@asynccontextmanager
async def lifespan(_app):
    # Migrate and seed before the first request, so every route finds the schema.
    await run_in_threadpool(_engine)
    if not settings().secret_key:
        log.warning(
            "STAMMTISCH_SECRET_KEY is not set: the team's login cookie is signed with the key "
            "generated in the database. Set it in production (the same value on every process)."
        )
    await run_in_threadpool(_secret)
    await run_in_threadpool(_start_mail)
    await run_in_threadpool(_warm_up)
    yield
    await run_in_threadpool(mailer.stop_worker)


def friendly_error(exc: Exception) -> bool:
    """Visitors get a German message; the traceback goes to the server log only."""
    log.error("uncaught error in page script", exc_info=exc)
    st.error(
        "Entschuldigung, hier ist etwas schiefgegangen. Bitte laden Sie die Seite neu. "
        "Wenn der Fehler bleibt, schreiben Sie uns bitte – Ihre Eingaben gehen dabei nicht "
        "verloren, solange Sie die Seite nicht schließen.",
        icon=":material/error:",
    )
    return True  # suppress Streamlit's own exception box


def _unsubscribe(token: str) -> str | None:
    now = clock_from_setting(settings().now).now()
    with session_scope(_engine()) as s:
        return subscriptions.unsubscribe(session=s, token=token, now=now)


async def one_click_unsubscribe(request: Request) -> Response:
    """RFC 8058: a mail program's POST to the ``List-Unsubscribe`` address removes the
    wish at once (the signed token is the authorisation; no cookie, no CSRF token). A GET
    (a person or a link scanner opening the address) changes nothing and leads to the
    page with the button."""
    token = request.query_params.get("token", "")[:300]
    if request.method != "POST":
        target = f"/{subscriptions.CONFIRM_PATH}?{urlencode({'abbestellen': token})}"
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    body = await request.body()
    if len(body) > 1_000:
        return PlainTextResponse("Zu groß.", status_code=413)
    what = await run_in_threadpool(_unsubscribe, token)
    text = "Abbestellt." if what else "Nichts abzubestellen (schon abbestellt oder unbekannt)."
    return PlainTextResponse(text, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    """The plain HTTP routes beside the pages."""
    return [
        Route("/kalender.ics", calendar_feed, methods=["GET", "HEAD"]),
        Route(subscriptions.ONE_CLICK_PATH, one_click_unsubscribe, methods=["GET", "HEAD", "POST"]),
        *html_document.routes(),
        *session_routes.routes(
            _engine, _secret, lambda: settings().base_url.startswith("https://")
        ),
    ]


def middleware() -> list[Middleware]:
    """In front of everything the server answers (outermost first). Reads the settings
    at start-up: an unusable one stops the start with its German reason."""
    try:
        cfg = settings()
    except ConfigError as exc:
        log.critical("Einstellungen unbrauchbar: %s", exc)
        raise SystemExit(f"Start abgebrochen – {exc}") from exc
    return [
        Middleware(ClientAddress, trusted=cfg.trusted_proxies),
        Middleware(SecurityHeaders),
        Middleware(VisitorCookie),
        Middleware(html_document.GermanDocument),
    ]
