"""The organizer's login as the pages see it: one server-side session per login.

A tab that logged in keeps its session's id in ``st.session_state``; any other tab, a
reload or a link opened later finds the session through the browser's signed cookie
(read from ``st.context.cookies``; set and cleared by the server's routes in
``ui/session_routes.py``, called by a small script this module embeds once). Every run
looks the session up once, cached per data version: logging out, "Überall abmelden",
a new password, removing or deactivating the account are writes, so every process sees
them on its next run. Idle timeout and absolute lifetime run on the real clock, also when
``STAMMTISCH_NOW`` pins the app's clock.

Single sign-on (``st.login``, when ``[auth]`` is configured) keeps its own cookie; each
browser session it logs in gets a server-side session too, so the same limits apply.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

import streamlit as st

from stammtisch import organizer_sessions, organizers
from stammtisch.organizer_sessions import SessionView
from stammtisch.organizers import OrganizerIdentity
from stammtisch.tokens import hash_token
from ui import core, session_cookie, session_routes

_SESSION = "organizer.session"  # (id, started at) of this tab's server-side session
_TOUCHED = "organizer.touched"  # when this tab last noted activity in the database
_EXPIRED = "organizer.expired"
_COOKIE_CALL = "organizer.cookie_call"  # (attributes, until) for the embedded script


def sso_configured() -> bool:
    """True when ``[auth]`` is set up in secrets.toml, so ``st.login`` can be offered."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sso_identity() -> OrganizerIdentity | None:
    if not sso_configured():
        return None
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        email = str(user.get("email") or "")
    except Exception:
        return None
    with core.session() as s:
        return organizers.identity_for_email(session=s, email=email, now=core.now())


SessionRef = tuple[int, datetime]


def _find(ref: SessionRef) -> SessionView | None:
    return core.read(organizer_sessions.find, session_id=ref[0], started_at=ref[1])


@st.cache_data(ttl=600, max_entries=1000, show_spinner=False)
def _session(version: str, ref: SessionRef) -> SessionView | None:
    """The session checked against the database once per data version."""
    return _find(ref)


@st.cache_data(ttl=600, max_entries=1000, show_spinner=False)
def _session_for_cookie(version: str, token_hash: str, _token: str) -> SessionRef | None:
    view = core.read(organizer_sessions.find, token=_token)
    return None if view is None else (view.id, view.created_at)


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(session_cookie.COOKIE)
    except Exception:  # AppTest and bare mode have no browser
        return None
    return session_cookie.unsign(core.secret_key(), value)


def log_in(identity: OrganizerIdentity, *, with_cookie: bool = True) -> None:
    """Start a server-side session for this tab and, for a password login, hand the
    browser its cookie (the session's id reaches the browser only through that route)."""
    with core.session() as s:
        started = organizer_sessions.start(session=s, actor=identity, now=core.real_now())
    st.session_state[_SESSION] = (started.view.id, started.view.created_at)
    st.session_state[_TOUCHED] = started.view.last_active_at
    st.session_state.pop(_EXPIRED, None)
    if with_cookie:
        code = started.handover_code
        _call_cookie_route(
            session_routes.SET_PATH,
            code=code,
            csrf=session_cookie.csrf_token(core.secret_key(), "set", hash_token(code)),
        )


def _call_cookie_route(action: str, **data: str) -> None:
    attrs = {"action": action, **data}
    st.session_state[_COOKIE_CALL] = (attrs, core.real_now() + organizer_sessions.HANDOVER_TTL)


def _forget() -> None:
    st.session_state.pop(_SESSION, None)
    st.session_state.pop(_TOUCHED, None)


def _current_view() -> SessionView | None:
    """The fresh view of this tab's session (uncached), for the account page's actions."""
    ref = st.session_state.get(_SESSION)
    return None if ref is None else _find(ref)


def log_out() -> None:
    """End this session in every process; the browser's cookie goes too."""
    view = _current_view()
    _forget()
    if view is None:
        return
    with core.session() as s:
        organizer_sessions.end(session=s, session_id=view.id, now=core.real_now())
    _clear_cookie(view)


def log_out_everywhere(identity: OrganizerIdentity) -> int:
    """ "Überall abmelden": every session of the account ends, this one included."""
    view = _current_view()
    _forget()
    with core.session() as s:
        count = organizer_sessions.end_all(session=s, actor=identity, now=core.real_now())
    if view is not None:
        _clear_cookie(view)
    core.data_changed()
    return count


def _clear_cookie(view: SessionView) -> None:
    if view.token_hash is not None:
        _call_cookie_route(
            session_routes.END_PATH,
            csrf=session_cookie.csrf_token(core.secret_key(), "end", view.token_hash),
        )


def current_organizer() -> OrganizerIdentity | None:
    """The logged-in organizer, or None; ends a session that ran out."""
    version = core.cache_key()
    ref: SessionRef | None = st.session_state.get(_SESSION)
    if ref is None:
        token = _cookie_token()
        if token is not None:
            ref = _session_for_cookie(version, hash_token(token), token)
        if ref is None:
            identity = _sso_identity()
            if identity is not None:
                log_in(identity, with_cookie=False)
            return identity
        st.session_state[_SESSION] = ref
    view = _session(version, ref)
    if view is None:  # logged out elsewhere, account removed, deactivated or renamed
        _forget()
        return None
    now = core.real_now()
    touched: datetime | None = st.session_state.get(_TOUCHED)
    if view.ended(now, touched) is not None:
        # Another tab may have been active meanwhile: ask the database before ending it.
        fresh = _find(ref)
        if fresh is None or fresh.ended(now, touched) is not None:
            with core.session() as s:
                organizer_sessions.end_expired(session=s, session_id=view.id, now=now)
            _forget()
            st.session_state[_EXPIRED] = True
            return None
        view = fresh
    latest = max(view.last_active_at, touched or view.last_active_at)
    if now - latest >= organizer_sessions.TOUCH_INTERVAL:
        with core.session() as s:
            alive = organizer_sessions.touch(session=s, session_id=view.id, now=now)
        if not alive:
            _forget()
            st.session_state[_EXPIRED] = True
            return None
        st.session_state[_TOUCHED] = now
    return view.organizer


def session_limits() -> tuple[datetime, datetime] | None:
    """(logged in since, ends at the latest) of this tab's session, for "Mein Konto"."""
    ref = st.session_state.get(_SESSION)
    if ref is None:
        return None
    view = _session(core.cache_key(), ref)
    return None if view is None else (view.created_at, view.expires_at)


def cookie_script() -> None:
    """Embed the script that calls the cookie route, while a call is pending (a rerun
    within the handover time renders the same element, so it runs once)."""
    pending = st.session_state.get(_COOKIE_CALL)
    if pending is None:
        return
    attrs, until = pending
    if core.real_now() > until:
        st.session_state.pop(_COOKIE_CALL, None)
        return
    data = " ".join(f'data-{name}="{escape(value)}"' for name, value in attrs.items())
    with st.container(key="team-cookie"):
        st.html(
            f'<script src="{session_routes.SCRIPT_PATH}" {data}></script>',
            unsafe_allow_javascript=True,
        )


def session_just_expired() -> bool:
    return bool(st.session_state.pop(_EXPIRED, False))


def require_organizer() -> OrganizerIdentity:
    """For organizer pages: the identity (checked against the database in this run), or a
    refusal that stops the page."""
    identity = current_organizer()
    if identity is None:
        st.error(
            "Dieser Bereich ist nur für angemeldete Organisator:innen.", icon=":material/lock:"
        )
        st.page_link("pages/login.py", label="Zur Anmeldung", icon=":material/login:")
        st.stop()
    return identity
