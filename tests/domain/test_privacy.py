"""Data protection services on both databases: retention, access, erasure and the one
e-mail key."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from stammtisch import mail, meetings, privacy, privacy_text, registrations
from stammtisch.db import session_scope
from stammtisch.errors import ValidationError
from stammtisch.formatting import format_meeting_time
from stammtisch.models import (
    Impulse,
    ImpulseOffer,
    Mail,
    MailStatus,
    Registration,
    Subscription,
)
from tests import factories as f


@pytest.fixture
def actor(engine, now):
    return f.team(engine, now=now)


def test_erasure_finds_an_offer_whose_address_differs_only_in_unicode_case(engine, now, actor):
    offer_id = f.offer(engine, now=now, email="ÖKO@Example.org", name="Öko Beispiel")
    other = f.offer(engine, now=now, email="oeko@example.org", name="Jemand anderes")
    with session_scope(engine) as s:
        summary = privacy.person_summary(session=s, actor=actor, email="öko@example.org", now=now)
    assert summary.offers == 1
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="öko@example.org", now=now)
    assert result.offers == 1
    with session_scope(engine) as s:
        erased, kept = s.get(ImpulseOffer, offer_id), s.get(ImpulseOffer, other)
        assert (erased.name, erased.email) == (privacy.ERASED, "")
        assert (kept.name, kept.email) == ("Jemand anderes", "oeko@example.org")


def test_erasure_and_access_find_registrations_written_in_another_case(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "a", now=now, email="ÄNNE@Example.org", name="Änne")
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="änne@EXAMPLE.org", now=now)
    assert [r["name"] for r in data["anmeldungen"]] == ["Änne"]
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="änne@example.org", now=now)
    assert (result.registrations, result.cancelled) == (1, 1)
    with session_scope(engine) as s:
        row = s.exec(select(Registration)).one()
        assert (row.name, row.email, row.status) == (None, None, "cancelled")


def test_figures_survive_anonymisation(engine, known_history, now):
    before = f.meeting_stats(engine)
    actor = f.organizer(engine, now=now)
    with session_scope(engine) as s:
        result = privacy.apply_retention(session=s, actor=actor, now=now + timedelta(days=400))
    assert result.anonymised == 8
    after = f.meeting_stats(engine)
    pd.testing.assert_frame_equal(before, after)


# --- retention -----------------------------------------------------------------------------

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PERIOD = timedelta(days=180)  # the promise of the privacy notice, written out on purpose


def _ended_meeting(engine, now, who="ann", theme="Vorbei"):
    """A meeting that ended before ``now`` with one registration: (id, end, receipt)."""
    early = now - timedelta(days=30)
    meeting_id = f.meeting(engine, now=early, days_ahead=10, theme=theme)
    receipt = f.register(
        engine,
        meeting_id,
        who,
        now=early,
        name=f"{who.title()} Beispiel",
        email=f"{who}@example.org",
        organisation="BUND",
    )
    with session_scope(engine) as s:
        return meeting_id, meetings.get_meeting(session=s, meeting_id=meeting_id).ends_at, receipt


def _run_retention(engine, actor, by, at):
    with session_scope(engine) as s:
        if by == "team":
            return privacy.apply_retention(session=s, actor=actor, now=at)
        return privacy.apply_retention_system(session=s, now=at)


@pytest.mark.parametrize(
    ("after_end", "due"),
    [(PERIOD - SECOND, False), (PERIOD, False), (PERIOD + SECOND, True)],
    ids=["before", "at", "after"],
)
@pytest.mark.parametrize("by", ["team", "system"])
def test_retention_anonymises_only_once_180_days_have_passed(
    engine, now, actor, after_end, due, by
):
    meeting_id, ends, receipt = _ended_meeting(engine, now)
    at = ends + after_end
    with session_scope(engine) as s:
        preview = privacy.retention_preview(session=s, actor=actor, now=at)
    result = _run_retention(engine, actor, by, at)
    with session_scope(engine) as s:
        row = s.exec(select(Registration)).one()
    [entry] = f.audit_entries(engine, "privacy.retention")
    # The preview the team sees and the run agree on the period and its unit.
    assert preview.days == result.days == privacy_text.RETENTION_DAYS == 180
    assert preview.cutoff == result.cutoff == at - PERIOD
    assert entry.details == {
        "days": 180,
        "cutoff": (at - PERIOD).isoformat(),
        "anonymised": int(due),
        "meetings": int(due),
    }
    assert entry.actor_name == ("system" if by == "system" else actor.name)
    stored = (row.name, row.email, row.email_normalized, row.organisation, row.anonymised_at)
    if due:
        [shown] = preview.meetings
        assert (shown.meeting_id, shown.theme, shown.ends_at, shown.registrations) == (
            meeting_id,
            "Vorbei",
            ends,
            1,
        )
        assert (preview.registrations, result.anonymised, result.meetings) == (1, 1, 1)
        assert stored == (None, None, None, None, at)
    else:
        assert preview.meetings == () and preview.registrations == 0
        assert (result.anonymised, result.meetings) == (0, 0)
        assert stored == ("Ann Beispiel", "ann@example.org", "ann@example.org", "BUND", None)
    # What stays for the statistics, and what the personal link shows afterwards.
    assert (row.status, row.federal_state) == ("confirmed", "sachsen")
    with session_scope(engine) as s:
        found = registrations.find_by_token(session=s, token=receipt.token, now=now)
        left = s.exec(select(Mail.status).where(Mail.registration_id == row.id)).all()
    assert (found is None) is due
    # Its mails go with it when it is due; before that they are older than the period
    # (written at registration, before the meeting) and the purge by age takes them, in
    # whatever state, waiting ones included.
    assert left == []


def test_retention_is_idempotent_and_never_reuses_a_replacement_token(engine, now, actor):
    _, first_end, _ = _ended_meeting(engine, now, who="ann", theme="Erstes")
    _, second_end, _ = _ended_meeting(engine, now + timedelta(days=1), who="ben")
    with session_scope(engine) as s:
        key_before = {r.id: r.participant_key for r in s.exec(select(Registration)).all()}
    assert _run_retention(engine, actor, "team", first_end + PERIOD + SECOND).anonymised == 1
    again = _run_retention(engine, actor, "team", first_end + PERIOD + 2 * SECOND)
    assert (again.anonymised, again.meetings) == (0, 0)
    assert _run_retention(engine, actor, "system", second_end + PERIOD + SECOND).anonymised == 1
    with session_scope(engine) as s:
        rows = s.exec(select(Registration).order_by(Registration.id)).all()
    assert {r.id: r.participant_key for r in rows} == key_before
    assert [r.anonymised_at for r in rows] == [
        first_end + PERIOD + SECOND,
        second_end + PERIOD + SECOND,
    ]
    # A fresh random part per run: no replacement can be derived from an id.
    prefixes = [r.token_hash.rsplit(":", 1)[0] for r in rows]
    assert prefixes[0] != prefixes[1] and all(len(p) == len("anon-") + 32 for p in prefixes)
    assert [r.token_hash.rsplit(":", 1)[1] for r in rows] == [str(r.id) for r in rows]


@pytest.mark.parametrize(("days", "valid"), [(0, False), (1, True), (3650, True), (3651, False)])
def test_retention_period_bounds(engine, now, actor, days, valid):
    _ended_meeting(engine, now)
    with session_scope(engine) as s:
        if valid:
            assert (
                privacy.retention_preview(session=s, actor=actor, now=now, days=days).days == days
            )
            return
        with pytest.raises(ValidationError) as err:
            privacy.retention_preview(session=s, actor=actor, now=now, days=days)
    assert "days" in err.value.errors
    with session_scope(engine) as s, pytest.raises(ValidationError):
        privacy.apply_retention(session=s, actor=actor, now=now, days=days)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        privacy.apply_retention_system(session=s, now=now, days=days)


def test_retention_preview_lists_due_meetings_oldest_first_and_defaults_to_the_period(
    engine, now, actor
):
    first, first_end, _ = _ended_meeting(engine, now, who="ann", theme="Erstes")
    second, second_end, _ = _ended_meeting(engine, now - timedelta(days=3), who="ben")
    f.register(engine, first, "cat", now=now - timedelta(days=30))
    at = first_end + PERIOD + SECOND
    with session_scope(engine) as s:
        preview = privacy.retention_preview(session=s, actor=actor, now=at, days=None)
        bounded = privacy.retention_preview(session=s, actor=actor, now=at, days=3650)
    assert preview.days == 180 and bounded == privacy.RetentionPreview(3650, at - 3650 * DAY, ())
    assert [(m.meeting_id, m.theme, m.registrations) for m in preview.meetings] == [
        (second, "Vorbei", 1),
        (first, "Erstes", 2),
    ]
    assert [(m.starts_at, m.ends_at) for m in preview.meetings] == [
        (second_end - timedelta(minutes=90), second_end),
        (first_end - timedelta(minutes=90), first_end),
    ]
    assert preview.registrations == 3
    result = _run_retention(engine, actor, "team", at)
    assert (result.anonymised, result.meetings) == (3, 2)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "Die Löschfrist in Tagen muss mindestens 1 sein."),
        (3651, "Die Löschfrist in Tagen darf höchstens 3650 sein."),
        ("viele", "Die Löschfrist in Tagen muss eine ganze Zahl sein."),
    ],
)
def test_retention_period_refusals_say_why(engine, now, actor, days, message):
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        privacy.retention_preview(session=s, actor=actor, now=now, days=days)
    assert err.value.errors == {"days": message}


# --- one person ----------------------------------------------------------------------------


def _person_with_history(engine, now):
    """Änne: registered for a later and an earlier meeting (the later one cancelled), an
    accepted impulse offer; Bea, registered too, waits for Änne's place."""
    later = f.meeting(engine, now=now, days_ahead=30, theme="Später")
    earlier = f.meeting(engine, now=now, days_ahead=10, theme="Früher", capacity=1)
    cancelled = f.register(
        engine, later, "a1", now=now, name="Änne", email="Aenne@Example.org", organisation="BUND"
    )
    f.register(engine, earlier, "a2", now=now, name="Änne B.", email="aenne@example.org")
    f.register(engine, earlier, "bea", now=now, name="Bea", email="bea@example.org")
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=cancelled.token, now=now + HOUR)
    offer_id = f.offer(
        engine,
        now=now,
        title="Dorfladen",
        description="Wie ein Dorfladen zum Treffpunkt wurde.",
        name="Änne",
        email="AENNE@Example.org",
        organisation="Dorfverein",
    )
    f.offer(engine, now=now, email="bea@example.org", name="Bea")
    f.accept_offer(
        engine,
        offer_id,
        earlier,
        now=now,
        title="Dorfladen Plus",
        presenter="Änne",
        organisation="DV",
    )
    return later, earlier


def test_export_person_gives_everything_stored_about_the_address(engine, now, actor):
    _person_with_history(engine, now)
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="AENNE@example.org", now=now)
        key = registrations.participant_key(s, "aenne@example.org")
    registered = now.astimezone(UTC).isoformat()
    # Every mail to the address is part of what is stored about it (personal links never).
    mails = data.pop("mails")
    assert sorted(m["anlass"] for m in mails) == sorted(
        [
            "Bitte bestätigen",
            "Bitte bestätigen",
            "Anmeldung bestätigt",
            "Anmeldung bestätigt",
            "Abmeldung bestätigt",
            "Impuls-Angebot eingegangen",
            "Entscheidung zum Impuls-Angebot",
        ]
    )
    assert all("token=" not in m["text"] for m in mails)
    assert data == {
        "erstellt_am": now.isoformat(),
        "email": "aenne@example.org",
        "anmeldungen": [
            {
                "termin": "Di, 30.11.2021, 17:00–18:30 Uhr",
                "termin_beginn": "2021-11-30T16:00:00+00:00",
                "thema": "Früher",
                "name": "Änne B.",
                "email": "aenne@example.org",
                "organisation": None,
                "bundesland": "Sachsen",
                "status": "angemeldet",
                "teilnahme": "unbekannt",
                "einwilligung_am": registered,
                "angemeldet_am": registered,
                "storniert_am": None,
            },
            {
                "termin": "Mo, 20.12.2021, 17:00–18:30 Uhr",
                "termin_beginn": "2021-12-20T16:00:00+00:00",
                "thema": "Später",
                "name": "Änne",
                "email": "Aenne@example.org",
                "organisation": "BUND",
                "bundesland": "Sachsen",
                "status": "storniert",
                "teilnahme": "unbekannt",
                "einwilligung_am": registered,
                "angemeldet_am": registered,
                "storniert_am": (now + HOUR).astimezone(UTC).isoformat(),
            },
        ],
        "impuls_angebote": [
            {
                "titel": "Dorfladen",
                "beschreibung": "Wie ein Dorfladen zum Treffpunkt wurde.",
                "name": "Änne",
                "organisation": "Dorfverein",
                "email": "AENNE@example.org",
                "status": "angenommen",
                "eingegangen_am": registered,
            }
        ],
        "benachrichtigungen": [],
        "impulse_im_programm": [
            {"titel": "Dorfladen Plus", "vortragende_person": "Änne", "organisation": "DV"}
        ],
        "hinweis": (
            "Vorschläge der Themensammlung speichern wir ohne E-Mail-Adresse; sie lassen sich "
            "einer Person nur über den freiwillig angegebenen Namen zuordnen. Nach Ablauf der "
            "Löschfrist (180 Tage nach dem Treffen) sind Anmeldungen anonymisiert und hier "
            "nicht mehr enthalten."
        ),
    }
    # The log says that and how much was given out, never to whom in clear.
    [entry] = f.audit_entries(engine, "privacy.export")
    assert (entry.actor_name, entry.object_type) == (actor.name, None)
    assert entry.details == {
        "email_hmac": key,
        "registrations": 2,
        "offers": 1,
        "impulses": 1,
        "subscriptions": 0,
    }
    assert "aenne" not in json.dumps(entry.details).casefold()


def test_erase_person_cancels_future_places_anonymises_and_keeps_others(engine, now, actor):
    later, earlier = _person_with_history(engine, now)
    f.register(engine, later, "bea2", now=now, name="Bea", email="bea@example.org")
    with session_scope(engine) as s:
        summary = privacy.person_summary(session=s, actor=actor, email="aenne@example.org", now=now)
        key = registrations.participant_key(s, "aenne@example.org")
    assert summary == privacy.PersonSummary(registrations=2, future_active=1, offers=1, impulses=1)
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="aenne@example.org", now=now)
    assert result == privacy.ErasureResult(
        registrations=2, cancelled=1, promoted=1, offers=1, impulses=1, mails=7
    )
    with session_scope(engine) as s:
        rows = {(r.meeting_id, r.participant_key == key): r for r in s.exec(select(Registration))}
        offers = {o.email: o for o in s.exec(select(ImpulseOffer))}
        [impulse] = s.exec(select(Impulse)).all()
    for meeting_id in (later, earlier):
        mine = rows[(meeting_id, True)]
        assert (mine.name, mine.email, mine.organisation) == (None, None, None)
        assert (mine.status, mine.anonymised_at) == ("cancelled", now)
    # Bea moved up into Änne's place; her own rows keep her name.
    assert (rows[(earlier, False)].status, rows[(earlier, False)].name) == ("confirmed", "Bea")
    assert rows[(later, False)].name == "Bea"
    erased, kept = offers[""], offers["bea@example.org"]
    assert (erased.title, erased.name, erased.organisation) == ("Dorfladen", privacy.ERASED, None)
    assert (kept.name, kept.organisation) == ("Bea", None)
    assert (impulse.title, impulse.presenter, impulse.organisation) == (
        "Dorfladen Plus",
        privacy.ERASED,
        None,
    )
    [entry] = f.audit_entries(engine, "privacy.erase")
    assert entry.actor_name == actor.name
    assert entry.details == {
        "email_hmac": key,
        "registrations": 2,
        "cancelled": 1,
        "promoted": 1,
        "offers": 1,
        "impulses": 1,
        "mails": 7,
        "subscriptions": 0,
    }
    with session_scope(engine) as s:
        assert not [m for m in s.exec(select(Mail)).all() if "aenne" in m.to_address.casefold()]
    with session_scope(engine) as s:
        after = privacy.person_summary(session=s, actor=actor, email="aenne@example.org", now=now)
    assert after == privacy.PersonSummary(registrations=0, future_active=0, offers=0, impulses=0)


def test_person_summary_counts_only_places_of_meetings_not_over(engine, now, actor):
    _person_with_history(engine, now)
    over = now + timedelta(days=11)  # the earlier meeting is over, the later one is not
    with session_scope(engine) as s:
        summary = privacy.person_summary(
            session=s, actor=actor, email="aenne@example.org", now=over
        )
    assert summary == privacy.PersonSummary(registrations=2, future_active=0, offers=1, impulses=1)
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="aenne@example.org", now=over)
    # Over: the place is not given back (nobody can move up any more), only anonymised.
    assert (result.cancelled, result.promoted) == (0, 0)


def test_wishes_to_be_told_are_exported_and_erased_with_the_person(engine, now):
    f.subscribe(engine, now=now, email="Kim@example.org", name="Kim")
    actor = f.team(engine, now=now)
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="kim@example.org", now=now)
    [wish] = data["benachrichtigungen"]
    assert (wish["art"], wish["status"], wish["email"]) == (
        "Neue Termine",
        "bestätigt",
        "Kim@example.org",
    )
    assert wish["einwilligungstext_version"] and wish["bestaetigt_am"]
    with session_scope(engine) as s:
        assert (
            privacy.person_summary(
                session=s, actor=actor, email="kim@example.org", now=now
            ).subscriptions
            == 1
        )
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="kim@example.org", now=now)
    assert result.subscriptions == 1
    with session_scope(engine) as s:
        assert (
            privacy.person_summary(
                session=s, actor=actor, email="kim@example.org", now=now
            ).subscriptions
            == 0
        )


# --- mails under the retention period ---------------------------------------------------------


def _set_mail_status(engine, kind: str, status: MailStatus) -> None:
    with session_scope(engine) as s:
        for row in s.exec(select(Mail).where(Mail.kind == kind)).all():
            row.status = status
            s.add(row)
        s.commit()


def test_retention_deletes_the_anonymised_peoples_mails_and_old_ones_and_keeps_the_rest(
    engine, now, actor
):
    early = now - timedelta(days=30)
    _meeting_id, ends, old = _ended_meeting(engine, now)
    # Mails of the same age that belong to no registration: an offer's receipt (sent) and
    # a test mail that never went out (no mail server: it stays queued).
    f.offer(engine, now=early, email="offer@example.org")
    _set_mail_status(engine, "offer_received", MailStatus.SENT)
    with session_scope(engine) as s:
        mail.queue_test_mail(
            session=s, actor=actor, to_address="test@example.org", now=early, wall=early
        )
    at = ends + PERIOD + SECOND
    # Recent: a registration for a meeting still ahead and a fresh offer.
    upcoming = f.meeting(engine, now=at, days_ahead=7)
    recent = f.register(engine, upcoming, "neu", now=at, email="neu@example.org")
    f.offer(engine, now=at, email="frisch@example.org")
    with session_scope(engine) as s:
        ann_mails = s.exec(select(Mail).where(Mail.registration_id == old.registration_id)).all()
    assert {m.kind for m in ann_mails} >= {"confirm_request", "registration_confirmed"}

    _run_retention(engine, actor, "system", at)

    with session_scope(engine) as s:
        left = s.exec(select(Mail).order_by(Mail.id)).all()
    # Nothing of the anonymised registration or the old mails is left: address, secret,
    # body – the rows are gone.
    assert all(m.registration_id != old.registration_id for m in left)
    assert not [m for m in left if m.to_address in ("ann@example.org", "offer@example.org")]
    assert not [m for m in left if m.to_address == "test@example.org"]
    assert all(old.token != m.secret for m in left)
    # Mails of the recent registration and the fresh offer stay, with everything in them.
    kept = {(m.to_address, m.kind) for m in left}
    assert kept == {
        ("neu@example.org", "confirm_request"),
        ("neu@example.org", "registration_confirmed"),
        ("frisch@example.org", "offer_received"),
    }
    confirmed = next(m for m in left if m.kind == "registration_confirmed")
    assert confirmed.registration_id == recent.registration_id and confirmed.secret


def test_erasure_counts_every_place_it_gives_back(engine, now, actor):
    meeting_ids = [f.meeting(engine, now=now, days_ahead=d, capacity=1) for d in (10, 20)]
    for meeting_id in meeting_ids:
        f.register(engine, meeting_id, "anna", now=now, email="anna@example.org")
        f.register(engine, meeting_id, f"w{meeting_id}", now=now)  # waits
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="anna@example.org", now=now)
    assert (result.registrations, result.cancelled, result.promoted) == (2, 2, 2)


def test_export_lists_a_meeting_twice_in_the_order_registered(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    first = f.register(engine, meeting_id, "a", now=now, email="anna@example.org", name="Erst")
    with session_scope(engine) as s:
        registrations.cancel(session=s, token=first.token, now=now)
    f.register(engine, meeting_id, "b", now=now, email="anna@example.org", name="Dann")
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="anna@example.org", now=now)
    assert [(r["name"], r["status"]) for r in data["anmeldungen"]] == [
        ("Erst", "storniert"),
        ("Dann", "angemeldet"),
    ]


def _rewrite(engine, model, row_id: int, column: str) -> None:
    """Change a column of a row and change it back. On PostgreSQL the row's new version
    then sits behind the others, in the table and in the column's index: a query without
    an ORDER BY of its own would list it last."""
    with session_scope(engine) as s:
        original = getattr(s.get(model, row_id), column)
    for value in (f"{original}.anders", original):
        with session_scope(engine) as s:
            setattr(s.get(model, row_id), column, value)
            s.commit()


def test_the_export_keeps_the_stored_order_whatever_the_rows_place(engine, now, actor):
    """Registrations by meeting start, then in the order made (two meetings at the same
    time); offers, their impulses and the wishes to be told in the order stored."""
    twins = [f.meeting(engine, now=now, days_ahead=10, theme=f"Zwilling {n}") for n in (1, 2)]
    regs = [
        f.register(engine, m, f"z{n}", now=now, email="zoe@example.org", name=f"Zoe {n}")
        for n, m in enumerate(twins, start=1)
    ]
    offer_ids = [
        f.offer(engine, now=now, email="zoe@example.org", name="Zoe", title=f"Projekt {n}")
        for n in (1, 2)
    ]
    for n, offer_id in enumerate(offer_ids, start=1):
        f.accept_offer(engine, offer_id, twins[0], now=now, title=f"Impuls {n}", presenter="Zoe")
    wished = [
        f.meeting(engine, now=now, days_ahead=d, registration_state="not_open") for d in (40, 50)
    ]
    for meeting_id in wished:
        f.subscribe(engine, now=now, email="zoe@example.org", meeting_id=meeting_id)
    with session_scope(engine) as s:
        first_impulse = s.exec(select(Impulse).where(Impulse.offer_id == offer_ids[0])).one()
        first_wish = s.exec(select(Subscription).order_by(Subscription.id)).first()
    _rewrite(engine, Registration, regs[0].registration_id, "email_normalized")
    _rewrite(engine, ImpulseOffer, offer_ids[0], "title")
    _rewrite(engine, Impulse, first_impulse.id, "title")
    _rewrite(engine, Subscription, first_wish.id, "email_normalized")
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="zoe@example.org", now=now)
    assert [r["name"] for r in data["anmeldungen"]] == ["Zoe 1", "Zoe 2"]
    assert [o["titel"] for o in data["impuls_angebote"]] == ["Projekt 1", "Projekt 2"]
    assert [i["titel"] for i in data["impulse_im_programm"]] == ["Impuls 1", "Impuls 2"]
    with session_scope(engine) as s:
        times = [meetings.get_meeting(session=s, meeting_id=m) for m in wished]
    assert [w["termin"] for w in data["benachrichtigungen"]] == [
        format_meeting_time(m.starts_at, m.ends_at) for m in times
    ]


def test_preview_keeps_two_meetings_apart_that_share_theme_and_time(engine, now, actor):
    early = now - timedelta(days=30)
    twins = [f.meeting(engine, now=early, days_ahead=10, theme="Doppelt") for _ in range(2)]
    for n, meeting_id in enumerate(twins):
        f.register(engine, meeting_id, f"t{n}", now=early)
    with session_scope(engine) as s:
        end = meetings.get_meeting(session=s, meeting_id=twins[0]).ends_at
    with session_scope(engine) as s:
        preview = privacy.retention_preview(session=s, actor=actor, now=end + PERIOD + SECOND)
    # Same start: their order is not fixed, but they are two rows.
    assert sorted((m.meeting_id, m.registrations) for m in preview.meetings) == [
        (twins[0], 1),
        (twins[1], 1),
    ]


def test_the_export_shows_each_mail_with_its_state_and_times(engine, now, actor):
    from sqlalchemy import update

    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, "m", now=now, email="mia@example.org", federal_state=None)
    sent_at = now + timedelta(minutes=5)
    with session_scope(engine) as s:
        first = s.exec(select(Mail.id).order_by(Mail.id)).first()
        # As the mailer marks a mail it delivered (its own tests send through SMTP).
        s.exec(update(Mail).where(Mail.id == first).values(status="sent", sent_at=sent_at))
        s.commit()
        rows = s.exec(select(Mail).order_by(Mail.id)).all()
        expected = [
            {
                "betreff": m.subject,
                "status": "gesendet" if m.id == first else "wartet",
                "erstellt_am": now.astimezone(UTC).isoformat(),
                "gesendet_am": sent_at.astimezone(UTC).isoformat() if m.id == first else None,
            }
            for m in rows
        ]
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="mia@example.org", now=now)
    keys = ("betreff", "status", "erstellt_am", "gesendet_am")
    assert [{k: m[k] for k in keys} for m in data["mails"]] == expected
    assert all(set(m) == {*keys, "anlass", "text"} for m in data["mails"])
    [registration] = data["anmeldungen"]
    assert registration["bundesland"] is None  # not given: empty, not the word "None"


def test_each_wish_to_be_told_is_exported_in_full(engine, now, actor):
    from stammtisch.formatting import format_meeting_time

    meeting_id = f.meeting(engine, now=now, registration_state="not_open", theme="Wasser & Wärme")
    f.subscribe(engine, now=now, email="kim@example.org", name="Kim")  # news, confirmed
    later = now + timedelta(hours=1)
    f.subscribe(engine, now=later, email="kim@example.org", meeting_id=meeting_id, confirm=False)
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="kim@example.org", now=now)
        view = meetings.get_meeting(session=s, meeting_id=meeting_id)
    news, meeting_wish = sorted(data["benachrichtigungen"], key=lambda w: w["termin"] or "")
    assert (news["termin"], news["name"]) == (None, "Kim")
    assert news["einwilligung_am"] == now.astimezone(UTC).isoformat()
    assert news["bestaetigt_am"] == now.astimezone(UTC).isoformat()
    assert meeting_wish["termin"] == format_meeting_time(view.starts_at, view.ends_at)
    assert (meeting_wish["name"], meeting_wish["bestaetigt_am"]) == (None, None)
    assert meeting_wish["einwilligung_am"] == later.astimezone(UTC).isoformat()
    # Mail texts as sent, but with the link's place held by the preview text.
    from stammtisch import mail

    assert any(mail.CONFIRM_LINK_PREVIEW in m["text"] for m in data["mails"])


def test_retention_deletes_a_recent_mail_of_an_anonymised_registration(engine, now, actor):
    """A mail written after the meeting (the team sends the slides 30 days later) is newer
    than the period, so the purge by age leaves it: it goes because its registration is
    anonymised - its address and name must not outlive the registration's."""
    from stammtisch import registration_admin

    meeting_id, ends, old = _ended_meeting(engine, now)
    later = ends + timedelta(days=30)
    message = registration_admin.MessageInput(
        subject="Folien zum Treffen", text="Hier sind die Folien.", groups=("confirmed",)
    )
    with session_scope(engine) as s:
        sent = registration_admin.send_message(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            data=message,
            now=later,
            notify_count=1,
        )
    assert sent == 1
    _run_retention(engine, actor, "system", ends + PERIOD + SECOND)
    with session_scope(engine) as s:
        left = s.exec(select(Mail)).all()
        row = s.get(Registration, old.registration_id)
    assert row.email is None and row.anonymised_at is not None
    assert left == []
