"""The team moderates the Themensammlung: queue, decisions, topic fields, merging."""

from __future__ import annotations

import pytest

from stammtisch import moderation, suggestions
from stammtisch.bootstrap import init_database
from stammtisch.db import session_scope
from stammtisch.errors import InvalidTransition, PermissionDenied, ValidationError
from stammtisch.models import ModerationState, Suggestion
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
