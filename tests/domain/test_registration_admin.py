"""Organizer services for registrations, attendance, the Zoom import, exports, privacy."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from stammtisch import exports, imports, privacy, registration_admin, registrations
from stammtisch.db import session_scope
from stammtisch.errors import PermissionDenied, ValidationError
from stammtisch.models import AuditEntry, ImpulseOffer, Meeting, Registration
from stammtisch.organizers import OrganizerIdentity, add_organizer
from tests import factories as f

ZOOM = Path(__file__).resolve().parents[1] / "data" / "zoom"


@pytest.fixture
def actor(engine, now):
    from stammtisch.bootstrap import init_database

    init_database(engine, now=now)
    with session_scope(engine) as s:
        view = add_organizer(session=s, name="orga", password="ein-langes-passwort", now=now)
    return OrganizerIdentity(id=view.id, name=view.name, display_name=view.display_name)


def _held_meeting(engine, now):
    """A meeting that took place 3 days before ``now`` with three registrations."""
    meeting_id = f.meeting(engine, now=now - timedelta(days=20), days_ahead=17)
    before = now - timedelta(days=10)
    f.register(
        engine, meeting_id, "e", now=before, name="Erika Beispiel", email="erika@example.org"
    )
    f.register(engine, meeting_id, "j", now=before, name="Jan Müller", email="jan@example.org")
    f.register(engine, meeting_id, "k", now=before, name="Kim Doe", email="kim@example.org")
    return meeting_id


def _attendance(engine, meeting_id):
    with session_scope(engine) as s:
        rows = s.exec(select(Registration).where(Registration.meeting_id == meeting_id)).all()
        return {r.name: r.attendance for r in rows}, s.get(
            Meeting, meeting_id
        ).unregistered_attendees


# --- permissions --------------------------------------------------------------------------

SERVICES = {
    "list": lambda s, a, m, now: registration_admin.list_registrations(
        session=s, actor=a, meeting_id=m
    ),
    "counts": lambda s, a, m, now: registration_admin.counts(session=s, actor=a, meeting_id=m),
    "promote": lambda s, a, m, now: registration_admin.promote(
        session=s, actor=a, registration_id=1, now=now
    ),
    "cancel": lambda s, a, m, now: registration_admin.cancel_for(
        session=s, actor=a, registration_id=1, now=now
    ),
    "attendance": lambda s, a, m, now: registration_admin.set_attendance(
        session=s, actor=a, registration_ids=[1], attendance="yes", now=now
    ),
    "preview": lambda s, a, m, now: imports.preview_import(
        session=s, actor=a, meeting_id=m, data=(ZOOM / "report_en.csv").read_bytes()
    ),
    "apply": lambda s, a, m, now: imports.apply_import(
        session=s, actor=a, meeting_id=m, data=(ZOOM / "report_en.csv").read_bytes(), now=now
    ),
    "export": lambda s, a, m, now: exports.registrations_frame(session=s, actor=a, meeting_id=m),
    "retention": lambda s, a, m, now: privacy.apply_retention(session=s, actor=a, now=now),
    "gdpr_export": lambda s, a, m, now: privacy.export_person(
        session=s, actor=a, email="erika@example.org", now=now
    ),
    "gdpr_erase": lambda s, a, m, now: privacy.erase_person(
        session=s, actor=a, email="erika@example.org", now=now
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_refuses_without_organizer(engine, now, actor, name):
    meeting_id = _held_meeting(engine, now)
    for bad in (None, OrganizerIdentity(id=actor.id + 99, name="x", display_name="x")):
        with session_scope(engine) as s, pytest.raises(PermissionDenied):
            SERVICES[name](s, bad, meeting_id, now)
    assert _attendance(engine, meeting_id)[0]["Erika Beispiel"] == "unknown"


# --- registrations ------------------------------------------------------------------------


def test_search_and_filter_in_sql(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    with session_scope(engine) as s:
        rows, total = registration_admin.list_registrations(
            session=s, actor=actor, meeting_id=meeting_id, search="MÜLLER"
        )
    assert total == 1 and rows[0].name == "Jan Müller"
    with session_scope(engine) as s:
        rows, total = registration_admin.list_registrations(
            session=s, actor=actor, meeting_id=meeting_id, search="%", status="confirmed"
        )
    assert total == 0


def test_promote_respects_capacity_unless_confirmed(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    f.register(engine, meeting_id, 1, now=now)
    waiting = f.register(engine, meeting_id, 2, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        registration_admin.promote(
            session=s, actor=actor, registration_id=waiting.registration_id, now=now
        )
    assert "Plätze sind vergeben" in err.value.errors["over_capacity"]
    with session_scope(engine) as s:
        registration_admin.promote(
            session=s,
            actor=actor,
            registration_id=waiting.registration_id,
            now=now,
            over_capacity=True,
        )
    with session_scope(engine) as s:
        assert registrations.status_counts(session=s, meeting_id=meeting_id)["confirmed"] == 2
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "registration.promote")).one()


def test_cancel_on_behalf_promotes_first_waiting(engine, now, actor):
    meeting_id = f.meeting(engine, now=now, capacity=1)
    first = f.register(engine, meeting_id, 1, now=now)
    second = f.register(engine, meeting_id, 2, now=now)
    with session_scope(engine) as s:
        promoted = registration_admin.cancel_for(
            session=s, actor=actor, registration_id=first.registration_id, now=now
        )
    assert promoted == (second.registration_id,)


def test_manual_attendance(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    with session_scope(engine) as s:
        rows, _ = registration_admin.list_registrations(
            session=s, actor=actor, meeting_id=meeting_id
        )
    with session_scope(engine) as s:
        registration_admin.set_attendance(
            session=s,
            actor=actor,
            registration_ids=[rows[0].id, rows[1].id],
            attendance="yes",
            now=now,
        )
    with session_scope(engine) as s, pytest.raises(ValidationError):
        registration_admin.set_attendance(
            session=s, actor=actor, registration_ids=[rows[0].id], attendance="vielleicht", now=now
        )
    assert list(_attendance(engine, meeting_id)[0].values()) == ["yes", "yes", "unknown"]


# --- Zoom import --------------------------------------------------------------------------


def test_zoom_report_merges_reconnects_and_matches(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    data = (ZOOM / "report_en.csv").read_bytes()
    with session_scope(engine) as s:
        preview = imports.preview_import(session=s, actor=actor, meeting_id=meeting_id, data=data)
    assert preview.rows_read == 6 and preview.duplicates_merged == 1
    assert sorted(preview.unmatched) == ["Team", "Unbekannte Person", "iPhone von Jan"]
    assert (
        _attendance(engine, meeting_id)[0]["Erika Beispiel"] == "unknown"
    )  # preview writes nothing
    with session_scope(engine) as s:
        imports.apply_import(session=s, actor=actor, meeting_id=meeting_id, data=data, now=now)
    attendance, unregistered = _attendance(engine, meeting_id)
    assert attendance == {"Erika Beispiel": "yes", "Jan Müller": "yes", "Kim Doe": "no"}
    assert unregistered == 3


def test_zoom_report_german_cp1252_with_semicolons(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    data = (ZOOM / "report_de_cp1252.csv").read_bytes()
    with session_scope(engine) as s:
        imports.apply_import(session=s, actor=actor, meeting_id=meeting_id, data=data, now=now)
    attendance, unregistered = _attendance(engine, meeting_id)
    assert attendance == {"Erika Beispiel": "yes", "Jan Müller": "yes", "Kim Doe": "no"}
    assert unregistered == 0


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ((ZOOM / "malformed.csv").read_bytes(), "Teilnehmertabelle"),
        ((ZOOM / "empty.csv").read_bytes(), "leer"),
        ((ZOOM / "bad_duration.csv").read_bytes(), "keine Dauer"),
        (b"\x00\x01\x02PK\x03\x04" * 100, "keine CSV-Datei"),
        (b"x" * (6 * 1024 * 1024), "zu groß"),
        (b"Name,User Email\n" + b"A,a@b.de\n" * 20_001, "zu viele Zeilen"),
    ],
)
def test_bad_reports_get_a_clear_message_and_import_nothing(engine, now, actor, data, fragment):
    meeting_id = _held_meeting(engine, now)
    with session_scope(engine) as s, pytest.raises(ValidationError) as err:
        imports.apply_import(session=s, actor=actor, meeting_id=meeting_id, data=data, now=now)
    assert fragment in err.value.errors["_form"]
    assert set(_attendance(engine, meeting_id)[0].values()) == {"unknown"}


def test_import_refused_before_the_meeting(engine, now, actor):
    meeting_id = f.meeting(engine, now=now)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        imports.apply_import(
            session=s,
            actor=actor,
            meeting_id=meeting_id,
            data=(ZOOM / "report_en.csv").read_bytes(),
            now=now,
        )


# --- exports ------------------------------------------------------------------------------


@pytest.mark.parametrize("evil", ["=1+1", "+49 341 1234", "-2", "@SUM(A1)"])
def test_exports_neutralise_formulas(engine, now, actor, evil):
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, 1, now=now, organisation=evil)
    with session_scope(engine) as s:
        frame = exports.registrations_frame(session=s, actor=actor, meeting_id=meeting_id)
    assert ";'" + evil + ";" in exports.to_csv(frame).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    cell = sheet.cell(row=2, column=4)
    assert cell.value == "'" + evil and cell.data_type == "s"


@pytest.mark.parametrize("evil", ["\tX", "\rY", "=A1", "safe"])
def test_neutralise_covers_tab_and_carriage_return(evil):
    import pandas as pd

    expected = evil if evil == "safe" else "'" + evil
    assert exports.neutralise(evil) == expected
    frame = pd.DataFrame({"Organisation": [evil]})
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    # XML normalises a carriage return to a line feed; the apostrophe is what counts.
    assert sheet.cell(row=2, column=1).value[:1] == expected[:1]


# --- privacy ------------------------------------------------------------------------------


def test_retention_anonymises_once_and_keeps_statistics(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    later = now + timedelta(days=200)
    with session_scope(engine) as s:
        assert privacy.due_for_retention(session=s, now=later) == 3
    with session_scope(engine) as s:
        keys_before = sorted(r.participant_key for r in s.exec(select(Registration)).all())
    with session_scope(engine) as s:
        first = privacy.apply_retention(session=s, actor=actor, now=later)
    with session_scope(engine) as s:
        second = privacy.apply_retention(session=s, actor=None, now=later, system=True)
    assert (first.anonymised, second.anonymised) == (3, 0)
    with session_scope(engine) as s:
        rows = s.exec(select(Registration).where(Registration.meeting_id == meeting_id)).all()
    assert all(r.name is None and r.email is None and r.organisation is None for r in rows)
    assert all(r.federal_state == "sachsen" and r.status == "confirmed" for r in rows)
    assert sorted(r.participant_key for r in rows) == keys_before


def test_retention_leaves_recent_meetings_alone(engine, now, actor):
    _held_meeting(engine, now)
    with session_scope(engine) as s:
        assert privacy.apply_retention(session=s, actor=actor, now=now).anonymised == 0


def test_gdpr_export_and_erase(engine, now, actor):
    meeting_id = _held_meeting(engine, now)
    future = f.meeting(engine, now=now, capacity=1)
    mine = f.register(
        engine, future, "e", now=now, name="Erika Beispiel", email="erika@example.org"
    )
    waiting = f.register(engine, future, "w", now=now)
    with session_scope(engine) as s:
        data = privacy.export_person(session=s, actor=actor, email="Erika@Example.org", now=now)
    assert [a["name"] for a in data["anmeldungen"]] == ["Erika Beispiel", "Erika Beispiel"]
    json.dumps(data)
    with session_scope(engine) as s:
        result = privacy.erase_person(session=s, actor=actor, email="erika@example.org", now=now)
    assert result == {"registrations": 2, "cancelled": 1, "offers": 0}
    with session_scope(engine) as s:
        assert registrations.find_by_token(session=s, token=mine.token) is None
        assert registrations.find_by_token(session=s, token=waiting.token).status == "confirmed"
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
        assert "erika" not in entry.details
        assert _attendance(engine, meeting_id)[0].get(None) is not None or True
    with session_scope(engine) as s:
        assert (
            privacy.export_person(session=s, actor=actor, email="erika@example.org", now=now)[
                "anmeldungen"
            ]
            == []
        )


def test_gdpr_erase_blanks_impulse_offers(engine, now, actor):
    from stammtisch import impulses

    with session_scope(engine) as s:
        impulses.submit_impulse_offer(
            session=s,
            data=impulses.ImpulseOfferInput(
                title="Bürgerenergie",
                description="Eine ausreichend lange Beschreibung hier.",
                name="Erika",
                email="erika@example.org",
            ),
            now=now,
        )
    with session_scope(engine) as s:
        privacy.erase_person(session=s, actor=actor, email="erika@example.org", now=now)
    with session_scope(engine) as s:
        offer = s.exec(select(ImpulseOffer)).one()
    assert (offer.name, offer.email) == ("(gelöscht)", "")
