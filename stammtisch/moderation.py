"""Organizer moderation of the Themensammlung: approve, reject, re-file, merge duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from stammtisch import topics
from stammtisch.audit import record
from stammtisch.db import view_of, write_transaction
from stammtisch.errors import NotFound, ValidationError
from stammtisch.models import ModerationState, Suggestion, SuggestionVote, TopicField
from stammtisch.organizers import OrganizerIdentity, require_organizer


@dataclass(frozen=True)
class ModerationItem:
    id: int
    text: str
    kind: str
    topic_field_id: int | None
    topic_field_name: str | None
    author_name: str | None
    state: str
    votes: int
    created_at: datetime
    merged_into_id: int | None


def list_suggestions(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    state: str | None = ModerationState.PENDING,
    limit: int = 200,
    offset: int = 0,
) -> list[ModerationItem]:
    """Suggestions in a state (default: the pending queue, oldest first)."""
    require_organizer(session, actor)
    query = select(Suggestion, TopicField.name).join(
        TopicField, TopicField.id == Suggestion.topic_field_id, isouter=True
    )
    if state:
        query = query.where(Suggestion.state == state)
    if state == ModerationState.PENDING:
        query = query.order_by(Suggestion.created_at, Suggestion.id)
    else:
        query = query.order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
    return [
        view_of(ModerationItem, s, topic_field_name=name)
        for s, name in session.exec(query.offset(max(offset, 0)).limit(limit)).all()
    ]


def count_suggestions(
    *, session: Session, actor: OrganizerIdentity | None, state: str | None = None
) -> int:
    """How many suggestions are in ``state`` (all when ``None``)."""
    require_organizer(session, actor)
    query = select(func.count()).select_from(Suggestion)
    if state:
        query = query.where(Suggestion.state == state)
    return int(session.exec(query).one())


def _locked(session: Session, suggestion_id: int) -> Suggestion:
    row = session.exec(
        select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("Diesen Vorschlag gibt es nicht.")
    return row


def decide(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    suggestion_id: int,
    to_state: ModerationState,
    now: datetime,
) -> None:
    """Approve or reject (a rejected one can be approved later, and the other way round)."""
    if to_state not in (ModerationState.APPROVED, ModerationState.REJECTED):
        raise ValueError("decide() approves or rejects; use merge() to merge")
    with write_transaction(session):
        require_organizer(session, actor)
        row = _locked(session, suggestion_id)
        ModerationState(row.state).check_transition(to_state)
        row.state = to_state
        row.moderated_at = now
        session.add(row)
        record(
            session,
            actor=actor,
            action=f"suggestion.{to_state.value}",
            obj=("suggestion", row.id),
            details={},
            now=now,
        )


def set_topic_field(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    suggestion_id: int,
    topic_field_id: int | None,
    now: datetime,
) -> None:
    """File a suggestion under another topic field (or none)."""
    with write_transaction(session):
        require_organizer(session, actor)
        row = _locked(session, suggestion_id)
        before = row.topic_field_id
        if (
            topic_field_id is not None
            and topic_field_id != before
            and (problem := topics.choice_problem(session, topic_field_id))
        ):
            if problem != topics.NOT_OFFERED:
                problem = "Bitte wählen Sie ein Themenfeld."
            raise ValidationError.single("topic_field_id", problem)
        row.topic_field_id = topic_field_id
        session.add(row)
        record(
            session,
            actor=actor,
            action="suggestion.topic_field",
            obj=("suggestion", row.id),
            details={"from": before, "to": topic_field_id},
            now=now,
        )


def merge(
    *,
    session: Session,
    actor: OrganizerIdentity | None,
    duplicate_id: int,
    target_id: int,
    now: datetime,
) -> int:
    """Merge a duplicate into another suggestion; votes add up, each voter counted once.

    Returns the target's new number of votes.
    """
    if duplicate_id == target_id:
        raise ValidationError.single(
            "target_id", "Ein Vorschlag kann nicht mit sich selbst zusammengeführt werden."
        )
    with write_transaction(session):
        require_organizer(session, actor)
        # Lock in id order so two merges in opposite directions cannot deadlock.
        first, second = sorted((duplicate_id, target_id))
        rows = {first: _locked(session, first), second: _locked(session, second)}
        duplicate, target = rows[duplicate_id], rows[target_id]
        if target.state not in (ModerationState.PENDING, ModerationState.APPROVED):
            raise ValidationError.single(
                "target_id",
                "Zusammenführen geht nur in einen offenen oder veröffentlichten Vorschlag.",
            )
        ModerationState(duplicate.state).check_transition(ModerationState.MERGED)
        target_voters = set(
            session.exec(
                select(SuggestionVote.voter_key).where(SuggestionVote.suggestion_id == target.id)
            ).all()
        )
        for vote in session.exec(
            select(SuggestionVote).where(SuggestionVote.suggestion_id == duplicate.id)
        ).all():
            if vote.voter_key in target_voters:
                session.delete(vote)
            else:
                vote.suggestion_id = target.id
                session.add(vote)
        session.flush()
        votes = session.exec(
            select(func.count())
            .select_from(SuggestionVote)
            .where(SuggestionVote.suggestion_id == target.id)
        ).one()
        target.votes = votes
        duplicate.votes = 0
        duplicate.state = ModerationState.MERGED
        duplicate.merged_into_id = target.id
        duplicate.moderated_at = now
        session.add_all([target, duplicate])
        record(
            session,
            actor=actor,
            action="suggestion.merge",
            obj=("suggestion", duplicate.id),
            details={"into": target.id, "votes": votes},
            now=now,
        )
    return votes
