"""Staying informed by mail: "tell me when registration opens" and announcements.

Both are advertising-like mail under German law (§ 7 UWG), so:

* **Double opt-in.** A wish is stored as *pending* and a confirmation mail goes out;
  nothing else is ever sent before its link is confirmed. Unconfirmed wishes are deleted
  after :data:`PENDING_LIFETIME`. The time of consent, the version of the consent text
  (:data:`CONSENT_VERSION`) and the time of confirmation are stored.
* **No mail bombing of a stranger.** While an address has a confirmation pending, it gets
  no second confirmation mail: a new wish joins the pending one, and the one link confirms
  all of them. The limits of :mod:`stammtisch.rate_limits` apply per network and address.
  The page answers every send with the same sentence (:data:`SUBSCRIBED_MESSAGE`), so it
  reveals nothing about an address.
* **One-click unsubscribe** in every mail after the confirmation: a visible link to a page
  that needs no login, and the ``List-Unsubscribe``/``List-Unsubscribe-Post`` headers
  (RFC 8058) whose POST removes the wish at once. The link is signed
  (:func:`unsubscribe_token`), so nothing secret is stored for it. Whoever unsubscribes is
  deleted, not flagged.

The mails themselves are queued in the same transaction as the change they report:
:func:`meeting_published` (a draft became public, or a meeting was created public) and
:func:`registration_opened` (the team opened registration; the meeting's waiting list of
wishes is then deleted).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, exists, func, or_
from sqlmodel import Session, col, select

from stammtisch import limits, mail, mail_texts, rate_limits
from stammtisch.audit import record
from stammtisch.db import write_transaction
from stammtisch.errors import FORM, NotFound, ValidationError
from stammtisch.formatting import format_day
from stammtisch.identity import OrganizerIdentity
from stammtisch.meeting_rules import has_begun, is_cancelled, is_draft
from stammtisch.meetings import view_of_meeting
from stammtisch.models import (
    Meeting,
    MeetingTopicField,
    RegistrationState,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
    SubscriptionTopicField,
    TopicField,
)
from stammtisch.organizers import require_organizer
from stammtisch.rate_limits import Action, Requester
from stammtisch.site import session_secret
from stammtisch.tokens import hash_token, new_token
from stammtisch.validation import FieldChecker, email_key

PENDING_LIFETIME = timedelta(hours=48)
CONSENT_VERSION = "2026-11-29"
CONSENT_TEXTS = {
    CONSENT_VERSION: (
        "Ja, ich möchte dazu per E-Mail benachrichtigt werden. Ich bestätige das über einen "
        "Link, den ich per E-Mail bekomme, und kann es jederzeit mit einem Klick abbestellen."
    )
}
CONSENT_TEXT = CONSENT_TEXTS[CONSENT_VERSION]
SUBSCRIBED_MESSAGE = (
    "Fast geschafft: Bitte bestätigen Sie Ihren Wunsch über den Link in der E-Mail, die wir "
    "Ihnen geschickt haben. Erst danach schreiben wir Ihnen. Ist nichts angekommen? Bitte "
    "schauen Sie auch im Spam-Ordner nach."
)
CONFIRM_PATH = "benachrichtigung"
ONE_CLICK_PATH = "/abbestellen"
_SALT = "stammtisch-abbestellen"


@dataclass(frozen=True)
class SubscriptionInput:
    """A visitor's wish. ``meeting_id`` set: that meeting's registration; else news
    (``topic_field_ids`` empty: all topic fields)."""

    email: str
    name: str = ""
    consent: bool = False
    meeting_id: int | None = None
    topic_field_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConfirmResult:
    """What a confirmation link confirmed (``already``: it had been clicked before)."""

    confirmed: tuple[str, ...]
    already: bool


# --- asking ----------------------------------------------------------------------------------


def _validate(session: Session, data: SubscriptionInput, now: datetime) -> tuple:
    check = FieldChecker()
    email = check.email("email", data.email)
    name = check.text("name", data.name, label="einen Namen", limit=limits.AUTHOR_NAME)
    if data.consent is not True:
        check.fail("consent", "Bitte stimmen Sie zu, dass wir Ihnen dafür schreiben dürfen.")
    field_ids = tuple(dict.fromkeys(data.topic_field_ids or ()))
    if data.meeting_id is not None and field_ids:
        check.fail("topic_field_ids", "Themenfelder gibt es nur für neue Termine.")
    if any(not isinstance(i, int) or isinstance(i, bool) for i in field_ids):
        check.fail("topic_field_ids", "Bitte wählen Sie Themenfelder aus der Liste.")
    elif field_ids:
        known = set(
            session.exec(select(TopicField.id).where(col(TopicField.id).in_(field_ids))).all()
        )
        if known != set(field_ids):
            check.fail("topic_field_ids", "Bitte wählen Sie Themenfelder aus der Liste.")
    if data.meeting_id is not None:
        meeting = session.get(Meeting, data.meeting_id)
        reason = _meeting_refusal(meeting, now)
        if reason:
            check.fail(FORM, reason)
    check.raise_if_any()
    return email, name, field_ids


def _meeting_refusal(meeting: Meeting | None, now: datetime) -> str | None:
    if meeting is None or is_draft(meeting):
        return "Diesen Termin gibt es nicht."
    if is_cancelled(meeting) or has_begun(meeting, now):
        return "Für dieses Treffen gibt es keine Anmeldung mehr."
    if meeting.registration_state == RegistrationState.OPEN:
        return "Die Anmeldung für dieses Treffen ist schon offen – Sie können sich direkt anmelden."
    if meeting.registration_state == RegistrationState.CLOSED:
        return "Die Anmeldung für dieses Treffen ist geschlossen."
    return None


def subscribe(
    *,
    session: Session,
    data: SubscriptionInput,
    now: datetime,
    requester: Requester | None = None,
) -> str:
    """Store a wish as pending and mail the confirmation link; returns
    :data:`SUBSCRIBED_MESSAGE` whatever the address already had (nothing is revealed).

    A wish the address already has (pending or confirmed) changes nothing. While the
    address has a confirmation pending, the new wish joins it without a second mail.
    Raises :class:`ValidationError` with German messages per field, or when the limits
    of :mod:`stammtisch.rate_limits` are reached.
    """
    email, name, field_ids = _validate(session, data, now)
    session.rollback()  # the reads above must not hold the session for the write below
    key = email_key(email)
    kind = SubscriptionKind.MEETING if data.meeting_id is not None else SubscriptionKind.NEWS
    with write_transaction(session, content=False):
        rate_limits.enforce(session, Action.SUBSCRIPTION, requester, email_key=key)
        purge_expired(session, now)
        if data.meeting_id is not None:  # checked again under the transaction
            meeting = session.get(Meeting, data.meeting_id)
            reason = _meeting_refusal(meeting, now)
            if reason:
                raise ValidationError.single(FORM, reason)
        same = session.exec(
            select(Subscription.id).where(
                Subscription.email_normalized == key,
                Subscription.kind == kind.value,
                Subscription.meeting_id == data.meeting_id
                if data.meeting_id is not None
                else col(Subscription.meeting_id).is_(None),
            )
        ).first()
        if same is not None:
            return SUBSCRIBED_MESSAGE
        pending_mail = session.exec(
            select(Subscription.id).where(
                Subscription.email_normalized == key,
                Subscription.status == SubscriptionStatus.PENDING,
                col(Subscription.confirm_token_hash).is_not(None),
            )
        ).first()
        token = None if pending_mail is not None else new_token()
        row = Subscription(
            kind=kind.value,
            meeting_id=data.meeting_id,
            email=email,
            email_normalized=key,
            name=name,
            status=SubscriptionStatus.PENDING.value,
            key=secrets.token_hex(8),
            confirm_token_hash=hash_token(token) if token else None,
            consent_version=CONSENT_VERSION,
            consent_at=now,
            expires_at=now + PENDING_LIFETIME,
            created_at=now,
        )
        session.add(row)
        session.flush()
        for field_id in field_ids:
            session.add(SubscriptionTopicField(subscription_id=row.id, topic_field_id=field_id))
        if token is not None:
            mail.queue(
                session,
                kind="subscription_confirm",
                to_address=email,
                to_name=name,
                content=mail_texts.subscription_confirm(
                    name, _describe(session, row), expires_at=row.expires_at
                ),
                now=now,
                secret=token,
                subscription_id=row.id,
                expires_at=row.expires_at,
            )
    return SUBSCRIBED_MESSAGE


def _describe(session: Session, row: Subscription) -> str:
    """One line a person recognises their wish by."""
    if row.kind == SubscriptionKind.MEETING:
        meeting = session.get(Meeting, row.meeting_id)
        if meeting is None:
            return "Benachrichtigung zu einem Treffen, das es nicht mehr gibt"
        return (
            f"Benachrichtigung, sobald die Anmeldung für „{meeting.theme}“ "
            f"({format_day(meeting.starts_at)}) öffnet"
        )
    names = session.exec(
        select(TopicField.name)
        .join(SubscriptionTopicField, SubscriptionTopicField.topic_field_id == TopicField.id)
        .where(SubscriptionTopicField.subscription_id == row.id)
        .order_by(TopicField.position, TopicField.name)
    ).all()
    fields = ", ".join(names) if names else "alle Themenfelder"
    return f"Neue Termine des Strukturwandel-Stammtischs ({fields})"


# --- confirming ------------------------------------------------------------------------------


def _by_confirm_token(session: Session, token: str) -> Subscription | None:
    if not token or len(token) > 200:
        return None
    return session.exec(
        select(Subscription).where(Subscription.confirm_token_hash == hash_token(token))
    ).first()


def _pending_batch(session: Session, key: str, now: datetime) -> list[Subscription]:
    return list(
        session.exec(
            select(Subscription)
            .where(
                Subscription.email_normalized == key,
                Subscription.status == SubscriptionStatus.PENDING,
                col(Subscription.expires_at) > now,
            )
            .order_by(Subscription.id)
        ).all()
    )


INVALID_CONFIRM_LINK = (
    "Dieser Bestätigungslink gilt nicht (mehr). Unbestätigte Wünsche löschen wir nach "
    "48 Stunden; bitte tragen Sie sich einfach noch einmal ein."
)


def _batch_for(session: Session, token: str, now: datetime) -> tuple[Subscription, list]:
    """The link's wish and the pending wishes of its address it confirms ([] when it was
    confirmed before); :class:`NotFound` for an unknown or expired link."""
    row = _by_confirm_token(session, token)
    if row is None:
        raise NotFound(INVALID_CONFIRM_LINK)
    if row.status == SubscriptionStatus.CONFIRMED:
        return row, []
    batch = _pending_batch(session, row.email_normalized, now)
    if row not in batch:
        raise NotFound(INVALID_CONFIRM_LINK)
    return row, batch


def _result(session: Session, row: Subscription, batch: list) -> ConfirmResult:
    if not batch:
        return ConfirmResult((_describe(session, row),), already=True)
    return ConfirmResult(tuple(_describe(session, r) for r in batch), already=False)


def describe_confirmation(*, session: Session, token: str, now: datetime) -> ConfirmResult:
    """What the link would confirm, for the page before its button (changes nothing)."""
    return _result(session, *_batch_for(session, token, now))


def confirm(*, session: Session, token: str, now: datetime) -> ConfirmResult:
    """Confirm every pending wish of the link's address (the button the mail's link
    opens; a link scanner's GET changes nothing). Clicking again changes nothing."""
    with write_transaction(session, content=False):
        row, batch = _batch_for(session, token, now)
        for item in batch:
            item.status = SubscriptionStatus.CONFIRMED.value
            item.confirmed_at = now
            item.expires_at = None
            session.add(item)
        return _result(session, row, batch)


def purge_expired(session: Session, now: datetime) -> int:
    """Delete unconfirmed wishes older than :data:`PENDING_LIFETIME` (inside the caller's
    transaction; the sender's housekeeping calls it too)."""
    result = session.execute(
        delete(Subscription).where(
            Subscription.status == SubscriptionStatus.PENDING,
            col(Subscription.expires_at) <= now,
        )
    )
    return int(result.rowcount or 0)


# --- unsubscribing ---------------------------------------------------------------------------


def _serializer(session: Session) -> URLSafeSerializer:
    return URLSafeSerializer(session_secret(session=session), salt=_SALT)


def unsubscribe_token(session: Session, row: Subscription) -> str:
    """The signed, stable token of a wish's unsubscribe links (nothing stored for it)."""
    return _serializer(session).dumps([row.id, row.key])


def unsubscribe_urls(session: Session, row: Subscription, base_url: str) -> tuple[str, str]:
    """(the page a person opens, the one-click address of the ``List-Unsubscribe`` header)."""
    token = unsubscribe_token(session, row)
    return (
        f"{base_url}/{CONFIRM_PATH}?abbestellen={token}",
        f"{base_url}{ONE_CLICK_PATH}?token={token}",
    )


def _by_unsubscribe_token(session: Session, token: str) -> Subscription | None:
    if not token or len(token) > 300:
        return None
    try:
        sub_id, key = _serializer(session).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    row = session.get(Subscription, sub_id) if isinstance(sub_id, int) else None
    return row if row is not None and row.key == key else None


def describe_unsubscribe(*, session: Session, token: str) -> str | None:
    """What the link would unsubscribe from; None when it is gone already."""
    row = _by_unsubscribe_token(session, token)
    return None if row is None else _describe(session, row)


def unsubscribe(*, session: Session, token: str, now: datetime) -> str | None:
    """Delete the link's wish (the page's button and the one-click POST); returns what it
    was, or None when it was gone already (a second click is no error)."""
    with write_transaction(session, content=False):
        row = _by_unsubscribe_token(session, token)
        if row is None:
            return None
        what = _describe(session, row)
        session.delete(row)
    return what


# --- the mails the team's changes send ---------------------------------------------------------


def _news_audience(session: Session, meeting: Meeting) -> list[Subscription]:
    """Confirmed announcement subscribers whose topic fields match the meeting (or all)."""
    fields = select(MeetingTopicField.topic_field_id).where(
        MeetingTopicField.meeting_id == meeting.id
    )
    chosen = select(SubscriptionTopicField.subscription_id).where(
        SubscriptionTopicField.subscription_id == Subscription.id
    )
    matching = chosen.where(
        or_(
            SubscriptionTopicField.topic_field_id == meeting.primary_topic_field_id,
            col(SubscriptionTopicField.topic_field_id).in_(fields),
        )
    )
    return list(
        session.exec(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.NEWS,
                Subscription.status == SubscriptionStatus.CONFIRMED,
                or_(~exists(chosen), exists(matching)),
            )
            .order_by(Subscription.id)
        ).all()
    )


def _already_mailed(session: Session, keys: Sequence[str]) -> set[str]:
    from stammtisch.models import Mail

    if not keys:
        return set()
    return set(session.exec(select(Mail.dedupe_key).where(col(Mail.dedupe_key).in_(keys))).all())


def _queue_for(
    session: Session,
    row: Subscription,
    meeting: Meeting,
    kind: str,
    content_for,
    now: datetime,
    dedupe: str,
) -> None:
    from stammtisch.config import load_settings

    page, one_click = unsubscribe_urls(session, row, load_settings().base_url)
    mail.queue(
        session,
        kind=kind,
        to_address=row.email,
        to_name=row.name,
        content=content_for(row, page),
        now=now,
        subscription_id=row.id,
        meeting_id=meeting.id,
        list_unsubscribe=one_click,
        dedupe_key=dedupe,
    )


def _tell_news(
    session: Session,
    meeting: Meeting,
    audience: list[Subscription],
    kind: str,
    event: str,
    content_for,
    now: datetime,
) -> int:
    """One mail of ``kind`` per subscriber and meeting and ``event`` (never a second one,
    whatever the team does twice); returns how many were queued."""
    keys = [f"news-{event}:{row.id}:{meeting.id}" for row in audience]
    done = _already_mailed(session, keys)
    count = 0
    for row, key in zip(audience, keys, strict=True):
        if key not in done:
            _queue_for(session, row, meeting, kind, content_for, now, key)
            count += 1
    return count


def meeting_published(session: Session, meeting: Meeting, now: datetime) -> int:
    """A meeting became public: announcement subscribers whose fields match are told
    (once per subscriber and meeting). Returns how many mails were queued."""
    view = view_of_meeting(session, meeting)
    return _tell_news(
        session,
        meeting,
        _news_audience(session, meeting),
        "news_meeting",
        "new",
        lambda r, page: mail_texts.news_meeting(view, r.name, page, r.confirmed_at),
        now,
    )


def registration_opened(session: Session, meeting: Meeting, now: datetime) -> int:
    """The team opened registration: everyone who asked for this meeting gets one mail
    with the registration link, and the meeting's list is deleted; announcement
    subscribers are told too (once per meeting, and not twice to the same address)."""
    view = view_of_meeting(session, meeting)
    waiting = list(
        session.exec(
            select(Subscription).where(
                Subscription.kind == SubscriptionKind.MEETING,
                Subscription.meeting_id == meeting.id,
                Subscription.status == SubscriptionStatus.CONFIRMED,
            )
        ).all()
    )
    for row in waiting:
        _queue_for(
            session,
            row,
            meeting,
            "registration_open",
            lambda r, page: mail_texts.registration_open(view, r.name, page, r.confirmed_at),
            now,
            f"open:{row.id}:{meeting.id}",
        )
    told = {row.email_normalized for row in waiting}
    session.flush()
    session.execute(
        delete(Subscription).where(
            Subscription.kind == SubscriptionKind.MEETING, Subscription.meeting_id == meeting.id
        )
    )
    audience = [row for row in _news_audience(session, meeting) if row.email_normalized not in told]
    return len(waiting) + _tell_news(
        session,
        meeting,
        audience,
        "news_registration_open",
        "open",
        lambda r, page: mail_texts.registration_open(view, r.name, page, r.confirmed_at, news=True),
        now,
    )


# --- the team's view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionFigures:
    """Confirmed wishes, without addresses: per meeting, announcements in all, per field."""

    per_meeting: dict[int, int]
    news_total: int
    news_all_fields: int
    per_topic_field: dict[int, int]
    pending: int


def figures(*, session: Session) -> SubscriptionFigures:
    """Counts for the team (aggregated in SQL; addresses are not read)."""
    confirmed = Subscription.status == SubscriptionStatus.CONFIRMED
    per_meeting = dict(
        session.exec(
            select(Subscription.meeting_id, func.count())
            .where(confirmed, Subscription.kind == SubscriptionKind.MEETING)
            .group_by(Subscription.meeting_id)
        ).all()
    )
    news_total = session.exec(
        select(func.count()).where(confirmed, Subscription.kind == SubscriptionKind.NEWS)
    ).one()
    chosen = select(SubscriptionTopicField.subscription_id).where(
        SubscriptionTopicField.subscription_id == Subscription.id
    )
    all_fields = session.exec(
        select(func.count()).where(
            confirmed, Subscription.kind == SubscriptionKind.NEWS, ~exists(chosen)
        )
    ).one()
    per_field = dict(
        session.exec(
            select(SubscriptionTopicField.topic_field_id, func.count())
            .join(Subscription, Subscription.id == SubscriptionTopicField.subscription_id)
            .where(confirmed)
            .group_by(SubscriptionTopicField.topic_field_id)
        ).all()
    )
    pending = session.exec(
        select(func.count()).where(Subscription.status == SubscriptionStatus.PENDING)
    ).one()
    return SubscriptionFigures(
        per_meeting={int(k): int(v) for k, v in per_meeting.items() if k is not None},
        news_total=int(news_total),
        news_all_fields=int(all_fields),
        per_topic_field={int(k): int(v) for k, v in per_field.items()},
        pending=int(pending),
    )


EXPORT_COLUMNS = (
    "E-Mail",
    "Name",
    "Themenfelder",
    "Eingewilligt am",
    "Bestätigt am",
    "Einwilligungstext (Version)",
)


def export_news(
    *, session: Session, actor: OrganizerIdentity | None, now: datetime
) -> list[dict[str, str]]:
    """Confirmed announcement subscribers for the NGO's newsletter tool (only those who
    consented and confirmed); recorded in the audit log."""
    from stammtisch.formatting import format_timestamp

    with write_transaction(session, content=False):
        require_organizer(session, actor)
        rows = session.exec(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.NEWS,
                Subscription.status == SubscriptionStatus.CONFIRMED,
            )
            .order_by(Subscription.confirmed_at, Subscription.id)
        ).all()
        names = dict(session.exec(select(TopicField.id, TopicField.name)).all())
        chosen: dict[int, list[str]] = {}
        for sub_id, field_id in session.exec(
            select(SubscriptionTopicField.subscription_id, SubscriptionTopicField.topic_field_id)
        ).all():
            chosen.setdefault(sub_id, []).append(names.get(field_id, str(field_id)))
        result = [
            {
                "E-Mail": row.email,
                "Name": row.name or "",
                "Themenfelder": ", ".join(sorted(chosen.get(row.id, []))) or "alle",
                "Eingewilligt am": format_timestamp(row.consent_at),
                "Bestätigt am": format_timestamp(row.confirmed_at) if row.confirmed_at else "",
                "Einwilligungstext (Version)": row.consent_version,
            }
            for row in rows
        ]
        record(
            session,
            actor=actor,
            action="subscription.export",
            obj=None,
            details={"rows": len(result)},
            now=now,
        )
    return result
