"""Page texts kept by the team: checked by their kind, audited with before and after, and
never overwritten by preparing the database again."""

from __future__ import annotations

import pytest
from sqlmodel import delete

from stammtisch import audit, site
from stammtisch.bootstrap import init_database
from stammtisch.db import session_scope
from stammtisch.errors import PermissionDenied, ValidationError
from stammtisch.models import SiteSetting
from stammtisch.organizers import OrganizerIdentity
from tests import factories as f


@pytest.fixture
def actor(seeded, now):
    return f.team(seeded, now=now)


def _save(engine, actor, now, **values):
    with session_scope(engine) as s:
        return site.set_texts(session=s, actor=actor, values=values, now=now)


def _texts(engine):
    with session_scope(engine) as s:
        return site.site_texts(session=s)


def test_only_changed_texts_are_written_each_audited_with_before_and_after(seeded, now, actor):
    before = _texts(seeded)
    saved = _save(
        seeded,
        actor,
        now,
        about="Neu: **wir** treffen uns.\n\n- online\n- montags",
        funding=before["funding"],  # unchanged: no entry
    )
    assert saved.changed == ("about",)
    assert _texts(seeded)["about"] == "Neu: **wir** treffen uns.\n\n- online\n- montags"
    with session_scope(seeded) as s:
        [entry] = audit.list_entries(session=s, action_prefix="site.text")
    assert entry.actor_name == f.TEAM_NAME
    assert entry.details == {
        "key": "about",
        "label": "„Worum geht's?“",
        "before": before["about"],
        "after": "Neu: **wir** treffen uns.\n\n- online\n- montags",
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("contact_email", "keine-adresse", "gültige E-Mail-Adresse"),
        ("website", "javascript:alert(1)", "muss mit https:// beginnen"),
        ("website", "ftp://example.org", "muss mit https:// beginnen"),
        ("about", "Mehr [hier](javascript:alert(1))", "http:// oder https://"),
        ("funding", "[Förderer](mailto:a@b.de)", "http:// oder https://"),
        (
            "title",
            "x" * 201,
            "Der Text „Titel der Reihe“ ist zu lang (höchstens 200 Zeichen, jetzt 201).",
        ),
        ("about", "y" * 10_001, "ist zu lang (höchstens 10000 Zeichen"),
    ],
)
def test_each_kind_of_text_is_checked_with_a_german_message(
    seeded, now, actor, key, value, message
):
    before = _texts(seeded)
    with pytest.raises(ValidationError) as err:
        _save(seeded, actor, now, **{key: value}, copyright="© geändert")
    assert message in err.value.errors[key]
    assert _texts(seeded) == before  # nothing written, not even the valid text


def test_unknown_texts_and_strangers_are_refused(seeded, now, actor):
    with pytest.raises(ValidationError):
        _save(seeded, actor, now, gibt_es_nicht="x")
    stranger = OrganizerIdentity(id=999, name="niemand", display_name="Niemand")
    with pytest.raises(PermissionDenied):
        _save(seeded, stranger, now, title="Übernommen")
    assert _texts(seeded)["title"] != "Übernommen"


def test_an_incomplete_imprint_is_allowed_but_warned(seeded, now, actor):
    saved = _save(seeded, actor, now, imprint_register="Amtsgericht Dresden, VR 1234")
    [warning] = saved.warnings
    assert warning.startswith("Das Impressum ist unvollständig – es fehlt:")
    assert "Registereintrag" not in warning and "vertretungsberechtigte" in warning
    saved = _save(
        seeded,
        actor,
        now,
        contact_email="stammtisch@example.org",
        imprint_representatives="Vorstand: A. Beispiel",
        imprint_responsible="A. Beispiel, Anschrift wie oben",
    )
    assert saved.warnings == ()
    saved = _save(seeded, actor, now, address="")  # emptied: allowed, warned
    assert saved.changed == ("address",) and "Anschrift" in saved.warnings[0]
    assert site.missing_imprint_fields(_texts(seeded)) == ["Anschrift"]


def test_html_is_kept_as_text_and_noticed(seeded, now, actor):
    saved = _save(seeded, actor, now, topic_fields_more="Das ist <b>fett</b>")
    assert any("enthält HTML" in w for w in saved.warnings)
    assert _texts(seeded)["topic_fields_more"] == "Das ist <b>fett</b>"


def test_preparing_the_database_again_never_overwrites_the_teams_texts(seeded, now, actor):
    _save(seeded, actor, now, about="Unser eigener Text.", funding="")
    init_database(seeded, now=now)
    texts = _texts(seeded)
    assert texts["about"] == "Unser eigener Text." and texts["funding"] == ""


def test_a_text_the_seed_has_and_the_database_never_had_is_added(seeded, now, actor):
    with session_scope(seeded) as s:  # as if the database predates this text
        s.exec(delete(SiteSetting).where(SiteSetting.key == site.TEXT_PREFIX + "topic_fields_more"))
        s.commit()
    assert _texts(seeded)["topic_fields_more"] == ""
    init_database(seeded, now=now)
    assert _texts(seeded)["topic_fields_more"].startswith("Welches Thema fehlt?")


def test_set_text_for_the_command_line_checks_the_same_way(seeded, now):
    with session_scope(seeded) as s:
        saved = site.set_text(session=s, key="contact_email", value="Team@Example.org", now=now)
    assert (
        saved.changed == ("contact_email",)
        and _texts(seeded)["contact_email"] == "Team@example.org"
    )
    with session_scope(seeded) as s, pytest.raises(ValidationError):
        site.set_text(session=s, key="contact_email", value="kaputt", now=now)


def test_a_text_someone_else_changed_meanwhile_is_not_overwritten(seeded, now, actor):
    loaded = _texts(seeded)
    _save(seeded, actor, now, about="Die Änderung von Anna.")
    with session_scope(seeded) as s, pytest.raises(ValidationError) as err:
        site.set_texts(
            session=s,
            actor=actor,
            values={"about": "Bert überschreibt.", "title": "Neuer Titel"},
            expected=loaded,
            now=now,
        )
    assert err.value.errors == {"about": site.CHANGED_MEANWHILE}
    assert (
        _texts(seeded)["about"] == "Die Änderung von Anna."
        and _texts(seeded)["title"] == loaded["title"]
    )
    # The same text typed by both is no conflict; untouched texts are not checked.
    with session_scope(seeded) as s:
        saved = site.set_texts(
            session=s,
            actor=actor,
            values={"about": "Die Änderung von Anna."},
            expected=loaded,
            now=now,
        )
    assert saved.changed == ()
