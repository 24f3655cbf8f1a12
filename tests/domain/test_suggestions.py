"""The Themensammlung for visitors: validation, public lists, votes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from stammtisch import suggestions
from stammtisch.db import session_scope
from stammtisch.errors import AlreadyVoted, NotFound, ValidationError
from stammtisch.models import Suggestion
from tests import factories as f


def test_new_suggestion_is_pending_and_not_public(engine, now):
    f.suggestion(engine, now=now)
    with session_scope(engine) as s:
        assert suggestions.list_public_suggestions(session=s) == []


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"text": "zu kurz"}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"text": "\x00\x01\x02   "}, "text"),
        ({"kind": "werbung"}, "kind"),
        ({"author_name": "n" * 121}, "author_name"),
        ({"topic_field_id": 4711}, "topic_field_id"),
    ],
)
def test_suggestion_validation(engine, now, kw, field):
    values = {"text": "Wie gelingt Bürgerenergie im ländlichen Raum?", "kind": "question", **kw}
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        suggestions.submit_suggestion(
            session=s, data=suggestions.SuggestionInput(**values), now=now
        )
    assert field in err.value.errors
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Suggestion)).one() == 0


def test_approved_suggestions_are_listed_by_votes_and_by_date(engine, now):
    tf = f.topic_field(engine, now=now)
    ids = [
        f.suggestion(engine, now=now, text=f"Vorschlag Nummer {n}", topic_field_id=tf, publish=True)
        for n in range(3)
    ]
    with session_scope(engine) as s:
        suggestions.vote(session=s, suggestion_id=ids[0], voter_key="v1", now=now)
    with session_scope(engine) as s:
        assert suggestions.vote(session=s, suggestion_id=ids[0], voter_key="v2", now=now) == 2
    with session_scope(engine) as s:
        suggestions.vote(session=s, suggestion_id=ids[1], voter_key="v1", now=now)
    with session_scope(engine) as s:
        by_votes = suggestions.list_public_suggestions(session=s, order="votes")
        newest = suggestions.list_public_suggestions(session=s, order="newest")
    assert [v.id for v in by_votes] == [ids[0], ids[1], ids[2]]
    assert [v.votes for v in by_votes] == [2, 1, 0]
    assert [v.id for v in newest] == sorted(ids, reverse=True)
    assert by_votes[0].topic_field_name.startswith("Themenfeld")


def test_a_visitor_votes_once(engine, now):
    sid = f.suggestion(engine, now=now, publish=True)
    with session_scope(engine) as s:
        suggestions.vote(session=s, suggestion_id=sid, voter_key="same", now=now)
    with session_scope(engine) as s, pytest.raises(AlreadyVoted):
        suggestions.vote(session=s, suggestion_id=sid, voter_key="same", now=now)
    with session_scope(engine) as s:
        assert s.get(Suggestion, sid).votes == 1


def test_no_votes_for_pending_suggestions(engine, now):
    sid = f.suggestion(engine, now=now)
    with session_scope(engine) as s, pytest.raises(NotFound):
        suggestions.vote(session=s, suggestion_id=sid, voter_key="v", now=now)


def test_public_list_is_capped_per_topic_field_in_sql(engine, now):
    first = f.topic_field(engine, now=now, name="Erstes Feld")
    second = f.topic_field(engine, now=now, name="Zweites Feld")
    made = {first: [], second: [], None: []}
    for field, n in [(first, 4), (second, 2), (None, 3)]:
        for i in range(n):
            sid = f.suggestion(
                engine,
                now=now,
                text=f"Vorschlag {field} Nummer {i}",
                topic_field_id=field,
                publish=True,
            )
            made[field].append(sid)
    pending = f.suggestion(engine, now=now, text="Noch nicht geprüft", topic_field_id=first)
    with session_scope(engine) as s:
        for voter in ("a", "b"):
            suggestions.vote(session=s, suggestion_id=made[first][0], voter_key=voter, now=now)
    with session_scope(engine) as s:
        capped = suggestions.list_public_suggestions(session=s, order="newest", per_field=2)
        raised = suggestions.list_public_suggestions(
            session=s, order="votes", per_field=1, field_limits={first: 3, None: 2}
        )
        top = suggestions.list_public_suggestions(session=s, order="votes", limit=1)
        counts = suggestions.public_suggestion_counts(session=s)
    by_field = {k: [v.id for v in capped if v.topic_field_id == k] for k in made}
    assert by_field == {k: sorted(ids, reverse=True)[:2] for k, ids in made.items()}
    raised_by_field = {k: [v.id for v in raised if v.topic_field_id == k] for k in made}
    assert raised_by_field[first][0] == made[first][0]  # most votes first
    assert [len(raised_by_field[k]) for k in (first, second, None)] == [3, 1, 2]
    assert [v.id for v in top] == [made[first][0]]
    names = {v.topic_field_id: v.topic_field_name for v in capped}  # the capped query too
    assert names == {first: "Erstes Feld", second: "Zweites Feld", None: None}
    assert counts == {first: 4, second: 2, None: 3}
    assert pending not in {v.id for v in capped}


def test_vote_messages_and_the_length_of_a_voter_key(engine, now):
    sid = f.suggestion(engine, now=now, publish=True)
    pending = f.suggestion(engine, now=now)

    def vote(key, suggestion_id=sid):
        with session_scope(engine) as s:
            return suggestions.vote(session=s, suggestion_id=suggestion_id, voter_key=key, now=now)

    for bad in ("", "k" * 65):
        with pytest.raises(ValueError, match=r"^voter_key must be 1–64 characters$"):
            vote(bad)
    assert vote("k" * 64) == 1
    with pytest.raises(AlreadyVoted) as err:
        vote("k" * 64)
    assert err.value.message == "Sie haben diesen Vorschlag schon unterstützt."
    for missing in (pending, 999):
        with pytest.raises(NotFound) as err:
            vote("andere", missing)
        assert err.value.message == "Diesen Vorschlag gibt es nicht (mehr)."


def test_the_same_suggestion_within_a_day_is_stored_once(engine, now):
    from datetime import timedelta

    from stammtisch.errors import AlreadySubmitted

    first = f.suggestion(engine, now=now, text="Mehr Radwege zwischen den Dörfern")
    with pytest.raises(AlreadySubmitted) as err:
        f.suggestion(
            engine, now=now + timedelta(hours=23), text="mehr radwege zwischen den dörfern"
        )
    assert err.value.existing_id == first
    f.suggestion(
        engine, now=now + timedelta(days=1, minutes=1), text="Mehr Radwege zwischen den Dörfern"
    )


def test_the_same_text_from_another_visitor_is_a_suggestion_of_its_own(engine, now):
    from datetime import timedelta

    from sqlmodel import select

    from stammtisch.errors import AlreadySubmitted
    from stammtisch.models import Suggestion
    from stammtisch.rate_limits import Requester

    def visitor(browser, address="203.0.113.7"):
        return Requester(address=address, at=now, browser=browser)

    text = "Wie gelingt Jugendbeteiligung im Revier?"
    first = f.suggestion(engine, now=now, text=text, requester=visitor("browser-ann"))
    # The same browser again (a second click, a reload, another tab): stored once, and said so.
    with pytest.raises(AlreadySubmitted) as err:
        f.suggestion(
            engine,
            now=now + timedelta(hours=3),
            text=f" {text.lower()} ",
            requester=visitor("browser-ann", address="198.51.100.9"),
        )
    assert err.value.existing_id == first
    assert err.value.message.startswith("Diesen Vorschlag haben Sie heute schon gesendet")
    # Another browser in the same office network, and one elsewhere: their own suggestions.
    second = f.suggestion(engine, now=now, text=text, requester=visitor("browser-ben"))
    third = f.suggestion(
        engine, now=now, text=text, requester=visitor("browser-cat", address="192.0.2.1")
    )
    # Without the visitor cookie the network stands in for the browser.
    fourth = f.suggestion(engine, now=now, text=text, requester=visitor(None))
    with pytest.raises(AlreadySubmitted) as err:
        f.suggestion(engine, now=now, text=text, requester=visitor(None))
    assert err.value.existing_id == fourth
    assert len({first, second, third, fourth}) == 4
    with session_scope(engine) as s:
        keys = s.exec(select(Suggestion.sender_key)).all()
    # Stored as keyed hashes, never as the browser id or the address.
    assert len(set(keys)) == 4
    assert not any("browser" in k or "203.0.113" in k for k in keys)


def test_the_sender_of_a_suggestion_is_forgotten_after_a_day(engine, now):
    from datetime import timedelta

    from sqlmodel import select

    from stammtisch import mailer
    from stammtisch.config import load_settings
    from stammtisch.models import Suggestion
    from stammtisch.rate_limits import Requester

    ann = Requester(address=None, at=now, browser="browser-ann")
    old = f.suggestion(engine, now=now - timedelta(days=1, minutes=1), requester=ann)
    fresh = f.suggestion(engine, now=now, requester=ann)
    mailer.housekeeping(engine, now=now, settings=load_settings({}))
    with session_scope(engine) as s:
        assert s.get(Suggestion, old).sender_key is None
        assert s.get(Suggestion, fresh).sender_key is not None
        assert len(s.exec(select(Suggestion)).all()) == 2


def _refused(engine, now, **values) -> dict[str, str]:
    values = {"text": "Wie gelingt Bürgerenergie im ländlichen Raum?", **values}
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        suggestions.submit_suggestion(
            session=s, data=suggestions.SuggestionInput(**values), now=now
        )
    return err.value.errors


def test_suggestion_refusals_in_full(engine, now):
    assert _refused(engine, now, text="", kind="werbung", author_name="n" * 121) == {
        "text": "Bitte geben Sie Ihren Vorschlag an.",
        "kind": "Bitte wählen Sie: Thema, Frage oder Idee.",
        "author_name": "Der Name ist zu lang (höchstens 120 Zeichen, jetzt 121).",
    }
    for bad in ("3", True, 4711):
        assert _refused(engine, now, topic_field_id=bad) == {
            "topic_field_id": "Bitte wählen Sie ein Themenfeld aus der Liste."
        }


def test_a_new_suggestion_starts_pending_without_votes_and_is_counted_as_waiting(engine, now):
    sid = f.suggestion(engine, now=now)
    f.suggestion(engine, now=now, publish=True)
    with session_scope(engine) as s:
        row = s.get(Suggestion, sid)
        assert (row.state, row.votes, row.created_at) == ("pending", 0, now)
        assert suggestions.count_pending(session=s) == 1


def test_public_list_is_by_votes_unless_asked_otherwise(engine, now):
    # The older one has more votes: by votes it comes first, by date last.
    many = f.suggestion(engine, now=now, publish=True, voters=("a", "b"), topic_field_id=None)
    few = f.suggestion(engine, now=now, publish=True, voters=("a",))
    with session_scope(engine) as s:
        listed = suggestions.list_public_suggestions(session=s)
    assert [(v.id, v.votes, v.topic_field_name) for v in listed] == [
        (many, 2, None),
        (few, 1, None),
    ]


def test_what_one_browser_has_supported(engine, now):
    first, second, third = (f.suggestion(engine, now=now, publish=True) for _ in range(3))
    for sid, voter in ((first, "mine"), (second, "other"), (third, "mine")):
        with session_scope(engine) as s:
            suggestions.vote(session=s, suggestion_id=sid, voter_key=voter, now=now)
    with session_scope(engine) as s:
        assert suggestions.voted_by(
            session=s, voter_key="mine", suggestion_ids=[first, second]
        ) == {first}
        assert suggestions.voted_by(
            session=s, voter_key="mine", suggestion_ids=[first, second, third]
        ) == {first, third}
        assert suggestions.voted_by(session=s, voter_key="nobody", suggestion_ids=[first]) == set()
        assert suggestions.voted_by(session=s, voter_key="mine", suggestion_ids=[]) == set()


def test_only_suggestions_waiting_for_the_team_count_as_pending(engine, now):
    f.suggestion(engine, now=now)
    f.suggestion(engine, now=now, publish=True)
    f.suggestion(engine, now=now, publish=True)
    with session_scope(engine) as s:
        assert suggestions.count_pending(session=s) == 1


@pytest.mark.parametrize("topic_field_id", [True, "1"])
def test_a_topic_field_must_be_a_whole_number_from_the_list(engine, now, topic_field_id):
    f.topic_field(engine, now=now)  # field 1 exists: True or "1" must not slip through as it
    data = suggestions.SuggestionInput(
        text="Ein Vorschlag mit seltsamem Themenfeld", topic_field_id=topic_field_id
    )
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        suggestions.submit_suggestion(session=s, data=data, now=now)
    assert err.value.errors == {"topic_field_id": "Bitte wählen Sie ein Themenfeld aus der Liste."}
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Suggestion)).one() == 0


def test_a_suggestion_keeps_its_kind_and_the_authors_name(engine, now):
    sid = f.suggestion(engine, now=now, kind="question", author_name="Ann Beispiel", publish=True)
    with session_scope(engine) as s:
        [shown] = suggestions.list_public_suggestions(session=s)
    # The public list shows "Eingereicht von Ann Beispiel" and the kind's label.
    assert (shown.id, shown.kind, shown.author_name) == (sid, "question", "Ann Beispiel")


def test_the_double_send_window_ends_exactly_after_a_day(engine, now):
    """The same text a day later to the second is a new suggestion; a second earlier it
    is the double send, and the visitor is told so."""
    from stammtisch.errors import AlreadySubmitted

    window = suggestions.DOUBLE_SEND_WINDOW
    first = f.suggestion(engine, now=now - window, text="Mehr Radwege zwischen den Dörfern")
    second = f.suggestion(engine, now=now, text="Mehr Radwege zwischen den Dörfern")
    assert second != first
    with pytest.raises(AlreadySubmitted) as err:
        f.suggestion(
            engine,
            now=now + window - timedelta(seconds=1),
            text="Mehr Radwege zwischen den Dörfern",
        )
    assert err.value.existing_id == second
    assert err.value.message == (
        "Diesen Vorschlag haben Sie heute schon gesendet; wir haben ihn nur einmal gespeichert."
    )
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Suggestion)).one() == 2


def test_senders_are_forgotten_from_exactly_a_day_on_and_counted(engine, now):
    from stammtisch.rate_limits import Requester

    window = suggestions.DOUBLE_SEND_WINDOW
    ann = Requester(address=None, at=now, browser="browser-ann")
    old = f.suggestion(engine, now=now - 2 * window, requester=ann)
    exact = f.suggestion(engine, now=now - window, requester=ann)
    fresh = f.suggestion(engine, now=now - window + timedelta(seconds=1), requester=ann)
    anonymous = f.suggestion(engine, now=now - 2 * window)  # no sender to forget
    with session_scope(engine) as s:
        assert s.get(Suggestion, anonymous).sender_key is None
        assert suggestions.forget_senders(s, now) == 2
        s.commit()
    with session_scope(engine) as s:
        assert [s.get(Suggestion, i).sender_key is None for i in (old, exact, fresh)] == [
            True,
            True,
            False,
        ]
        assert suggestions.forget_senders(s, now) == 0  # nothing left to forget
