"""Mails reach people: the sender against a real SMTP server (aiosmtpd on 127.0.0.1),
on SQLite and PostgreSQL. Register → confirm → place; promotion; reminder; cancellation;
a server that is down; a sender that dies; two senders at once."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlmodel import select

from stammtisch import mail, mailer, meeting_admin, registrations
from stammtisch.config import Settings
from stammtisch.db import session_scope
from stammtisch.errors import NeedsConfirmation
from stammtisch.models import Mail, MailStatus, MeetingStatus, Registration
from tests import factories as f

WALL = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ZOOM = "https://zoom.us/j/123456789"


def _settings(smtp_server=None, **overrides) -> Settings:
    values = {
        "database_url": "unused",
        "smtp_url": smtp_server.url if smtp_server else None,
        "mail_from": "Strukturwandel-Stammtisch <stammtisch@example.org>",
        "public_base_url": "https://stammtisch.example.org",
    }
    values.update(overrides)
    return Settings(**values)


def _pass(engine, smtp_server, now, *, wall=WALL, **overrides):
    return mailer.send_pass(
        engine, settings=_settings(smtp_server, **overrides), now=now, wall=lambda: wall
    )


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _mails(engine) -> list[Mail]:
    with session_scope(engine) as s:
        return list(s.exec(select(Mail).order_by(Mail.id)).all())


def test_register_confirm_and_the_mail_with_the_zoom_link_arrives(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now, capacity=10)
    f.register(engine, meeting_id, "erika", now=now, email="erika@example.org", confirm=False)
    report = _pass(engine, smtp_server, now)
    assert report.sent == 1
    [request] = smtp_server.wait_for("erika@example.org")
    assert "Bitte bestätigen" in request.subject
    link = request.personal_link()
    assert link.startswith("https://stammtisch.example.org/meine-anmeldung?token=")
    assert ZOOM not in request.text  # no link before the confirmation
    # The stored mail never held the link in its body, and its secret is gone once sent.
    [stored] = _mails(engine)
    assert _token(link) not in stored.body_text + stored.body_html
    assert stored.secret is None and stored.status == MailStatus.SENT
    assert stored.message_id == request.message["Message-ID"]

    receipt = f.confirm_registration(engine, _token(link), now=now)
    assert receipt.status == "confirmed"
    _pass(engine, smtp_server, now)
    confirmed = smtp_server.wait_for("erika@example.org", 2)[1]
    assert "Ihre Anmeldung für den" in confirmed.subject
    assert ZOOM in confirmed.text and ZOOM in confirmed.html
    assert confirmed.personal_link() == link  # the same link shows the registration
    calendar = Calendar.from_ical(confirmed.attachment())
    [event] = list(calendar.walk("VEVENT"))
    assert str(event["uid"]) == f"meeting-{meeting_id}@strukturwandel-stammtisch"
    assert str(event["status"]) == "CONFIRMED" and ZOOM in str(event["location"])
    assert confirmed.message["Auto-Submitted"] == "auto-generated"


def test_forty_unconfirmed_registrations_leave_every_place_free(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now, capacity=40)
    for n in range(40):
        f.register(engine, meeting_id, f"bot{n}", now=now, confirm=False)
    with session_scope(engine) as s:
        view = meeting_admin.list_meetings(session=s, actor=f.team(engine, now=now))[0]
    assert (view.confirmed, view.waitlisted) == (0, 0)
    real = f.register(engine, meeting_id, "real", now=now)
    assert real.status == "confirmed"
    # After 48 hours the unconfirmed ones are gone.
    _pass(engine, smtp_server, now + timedelta(hours=49))
    with session_scope(engine) as s:
        assert [r.name for r in s.exec(select(Registration)).all()] == ["Person real"]


def test_a_cancellation_promotes_the_next_person_who_gets_the_link(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, "first", now=now)
    waiting = f.register(engine, meeting_id, "next", now=now, email="next@example.org")
    assert waiting.status == "waitlisted"
    _pass(engine, smtp_server, now)
    smtp_server.clear()
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    _pass(engine, smtp_server, now)
    [promoted] = smtp_server.wait_for("next@example.org")
    assert "nachgerückt" in promoted.subject
    assert ZOOM in promoted.text
    assert Calendar.from_ical(promoted.attachment()) is not None
    # Both the new link and the one from the waitlist mail open the registration.
    with session_scope(engine) as s:
        for token in (_token(promoted.personal_link()), waiting.token):
            details = registrations.find_by_token(session=s, token=token, now=now)
            assert details.status == "confirmed" and details.online_link == ZOOM
    [cancelled] = smtp_server.wait_for("personfirst@example.org")
    assert "Abmeldung" in cancelled.subject


def test_reminder_goes_out_once_at_the_right_time_and_never_after_the_start(
    engine, now, smtp_server
):
    meeting_id = f.meeting(engine, now=now, capacity=10)  # in 14 days, 17:00
    f.register(engine, meeting_id, "early", now=now, email="early@example.org")
    with session_scope(engine) as s:
        start = meeting_admin.list_meetings(session=s, actor=f.team(engine, now=now))[0].starts_at
    _pass(engine, smtp_server, now)
    smtp_server.clear()
    assert _pass(engine, smtp_server, start - timedelta(hours=25)).reminders == 0
    assert _pass(engine, smtp_server, start - timedelta(hours=23)).reminders == 1
    [reminder] = smtp_server.wait_for("early@example.org")
    assert "Erinnerung" in reminder.subject and ZOOM in reminder.text
    assert _pass(engine, smtp_server, start - timedelta(hours=1)).reminders == 0
    assert len(smtp_server.to("early@example.org")) == 1
    # Somebody who confirms within the window just got the link: no reminder minutes later.
    f.register(engine, meeting_id, "late", now=start - timedelta(hours=2), email="late@e.org")
    assert _pass(engine, smtp_server, start - timedelta(hours=1)).reminders == 0


def test_a_reminder_queued_but_not_sent_before_the_start_expires(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now)
    with session_scope(engine) as s:
        start = meeting_admin.list_meetings(session=s, actor=f.team(engine, now=now))[0].starts_at
    smtp_server.stop()  # the mail server is down the whole evening
    _pass(engine, smtp_server, start - timedelta(hours=3))
    smtp_server.start()
    later = WALL + timedelta(hours=5)
    report = _pass(engine, smtp_server, start + timedelta(minutes=5), wall=later)
    assert report.expired >= 1
    kinds = {m.kind: m.status for m in _mails(engine)}
    assert kinds["reminder"] == MailStatus.EXPIRED
    assert not [r for r in smtp_server.received if "Erinnerung" in r.subject]


def test_cancelling_a_meeting_tells_everyone_confirmed_or_waiting(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, "in", now=now, email="in@example.org")
    f.register(engine, meeting_id, "wait", now=now, email="wait@example.org")
    f.register(engine, meeting_id, "unconfirmed", now=now, email="u@example.org", confirm=False)
    _pass(engine, smtp_server, now)
    smtp_server.clear()
    actor = f.team(engine, now=now)
    with session_scope(engine) as s, pytest.raises(NeedsConfirmation) as asked:
        meeting_admin.set_status(
            session=s, actor=actor, meeting_id=meeting_id, status=MeetingStatus.CANCELLED, now=now
        )
    assert asked.value.count == 2 and "2 Personen" in asked.value.message
    with session_scope(engine) as s:
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            status=MeetingStatus.CANCELLED,
            now=now,
            notify_count=2,
        )
    _pass(engine, smtp_server, now)
    for address in ("in@example.org", "wait@example.org"):
        [cancelled] = smtp_server.wait_for(address)
        assert cancelled.subject.startswith("Strukturwandel-Stammtisch: Abgesagt")
        event = Calendar.from_ical(cancelled.attachment()).walk("VEVENT")[0]
        assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    assert smtp_server.to("u@example.org") == []


def test_a_new_time_or_link_is_mailed_with_an_updated_calendar_entry(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, "in", now=now, email="in@example.org")
    f.register(engine, meeting_id, "wait", now=now, email="wait@example.org")
    _pass(engine, smtp_server, now)
    smtp_server.clear()
    actor = f.team(engine, now=now)
    with session_scope(engine) as s:
        current = next(m for m in meeting_admin.list_meetings(session=s, actor=actor))
    new_link = "https://zoom.us/j/555"
    data = current.as_input()
    moved = data.__class__(
        **{
            **data.__dict__,
            "online_link": new_link,
            "starts_at": current.starts_at + timedelta(hours=1),
            "ends_at": current.ends_at + timedelta(hours=1),
        }
    )
    with session_scope(engine) as s, pytest.raises(NeedsConfirmation) as asked:
        meeting_admin.update_meeting(
            session=s, actor=actor, meeting_id=meeting_id, data=moved, now=now
        )
    with session_scope(engine) as s:
        meeting_admin.update_meeting(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            data=moved,
            now=now,
            notify_count=asked.value.count,
        )
    _pass(engine, smtp_server, now)
    [changed] = smtp_server.wait_for("in@example.org")
    assert new_link in changed.text and "bisher:" in changed.text
    event = Calendar.from_ical(changed.attachment()).walk("VEVENT")[0]
    assert int(event["sequence"]) == 1 and new_link in str(event["location"])
    [waiting] = smtp_server.wait_for("wait@example.org")
    assert new_link not in waiting.text and waiting.attachment() is None


def test_mail_server_down_nothing_is_lost_and_it_goes_out_when_back(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="a@example.org", confirm=False)
    smtp_server.stop()
    report = _pass(engine, smtp_server, now)
    assert (report.sent, report.retried) == (0, 1)
    [queued] = _mails(engine)
    assert queued.status == MailStatus.RETRY and queued.secret is not None
    assert queued.next_attempt_at == WALL + mailer.RETRY_DELAYS[0]
    smtp_server.start()
    assert _pass(engine, smtp_server, now).sent == 0  # not before its next attempt is due
    assert _pass(engine, smtp_server, now, wall=WALL + timedelta(minutes=2)).sent == 1
    [delivered] = smtp_server.wait_for("a@example.org")
    assert delivered.message["Message-ID"] == queued.message_id  # fixed when queued


def test_after_the_last_attempt_the_mail_is_failed_and_can_be_sent_again(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="a@example.org", confirm=False)
    smtp_server.stop()
    wall = WALL
    for _attempt in range(mailer.MAX_ATTEMPTS):
        _pass(engine, smtp_server, now, wall=wall)
        wall += timedelta(days=1)
    [failed] = _mails(engine)
    assert failed.status == MailStatus.FAILED and failed.attempts == mailer.MAX_ATTEMPTS
    assert "ConnectionRefusedError" in failed.last_error
    with session_scope(engine) as s:
        assert mail.status_counts(session=s)["failed"] == 1
    with session_scope(engine) as s:
        mail.resend(session=s, actor=f.team(engine, now=now), mail_id=failed.id, now=now, wall=wall)
    smtp_server.start()
    assert _pass(engine, smtp_server, now, wall=wall).sent == 1


def test_a_sender_killed_mid_mail_repeats_at_most_that_mail(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now)
    for n in range(3):
        f.register(engine, meeting_id, n, now=now, confirm=False)
    # A sender claims the first mail and dies before recording anything.
    [dead] = mailer.claim(engine, wall=WALL)
    assert dead.status == MailStatus.SENDING
    # Another sender delivers the rest at once, and the held one only after the lease.
    assert _pass(engine, smtp_server, now).sent == 2
    assert _pass(engine, smtp_server, now, wall=WALL + timedelta(minutes=1)).sent == 0
    assert _pass(engine, smtp_server, now, wall=WALL + mailer.LEASE * 2).sent == 1
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(ids) == 3 == len(set(ids))
    assert all(m.status == MailStatus.SENT for m in _mails(engine))


def test_two_senders_at_once_send_each_mail_once(engine, now, smtp_server):
    meeting_id = f.meeting(engine, now=now)
    for n in range(30):
        f.register(engine, meeting_id, n, now=now, confirm=False)
    barrier = threading.Barrier(2)
    reports = []

    def sender():
        barrier.wait()
        reports.append(_pass(engine, smtp_server, now))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 30
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(ids) == 30 == len(set(ids))


def test_a_rolled_back_change_queues_nothing(engine, now, monkeypatch):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, "in", now=now)
    f.register(engine, meeting_id, "wait", now=now)
    before = len(_mails(engine))
    actor = f.team(engine, now=now)

    def broken_audit(*_args, **_kwargs):
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(meeting_admin, "record", broken_audit)
    with session_scope(engine) as s, pytest.raises(RuntimeError):
        meeting_admin.set_status(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            status=MeetingStatus.CANCELLED,
            now=now,
            notify_count=2,
        )
    assert len(_mails(engine)) == before


def test_without_smtp_each_mail_is_a_file_and_stays_queued_until_smtp_is_set(
    engine, now, smtp_server, tmp_path
):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="a@example.org", confirm=False)
    outbox = tmp_path / "outbox"
    report = mailer.send_pass(
        engine, settings=_settings(None, outbox_dir=outbox), now=now, wall=lambda: WALL
    )
    assert report.written == 1
    [file] = list(outbox.glob("*.eml"))
    message = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert "meine-anmeldung?token=" in message.get_body(("plain",)).get_content()
    assert [m.status for m in _mails(engine)] == [MailStatus.QUEUED]
    # Written once, not again on the next round.
    again = mailer.send_pass(
        engine, settings=_settings(None, outbox_dir=outbox), now=now, wall=lambda: WALL
    )
    assert again.written == 0
    assert _pass(engine, smtp_server, now).sent == 1  # SMTP configured later: it goes out


def test_the_file_of_an_erased_mail_is_deleted_with_it(engine, now, tmp_path):
    """Without SMTP a mail is also a file: when erasure or retention deletes the row, the
    next pass deletes its file (same personal data); other mails' files stay."""
    from stammtisch import privacy

    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="a@example.org", confirm=False)
    f.register(engine, meeting_id, "b", now=now, email="b@example.org", confirm=False)
    outbox = tmp_path / "outbox"
    settings = _settings(None, outbox_dir=outbox)
    assert mailer.send_pass(engine, settings=settings, now=now, wall=lambda: WALL).written == 2
    assert len(list(outbox.glob("*.eml"))) == 2
    (outbox / "notizen.txt").write_text("bleibt", encoding="utf-8")
    with session_scope(engine) as s:
        privacy.erase_person(
            session=s, actor=f.team(engine, now=now), email="a@example.org", now=now
        )
    mailer.send_pass(engine, settings=settings, now=now, wall=lambda: WALL)
    [left] = list(outbox.glob("*.eml"))
    assert b"b@example.org" in left.read_bytes()
    assert not any(b"a@example.org" in p.read_bytes() for p in outbox.iterdir())
    assert (outbox / "notizen.txt").exists()


def test_a_bad_smtp_url_is_refused_with_a_clear_message():
    from stammtisch.config import ConfigError

    for url, words in (
        ("http://mail.example.org", "Schema"),
        ("smtp://", "Mailserver"),
        ("smtps://host:notaport", "Port"),
    ):
        with pytest.raises(ConfigError) as err:
            mailer.check_settings(_settings(None, smtp_url=url))
        assert words in str(err.value)
    with pytest.raises(ConfigError):
        mailer.check_settings(_settings(None, mail_from="kein absender"))
    config = mailer.parse_smtp_url("smtp+starttls://user%40x:p%3Aw@mail.example.org")
    assert (config.username, config.password, config.port) == ("user@x", "p:w", 587)


HEADERS = st.text(alphabet=st.sampled_from("ab \r\n\t:Bcc@x.\x00ä"), max_size=40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HEADERS, subject=HEADERS)
def test_cr_lf_in_a_name_or_subject_never_makes_an_extra_header(name, subject):
    content = mail.MailContent(subject=subject, greeting="Hallo,", blocks=())
    stored = Mail(
        kind="test",
        to_address="a@example.org",
        to_name=mail._single_line(name) or None,
        subject=mail._single_line(mail.SUBJECT_PREFIX + content.subject),
        body_text=mail.render_text(content),
        body_html=mail.render_html(content),
        message_id="<1@example.org>",
        attempts=0,
        next_attempt_at=WALL,
        created_at=WALL,
    )
    raw = mailer.build_message(stored, _settings(None)).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    header_block = raw.split(b"\n\n", 1)[0].decode()
    names = [line.split(":", 1)[0] for line in header_block.splitlines() if line[:1] not in " \t"]
    assert sorted(set(names)) == sorted(set(names) & KNOWN_HEADERS)


KNOWN_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}


def test_mails_that_went_out_of_date_before_sending_are_not_sent(engine, now, smtp_server):
    """Without a mail server for a while: a confirmed registration's request to confirm and
    a cancelled registration's confirmation stay unsent once SMTP works."""
    meeting_id = f.meeting(engine, now=now)
    first = f.register(engine, meeting_id, "a", now=now, email="a@example.org")
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    assert _pass(engine, smtp_server, now).sent == 1
    [only] = smtp_server.wait_for("a@example.org")
    assert "Abmeldung" in only.subject
    statuses = {m.kind: m.status for m in _mails(engine)}
    assert statuses == {
        "confirm_request": MailStatus.EXPIRED,
        "registration_confirmed": MailStatus.EXPIRED,
        "cancellation": MailStatus.SENT,
    }


class _Killed(BaseException):
    """The process dies (SIGKILL): no ``except Exception`` in the sender catches it."""


class _DyingTransport(mailer.SmtpTransport):
    """Delivers ``survive`` mails, then the process dies: before the next mail reaches the
    server or (``in_flight``) after the server took it but before it was recorded as sent."""

    def __init__(self, url: str, *, survive: int, in_flight: bool = False) -> None:
        super().__init__(mailer.parse_smtp_url(url))
        self.survive = survive
        self.in_flight = in_flight

    @contextmanager
    def connection(self):
        with super().connection() as send:
            handed = 0

            def dying(message):
                nonlocal handed
                if handed == self.survive:
                    if self.in_flight:
                        send(message)
                    raise _Killed
                send(message)
                handed += 1

            yield dying


@pytest.mark.parametrize("in_flight", [False, True])
def test_a_sender_killed_mid_batch_leaves_the_rest_for_after_the_lease(
    engine, now, smtp_server, in_flight
):
    meeting_id = f.meeting(engine, now=now)
    for n in range(mailer.BATCH + 5):
        f.register(engine, meeting_id, n, now=now, confirm=False)
    dying = _DyingTransport(smtp_server.url, survive=7, in_flight=in_flight)
    with pytest.raises(_Killed):
        mailer.send_pass(
            engine, settings=_settings(smtp_server), now=now, wall=lambda: WALL, transport=dying
        )
    # It had claimed a whole batch, recorded 7 as sent, and holds the other 13.
    statuses = [m.status for m in _mails(engine)]
    assert statuses.count(MailStatus.SENT) == 7
    assert statuses.count(MailStatus.SENDING) == mailer.BATCH - 7
    # Another sender delivers the 5 nobody held at once, the held ones only after the lease.
    assert _pass(engine, smtp_server, now).sent == 5
    assert _pass(engine, smtp_server, now, wall=WALL + mailer.LEASE / 2).sent == 0
    assert _pass(engine, smtp_server, now, wall=WALL + mailer.LEASE * 2).sent == 13
    assert all(m.status == MailStatus.SENT for m in _mails(engine))
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert set(ids) == {m.message_id for m in _mails(engine)}
    # Nothing lost; only the mail in flight when the sender died went out twice.
    assert len(ids) == mailer.BATCH + 5 + (1 if in_flight else 0)


def test_a_sender_whose_lease_ran_out_mid_batch_does_not_send_the_rest(engine, now, smtp_server):
    """A slow mail server: the batch takes longer than the lease, and another sender
    takes the unsent rest over. The first one must not send those mails as well."""
    meeting_id = f.meeting(engine, now=now)
    for n in range(10):
        f.register(engine, meeting_id, n, now=now, confirm=False)
    late = WALL + mailer.LEASE + timedelta(seconds=1)
    clock = {"wall": WALL}
    settings_ = _settings(smtp_server)

    class SlowServer(mailer.SmtpTransport):
        @contextmanager
        def connection(self):
            with super().connection() as send:
                handed = 0

                def slow(message):
                    nonlocal handed
                    if handed == 3:  # the server took minutes for the first three
                        clock["wall"] = late
                        other = mailer.send_pass(
                            engine, settings=settings_, now=now, wall=lambda: late
                        )
                        assert other.sent == 7
                    send(message)
                    handed += 1

                yield slow

    first = mailer.send_pass(
        engine,
        settings=settings_,
        now=now,
        wall=lambda: clock["wall"],
        transport=SlowServer(mailer.parse_smtp_url(smtp_server.url)),
    )
    # The fourth mail was in flight when the lease ran out (it goes out twice, as a
    # killed sender's would); the six after it are left to the other sender alone.
    assert first.sent == 3
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(set(ids)) == 10 and len(ids) == 11
    assert all(m.status == MailStatus.SENT for m in _mails(engine))


def test_reminder_hours_from_the_environment_move_when_the_reminder_is_due(
    engine, now, smtp_server
):
    from stammtisch.config import load_settings

    meeting_id = f.meeting(engine, now=now, capacity=10)
    f.register(engine, meeting_id, "early", now=now, email="early@example.org")
    with session_scope(engine) as s:
        start = meeting_admin.list_meetings(session=s, actor=f.team(engine, now=now))[0].starts_at
    environ = {
        "DATABASE_URL": "unused",
        "STAMMTISCH_SMTP_URL": smtp_server.url,
        "STAMMTISCH_REMINDER_HOURS": "48",
    }
    two_days = load_settings(environ=environ)
    assert two_days.reminder_hours == 48

    def run(at, settings_):
        return mailer.send_pass(engine, settings=settings_, now=at, wall=lambda: WALL)

    run(now, two_days)
    smtp_server.clear()
    # 47 hours ahead: not yet due with the default of 24 hours, due with 48.
    default = load_settings(environ={k: v for k, v in environ.items() if "REMINDER" not in k})
    assert run(start - timedelta(hours=47), default).reminders == 0
    assert run(start - timedelta(hours=49), two_days).reminders == 0
    assert run(start - timedelta(hours=47), two_days).reminders == 1
    [reminder] = smtp_server.wait_for("early@example.org")
    assert "Erinnerung" in reminder.subject
    assert run(start - timedelta(hours=23), default).reminders == 0  # once, whatever the hours
