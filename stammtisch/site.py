"""Page texts of the series (about, address, funding, imprint …), kept in ``site_setting``.

The seed (``data/seed.json``) gives the first version of every text; from then on the
team edits them in the app ("Seitentexte") or with ``python -m stammtisch text set``, and
the database keeps the edit: preparing the database again only adds texts it has never
had (:func:`missing_seed_texts`), it never overwrites one. Each text has a kind
(:class:`TextSpec`): one line, several plain lines, an e-mail address, a web address, or
text with the small Markdown subset of :mod:`stammtisch.richtext` (never HTML).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from stammtisch import richtext
from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.errors import ValidationError
from stammtisch.identity import OrganizerIdentity
from stammtisch.limits import Limit
from stammtisch.models import SiteSetting
from stammtisch.organizers import require_organizer
from stammtisch.validation import FieldChecker

TEXT_PREFIX = "text."

LINE, LINES, MARKUP, EMAIL, URL = "line", "lines", "markup", "email", "url"


@dataclass(frozen=True)
class TextSpec:
    """One page text: its German label, what it may hold, how long it may be."""

    label: str
    kind: str
    max: int
    help: str = ""

    @property
    def limit(self) -> Limit:
        return Limit(0, self.max, multiline=self.kind in (LINES, MARKUP))


MARKUP_HELP = (
    "Formatierung möglich: **fett**, *kursiv*, Listen mit „- “ oder „1. “ am Zeilenanfang, "
    "Links als [Text](https://…). HTML wird nicht ausgewertet."
)

TEXT_SPECS: dict[str, TextSpec] = {
    "title": TextSpec("Titel der Reihe", LINE, 200),
    "organisation": TextSpec(
        "Name des Anbieters (Träger)", LINE, 200, "Steht im Impressum und in der Seitenleiste."
    ),
    "website": TextSpec("Website des Trägers", URL, 2000),
    "about": TextSpec(
        "„Worum geht's?“",
        MARKUP,
        10_000,
        "Der erste Absatz steht auf der Startseite, die weiteren unter „Mehr zum Stammtisch“.",
    ),
    "topic_fields_intro": TextSpec("Einleitung zu den Themenfeldern", MARKUP, 3000),
    "topic_fields_more": TextSpec("„…und mehr“", MARKUP, 3000),
    "suggestions_intro": TextSpec("Einleitung der Themensammlung", MARKUP, 3000),
    "impulse_intro": TextSpec("Einleitung „Selbst etwas vorstellen“", MARKUP, 3000),
    "contact_name": TextSpec("Ansprechperson", LINE, 200),
    "contact_email": TextSpec("E-Mail-Adresse für Kontakt", EMAIL, 254),
    "address": TextSpec("Anschrift", LINES, 1000, "Eine Zeile je Zeile der Anschrift."),
    "funding": TextSpec("Förderhinweis", MARKUP, 3000),
    "copyright": TextSpec("Copyright-Zeile", LINE, 300),
    "privacy_contact": TextSpec(
        "Kontakt für Datenschutzfragen",
        MARKUP,
        2000,
        "Steht in den Datenschutzhinweisen unter „Verantwortlich“; leer: die Kontakt-Adresse.",
    ),
    "imprint_representatives": TextSpec(
        "Vertretungsberechtigte (Impressum)", LINES, 2000, "Zum Beispiel der Vorstand."
    ),
    "imprint_register": TextSpec(
        "Registereintrag (Impressum)",
        LINES,
        500,
        "Registergericht und Registernummer, z. B. „Amtsgericht Dresden, VR 1234“.",
    ),
    "imprint_responsible": TextSpec(
        "Verantwortlich für den Inhalt (Impressum)", LINES, 1000, "Name und Anschrift."
    ),
    "accessibility_enforcement": TextSpec(
        "Durchsetzungs- oder Schlichtungsstelle (Barrierefreiheit)",
        LINES,
        1000,
        "Steht in der Erklärung zur Barrierefreiheit unter „Schlichtung“; leer: der "
        "Abschnitt fehlt.",
    ),
}
TEXT_KEYS = tuple(TEXT_SPECS)
TEXT_LABELS = {key: spec.label for key, spec in TEXT_SPECS.items()}
MARKUP_KEYS = frozenset(key for key, spec in TEXT_SPECS.items() if spec.kind == MARKUP)

# What § 5 DDG (and § 18 MStV for the person responsible) asks of the imprint: shown to
# the team until filled in, never invented.
IMPRINT_REQUIRED = {
    "organisation": "Name des Anbieters",
    "address": "Anschrift",
    "contact_email": "E-Mail-Adresse für Kontakt",
    "imprint_representatives": "vertretungsberechtigte Personen (Vorstand)",
    "imprint_register": "Registereintrag (Registergericht und Nummer)",
    "imprint_responsible": "Verantwortliche Person für den Inhalt",
}


def missing_imprint_fields(texts: Mapping[str, str]) -> list[str]:
    """The legally required imprint details still missing (German names, for the team)."""
    return [label for key, label in IMPRINT_REQUIRED.items() if not texts.get(key, "").strip()]


def clean_text(check: FieldChecker, key: str, value: object) -> str:
    """One text checked by its kind; a problem goes to ``check`` under ``key``."""
    spec = TEXT_SPECS[key]
    subject = f"Der Text „{spec.label}“"
    if spec.kind == EMAIL:
        return check.email(key, value, required=False) or ""
    if spec.kind == URL:
        return check.url(key, value, label="die Adresse der Website") or ""
    cleaned = check.text(key, value, label=subject, subject=subject, limit=spec.limit) or ""
    if spec.kind == MARKUP:
        for problem in richtext.problems(cleaned):
            check.fail(key, problem)
    return cleaned


CHANGED_MEANWHILE = (
    "Diesen Text hat inzwischen jemand anderes geändert. Verwerfen Sie Ihre Änderungen, um "
    "den neuen Stand zu sehen, und tragen Sie Ihre Änderung dann erneut ein."
)


@dataclass(frozen=True)
class TextsSaved:
    """What a save changed, and what the team should still know."""

    changed: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def text_warnings(texts: Mapping[str, str], keys: tuple[str, ...] | None = None) -> list[str]:
    """Allowed, but worth a word: an incomplete imprint, HTML that will show as text."""
    warnings = []
    missing = missing_imprint_fields(texts)
    if missing:
        warnings.append(
            "Das Impressum ist unvollständig – es fehlt: " + ", ".join(missing) + ". "
            "Gespeichert wird trotzdem; das Team sieht den Hinweis, bis es ergänzt ist."
        )
    for key in keys if keys is not None else TEXT_KEYS:
        if TEXT_SPECS[key].kind in (MARKUP, LINES, LINE) and richtext.has_html(texts.get(key, "")):
            warnings.append(
                f"„{TEXT_SPECS[key].label}“ enthält HTML. Es wird nicht ausgewertet, sondern "
                "so angezeigt, wie es dasteht."
            )
    return warnings


def set_texts(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    values: Mapping[str, object],
    now: datetime,
    expected: Mapping[str, str] | None = None,
) -> TextsSaved:
    """Change several page texts at once (one form of the team's page): every value is
    checked by its kind (messages per text), only changed ones are written, each audited
    with before and after. ``actor`` None: the command line. Warnings (incomplete imprint,
    HTML) do not stop the save.

    ``expected``: the texts as the editor loaded them; a text someone else changed since
    is not overwritten (a message asks to look at it again), so no edit is lost unseen.
    """
    unknown = [key for key in values if key not in TEXT_SPECS]
    if unknown:
        raise ValidationError.single(unknown[0], f"Einen Text „{unknown[0]}“ gibt es nicht.")
    check = FieldChecker()
    clean = {key: clean_text(check, key, value) for key, value in values.items()}
    check.raise_if_any()
    with write_transaction(session):
        if actor is not None:
            require_organizer(session, actor)
        rows = {
            row.key.removeprefix(TEXT_PREFIX): row
            for row in session.exec(
                select(SiteSetting)
                .where(col(SiteSetting.key).in_([TEXT_PREFIX + key for key in clean]))
                .with_for_update()
            ).all()
        }
        changed = []
        meanwhile = {
            key: CHANGED_MEANWHILE
            for key, value in clean.items()
            if expected is not None
            and key in expected
            and (rows[key].value if key in rows else "") not in (expected[key], value)
        }
        if meanwhile:
            raise ValidationError(meanwhile)
        for key, value in clean.items():
            row = rows.get(key)
            before = row.value if row is not None else ""
            if row is not None and before == value:
                continue
            if row is None:
                row = SiteSetting(key=TEXT_PREFIX + key, value=value)
            row.value = value
            session.add(row)
            changed.append(key)
            record(
                session,
                actor=actor,
                action="site.text",
                obj=None,
                details={"key": key, "label": TEXT_LABELS[key], "before": before, "after": value},
                now=now,
            )
        session.flush()
        texts = site_texts(session=session)
    return TextsSaved(tuple(changed), tuple(text_warnings(texts, tuple(clean))))


def set_text(*, session: Session, key: str, value: str, now: datetime, actor=None) -> TextsSaved:
    """Change one page text (audited with before and after; the CLI's ``text set``)."""
    return set_texts(session=session, actor=actor, values={key: value}, now=now)


def site_texts(*, session: Session) -> dict[str, str]:
    """All public page texts; a missing one is an empty string."""
    rows = session.exec(
        select(SiteSetting).where(col(SiteSetting.key).startswith(TEXT_PREFIX))
    ).all()
    texts = dict.fromkeys(TEXT_KEYS, "")
    texts.update(
        {
            r.key.removeprefix(TEXT_PREFIX): r.value
            for r in rows
            if r.key.removeprefix(TEXT_PREFIX) in TEXT_SPECS
        }
    )
    return texts


def missing_seed_texts(session: Session, seed: Mapping[str, str]) -> dict[str, str]:
    """Texts of the seed this database has never had (a text added to the app later): the
    seed's first version is added; a text the team changed, even emptied, is kept."""
    present = set(
        session.exec(
            select(SiteSetting.key).where(col(SiteSetting.key).startswith(TEXT_PREFIX))
        ).all()
    )
    return {
        key: value
        for key, value in seed.items()
        if key in TEXT_SPECS and TEXT_PREFIX + key not in present
    }


SESSION_SECRET_KEY = "session_secret"  # noqa: S105  (the row's name, not a secret)


def session_secret(*, session: Session) -> str:
    """The key generated once per installation (migration 0007) that signs the team's
    login cookie when ``STAMMTISCH_SECRET_KEY`` is not configured."""
    row = session.get(SiteSetting, SESSION_SECRET_KEY)
    if row is None or not row.value:
        raise RuntimeError("site_setting.session_secret is missing: migrate the database")
    return row.value
