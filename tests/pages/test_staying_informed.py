"""Staying informed on the pages: "tell me when registration opens", announcements with
double opt-in, unsubscribing, "Link verloren?", and the team's message (AppTest)."""

from __future__ import annotations

from sqlmodel import select

from stammtisch import subscriptions
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Mail, Subscription
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts
from tests.pages.test_registration_pages import OPEN_MEETING

NOT_OPEN_MEETING = 3  # "Lebendige Orte" in the seed: registration opens later
NOW = parse_instant(SEED_NOW)


def _rows(url, model):
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = list(s.exec(select(model).order_by(model.id)).all())
    engine.dispose()
    return rows


def _token(url, address):
    engine = make_engine(url)
    try:
        return f.link_token(engine, address)
    finally:
        engine.dispose()


def _click(at, label):
    [button] = [b for b in at.button if b.label == label]
    button.click().run()


def test_notify_when_registration_opens_from_the_start_page(make_app, app_db):
    at = make_app()
    assert not [t for t in at.text_input if t.key == f"sub{OPEN_MEETING}.email"]  # open: none
    at.session_state[f"sub{NOT_OPEN_MEETING}.open"] = True
    at.run()
    at.text_input(key=f"sub{NOT_OPEN_MEETING}.email").input("kim@example.org")
    _click(at, "Benachrichtigen")
    assert "Bitte stimmen Sie zu" in " ".join(e.value for e in at.error)
    assert _rows(app_db, Subscription) == []
    at.checkbox(key=f"sub{NOT_OPEN_MEETING}.consent").check()
    _click(at, "Benachrichtigen")
    assert not at.exception
    assert at.success[0].value == subscriptions.SUBSCRIBED_MESSAGE
    [row] = _rows(app_db, Subscription)
    assert (row.meeting_id, row.status) == (NOT_OPEN_MEETING, "pending")
    [mail] = _rows(app_db, Mail)
    assert mail.kind == "subscription_confirm"


def test_announcements_confirm_then_unsubscribe_through_the_pages(make_app, app_db):
    at = make_app("pages/benachrichtigung.py")
    at.text_input(key="news.email").input("kim@example.org")
    at.multiselect(key="news.topic_field_ids").select(1)
    at.checkbox(key="news.consent").check()
    _click(at, "Benachrichtigen")
    assert at.success[0].value == subscriptions.SUBSCRIBED_MESSAGE
    # The link from the mail: opening changes nothing, the button confirms.
    page = make_app("pages/benachrichtigung.py", bestaetigen=_token(app_db, "kim@example.org"))
    assert [r.status for r in _rows(app_db, Subscription)] == ["pending"]
    assert "Neue Termine des Strukturwandel-Stammtischs" in texts(page)
    page.button(key="subconfirm.go").click().run()
    assert not page.exception
    assert "Danke, bestätigt!" in page.success[0].value
    assert [r.status for r in _rows(app_db, Subscription)] == ["confirmed"]
    # Unsubscribing: a page with a button, no login.
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        token = subscriptions.unsubscribe_token(s, s.exec(select(Subscription)).one())
    engine.dispose()
    page = make_app("pages/benachrichtigung.py", abbestellen=token)
    assert _rows(app_db, Subscription)  # opening the link removed nothing
    page.button(key="unsub.go").click().run()
    assert "Abbestellt." in page.success[0].value
    assert _rows(app_db, Subscription) == []
    again = make_app("pages/benachrichtigung.py", abbestellen=token)
    assert "schon abbestellt" in again.info[0].value


def test_a_stale_confirmation_link_says_so_and_offers_a_new_start(make_app):
    at = make_app("pages/benachrichtigung.py", bestaetigen="nicht-gueltig")
    assert not at.exception
    assert subscriptions.INVALID_CONFIRM_LINK in at.warning[0].value


def test_lost_link_gives_the_same_answer_and_mails_only_registered_addresses(make_app, app_db):
    make_app()
    engine = make_engine(app_db)
    f.register(engine, OPEN_MEETING, 1, now=NOW, email="kim@example.org")
    engine.dispose()
    before = len(_rows(app_db, Mail))
    answers = []
    for address in ("kim@example.org", "unknown@example.org"):
        at = make_app()
        at.session_state["lost.open"] = True
        at.run()
        at.text_input(key="lost.email").input(address)
        _click(at, "Neuen Link schicken")
        answers.append(at.success[0].value)
    assert answers[0] == answers[1]
    sent = _rows(app_db, Mail)[before:]
    assert [(m.kind, m.to_address) for m in sent] == [("link_again", "kim@example.org")]


def test_unknown_personal_link_offers_lost_link(make_app):
    at = make_app("pages/meine_anmeldung.py", token="kaputt")
    assert "Link verloren?" in [e.label for e in at.expander]


def test_team_message_counts_then_asks_then_sends(make_organizer_app, app_db):
    engine = make_engine(app_db)
    f.register(engine, OPEN_MEETING, 1, now=NOW, email="a@example.org")
    f.register(engine, OPEN_MEETING, 2, now=NOW, email="b@example.org")
    engine.dispose()
    at = make_organizer_app("pages/orga_anmeldungen.py")
    at.selectbox(key="reg.meeting").set_value(OPEN_MEETING).run()
    at.session_state[f"msg{OPEN_MEETING}.open"] = True
    at.run()
    at.text_input(key=f"msg{OPEN_MEETING}.subject").input("Folien")
    at.text_area(key=f"msg{OPEN_MEETING}.text").input("Hier sind die **Folien** vom Treffen.")
    at.multiselect(key=f"msg{OPEN_MEETING}.groups").select("confirmed").run()
    assert "Geht an 2 Personen." in [c.value for c in at.caption]
    at.button(key=f"msg{OPEN_MEETING}.send").click().run()
    assert "Die Nachricht geht an 2 Personen" in at.warning[0].value
    assert not [m for m in _rows(app_db, Mail) if m.kind == "team_message"]
    at.button(key=f"msg{OPEN_MEETING}.notify.yes").click().run()
    assert not at.exception
    assert "2 Mails" in at.success[0].value
    sent = [m for m in _rows(app_db, Mail) if m.kind == "team_message"]
    assert sorted(m.to_address for m in sent) == ["a@example.org", "b@example.org"]
    assert "> Hier sind die **Folien** vom Treffen." in sent[0].body_text


def test_team_sees_figures_and_exports_only_confirmed_announcements(make_organizer_app, app_db):
    engine = make_engine(app_db)
    f.subscribe(engine, now=NOW, email="yes@example.org", topic_field_ids=(1,))
    f.subscribe(engine, now=NOW, email="later@example.org", confirm=False)
    engine.dispose()
    at = make_organizer_app("pages/orga_datenschutz.py")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Neue Termine (bestätigt)"] == "1"
    assert metrics["Unbestätigt (höchstens 48 h)"] == "1"
    engine = make_engine(app_db)
    with session_scope(engine) as s:
        rows = subscriptions.export_news(session=s, actor=f.team(engine, now=NOW), now=NOW)
    engine.dispose()
    assert [r["E-Mail"] for r in rows] == ["yes@example.org"]


def test_planning_shows_interested_people_per_topic_field(make_organizer_app, app_db):
    from stammtisch.models import TopicField

    at = make_organizer_app("pages/orga_planung.py")
    assert not [c for c in at.caption if "Interessierte je Themenfeld" in c.value]  # none yet
    engine = make_engine(app_db)
    f.subscribe(engine, now=NOW, email="a@example.org", topic_field_ids=(1,))
    f.subscribe(engine, now=NOW, email="ab@example.org", topic_field_ids=(1, 2))
    f.subscribe(engine, now=NOW, email="all@example.org")
    f.subscribe(engine, now=NOW, email="later@example.org", topic_field_ids=(2,), confirm=False)
    f.subscribe(engine, now=NOW, email="m@example.org", meeting_id=NOT_OPEN_MEETING)
    with session_scope(engine) as s:
        names = {tf.id: tf.name for tf in s.exec(select(TopicField)).all()}
    engine.dispose()
    import streamlit as st

    st.cache_data.clear()
    at = make_organizer_app("pages/orga_planung.py")
    assert not at.exception
    [caption] = [c.value for c in at.caption if "Interessierte je Themenfeld" in c.value]
    assert caption == (
        "Interessierte je Themenfeld (bestätigte Benachrichtigung „Neue Termine“): "
        f"{names[1]} 2, {names[2]} 1; zu allen Themenfeldern 1."
    )
    # The team's list page: the same figures, per meeting too, and no address anywhere.
    at = make_organizer_app("pages/orga_datenschutz.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Neue Termine (bestätigt)"] == "3"
    assert metrics["Warten auf eine Anmeldung"] == "1"
    assert metrics["Unbestätigt (höchstens 48 h)"] == "1"
    assert "@example.org" not in texts(at)
