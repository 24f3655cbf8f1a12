"""Production entry point: the Streamlit app plus plain HTTP routes next to it.

``streamlit run serve.py`` (what ``make run`` does) serves the app from ``app.py`` and,
on the same port, the subscribable calendar feed at ``/kalender.ics``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from functools import cache

import streamlit as st
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from stammtisch.bootstrap import init_database
from stammtisch.clock import clock_from_setting
from stammtisch.config import load_settings
from stammtisch.db import make_engine
from stammtisch.feed import upcoming_feed

log = logging.getLogger("stammtisch.serve")

# Streamlit treats a folder named pages/ next to the entry script as the old (v1)
# multipage layout until the first script run calls st.navigation: a first visitor
# after a restart could then open pages/*.py directly by URL, bypassing app.py's
# navigation and login gate. app.py always uses st.navigation, so say so up front.
PagesManager.uses_pages_directory = False


@cache
def _engine() -> Engine:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    init_database(engine, now=clock_from_setting(settings.now).now())
    return engine


def _feed_bytes(base_url: str) -> bytes:
    settings = load_settings()
    now = clock_from_setting(settings.now).now()
    return upcoming_feed(_engine(), now=now, page_url=settings.public_base_url or base_url)


async def calendar_feed(request: Request) -> Response:
    base_url = f"{request.url.scheme}://{request.url.netloc}"
    body = await run_in_threadpool(_feed_bytes, base_url)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="strukturwandel-stammtisch.ics"',
            "Cache-Control": "public, max-age=900",
        },
    )


@asynccontextmanager
async def lifespan(_app):
    # Migrate and seed before the first request, so every route finds the schema.
    await run_in_threadpool(_engine)
    yield


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


app = st.App(
    "app.py",
    lifespan=lifespan,
    on_script_error=friendly_error,
    routes=[Route("/kalender.ics", calendar_feed, methods=["GET", "HEAD"])],
)
