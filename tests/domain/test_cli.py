"""The command line: refusals end with exit code 2 and the German reason on stderr."""

from __future__ import annotations

import io

import pytest

from stammtisch import cli


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
