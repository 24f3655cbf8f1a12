"""Page texts of the series (about, address, funding …), kept in ``site_setting``."""

from __future__ import annotations

from datetime import datetime

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
    "contact_email",
    "address",
    "funding",
    "copyright",
    "imprint_representatives",
    "imprint_register",
    "imprint_responsible",
    "accessibility_enforcement",
)

# What § 5 DDG asks of the imprint besides name and address (which the seed has): shown
# to the team until filled in, never invented.
IMPRINT_REQUIRED = {
    "contact_email": "E-Mail-Adresse für Kontakt",
    "imprint_representatives": "vertretungsberechtigte Personen (Vorstand)",
    "imprint_register": "Registereintrag (Registergericht und Nummer)",
}
TEXT_LABELS = {
    "title": "Titel der Reihe",
    "organisation": "Träger",
    "website": "Website",
    "about": "Worum geht's?",
    "topic_fields_intro": "Einleitung zu den Themenfeldern",
    "topic_fields_more": "„…und mehr“",
    "suggestions_intro": "Einleitung der Themensammlung",
    "impulse_intro": "Einleitung „Selbst etwas vorstellen“",
    "contact_name": "Ansprechperson",
    "contact_email": "E-Mail-Adresse für Kontakt",
    "address": "Anschrift",
    "funding": "Förderhinweis",
    "copyright": "Copyright-Zeile",
    "imprint_representatives": "Vertretungsberechtigte (Impressum)",
    "imprint_register": "Registereintrag (Impressum)",
    "imprint_responsible": "Verantwortlich für den Inhalt (Impressum)",
    "accessibility_enforcement": "Durchsetzungs- oder Schlichtungsstelle (Barrierefreiheit)",
}


def missing_imprint_fields(texts: dict[str, str]) -> list[str]:
    """The legally required imprint details still missing (German names, for the team)."""
    return [label for key, label in IMPRINT_REQUIRED.items() if not texts.get(key, "").strip()]


def set_text(*, session: Session, key: str, value: str, now: datetime, actor=None) -> None:
    """Change one page text (audited with before and after)."""
    from stammtisch.audit import record
    from stammtisch.db import write_transaction
    from stammtisch.errors import ValidationError
    from stammtisch.validation import normalise_text

    if key not in TEXT_KEYS:
        raise ValidationError.single("key", f"Einen Text „{key}“ gibt es nicht.")
    clean = normalise_text(value, multiline=True)
    if len(clean) > 10_000:
        raise ValidationError.single("value", "Der Text ist zu lang (höchstens 10.000 Zeichen).")
    with write_transaction(session):
        row = session.get(SiteSetting, TEXT_PREFIX + key)
        before = row.value if row else ""
        if row is None:
            row = SiteSetting(key=TEXT_PREFIX + key, value=clean)
        row.value = clean
        session.add(row)
        record(
            session,
            actor=actor,
            action="site.text",
            obj=None,
            details={"key": key, "before": before, "after": clean},
            now=now,
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
