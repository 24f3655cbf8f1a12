"""The Themensammlung: visitors' suggestions of topics, questions and ideas, and votes.

What happens to a suggestion afterwards (publish, reject, merge) is the team's, in
:mod:`stammtisch.moderation`; the allowed moves are :class:`~stammtisch.models.
ModerationState`'s table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stammtisch import limits, rate_limits, topics
from stammtisch.db import casefold, view_of, write_transaction
from stammtisch.errors import AlreadySubmitted, AlreadyVoted, NotFound, ValidationError
from stammtisch.models import (
    ModerationState,
    Suggestion,
    SuggestionKind,
    SuggestionVote,
    TopicField,
)
from stammtisch.rate_limits import Action, Requester
from stammtisch.validation import FieldChecker, fold_text


@dataclass(frozen=True)
class SuggestionInput:
    text: str
    kind: str = SuggestionKind.TOPIC
    topic_field_id: int | None = None  # None: "weiß nicht"
    author_name: str | None = None


@dataclass(frozen=True)
class SuggestionView:
    id: int
    text: str
    kind: str
    topic_field_id: int | None
    topic_field_name: str | None
    author_name: str | None
    votes: int
    created_at: datetime


DOUBLE_SEND_WINDOW = timedelta(days=1)


def submit_suggestion(
    *,
    session: Session,
    data: SuggestionInput,
    now: datetime,
    requester: Requester | None = None,
) -> int:
    """Store a visitor's suggestion as pending; it appears once an organizer approves it.

    The same text from the same sender within a day (a second click, a reload) is stored
    once: :class:`AlreadySubmitted` names the suggestion kept. The sender is the browser's
    anonymous visitor id, without one the network (:func:`stammtisch.rate_limits.
    sender_key`); someone else's identical text is a suggestion of its own (the team can
    merge them, and their votes add up). A visitor's send (``requester``) counts against
    the limits of :mod:`stammtisch.rate_limits`."""
    check = FieldChecker()
    text = check.text("text", data.text, label="Ihren Vorschlag", limit=limits.SUGGESTION_TEXT)
    kind = check.choice(
        "kind", data.kind, SuggestionKind, message="Bitte wählen Sie: Thema, Frage oder Idee."
    )
    author = check.text(
        "author_name", data.author_name, label="einen Namen", limit=limits.AUTHOR_NAME
    )
    topic_id = data.topic_field_id
    if topic_id is not None and (not isinstance(topic_id, int) or isinstance(topic_id, bool)):
        check.fail("topic_field_id", "Bitte wählen Sie ein Themenfeld aus der Liste.")
    check.raise_if_any()
    with write_transaction(session):
        if topic_id is not None and (problem := topics.choice_problem(session, topic_id)):
            raise ValidationError.single("topic_field_id", problem)
        sender = rate_limits.sender_key(session, requester)
        same_sender = (
            Suggestion.sender_key == sender
            if sender is not None
            else col(Suggestion.sender_key).is_(None)
        )
        same = session.exec(
            select(Suggestion.id)
            .where(
                Suggestion.created_at > now - DOUBLE_SEND_WINDOW,
                same_sender,
                casefold(session, Suggestion.text) == fold_text(text),
            )
            .limit(1)
        ).first()
        if same is not None:
            raise AlreadySubmitted(
                "Diesen Vorschlag haben Sie heute schon gesendet; wir haben ihn nur einmal "
                "gespeichert.",
                same,
            )
        rate_limits.enforce(session, Action.SUGGESTION, requester)
        row = Suggestion(
            text=text,
            kind=kind,
            topic_field_id=topic_id,
            author_name=author,
            state=ModerationState.PENDING,
            votes=0,
            created_at=now,
            sender_key=sender,
        )
        session.add(row)
        session.flush()
        suggestion_id = row.id
    return suggestion_id


def forget_senders(session: Session, now: datetime) -> int:
    """Clear the sender of suggestions older than the double-send window (nobody needs to
    know any more who sent them); run by the sender's housekeeping."""
    result = session.execute(
        update(Suggestion)
        .where(
            col(Suggestion.sender_key).is_not(None),
            col(Suggestion.created_at) <= now - DOUBLE_SEND_WINDOW,
        )
        .values(sender_key=None)
    )
    return int(result.rowcount or 0)


def _public_order(order: str) -> list:
    if order == "votes":
        return [
            col(Suggestion.votes).desc(),
            col(Suggestion.created_at).desc(),
            col(Suggestion.id).desc(),
        ]
    return [col(Suggestion.created_at).desc(), col(Suggestion.id).desc()]


def list_public_suggestions(
    *,
    session: Session,
    order: Literal["votes", "newest"] = "votes",
    limit: int | None = None,
    per_field: int | None = None,
    field_limits: Mapping[int | None, int] | None = None,
) -> list[SuggestionView]:
    """Approved suggestions, by votes (ties: newest first) or newest first.

    ``limit`` caps the whole list; ``per_field`` caps each topic field's share (the
    first ones in the chosen order; ``field_limits`` raises it for single fields, key
    ``None`` for "no topic field"), so a page never loads thousands of rows.
    """
    ordering = _public_order(order)
    approved = Suggestion.state == ModerationState.APPROVED
    if per_field is None:
        query = (
            select(Suggestion, TopicField.name)
            .join(TopicField, TopicField.id == Suggestion.topic_field_id, isouter=True)
            .where(approved)
            .order_by(*ordering)
        )
    else:
        field_key = func.coalesce(Suggestion.topic_field_id, 0)
        ranked = (
            select(
                Suggestion.id.label("sid"),
                func.row_number().over(partition_by=field_key, order_by=ordering).label("rank"),
                field_key.label("field_key"),
            )
            .where(approved)
            .subquery()
        )
        limits = {(0 if k is None else k): int(v) for k, v in (field_limits or {}).items()}
        allowed = case(limits, value=ranked.c.field_key, else_=per_field) if limits else per_field
        query = (
            select(Suggestion, TopicField.name)
            .join(ranked, ranked.c.sid == Suggestion.id)
            .join(TopicField, TopicField.id == Suggestion.topic_field_id, isouter=True)
            .where(ranked.c.rank <= allowed)
            .order_by(*ordering)
        )
    if limit is not None:
        query = query.limit(limit)
    return [
        view_of(SuggestionView, s, topic_field_name=name) for s, name in session.exec(query).all()
    ]


def public_suggestion_counts(*, session: Session) -> dict[int | None, int]:
    """How many approved suggestions each topic field has (``None``: no field)."""
    rows = session.exec(
        select(Suggestion.topic_field_id, func.count())
        .where(Suggestion.state == ModerationState.APPROVED)
        .group_by(Suggestion.topic_field_id)
    ).all()
    return {field_id: int(n) for field_id, n in rows}


def vote(
    *,
    session: Session,
    suggestion_id: int,
    voter_key: str,
    now: datetime,
    requester: Requester | None = None,
) -> int:
    """Count one "+1" per voter (the browser's anonymous visitor id) and suggestion, and
    at most a few per network and suggestion a day (``requester``, see
    :mod:`stammtisch.rate_limits`); returns the new number of votes."""
    if not voter_key or len(voter_key) > 64:
        raise ValueError("voter_key must be 1–64 characters")
    try:
        with write_transaction(session):
            suggestion = session.exec(
                select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
            ).first()
            if suggestion is None or suggestion.state != ModerationState.APPROVED:
                raise NotFound("Diesen Vorschlag gibt es nicht (mehr).")
            already = session.exec(
                select(SuggestionVote.id).where(
                    SuggestionVote.suggestion_id == suggestion_id,
                    SuggestionVote.voter_key == voter_key,
                )
            ).first()
            if already is not None:
                raise AlreadyVoted("Sie haben diesen Vorschlag schon unterstützt.")
            rate_limits.enforce(session, Action.VOTE, requester, target=suggestion_id)
            session.add(
                SuggestionVote(suggestion_id=suggestion_id, voter_key=voter_key, created_at=now)
            )
            session.flush()
            session.exec(
                update(Suggestion)
                .where(Suggestion.id == suggestion_id)
                .values(votes=Suggestion.votes + 1)
            )
            votes = session.exec(
                select(Suggestion.votes).where(Suggestion.id == suggestion_id)
            ).one()
    except IntegrityError as exc:
        raise AlreadyVoted("Sie haben diesen Vorschlag schon unterstützt.") from exc
    return votes


def voted_by(*, session: Session, voter_key: str, suggestion_ids: list[int]) -> set[int]:
    """Which of these suggestions the voter (browser) has already supported."""
    if not suggestion_ids:
        return set()
    rows = session.exec(
        select(SuggestionVote.suggestion_id).where(
            SuggestionVote.voter_key == voter_key,
            col(SuggestionVote.suggestion_id).in_(suggestion_ids),
        )
    ).all()
    return set(rows)


def count_pending(*, session: Session) -> int:
    """How many suggestions wait for moderation (shown in the organizer navigation)."""
    return session.exec(
        select(func.count())
        .select_from(Suggestion)
        .where(Suggestion.state == ModerationState.PENDING)
    ).one()
