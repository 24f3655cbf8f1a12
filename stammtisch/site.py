"""Page texts of the series (about, address, funding …), kept in ``site_setting``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from stammtisch.models import SiteSetting

TEXT_PREFIX = "text."
TEXT_KEYS = (
    "title",
    "organisation",
    "website",
    "about",
    "topic_fields_intro",
    "topic_fields_more",
    "suggestions_intro",
    "impulse_intro",
    "contact_name",
    "address",
    "funding",
    "copyright",
)


def site_texts(*, session: Session) -> dict[str, str]:
    """All public page texts; a missing one is an empty string."""
    rows = session.exec(
        select(SiteSetting).where(col(SiteSetting.key).startswith(TEXT_PREFIX))
    ).all()
    texts = dict.fromkeys(TEXT_KEYS, "")
    texts.update({r.key.removeprefix(TEXT_PREFIX): r.value for r in rows})
    return texts


SESSION_SECRET_KEY = "session_secret"  # noqa: S105  (the row's name, not a secret)


def session_secret(*, session: Session) -> str:
    """The key generated once per installation (migration 0007) that signs the team's
    login cookie when ``STAMMTISCH_SECRET_KEY`` is not configured."""
    row = session.get(SiteSetting, SESSION_SECRET_KEY)
    if row is None or not row.value:
        raise RuntimeError("site_setting.session_secret is missing: migrate the database")
    return row.value
