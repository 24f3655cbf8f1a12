"""The team moderates the Themensammlung: queue, decisions, topic fields, merging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from stammtisch import moderation, suggestions
from stammtisch.bootstrap import init_database
from stammtisch.db import session_scope
from stammtisch.errors import (
    AlreadyVoted,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from stammtisch.models import ModerationState, Suggestion, SuggestionVote
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    init_database(engine, now=now)
    return f.organizer(engine, now=now)


@pytest.mark.parametrize(
    "call",
    [
        lambda s, a, now: moderation.list_suggestions(session=s, actor=a),
        lambda s, a, now: moderation.decide(
            session=s, actor=a, suggestion_id=1, to_state=ModerationState.APPROVED, now=now
        ),
    ],
)
def test_moderation_refuses_without_organizer(engine, now, actor, call):
    for bad in (None, OrganizerIdentity(id=actor.id, name="jemand", display_name="")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied):
            call(s, bad, now)


def test_merge_adds_votes_counting_each_voter_once(engine, now, actor):
    target = f.suggestion(
        engine, now=now, text="Bürgerenergie im Revier", publish=True, voters=("a", "b")
    )
    duplicate = f.suggestion(
        engine, now=now, text="Energiegenossenschaften", publish=True, voters=("b", "c", "d")
    )
    with session_scope(engine) as s:
        votes = moderation.merge(
            session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=now
        )
    assert votes == 4
    with session_scope(engine) as s:
        dup = s.get(Suggestion, duplicate)
        assert (dup.state, dup.merged_into_id) == ("merged", target)
        public = suggestions.list_public_suggestions(session=s)
    assert [p.id for p in public] == [target]
    with session_scope(engine) as s, pytest.raises(InvalidTransition):
        moderation.merge(session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        moderation.merge(session=s, actor=actor, duplicate_id=target, target_id=target, now=now)


def test_pending_queue_approve_reject_and_refile(engine, now, actor):
    sid = f.suggestion(engine, now=now, text="Was wird aus den Tagebauseen?")
    with session_scope(engine) as s:
        assert [i.id for i in moderation.list_suggestions(session=s, actor=actor)] == [sid]
    with session_scope(engine) as s:
        moderation.set_topic_field(
            session=s, actor=actor, suggestion_id=sid, topic_field_id=1, now=now
        )
    with session_scope(engine) as s:
        moderation.decide(
            session=s, actor=actor, suggestion_id=sid, to_state=ModerationState.REJECTED, now=now
        )
    with session_scope(engine) as s:
        assert moderation.list_suggestions(session=s, actor=actor) == []
        assert suggestions.count_pending(session=s) == 0
    assert f.audit_actions(engine)[-2:] == ["suggestion.topic_field", "suggestion.rejected"]


def test_moderation_refuses_invalid_transitions_with_valid_sources(engine, now):
    sid = f.suggestion(engine, now=now, publish=True)
    with pytest.raises(InvalidTransition) as err:
        f.decide(engine, sid, ModerationState.APPROVED, now=now)
    assert "bereits „veröffentlicht“" in err.value.message


@pytest.mark.parametrize(
    ("target_voters", "duplicate_voters", "total"),
    [
        (("a", "b"), ("c",), 3),  # no one in both: every vote moves
        (("a", "b"), ("b", "c", "d"), 4),  # "b" in both counts once
        (("a", "b"), ("a", "b"), 2),  # all in both: nothing to add
        ((), ("a",), 1),
    ],
)
def test_merge_stores_the_vote_total_each_voter_once(
    engine, now, actor, target_voters, duplicate_voters, total
):
    target = f.suggestion(
        engine, now=now, text="Radwege im Revier", publish=True, voters=target_voters
    )
    duplicate = f.suggestion(
        engine, now=now, text="Radwege bitte", publish=True, voters=duplicate_voters
    )
    with session_scope(engine) as s:
        moderation.merge(session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=now)
    with session_scope(engine) as s:
        stored = {sid: s.get(Suggestion, sid).votes for sid in (target, duplicate)}
        voters = {
            sid: sorted(
                s.exec(select(SuggestionVote.voter_key).where(SuggestionVote.suggestion_id == sid))
            )
            for sid in (target, duplicate)
        }
        public = {p.id: p.votes for p in suggestions.list_public_suggestions(session=s)}
    assert stored == {target: total, duplicate: 0}
    assert voters == {target: sorted({*target_voters, *duplicate_voters}), duplicate: []}
    assert public == {target: total}  # what visitors see on the Themensammlung
    [entry] = f.audit_entries(engine, "suggestion.merge")
    assert entry.details == {"into": target, "votes": total}
    # Whoever supported the duplicate has supported the target: no second vote.
    with session_scope(engine) as s, pytest.raises(AlreadyVoted):
        suggestions.vote(session=s, suggestion_id=target, voter_key=duplicate_voters[0], now=now)
    with session_scope(engine) as s:
        assert (
            suggestions.vote(session=s, suggestion_id=target, voter_key="neu", now=now) == total + 1
        )


# --- exact messages, log entries and the queue's order -------------------------------------


def test_decisions_and_refiling_are_logged(engine, now, actor):
    sid = f.suggestion(engine, now=now)
    later = now + timedelta(hours=1)
    with session_scope(engine) as s:
        moderation.decide(
            session=s, actor=actor, suggestion_id=sid, to_state=ModerationState.APPROVED, now=later
        )
    assert f.last_audit(engine) == ("suggestion.approved", actor.name, "suggestion", sid, {})
    with session_scope(engine) as s:
        assert s.get(Suggestion, sid).moderated_at == later
    with session_scope(engine) as s:
        moderation.set_topic_field(
            session=s, actor=actor, suggestion_id=sid, topic_field_id=2, now=later
        )
    with session_scope(engine) as s:
        moderation.set_topic_field(
            session=s, actor=actor, suggestion_id=sid, topic_field_id=None, now=later
        )
    assert f.last_audit(engine) == (
        "suggestion.topic_field",
        actor.name,
        "suggestion",
        sid,
        {"from": 2, "to": None},
    )
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        moderation.set_topic_field(
            session=s, actor=actor, suggestion_id=sid, topic_field_id=999, now=now
        )
    assert err.value.errors == {"topic_field_id": "Bitte wählen Sie ein Themenfeld."}
    with session_scope(engine) as s, pytest.raises(NotFound) as err:
        moderation.decide(
            session=s, actor=actor, suggestion_id=999, to_state=ModerationState.REJECTED, now=now
        )
    assert err.value.message == "Diesen Vorschlag gibt es nicht."
    with session_scope(engine) as s, pytest.raises(ValueError, match=r"^decide\(\) approves"):
        moderation.decide(
            session=s, actor=actor, suggestion_id=sid, to_state=ModerationState.MERGED, now=now
        )


def test_merge_refusals_say_why_and_the_duplicate_keeps_no_votes(engine, now, actor):
    target = f.suggestion(engine, now=now, publish=True, voters=("a",))
    rejected = f.suggestion(engine, now=now)
    f.decide(engine, rejected, ModerationState.REJECTED, now=now)
    duplicate = f.suggestion(engine, now=now, publish=True, voters=("b",))
    for dup, into, errors in [
        (
            target,
            target,
            {"target_id": "Ein Vorschlag kann nicht mit sich selbst zusammengeführt werden."},
        ),
        (
            duplicate,
            rejected,
            {
                "target_id": "Zusammenführen geht nur in einen offenen oder "
                "veröffentlichten Vorschlag."
            },
        ),
    ]:
        with session_scope(engine) as s, pytest.raises(ValidationError) as err:
            moderation.merge(session=s, actor=actor, duplicate_id=dup, target_id=into, now=now)
        assert err.value.errors == errors
    later = now + timedelta(minutes=5)
    with session_scope(engine) as s:
        moderation.merge(
            session=s, actor=actor, duplicate_id=duplicate, target_id=target, now=later
        )
    with session_scope(engine) as s:
        dup = s.get(Suggestion, duplicate)
        assert (dup.votes, dup.moderated_at) == (0, later)
    assert f.last_audit(engine) == (
        "suggestion.merge",
        actor.name,
        "suggestion",
        duplicate,
        {"into": target, "votes": 2},
    )


def test_queue_oldest_first_decided_newest_first_with_field_names(engine, now, actor):
    young = f.suggestion(engine, now=now, text="Der jüngere Vorschlag", topic_field_id=1)
    old = f.suggestion(engine, now=now - timedelta(hours=2), text="Der ältere Vorschlag")

    def listed(**kw):
        with session_scope(engine) as s:
            return moderation.list_suggestions(session=s, actor=actor, **kw)

    queue = listed()
    assert [(i.id, i.topic_field_name) for i in queue] == [
        (old, None),
        (young, "Klimaschutz & Energiewende"),
    ]
    for sid in (young, old):
        f.decide(engine, sid, ModerationState.APPROVED, now=now)
    assert [i.id for i in listed(state=ModerationState.APPROVED)] == [young, old]
    assert [i.id for i in listed(state=None, limit=1, offset=1)] == [old]


def test_suggestions_sent_at_the_same_moment_keep_the_order_they_came_in(engine, now, actor):
    first, second = (f.suggestion(engine, now=now) for _ in range(2))

    def listed(**kw):
        with session_scope(engine) as s:
            return [i.id for i in moderation.list_suggestions(session=s, actor=actor, **kw)]

    assert listed() == [first, second]  # the queue: the first sent is the first decided
    for sid in (first, second):
        f.decide(engine, sid, ModerationState.REJECTED, now=now)
    assert listed(state=ModerationState.REJECTED) == [second, first]


def test_the_queue_keeps_the_sending_order_after_a_row_was_changed(engine, now, actor):
    """Two suggestions sent at the same moment, the first one's row rewritten afterwards:
    on PostgreSQL a change of an indexed column gives the row a new place behind the other
    one, in the table and in the index the queue is read through. The queue still shows
    the first sent first, by its number."""
    first, second = (f.suggestion(engine, now=now) for _ in range(2))
    for votes in (1, 0):  # changed and changed back: only the row's place differs
        with session_scope(engine) as s:
            s.get(Suggestion, first).votes = votes
            s.commit()
    with session_scope(engine) as s:
        assert [i.id for i in moderation.list_suggestions(session=s, actor=actor)] == [
            first,
            second,
        ]


def test_the_queue_shows_at_most_200_at_a_time(engine, now, actor):
    made = [f.suggestion(engine, now=now + timedelta(seconds=n)) for n in range(201)]
    with session_scope(engine) as s:
        shown = [i.id for i in moderation.list_suggestions(session=s, actor=actor)]
    assert shown == made[:200]
