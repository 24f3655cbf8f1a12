"""Topic fields kept by the team: add, rename, describe, reorder, archive, delete, and a
suggestion turned into a field; identity and colour survive a rename."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from stammtisch import audit, meeting_admin, moderation, planning, suggestions, topics
from stammtisch.db import session_scope
from stammtisch.errors import NotFound, PermissionDenied, ValidationError
from stammtisch.meetings import MeetingInput
from stammtisch.models import Meeting, MeetingStatus, Suggestion, TopicField
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    return f.team(engine, now=now)


def _call(engine, fn, **kw):
    with session_scope(engine) as s:
        return fn(session=s, **kw)


def _fields(engine, **kw):
    return _call(engine, topics.list_topic_fields, **kw)


def _create(engine, actor, now, name, description=""):
    return _call(
        engine, topics.create_topic_field, actor=actor, name=name, description=description, now=now
    )


def test_create_rename_and_describe_keep_the_fields_identity_and_colour(engine, now, actor):
    klima = _create(engine, actor, now, "Klima")
    wasser = _create(engine, actor, now, "Wasser")
    assert (klima.colour_slot, wasser.colour_slot) == (0, 1)
    renamed = _call(
        engine,
        topics.update_topic_field,
        actor=actor,
        topic_field_id=klima.id,
        name="Klima & Energie",
        description="Mit **Wind** und [Sonne](https://example.org/sonne).",
        now=now,
    )
    assert (renamed.id, renamed.slug, renamed.colour_slot) == (klima.id, "klima", 0)
    assert [tf.name for tf in _fields(engine)] == ["Klima & Energie", "Wasser"]
    # Reordering changes the order visitors see, never a field's colour.
    _call(engine, topics.move_topic_field, actor=actor, topic_field_id=wasser.id, step=-1, now=now)
    assert [(tf.name, tf.colour_slot) for tf in _fields(engine)] == [
        ("Wasser", 1),
        ("Klima & Energie", 0),
    ]
    [move, update, *_] = _call(engine, audit.list_entries, action_prefix="topic_field")
    assert update.action == "topic_field.update" and update.details == {
        "before": {"name": "Klima", "description": ""},
        "after": {
            "name": "Klima & Energie",
            "description": "Mit **Wind** und [Sonne](https://example.org/sonne).",
        },
    }
    assert move.details == {
        "before": ["Klima & Energie", "Wasser"],
        "after": ["Wasser", "Klima & Energie"],
    }


@pytest.mark.parametrize(
    ("existing", "typed"),
    [("Klima", "klima"), ("Ökologie", "öKOLOGIE"), ("Straße", "STRASSE"), ("Äpfel", "ÄPFEL")],
)
def test_duplicate_names_ignore_case_and_umlauts_count(engine, now, actor, existing, typed):
    _create(engine, actor, now, existing)
    if existing == "Straße":  # "ß" is not "ss": like the database's lower(), a new name
        assert _create(engine, actor, now, typed).name == "STRASSE"
        return
    with pytest.raises(ValidationError) as err:
        _create(engine, actor, now, typed)
    assert err.value.errors == {
        "name": f"Ein Themenfeld mit diesem Namen gibt es schon („{existing}“)."
    }


def test_renaming_to_another_fields_name_is_refused_but_a_new_spelling_of_its_own_is_fine(
    engine, now, actor
):
    a = _create(engine, actor, now, "Klima")
    _create(engine, actor, now, "Wasser")
    with pytest.raises(ValidationError) as err:
        _call(
            engine,
            topics.update_topic_field,
            actor=actor,
            topic_field_id=a.id,
            name="WASSER",
            description="",
            now=now,
        )
    assert "gibt es schon" in err.value.errors["name"]
    view = _call(
        engine,
        topics.update_topic_field,
        actor=actor,
        topic_field_id=a.id,
        name="KLIMA",
        description="",
        now=now,
    )
    assert view.name == "KLIMA"


@pytest.mark.parametrize(
    ("name", "description", "field", "message"),
    [
        ("", "", "name", "Bitte geben Sie einen Namen an."),
        ("   ", "", "name", "Bitte geben Sie einen Namen an."),
        ("ab", "", "name", "Der Name ist zu kurz (mindestens 3 Zeichen)."),
        ("x" * 121, "", "name", "Der Name ist zu lang (höchstens 120 Zeichen, jetzt 121)."),
        (
            "Gut",
            "y" * 2001,
            "description",
            "Die Beschreibung ist zu lang (höchstens 2000 Zeichen, jetzt 2001).",
        ),
    ],
)
def test_bad_names_and_descriptions_get_german_messages(
    engine, now, actor, name, description, field, message
):
    with pytest.raises(ValidationError) as err:
        _create(engine, actor, now, name, description)
    assert err.value.errors[field] == message


def test_a_description_may_link_only_to_http(engine, now, actor):
    with pytest.raises(ValidationError) as err:
        _create(engine, actor, now, "Klima", "[Klick](javascript:alert(1))")
    assert "http:// oder https://" in err.value.errors["description"]


def test_a_slug_taken_by_a_renamed_field_does_not_block_the_name(engine, now, actor):
    klima = _create(engine, actor, now, "Klima")
    _call(
        engine,
        topics.update_topic_field,
        actor=actor,
        topic_field_id=klima.id,
        name="Energie",
        description="",
        now=now,
    )
    again = _create(engine, actor, now, "Klima")
    assert again.slug == "klima-2"


def test_a_used_field_is_archived_never_deleted_and_forms_no_longer_offer_it(engine, now, actor):
    a = _create(engine, actor, now, "Alt")
    b = _create(engine, actor, now, "Neu")
    meeting_id = f.meeting(engine, now=now, topic_field_id=a.id)
    f.suggestion(engine, now=now, topic_field_id=a.id)
    f.offer(engine, now=now, topic_field_id=a.id)
    with pytest.raises(ValidationError) as err:
        _call(engine, topics.delete_topic_field, actor=actor, topic_field_id=a.id, now=now)
    message = err.value.errors["delete"]
    assert "(1 Treffen, 1 Vorschlag, 1 Impuls-Angebot)" in message and "Archivieren" in message
    _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=a.id, now=now)
    assert [tf.name for tf in _fields(engine, include_archived=False)] == ["Neu"]
    assert [(tf.name, tf.archived) for tf in _fields(engine)] == [("Neu", False), ("Alt", True)]
    # Forms: a new meeting, a suggestion, an offer cannot choose it any more …
    with pytest.raises(ValidationError) as err:
        _call(
            engine,
            meeting_admin.create_meeting,
            actor=actor,
            data=MeetingInput(
                theme="Neues Treffen",
                starts_at=now + timedelta(days=30),
                ends_at=now + timedelta(days=30, hours=1),
                primary_topic_field_id=a.id,
            ),
            now=now,
        )
    assert err.value.errors["primary_topic_field_id"].startswith("Dieses Themenfeld ist archiviert")
    with pytest.raises(ValidationError) as err:
        _call(
            engine,
            suggestions.submit_suggestion,
            data=suggestions.SuggestionInput(
                text="Ein Vorschlag zum alten Feld", kind="topic", topic_field_id=a.id
            ),
            now=now,
        )
    assert err.value.errors == {"topic_field_id": topics.NOT_OFFERED}
    with pytest.raises(ValidationError) as err:
        f.offer(engine, now=now, topic_field_id=a.id)
    assert err.value.errors == {"topic_field_id": topics.NOT_OFFERED}
    # … but the meeting that has it keeps it when edited, and history still counts it.
    data = MeetingInput(
        theme="Geändertes Thema",
        starts_at=now + timedelta(days=14),
        ends_at=now + timedelta(days=14, hours=1),
        primary_topic_field_id=a.id,
        further_topic_field_ids=[b.id],
        registration_state="open",
    )
    _call(
        engine, meeting_admin.update_meeting, actor=actor, meeting_id=meeting_id, data=data, now=now
    )
    with session_scope(engine) as s:
        assert s.get(Meeting, meeting_id).primary_topic_field_id == a.id
    usage = _call(engine, topics.usage)
    assert usage[a.id] == topics.TopicFieldUsage(meetings=1, suggestions=1, offers=1)
    assert usage[b.id].meetings == 1


def test_archive_restore_and_delete_an_unused_field(engine, now, actor):
    a = _create(engine, actor, now, "Eins")
    b = _create(engine, actor, now, "Zwei")
    with pytest.raises(ValidationError):  # the last one on offer stays
        _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=b.id, now=now)
        _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=a.id, now=now)
    assert [tf.name for tf in _fields(engine, include_archived=False)] == ["Eins"]
    _call(engine, topics.restore_topic_field, actor=actor, topic_field_id=b.id, now=now)
    assert [tf.name for tf in _fields(engine, include_archived=False)] == ["Eins", "Zwei"]
    _call(engine, topics.delete_topic_field, actor=actor, topic_field_id=b.id, now=now)
    assert [tf.name for tf in _fields(engine)] == ["Eins"]
    with pytest.raises(ValidationError) as err:
        _call(engine, topics.delete_topic_field, actor=actor, topic_field_id=a.id, now=now)
    assert "Mindestens ein Themenfeld" in err.value.errors["delete"]
    actions = [e.action for e in _call(engine, audit.list_entries, action_prefix="topic_field")]
    assert actions == [
        "topic_field.delete",
        "topic_field.restore",
        "topic_field.archive",
        "topic_field.create",
        "topic_field.create",
    ]
    with pytest.raises(NotFound):
        _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=b.id, now=now)


def test_a_new_field_gets_a_colour_no_other_field_has(engine, now, actor):
    made = [_create(engine, actor, now, f"Feld {i}") for i in range(3)]
    _call(engine, topics.delete_topic_field, actor=actor, topic_field_id=made[1].id, now=now)
    assert _create(engine, actor, now, "Feld neu").colour_slot == 1  # the freed colour
    slots = [_create(engine, actor, now, f"Mehr {i}").colour_slot for i in range(6)]
    assert sorted(slots[:5]) == [3, 4, 5, 6, 7] and slots[5] in range(8)


def test_moving_beyond_the_ends_is_refused(engine, now, actor):
    a = _create(engine, actor, now, "Eins")
    _create(engine, actor, now, "Zwei")
    with pytest.raises(ValidationError) as err:
        _call(engine, topics.move_topic_field, actor=actor, topic_field_id=a.id, step=-1, now=now)
    assert err.value.errors == {"step": "Das Themenfeld steht schon ganz oben."}


def test_a_suggestion_becomes_a_topic_field_in_one_step(engine, now, actor):
    with session_scope(engine) as s:
        sid = suggestions.submit_suggestion(
            session=s,
            data=suggestions.SuggestionInput(
                text="Wasser im Revier. Tagebauseen, Grundwasser und die Spree.", kind="topic"
            ),
            now=now,
        )
    name = topics.name_from_text("Wasser im Revier. Tagebauseen, Grundwasser und die Spree.")
    assert name == "Wasser im Revier"
    view = _call(
        engine,
        topics.topic_field_from_suggestion,
        actor=actor,
        suggestion_id=sid,
        name=name,
        description="Tagebauseen, Grundwasser und die Spree.",
        now=now,
    )
    with session_scope(engine) as s:
        assert s.get(Suggestion, sid).topic_field_id == view.id
    entries = _call(engine, audit.list_entries)
    assert [e.action for e in entries[:2]] == ["suggestion.topic_field", "topic_field.create"]
    assert entries[1].details["suggestion"] == sid
    # The queue shows it under the new field.
    [item] = _call(engine, moderation.list_suggestions, actor=actor)
    assert item.topic_field_name == "Wasser im Revier"
    # A duplicate name leaves the suggestion as it was.
    with pytest.raises(ValidationError):
        _call(
            engine,
            topics.topic_field_from_suggestion,
            actor=actor,
            suggestion_id=sid,
            name="wasser IM revier",
            description="",
            now=now,
        )


def test_name_from_a_long_text_is_cut_at_a_word():
    name = topics.name_from_text("Wort " * 60)
    assert len(name) <= 120 and name.endswith("…") and "Wor…" not in name


def test_only_organizers_change_topic_fields(engine, now, actor):
    a = _create(engine, actor, now, "Eins")
    with pytest.raises(PermissionDenied):
        _call(engine, topics.create_topic_field, actor=None, name="Zwei", now=now)
    with pytest.raises(PermissionDenied):
        _call(engine, topics.archive_topic_field, actor=None, topic_field_id=a.id, now=now)
    with session_scope(engine) as s:
        assert s.exec(select(TopicField)).all()[0].archived_at is None


def test_planning_ranks_fields_on_offer_and_the_heatmap_keeps_archived_history(engine, now, actor):
    a = _create(engine, actor, now, "Alt")
    _create(engine, actor, now, "Neu")
    leer = _create(engine, actor, now, "Leer")
    f.meeting(engine, now=now - timedelta(days=100), days_ahead=10, topic_field_id=a.id)
    _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=a.id, now=now)
    _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=leer.id, now=now)
    coverage = _call(engine, planning.coverage, now=now)
    assert list(coverage["topic_field"]) == ["Neu"]
    heat = _call(engine, planning.coverage_by_quarter, now=now)
    assert set(heat["topic_field"]) == {"Neu", "Alt"}  # "Leer" had no meeting


def test_drafts_of_the_series_planner_refuse_an_archived_field(engine, now, actor):
    a = _create(engine, actor, now, "Alt")
    _create(engine, actor, now, "Neu")
    _call(engine, topics.archive_topic_field, actor=actor, topic_field_id=a.id, now=now)
    with pytest.raises(ValidationError):
        _call(
            engine,
            meeting_admin.create_meeting,
            actor=actor,
            data=MeetingInput(
                theme="Entwurf",
                starts_at=now + timedelta(days=30),
                ends_at=now + timedelta(days=30, hours=1),
                primary_topic_field_id=a.id,
                status=MeetingStatus.DRAFT,
            ),
            now=now,
        )
