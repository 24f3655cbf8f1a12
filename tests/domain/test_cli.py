"""The command line: refusals end with exit code 2 and the German reason on stderr."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from stammtisch import cli
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Mail, MailStatus
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("STAMMTISCH_NOW", "2026-11-25T12:00:00+01:00")
    assert cli.main(["init"]) == 0


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["organizer", "remove", "niemand"], "Kein Organisator-Konto"),
        (["organizer", "deactivate", "niemand"], "Kein Organisator-Konto"),
        (["organizer", "activate", "niemand"], "Kein Organisator-Konto"),
        (["retention", "--days", "0"], "Löschfrist"),
        (["restore", "gibt-es-nicht.json"], ""),
    ],
)
def test_refusals_exit_2_with_a_german_reason(cli_db, capsys, argv, reason):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler: ") and reason in err


def test_every_field_message_is_printed(cli_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("kurz\n"))
    assert cli.main(["organizer", "add", "x", "--password-stdin", "--email", "kaputt"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) >= 2 and all(line.startswith("Fehler: ") for line in lines)


def test_deactivate_and_activate_an_account(cli_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-langes-passwort\n"))
    assert cli.main(["organizer", "add", "anna", "--password-stdin"]) == 0
    capsys.readouterr()
    assert cli.main(["organizer", "deactivate", "Anna"]) == 0
    assert capsys.readouterr().out == "Organisator-Konto „anna“ deaktiviert.\n"
    assert cli.main(["organizer", "list"]) == 0
    assert capsys.readouterr().out.rstrip("\n").endswith("letzte Anmeldung: nie\tdeaktiviert")
    assert cli.main(["organizer", "deactivate", "anna"]) == 2
    assert (
        capsys.readouterr().err == "Fehler: Das Organisator-Konto „anna“ ist bereits deaktiviert.\n"
    )
    assert cli.main(["organizer", "activate", "anna"]) == 0
    assert capsys.readouterr().out == "Organisator-Konto „anna“ aktiviert.\n"
    assert cli.main(["organizer", "list"]) == 0
    assert "deaktiviert" not in capsys.readouterr().out


def test_the_first_admin_comes_from_the_command_line_and_stays(cli_db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-langes-passwort\n"))
    assert cli.main(["organizer", "add", "leon", "--admin", "--password-stdin"]) == 0
    assert capsys.readouterr().out == "Organisator-Konto „leon“ als Admin angelegt.\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-langes-passwort\n"))
    assert cli.main(["organizer", "add", "anna", "--password-stdin"]) == 0
    capsys.readouterr()
    assert cli.main(["organizer", "list"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("anna\t") and "Admin" not in lines[0]
    assert lines[1].startswith("leon\t") and lines[1].endswith("\tAdmin")
    assert "Kein aktives Admin-Konto" not in out.err
    # The last active admin can neither be deactivated nor removed, nor lose the role.
    for argv in (
        ["organizer", "deactivate", "leon"],
        ["organizer", "remove", "leon"],
        ["organizer", "admin", "leon", "--remove"],
    ):
        assert cli.main(argv) == 2
        assert "letzte aktive Admin-Konto" in capsys.readouterr().err
    assert cli.main(["organizer", "admin", "anna"]) == 0
    assert capsys.readouterr().out == "„anna“ ist jetzt Admin.\n"
    assert cli.main(["organizer", "deactivate", "leon"]) == 0


def test_text_set_checks_and_warns(cli_db, capsys):
    assert cli.main(["text", "set", "website", "javascript:alert(1)"]) == 2
    assert "muss mit https:// beginnen" in capsys.readouterr().err
    assert cli.main(["text", "set", "imprint_register", "Amtsgericht Dresden, VR 1"]) == 0
    out = capsys.readouterr()
    assert out.out == "Text „Registereintrag (Impressum)“ gespeichert.\n"
    assert out.err.startswith("Hinweis: Das Impressum ist unvollständig")


# --- mail send / mail run -------------------------------------------------------------------

CLI_NOW = "2026-11-25T12:00:00+01:00"


@pytest.fixture
def mail_env(cli_db, monkeypatch, smtp_server, tmp_path):
    """The CLI's database with SMTP pointing at the test server."""
    monkeypatch.setenv("STAMMTISCH_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("STAMMTISCH_MAIL_FROM", "Stammtisch <stammtisch@example.org>")
    monkeypatch.setenv("STAMMTISCH_BASE_URL", "https://stammtisch.example.org")
    monkeypatch.setenv("STAMMTISCH_OUTBOX_DIR", str(tmp_path / "outbox"))
    engine = make_engine(os.environ["DATABASE_URL"])
    yield engine
    engine.dispose()


def _register(engine, who: str):
    now = parse_instant(CLI_NOW)
    meeting_id = f.meeting(engine, now=now)
    f.register(engine, meeting_id, who, now=now, email=f"{who}@example.org", confirm=False)


def _statuses(engine) -> list[str]:
    with session_scope(engine) as s:
        return [m.status for m in s.exec(select(Mail).order_by(Mail.id)).all()]


def test_mail_send_delivers_the_due_mails_once(mail_env, smtp_server, capsys):
    _register(mail_env, "ada")
    _register(mail_env, "bo")
    assert cli.main(["mail", "send"]) == 0
    assert "gesendet 2" in capsys.readouterr().out
    [to_ada] = smtp_server.wait_for("ada@example.org")
    assert "meine-anmeldung?token=" in to_ada.text
    smtp_server.wait_for("bo@example.org")
    assert _statuses(mail_env) == [MailStatus.SENT, MailStatus.SENT]
    # A second pass finds nothing due.
    assert cli.main(["mail", "send"]) == 0
    assert "gesendet 0" in capsys.readouterr().out
    assert len(smtp_server.received) == 2


def test_mail_send_refuses_a_bad_smtp_url(mail_env, monkeypatch, capsys):
    monkeypatch.setenv("STAMMTISCH_SMTP_URL", "http://mail.example.org")
    assert cli.main(["mail", "send"]) == 2
    assert capsys.readouterr().err.startswith("Fehler in der Konfiguration: STAMMTISCH_SMTP_URL")


def test_mail_run_keeps_sending_until_it_is_stopped(mail_env, smtp_server):
    _register(mail_env, "ada")
    process = subprocess.Popen(
        [sys.executable, "-m", "stammtisch", "mail", "run", "--interval", "0.2"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        smtp_server.wait_for("ada@example.org")
        _register(mail_env, "bo")  # queued while it runs: the next round sends it
        smtp_server.wait_for("bo@example.org")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Sende Mails über SMTP none://127.0.0.1:" in out
    assert _statuses(mail_env) == [MailStatus.SENT, MailStatus.SENT]
    assert len(smtp_server.received) == 2
