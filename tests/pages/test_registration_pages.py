"""Registration on the start page and the personal "Meine Anmeldung" page (AppTest)."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st
from sqlmodel import select

from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Meeting, Registration
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts

ZOOM = "https://zoom.us/j/00000000000"
OPEN_MEETING = 2  # Mo, 06.12.2021 in the seed


def _open(at, meeting_id=OPEN_MEETING):
    """Open the meeting's registration expander (its form is only sent once open)."""
    at.session_state[f"reg{meeting_id}.open"] = True
    at.run()


def _fill(
    at,
    meeting_id=OPEN_MEETING,
    *,
    name="Erika Beispiel",
    email="erika@example.org",
    organisation="",
    state=None,
    consent=True,
):
    if f"reg{meeting_id}.name" not in {t.key for t in at.text_input}:
        _open(at, meeting_id)
    at.text_input(key=f"reg{meeting_id}.name").input(name)
    at.text_input(key=f"reg{meeting_id}.email").input(email)
    at.text_input(key=f"reg{meeting_id}.organisation").input(organisation)
    if state is not None:
        at.selectbox(key=f"reg{meeting_id}.federal_state").set_value(state)
    at.checkbox(key=f"reg{meeting_id}.consent").set_value(consent)


def _submit(at, label="Verbindlich anmelden"):
    [button] = [b for b in at.button if b.label == label]
    button.click().run()


def _all_values(at) -> str:
    values = []
    for node in at.main:  # every element of the page
        values.append(repr(getattr(node, "value", "")))
    return texts(at) + "\n".join(values)


def _registrations(url):
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(Registration)).all()
    engine.dispose()
    return rows


def _mailed_token(app_db, address="erika@example.org") -> str:
    engine = make_engine(app_db)
    try:
        return f.link_token(engine, address)
    finally:
        engine.dispose()


def test_registration_asks_for_confirmation_then_the_link_shows_the_zoom_link(make_app, app_db):
    at = make_app()
    assert ZOOM not in _all_values(at)
    _fill(at, state="sachsen-anhalt", organisation="Dorfverein")
    _submit(at)
    assert not at.exception
    assert "Bitte bestätigen Sie Ihre Anmeldung" in at.success[0].value
    # Markdown-escaped, and no mailto link (a word joiner before the "@").
    assert "erika\u2060@example\\.org" in at.success[0].value
    assert any("kein Mailserver eingerichtet" in c.value for c in at.caption)
    assert ZOOM not in _all_values(at)  # no place and no link before the confirmation
    [row] = _registrations(app_db)
    assert (row.name, row.federal_state, row.status) == (
        "Erika Beispiel",
        "sachsen-anhalt",
        "pending",
    )
    # The link from the mail: opening it changes nothing, the button confirms.
    page = make_app("pages/meine_anmeldung.py")
    page.query_params["token"] = _mailed_token(app_db)
    page.run()
    assert [r.status for r in _registrations(app_db)] == ["pending"]
    assert ZOOM not in _all_values(page)
    page.button(key="confirm.go").click().run()
    assert not page.exception
    assert "Sie sind angemeldet" in page.success[0].value
    assert ZOOM in [c.value for c in page.code]
    assert [r.status for r in _registrations(app_db)] == ["confirmed"]


def test_empty_form_shows_a_message_next_to_each_required_field(make_app, app_db):
    at = make_app()
    _fill(at, name="", email="", consent=False)
    _submit(at)
    errors = [e.value for e in at.error]
    assert "Bitte geben Sie Ihren Namen an." in errors
    assert "Bitte geben Sie Ihre E-Mail-Adresse an." in errors
    assert "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu." in errors
    assert _registrations(app_db) == []


def test_bad_email_keeps_the_other_input(make_app, app_db):
    at = make_app()
    _fill(at, email="erika(at)example")
    _submit(at)
    assert any("gültige E-Mail-Adresse" in e.value for e in at.error)
    assert at.text_input(key=f"reg{OPEN_MEETING}.name").value == "Erika Beispiel"
    assert at.checkbox(key=f"reg{OPEN_MEETING}.consent").value is True
    assert _registrations(app_db) == []


def test_same_email_again_gets_the_same_answer_and_no_second_registration(make_app, app_db):
    at = make_app()
    _fill(at)
    _submit(at)
    first = at.success[0].value
    at.button(key=f"reg{OPEN_MEETING}.again").click().run()
    _fill(at, name="Jemand Anderes", email="ERIKA@example.org")
    _submit(at)
    assert not at.error
    # Word for word what a new address gets (the address as typed): nothing to test.
    assert at.success[0].value == first.replace("erika\u2060@", "ERIKA\u2060@")
    assert len(_registrations(app_db)) == 1


def test_without_confirmation_a_known_address_gets_a_friendly_message(
    make_app, app_db, monkeypatch
):
    monkeypatch.setenv("STAMMTISCH_CONFIRM_REGISTRATIONS", "0")
    at = make_app()
    _fill(at)
    _submit(at)
    assert "Sie sind angemeldet" in at.success[0].value
    assert ZOOM in [c.value for c in at.code]
    at.button(key=f"reg{OPEN_MEETING}.again").click().run()
    _fill(at, name="Jemand Anderes", email="ERIKA@example.org")
    _submit(at)
    messages = [e.value for e in at.error]
    assert any("bereits eine Anmeldung" in m for m in messages)
    assert "Erika Beispiel" not in "\n".join(messages)
    assert len(_registrations(app_db)) == 1


def test_full_meeting_offers_the_waitlist_with_position(make_app, app_db):
    make_app()  # first run seeds the database
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, OPEN_MEETING)
        meeting.capacity = 1
        s.add(meeting)
        s.commit()
    f.register(engine, OPEN_MEETING, "first", now=parse_instant(SEED_NOW))
    engine.dispose()
    st.cache_data.clear()  # the change came from outside this app process
    at = make_app()
    assert any("Ausgebucht – Warteliste offen" in m.value for m in at.markdown)  # st.badge
    assert not any("Position" in i.value for i in at.info)  # details come with the form
    _open(at)
    assert any("Position 2" not in i.value and "Position 1" in i.value for i in at.info)
    _fill(at)
    _submit(at, "Auf die Warteliste setzen")
    assert "Bitte bestätigen" in at.success[0].value
    page = make_app("pages/meine_anmeldung.py")
    page.query_params["token"] = _mailed_token(app_db)
    page.run()
    page.button(key="confirm.go").click().run()
    assert "Warteliste auf Position 1" in page.warning[0].value
    assert ZOOM not in [c.value for c in page.code]


def test_registration_form_only_for_open_meetings(make_app):
    at = make_app()
    assert not at.text_input  # lazy: no form is sent before someone opens it
    for meeting_id in range(1, 6):
        at.session_state[f"reg{meeting_id}.open"] = True
    at.run()
    keys = {t.key for t in at.text_input}
    assert f"reg{OPEN_MEETING}.name" in keys
    assert not any(k.startswith(("reg3.", "reg4.", "reg5.", "reg1.")) for k in keys if k)
    assert "Anmeldung bald möglich" in texts(at)


def _token(app_db) -> str:
    engine = make_engine(app_db)
    receipt = f.register(
        engine,
        OPEN_MEETING,
        "Eva",
        now=parse_instant(SEED_NOW),
        name="Eva",
        email="eva@example.org",
    )
    engine.dispose()
    return receipt.token


def test_personal_page_shows_registration_and_cancels(make_app, app_db):
    make_app()
    token = _token(app_db)
    at = make_app("pages/meine_anmeldung.py")
    at.query_params["token"] = token
    at.run()
    assert not at.exception
    assert "Eva" in texts(at) and ZOOM in [c.value for c in at.code]
    at.button(key="cancel.start").click().run()
    at.button(key="cancel.yes").click().run()
    assert "Sie sind abgemeldet" in at.success[0].value
    assert ZOOM not in [c.value for c in at.code]
    assert [r.status for r in _registrations(app_db)] == ["cancelled"]


def test_personal_page_with_wrong_or_missing_token_reveals_nothing(make_app, app_db):
    make_app()
    _token(app_db)
    for token in ("", "falsch", "x" * 500):
        at = make_app("pages/meine_anmeldung.py")
        at.query_params["token"] = token
        at.run()
        assert not at.exception
        assert "ungültig" in at.warning[0].value
        assert "Eva" not in texts(at) and ZOOM not in _all_values(at)


def test_waitlisted_person_is_promoted_when_someone_cancels(make_app, app_db):
    make_app()
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        meeting = s.get(Meeting, OPEN_MEETING)
        meeting.capacity = 1
        s.add(meeting)
        s.commit()
    now = parse_instant(SEED_NOW)
    first = f.register(engine, OPEN_MEETING, "a", now=now)
    second = f.register(engine, OPEN_MEETING, "b", now=now + timedelta(minutes=1))
    engine.dispose()
    at = make_app("pages/meine_anmeldung.py")
    at.query_params["token"] = second.token
    at.run()
    assert "Position 1" in at.warning[0].value
    at = make_app("pages/meine_anmeldung.py")
    at.query_params["token"] = first.token
    at.run()
    at.button(key="cancel.start").click().run()
    at.button(key="cancel.yes").click().run()
    at = make_app("pages/meine_anmeldung.py")
    at.query_params["token"] = second.token
    at.run()
    assert "nachgerückt und angemeldet" in at.success[0].value
    assert "https://zoom.us/j/00000000000" in [c.value for c in at.code]
