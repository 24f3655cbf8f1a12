"""Staying informed: double opt-in, the mails the team's changes send, unsubscribing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from stammtisch import meeting_admin, meetings, subscriptions
from stammtisch.db import session_scope
from stammtisch.errors import FORM, NotFound, ValidationError
from stammtisch.models import Mail, MeetingStatus, RegistrationState, Subscription
from stammtisch.subscriptions import SubscriptionInput
from tests import factories as f


def wish(**kw) -> SubscriptionInput:
    values = {"email": "kim@example.org", "consent": True}
    values.update(kw)
    return SubscriptionInput(**values)


def subscribe(engine, now, data, requester=None):
    with session_scope(engine) as s:
        return subscriptions.subscribe(session=s, data=data, now=now, requester=requester)


def rows(engine) -> list[Subscription]:
    with session_scope(engine) as s:
        return list(s.exec(select(Subscription).order_by(Subscription.id)).scalars())


def mails(engine, kind=None) -> list[Mail]:
    with session_scope(engine) as s:
        query = select(Mail).order_by(Mail.id)
        if kind:
            query = query.where(Mail.kind == kind)
        return list(s.exec(query).scalars())


def not_yet_open(engine, now, **kw) -> int:
    return f.meeting(engine, now=now, registration_state=RegistrationState.NOT_OPEN, **kw)


def open_registration(engine, now, meeting_id):
    with session_scope(engine) as s:
        view = meetings.get_meeting(session=s, meeting_id=meeting_id)
    actor = f.team(engine, now=now)
    with session_scope(engine) as s:
        row = next(
            m for m in meeting_admin.list_meetings(session=s, actor=actor) if m.id == view.id
        )
    data = meetings.MeetingInput(
        theme=row.theme,
        description=row.description,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        primary_topic_field_id=row.primary_topic_field_id,
        further_topic_field_ids=row.further_topic_field_ids,
        registration_state=RegistrationState.OPEN,
        capacity=row.capacity,
        online_link=row.online_link,
        status=row.status,
    )
    with session_scope(engine) as s:
        meeting_admin.update_meeting(
            session=s, actor=actor, meeting_id=meeting_id, data=data, now=now
        )


def test_a_wish_is_pending_and_mails_only_the_confirmation(engine, now):
    meeting = not_yet_open(engine, now)
    answer = subscribe(engine, now, wish(meeting_id=meeting, name="Kim"))
    assert answer == subscriptions.SUBSCRIBED_MESSAGE
    [row] = rows(engine)
    assert (row.status, row.consent_version, row.consent_at) == (
        "pending",
        subscriptions.CONSENT_VERSION,
        now,
    )
    assert row.expires_at == now + timedelta(hours=48)
    [confirmation] = mails(engine)
    assert confirmation.kind == "subscription_confirm" and confirmation.secret
    assert "[[BESTAETIGUNGS-LINK]]" in confirmation.body_text  # filled in at delivery only
    assert confirmation.list_unsubscribe is None  # nothing to unsubscribe from yet
    # Until confirmed, opening registration mails nobody.
    open_registration(engine, now, meeting)
    assert [m.kind for m in mails(engine)] == ["subscription_confirm"]


def test_confirmed_wish_gets_one_mail_when_registration_opens_then_the_list_goes(engine, now):
    meeting = not_yet_open(engine, now, theme="Wasser im Revier")
    f.subscribe(engine, now=now, email="kim@example.org", meeting_id=meeting, name="Kim")
    [row] = rows(engine)
    assert row.status == "confirmed" and row.confirmed_at == now and row.expires_at is None
    open_registration(engine, now, meeting)
    [sent] = mails(engine, "registration_open")
    assert sent.to_address == "kim@example.org" and "Wasser im Revier" in sent.body_text
    assert sent.list_unsubscribe and "/abbestellen?token=" in sent.list_unsubscribe
    assert "/benachrichtigung?abbestellen=" in sent.body_text
    assert rows(engine) == []  # the wish is fulfilled: deleted
    assert f.last_audit(engine)[0] == "meeting.update"


def test_one_pending_confirmation_per_address_and_the_same_answer_always(engine, now):
    first = not_yet_open(engine, now)
    second = not_yet_open(engine, now, days_ahead=60)
    answers = {
        subscribe(engine, now, wish(meeting_id=first)),
        subscribe(engine, now, wish(meeting_id=first)),  # the same again
        subscribe(engine, now, wish(meeting_id=second, email="KIM@example.org")),
        subscribe(engine, now, wish()),  # news too
    }
    assert answers == {subscriptions.SUBSCRIBED_MESSAGE}
    assert len(rows(engine)) == 3
    assert [m.kind for m in mails(engine)] == ["subscription_confirm"]  # one mail only
    with session_scope(engine) as s:
        preview = subscriptions.describe_confirmation(
            session=s, token=f.link_token(engine, "kim@example.org"), now=now
        )
    assert len(preview.confirmed) == 3 and not preview.already
    with session_scope(engine) as s:
        result = subscriptions.confirm(
            session=s, token=f.link_token(engine, "kim@example.org"), now=now
        )
    assert len(result.confirmed) == 3
    assert {r.status for r in rows(engine)} == {"confirmed"}
    with session_scope(engine) as s:  # clicking again: no error, nothing changes
        again = subscriptions.confirm(
            session=s, token=f.link_token(engine, "kim@example.org"), now=now
        )
    assert again.already


def test_unconfirmed_wishes_expire_after_48_hours(engine, now):
    from stammtisch import mailer
    from stammtisch.config import load_settings

    subscribe(engine, now, wish())
    token = f.link_token(engine, "kim@example.org")
    later = now + timedelta(hours=48)
    with pytest.raises(NotFound), session_scope(engine) as s:
        subscriptions.confirm(session=s, token=token, now=later)
    mailer.housekeeping(engine, now=later, settings=load_settings({}))
    assert rows(engine) == []


def test_news_go_to_matching_fields_or_all_once_per_meeting(engine, now):
    energy = f.topic_field(engine, now=now, name="Energie")
    water = f.topic_field(engine, now=now, name="Wasser")
    f.subscribe(engine, now=now, email="all@example.org")
    f.subscribe(engine, now=now, email="energy@example.org", topic_field_ids=(energy,))
    f.subscribe(engine, now=now, email="water@example.org", topic_field_ids=(water,))
    meeting = f.meeting(
        engine, now=now, topic_field_id=energy, registration_state=RegistrationState.NOT_OPEN
    )
    told = sorted(m.to_address for m in mails(engine, "news_meeting"))
    assert told == ["all@example.org", "energy@example.org"]
    # A draft announces nothing until it is published; then once.
    draft = f.meeting(engine, now=now, topic_field_id=water, status="draft")
    assert "water@example.org" not in [m.to_address for m in mails(engine, "news_meeting")]
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=f.team(engine, now=now),
            meeting_id=draft,
            status=MeetingStatus.PLANNED,
            now=now,
        )
    assert sorted(m.to_address for m in mails(engine, "news_meeting") if m.meeting_id == draft) == [
        "all@example.org",
        "water@example.org",
    ]
    open_registration(engine, now, meeting)
    assert sorted(m.to_address for m in mails(engine, "news_registration_open")) == [
        "all@example.org",
        "energy@example.org",
    ]


def test_unsubscribe_deletes_and_a_second_click_is_no_error(engine, now):
    f.subscribe(engine, now=now, email="kim@example.org")
    f.meeting(engine, now=now)
    [news] = mails(engine, "news_meeting")
    token = news.list_unsubscribe.rsplit("token=", 1)[1]
    with session_scope(engine) as s:
        assert subscriptions.describe_unsubscribe(session=s, token=token).startswith("Neue Termine")
    with session_scope(engine) as s:
        assert subscriptions.unsubscribe(session=s, token=token, now=now)
    assert rows(engine) == []
    with session_scope(engine) as s:
        assert subscriptions.unsubscribe(session=s, token=token, now=now) is None
    with session_scope(engine) as s:
        assert subscriptions.unsubscribe(session=s, token=token + "x", now=now) is None


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (RegistrationState.OPEN, "schon offen"),
        (RegistrationState.CLOSED, "geschlossen"),
    ],
)
def test_wishes_only_for_meetings_whose_registration_is_not_open_yet(engine, now, state, message):
    meeting = f.meeting(engine, now=now, registration_state=state)
    with pytest.raises(ValidationError) as err:
        subscribe(engine, now, wish(meeting_id=meeting))
    assert message in err.value.errors[FORM]
    assert rows(engine) == [] and mails(engine) == []


def test_bad_input_gets_german_messages_per_field(engine, now):
    with pytest.raises(ValidationError) as err:
        subscribe(engine, now, wish(email="kim(at)example", consent=False, topic_field_ids=(999,)))
    assert set(err.value.errors) == {"email", "consent", "topic_field_ids"}
    assert err.value.errors["consent"].startswith("Bitte stimmen Sie zu")


def test_subscriptions_are_limited_per_address(engine, now):
    from stammtisch.rate_limits import RateLimited, Requester

    fields = [f.topic_field(engine, now=now) for _ in range(4)]
    meetings_ = [
        not_yet_open(engine, now, topic_field_id=fields[0], days_ahead=d) for d in (20, 40, 60, 80)
    ]
    for n, meeting in enumerate(meetings_[:3]):
        subscribe(engine, now, wish(meeting_id=meeting), Requester(f"198.51.100.{n}", now))
    with pytest.raises(RateLimited):
        subscribe(engine, now, wish(meeting_id=meetings_[3]), Requester("192.0.2.1", now))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    email=st.text(max_size=80),
    name=st.text(max_size=200),
    fields=st.lists(st.integers(min_value=-3, max_value=10**6), max_size=4),
)
def test_any_input_is_stored_cleanly_or_refused_in_german(seeded, now, email, name, fields):
    try:
        subscribe(seeded, now, wish(email=email, name=name, topic_field_ids=tuple(fields)))
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
        return
    with session_scope(seeded) as s:
        for row in s.exec(select(Subscription)).scalars():
            assert "\n" not in (row.name or "") and "\r" not in row.email
        for mail_row in s.exec(select(Mail)).scalars():
            assert "\n" not in mail_row.subject and "\n" not in (mail_row.to_name or "")
        s.execute(select(func.count()).select_from(Subscription))
        s.execute(Subscription.__table__.delete())
        s.execute(Mail.__table__.delete())
        s.commit()


def test_subscription_mails_carry_one_click_unsubscribe_headers(engine, now):
    from stammtisch import mailer
    from stammtisch.config import load_settings

    f.subscribe(engine, now=now, email="kim@example.org", name="Kim\r\nBcc: x@evil.example")
    f.meeting(engine, now=now)
    [news] = mails(engine, "news_meeting")
    message = mailer.build_message(news, load_settings({}))
    assert message["List-Unsubscribe"] == f"<{news.list_unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Bcc" not in message and "evil" not in str(message["To"]).split("<")[1]
    [confirmation] = mails(engine, "subscription_confirm")
    built = mailer.build_message(confirmation, load_settings({}))
    assert built["List-Unsubscribe"] is None
    body = built.get_payload()[0].get_payload(decode=True).decode()
    assert "/benachrichtigung?bestaetigen=" in body


def test_lost_link_mails_fresh_links_for_upcoming_registrations_only(engine, now):
    from stammtisch import registrations

    ahead = f.meeting(engine, now=now, days_ahead=10)
    later = f.meeting(engine, now=now, days_ahead=40)
    f.register(engine, ahead, 1, now=now, email="kim@example.org")
    f.register(engine, later, 1, now=now, email="kim@example.org")
    old = f.link_token(engine, "kim@example.org")
    before = len(mails(engine))
    with session_scope(engine) as s:
        answer = registrations.send_fresh_links(session=s, email="KIM@example.org", now=now)
    with session_scope(engine) as s:
        unknown = registrations.send_fresh_links(session=s, email="nobody@example.org", now=now)
    assert answer == unknown == registrations.LINKS_SENT_MESSAGE
    fresh = mails(engine, "link_again")
    assert len(mails(engine)) == before + 2 and len(fresh) == 2
    assert {m.to_address for m in fresh} == {"kim@example.org"}
    with session_scope(engine) as s:
        assert registrations.find_by_token(session=s, token=old, now=now) is None
        assert registrations.find_by_token(session=s, token=fresh[-1].secret, now=now)


def test_team_message_reaches_exactly_the_chosen_groups(engine, now):
    from stammtisch import registration_admin
    from stammtisch.errors import NeedsConfirmation

    meeting = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting, 1, now=now, email="placed@example.org")
    f.register(engine, meeting, 2, now=now, email="waiting@example.org")
    data = registration_admin.MessageInput(
        subject="Folien\r\nBcc: x@evil.example",
        text="Hier sind die Folien.",
        groups=("waitlisted",),
    )
    actor = f.team(engine, now=now)
    with pytest.raises(NeedsConfirmation) as asked, session_scope(engine) as s:
        registration_admin.send_message(
            session=s, actor=actor, meeting_id=meeting, data=data, now=now
        )
    assert asked.value.count == 1
    with session_scope(engine) as s:
        sent = registration_admin.send_message(
            session=s, actor=actor, meeting_id=meeting, data=data, now=now, notify_count=1
        )
    assert sent == 1
    [message] = mails(engine, "team_message")
    assert message.to_address == "waiting@example.org"
    assert "\n" not in message.subject and "Folien Bcc" in message.subject
    assert "> Hier sind die Folien." in message.body_text
    assert f.last_audit(engine)[0] == "meeting.message"
    with pytest.raises(ValidationError) as err, session_scope(engine) as s:
        registration_admin.send_message(
            session=s,
            actor=actor,
            meeting_id=meeting,
            data=registration_admin.MessageInput(subject="", text="kurz", groups=()),
            now=now,
        )
    assert set(err.value.errors) == {"subject", "text", "groups"}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(email=st.text(max_size=80), subject=st.text(max_size=200), text=st.text(max_size=300))
def test_lost_link_and_team_message_take_any_input(seeded, now, email, subject, text):
    """Whatever is typed: a German message per field, or clean single-line headers."""
    from stammtisch import registration_admin, registrations
    from stammtisch.errors import NeedsConfirmation

    try:
        with session_scope(seeded) as s:
            registrations.send_fresh_links(session=s, email=email, now=now)
    except ValidationError as exc:
        assert set(exc.errors) == {"email"}
    actor = f.team(seeded, now=now)
    data = registration_admin.MessageInput(subject=subject, text=text, groups=("confirmed",))
    try:
        with session_scope(seeded) as s:
            registration_admin.send_message(
                session=s, actor=actor, meeting_id=2, data=data, now=now, notify_count=None
            )
    except ValidationError as exc:
        assert set(exc.errors) <= {"subject", "text", "groups"} and exc.errors
    except NeedsConfirmation:  # valid input, somebody registered: asked first
        pass
    with session_scope(seeded) as s:
        for mail_row in s.exec(select(Mail)).scalars():
            assert "\n" not in mail_row.subject and "\r" not in mail_row.subject


HOSTILE = (
    'Folien: <script>alert("x")</script> und <b>fett</b> & <a href="http://evil.example">hier</a>'
)


def _html_part(mail_row: Mail) -> str:
    from stammtisch import mailer
    from stammtisch.config import load_settings

    message = mailer.build_message(mail_row, load_settings({}))
    [html_part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return html_part.get_payload(decode=True).decode(html_part.get_content_charset() or "utf-8")


def test_team_message_text_is_escaped_in_the_html_part(engine, now):
    """Organizer text is text: in the HTML part every tag arrives escaped, never as markup;
    in the text part it stands as written (quoted)."""
    from stammtisch import registration_admin

    meeting = f.meeting(engine, now=now)
    f.register(engine, meeting, 1, now=now, email="kim@example.org")
    data = registration_admin.MessageInput(
        subject="Folien", text=HOSTILE + "\nZweite Zeile", groups=("confirmed",)
    )
    with session_scope(engine) as s:
        registration_admin.send_message(
            session=s,
            actor=f.team(engine, now=now),
            meeting_id=meeting,
            data=data,
            now=now,
            notify_count=1,
        )
    [message] = mails(engine, "team_message")
    html = _html_part(message)
    for tag in ("<script", "<b>", '<a href="http://evil'):
        assert tag not in html and tag not in message.body_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;fett&lt;/b&gt; &amp; &lt;a href=" in html
    assert "<br>Zweite Zeile" in html
    assert f"> {HOSTILE}\n> Zweite Zeile" in message.body_text


def test_offer_decision_message_is_escaped_in_the_html_part(engine, now):
    from stammtisch import offer_review
    from stammtisch.bootstrap import init_database
    from stammtisch.models import OfferState

    init_database(engine, now=now)
    actor = f.organizer(engine, now=now)
    oid = f.offer(engine, now=now, email="kim@example.org")
    with session_scope(engine) as s:
        offer_review.move(
            session=s,
            actor=actor,
            offer_id=oid,
            to_state=OfferState.DECLINED,
            now=now,
            message=HOSTILE,
        )
    [decision] = [m for m in mails(engine) if m.kind == "offer_decision"]
    html = _html_part(decision)
    assert "<script" not in html and "<b>fett" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert f"> {HOSTILE}" in decision.body_text


def test_figures_count_confirmed_wishes_per_meeting_and_per_topic_field(engine, now):
    field_a = f.topic_field(engine, now=now, name="Feld A")
    field_b = f.topic_field(engine, now=now, name="Feld B")
    early = not_yet_open(engine, now, days_ahead=20)
    late = not_yet_open(engine, now, days_ahead=40)
    f.subscribe(engine, now=now, email="m1@example.org", meeting_id=early)
    f.subscribe(engine, now=now, email="m2@example.org", meeting_id=early)
    f.subscribe(engine, now=now, email="m3@example.org", meeting_id=late)
    f.subscribe(engine, now=now, email="m4@example.org", meeting_id=late, confirm=False)
    f.subscribe(engine, now=now, email="a@example.org", topic_field_ids=(field_a,))
    f.subscribe(engine, now=now, email="ab@example.org", topic_field_ids=(field_a, field_b))
    f.subscribe(engine, now=now, email="all@example.org")
    f.subscribe(engine, now=now, email="p@example.org", topic_field_ids=(field_b,), confirm=False)
    with session_scope(engine) as s:
        figures = subscriptions.figures(session=s)
    assert figures.per_meeting == {early: 2, late: 1}  # the unconfirmed one does not count
    assert figures.per_topic_field == {field_a: 2, field_b: 1}
    assert (figures.news_total, figures.news_all_fields, figures.pending) == (3, 1, 2)


def test_the_newsletter_export_is_recorded_in_the_audit_log(engine, now):
    f.subscribe(engine, now=now, email="yes@example.org")
    f.subscribe(engine, now=now, email="later@example.org", confirm=False)
    actor = f.team(engine, now=now)
    with session_scope(engine) as s:
        rows = subscriptions.export_news(session=s, actor=actor, now=now)
    assert [r["E-Mail"] for r in rows] == ["yes@example.org"]
    action, who, object_type, object_id, details = f.last_audit(engine)
    assert (action, object_type, object_id) == ("subscription.export", None, None)
    assert who == actor.display_name or who == actor.name
    assert details == {"rows": 1}
    # The log says how many, never who.
    assert "yes@example.org" not in repr(f.audit_entries(engine, "subscription"))
