"""The organizer session: login state, inactivity timeout, single sign-on via st.login.

The idle timeout runs on the real clock even when ``STAMMTISCH_NOW`` pins the app's
notion of "now" for demos: a pinned clock would otherwise never let a session expire.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from stammtisch import organizers
from stammtisch.errors import PermissionDenied
from stammtisch.organizers import OrganizerIdentity
from ui import core

_IDENTITY = "organizer.identity"
_LAST_SEEN = "organizer.last_seen"
_EXPIRED = "organizer.expired"


def _real_now() -> datetime:
    return datetime.now(UTC)


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


def log_in(identity: OrganizerIdentity) -> None:
    st.session_state[_IDENTITY] = identity
    st.session_state[_LAST_SEEN] = _real_now()
    st.session_state.pop(_EXPIRED, None)


def log_out() -> None:
    st.session_state.pop(_IDENTITY, None)
    st.session_state.pop(_LAST_SEEN, None)


def current_organizer() -> OrganizerIdentity | None:
    """The logged-in organizer, or None; ends the session after inactivity."""
    identity = st.session_state.get(_IDENTITY)
    if identity is None:
        identity = _sso_identity()
        if identity is not None:
            log_in(identity)
        return identity
    now = _real_now()
    if organizers.session_expired(st.session_state.get(_LAST_SEEN), now):
        log_out()
        st.session_state[_EXPIRED] = True
        return None
    if not _still_active(core.cache_key(), identity):
        log_out()  # removed or renamed meanwhile: the team pages close at once
        return None
    st.session_state[_LAST_SEEN] = now
    return identity


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def _still_active(version: str, identity: OrganizerIdentity) -> bool:
    """The account behind ``identity`` still exists and is active, checked against the
    database once per data version: removing an organizer is a write, so every process
    sees it on its next run, and cached reads on the pages need no check of their own."""
    with core.session() as s:
        try:
            organizers.require_organizer(s, identity)
        except PermissionDenied:
            return False
    return True


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
