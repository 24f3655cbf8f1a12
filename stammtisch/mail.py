"""The outbox: mails are queued in the same transaction as the change they report.

A service that changes something a person must learn about (a registration, a promotion,
a cancellation, a moved meeting) calls :func:`queue` inside its own write transaction, so
the mail exists exactly when the change does: a rolled-back change queues nothing. The
sender (:mod:`stammtisch.mailer`) delivers it later, once.

Contents are built from :class:`Block` lists (:mod:`stammtisch.mail_texts`) and rendered
twice from the same blocks: plain text and a simple HTML part, every piece of text
escaped. A personal link is never stored in a body: the body carries
:data:`PERSONAL_LINK`, the token waits in ``Mail.secret`` and is put in only at delivery,
after which the secret is deleted. The team's preview shows the placeholder.

Mails are personal data: they go with the registration at the end of the retention
period and with the person on erasure (:func:`forget_address`, :func:`forget_registrations`).
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import make_msgid, parseaddr
from urllib.parse import urlencode

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from stammtisch import limits
from stammtisch.config import load_settings
from stammtisch.db import casefold, count_if, view_of, write_transaction
from stammtisch.errors import NotFound, ValidationError
from stammtisch.identity import OrganizerIdentity
from stammtisch.models import Mail, MailStatus
from stammtisch.validation import FieldChecker, email_key, normalise_text

PERSONAL_LINK = "[[PERSOENLICHER-LINK]]"
PERSONAL_LINK_PREVIEW = "[persönlicher Link – wird erst beim Versand eingesetzt]"
MY_REGISTRATION_PATH = "meine-anmeldung"
# The team's one-time link to set a password: like the personal link, only in ``secret``.
# (Names of placeholders and a page, not passwords: hence the noqa for S105.)
PASSWORD_LINK = "[[PASSWORT-LINK]]"  # noqa: S105
PASSWORD_LINK_PREVIEW = "[Link zum Festlegen des Passworts – wird erst beim Versand eingesetzt]"  # noqa: S105
SET_PASSWORD_PATH = "passwort-festlegen"  # noqa: S105
# The confirmation link of a subscription (stammtisch.subscriptions), filled in like
# the personal link: its token is in ``Mail.secret`` until delivery only.
CONFIRM_LINK = "[[BESTAETIGUNGS-LINK]]"
CONFIRM_LINK_PREVIEW = "[Bestätigungslink – wird erst beim Versand eingesetzt]"
SUBSCRIPTION_PATH = "benachrichtigung"
SUBJECT_PREFIX = "Strukturwandel-Stammtisch: "


# --- contents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label/value lines ("Termin: Mo, 06.12.2021, 17:00–18:30 Uhr")."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Items:
    """A short list (the impulses)."""

    title: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Quote:
    """Text someone wrote (an organizer's personal message), shown as written."""

    label: str
    text: str


Block = Para | Facts | Items | Link | Quote


@dataclass(frozen=True)
class MailContent:
    subject: str
    greeting: str
    blocks: tuple[Block, ...]
    footer: str = ""
    ics: bytes | None = None
    extra: dict = field(default_factory=dict)


def _single_line(text: str) -> str:
    """Header-safe: no CR/LF or other control characters can start a new header."""
    return normalise_text(text)


def render_text(content: MailContent) -> str:
    parts = [content.greeting]
    for block in content.blocks:
        if isinstance(block, Para):
            parts.append(block.text)
        elif isinstance(block, Facts):
            parts.append("\n".join(f"{label}: {value}" for label, value in block.rows))
        elif isinstance(block, Items):
            parts.append(block.title + "\n" + "\n".join(f"– {item}" for item in block.items))
        elif isinstance(block, Link):
            parts.append(f"{block.label}:\n{block.url}")
        elif isinstance(block, Quote):
            quoted = "\n".join(f"> {line}" for line in block.text.splitlines())
            parts.append(f"{block.label}:\n{quoted}")
    parts.append("Viele Grüße\nIhr Team vom Strukturwandel-Stammtisch")
    if content.footer:
        parts.append("-- \n" + content.footer)
    return "\n\n".join(parts) + "\n"


_P = '<p style="margin:0 0 1em 0">'


def render_html(content: MailContent) -> str:
    """A plain HTML part: no images, no external resources, every text escaped."""
    e = html.escape
    parts = [f"{_P}{e(content.greeting)}</p>"]
    for block in content.blocks:
        if isinstance(block, Para):
            parts.append(f"{_P}{e(block.text)}</p>")
        elif isinstance(block, Facts):
            rows = "".join(
                f'<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">'
                f"{e(label)}</th><td>{e(value)}</td></tr>"
                for label, value in block.rows
            )
            parts.append(f'<table style="margin:0 0 1em 0;border-collapse:collapse">{rows}</table>')
        elif isinstance(block, Items):
            items = "".join(f"<li>{e(item)}</li>" for item in block.items)
            parts.append(f"{_P}<strong>{e(block.title)}</strong></p><ul>{items}</ul>")
        elif isinstance(block, Link):
            url = e(block.url, quote=True)
            parts.append(
                f'{_P}<a href="{url}">{e(block.label)}</a><br><small>{e(block.url)}</small></p>'
            )
        elif isinstance(block, Quote):
            text = "<br>".join(e(line) for line in block.text.splitlines())
            parts.append(
                f"{_P}<strong>{e(block.label)}</strong></p>"
                f'<blockquote style="margin:0 0 1em 0;padding-left:12px;'
                f'border-left:3px solid #999">{text}</blockquote>'
            )
    parts.append(f"{_P}Viele Grüße<br>Ihr Team vom Strukturwandel-Stammtisch</p>")
    if content.footer:
        parts.append(f'<p style="color:#555;font-size:smaller">{e(content.footer)}</p>')
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
        f"<title>{e(content.subject)}</title></head>"
        f'<body style="font-family:sans-serif;line-height:1.5;color:#111">{body}</body></html>'
    )


def personal_url(token: str, base_url: str | None = None) -> str:
    """The link to one's own registration ("Meine Anmeldung")."""
    base = base_url or load_settings().base_url
    return f"{base}/{MY_REGISTRATION_PATH}?{urlencode({'token': token})}"


def password_url(token: str, base_url: str | None = None) -> str:
    """The team's one-time link to set a password."""
    base = base_url or load_settings().base_url
    return f"{base}/{SET_PASSWORD_PATH}?{urlencode({'token': token})}"


def confirm_url(token: str, base_url: str | None = None) -> str:
    """The link that confirms a subscription (a page with a button)."""
    base = base_url or load_settings().base_url
    return f"{base}/{SUBSCRIPTION_PATH}?{urlencode({'bestaetigen': token})}"


def with_secret(body: str, secret: str | None, *, escape: bool, base_url: str | None = None) -> str:
    """The body as delivered: the personal, password or confirmation link filled in (or,
    without the secret, the preview text)."""
    for placeholder, url, preview in (
        (PERSONAL_LINK, personal_url, PERSONAL_LINK_PREVIEW),
        (PASSWORD_LINK, password_url, PASSWORD_LINK_PREVIEW),
        (CONFIRM_LINK, confirm_url, CONFIRM_LINK_PREVIEW),
    ):
        if placeholder in body:
            filler = url(secret, base_url) if secret else preview
            body = body.replace(placeholder, html.escape(filler, quote=True) if escape else filler)
    return body


# --- queueing ----------------------------------------------------------------------------


def _message_domain() -> str:
    _name, address = parseaddr(load_settings().mail_from)
    return address.rpartition("@")[2] or "localhost"


def mail_row(
    *,
    kind: str,
    to_address: str,
    to_name: str | None,
    content: MailContent,
    now: datetime,
    wall: datetime | None = None,
    secret: str | None = None,
    registration_id: int | None = None,
    meeting_id: int | None = None,
    offer_id: int | None = None,
    subscription_id: int | None = None,
    list_unsubscribe: str | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> dict:
    """The outbox row of a mail, rendered (no database work: hot paths render it before
    they take their locks). The Message-ID is fixed here, once."""
    return {
        "kind": kind,
        "status": MailStatus.QUEUED.value,
        "to_address": to_address,
        "to_name": _single_line(to_name)[: limits.PERSON_NAME.max] if to_name else None,
        "subject": _single_line(SUBJECT_PREFIX + content.subject)[: limits.MAIL_SUBJECT_MAX],
        "body_text": render_text(content),
        "body_html": render_html(content),
        "ics": content.ics.decode("utf-8") if content.ics else None,
        "secret": secret,
        "message_id": make_msgid(idstring=secrets.token_hex(6), domain=_message_domain()),
        "dedupe_key": dedupe_key,
        "registration_id": registration_id,
        "meeting_id": meeting_id,
        "offer_id": offer_id,
        "subscription_id": subscription_id,
        "list_unsubscribe": list_unsubscribe,
        "attempts": 0,
        # Delivery runs on the real clock: a pinned demo clock must not hold mails back.
        "next_attempt_at": wall or datetime.now(UTC),
        "created_at": now,
        "expires_at": expires_at,
    }


def queue(session: Session, **row: object) -> Mail:
    """Add a mail to the outbox inside the caller's transaction (never commits itself).

    Takes :func:`mail_row`'s arguments: ``now`` is the app's time of the change; ``wall``
    the real time from which the sender may deliver (default: at once).
    """
    mail = Mail(**mail_row(**row))
    session.add(mail)
    session.flush()
    return mail


def recently_queued(
    session: Session, *, registration_id: int, kinds: Sequence[str], since: datetime
) -> bool:
    """Whether a mail of ``kinds`` for this registration was queued after ``since``
    (so a form sent again and again does not flood someone's inbox)."""
    return (
        session.exec(
            select(func.count())
            .select_from(Mail)
            .where(
                Mail.registration_id == registration_id,
                col(Mail.kind).in_(list(kinds)),
                Mail.created_at > since,
            )
        ).one()
        > 0
    )


# --- privacy -------------------------------------------------------------------------------


def forget_address(session: Session, key: str) -> int:
    """Delete every mail to an address (erasure of a person); returns how many."""
    result = session.exec(delete(Mail).where(casefold(session, Mail.to_address) == key))
    return int(result.rowcount or 0)


def forget_registrations(session: Session, registration_ids: Sequence[int]) -> int:
    """Delete the mails of these registrations (they are being anonymised)."""
    if not registration_ids:
        return 0
    result = session.exec(delete(Mail).where(col(Mail.registration_id).in_(list(registration_ids))))
    return int(result.rowcount or 0)


def purge_older_than(session: Session, cutoff: datetime) -> int:
    """Delete every mail created before ``cutoff`` (retention), whatever its state.

    Not only delivered, failed and expired ones: without a mail server a mail stays
    queued for good (it lies in ``data/outbox/``), and a mail older than the retention
    period is no news to anyone any more – it must not outlive the period unsent."""
    result = session.exec(delete(Mail).where(Mail.created_at < cutoff))
    return int(result.rowcount or 0)


# --- the team's view of the outbox ------------------------------------------------------


@dataclass(frozen=True)
class MailView:
    """A mail as the team sees it in the outbox (the personal link only as placeholder)."""

    id: int
    kind: str
    status: str
    to_address: str
    to_name: str | None
    subject: str
    body_text: str
    has_ics: bool
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    message_id: str


KIND_LABELS = {
    "confirm_request": "Bitte bestätigen",
    "registration_confirmed": "Anmeldung bestätigt",
    "waitlisted": "Warteliste",
    "already_registered": "Bereits angemeldet",
    "promoted": "Nachgerückt",
    "cancellation": "Abmeldung bestätigt",
    "reminder": "Erinnerung",
    "meeting_cancelled": "Treffen abgesagt",
    "meeting_replanned": "Treffen findet doch statt",
    "meeting_changed": "Treffen geändert",
    "offer_received": "Impuls-Angebot eingegangen",
    "offer_decision": "Entscheidung zum Impuls-Angebot",
    "organizer_invite": "Neues Team-Konto",
    "organizer_password": "Neues Passwort (Team)",
    "subscription_confirm": "Benachrichtigung bestätigen",
    "registration_open": "Anmeldung offen (Benachrichtigung)",
    "news_meeting": "Neuer Termin (Benachrichtigung)",
    "news_registration_open": "Anmeldung offen (neue Termine)",
    "link_again": "Persönlicher Link (Link verloren)",
    "team_message": "Nachricht des Teams",
    "test": "Testmail",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def list_mails(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    status: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MailView], int]:
    """One page of the outbox, newest first, and how many match."""
    from stammtisch.organizers import require_organizer

    require_organizer(session, actor)
    conditions = []
    if status:
        conditions.append(Mail.status == MailStatus(status))
    term = email_key(search or "")[:100]
    if term:
        conditions.append(casefold(session, Mail.to_address).contains(term, autoescape=True))
    total = session.exec(select(func.count()).select_from(Mail).where(*conditions)).one()
    rows = session.exec(
        select(Mail)
        .where(*conditions)
        .order_by(col(Mail.created_at).desc(), col(Mail.id).desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), 200))
    ).all()
    views = [
        view_of(
            MailView,
            m,
            body_text=with_secret(m.body_text, None, escape=False),
            has_ics=m.ics is not None,
        )
        for m in rows
    ]
    return views, int(total)


def status_counts(*, session: Session) -> dict[str, int]:
    """Mails per status (for the navigation badge and the outbox page)."""
    row = session.exec(select(*(count_if(Mail.status == s) for s in MailStatus))).one()
    return {s.value: int(n) for s, n in zip(MailStatus, row, strict=True)}


def resend(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    mail_id: int,
    now: datetime,
    wall: datetime,
) -> None:
    """Put a failed (or expired) mail back in the queue for one more round of attempts."""
    from stammtisch.audit import record
    from stammtisch.organizers import require_organizer

    with write_transaction(session):
        require_organizer(session, actor)
        mail = session.exec(select(Mail).where(Mail.id == mail_id).with_for_update()).first()
        if mail is None:
            raise NotFound("Diese Mail gibt es nicht (mehr).")
        if mail.status not in (MailStatus.FAILED, MailStatus.EXPIRED):
            raise ValidationError.single(
                "mail", "Erneut senden lässt sich nur eine fehlgeschlagene Mail."
            )
        mail.status = MailStatus.QUEUED
        mail.attempts = 0
        mail.next_attempt_at = wall
        mail.expires_at = None
        mail.last_error = None
        session.add(mail)
        record(session, actor=actor, action="mail.resend", obj=("mail", mail.id), now=now)


def queue_test_mail(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    to_address: str,
    now: datetime,
    wall: datetime,
) -> int:
    """A test mail to check the mail settings; returns its id."""
    from stammtisch import mail_texts
    from stammtisch.audit import record
    from stammtisch.organizers import require_organizer

    check = FieldChecker()
    address = check.email("to_address", to_address)
    check.raise_if_any()
    with write_transaction(session):
        organizer = require_organizer(session, actor)
        mail = queue(
            session,
            kind="test",
            to_address=address,
            to_name=None,
            content=mail_texts.test_mail(organizer.display_name, load_settings()),
            now=now,
            wall=wall,
        )
        record(session, actor=actor, action="mail.test", obj=("mail", mail.id), now=now)
        mail_id = mail.id
    return mail_id


def expire_unsent(session: Session, registration_id: int, kinds: Sequence[str]) -> None:
    """Mails of these kinds still waiting for a registration are out of date (confirmed:
    the request to confirm; cancelled: the reminder). Inside the caller's transaction."""
    session.exec(
        update(Mail)
        .where(
            Mail.registration_id == registration_id,
            col(Mail.kind).in_(list(kinds)),
            col(Mail.status).in_([MailStatus.QUEUED, MailStatus.RETRY]),
        )
        .values(status=MailStatus.EXPIRED, secret=None)
    )


def expire_unsent_to(session: Session, address: str, kinds: Sequence[str]) -> None:
    """Mails of these kinds still waiting for ``address`` are out of date (a newer link
    replaced theirs): they are not sent, and their secret goes. Inside the caller's
    transaction."""
    session.exec(
        update(Mail)
        .where(
            casefold(session, Mail.to_address) == email_key(address),
            col(Mail.kind).in_(list(kinds)),
            col(Mail.status).in_([MailStatus.QUEUED, MailStatus.RETRY]),
        )
        .values(status=MailStatus.EXPIRED, secret=None)
    )
