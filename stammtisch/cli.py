"""Command line: ``python -m stammtisch COMMAND``."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import signal
import sys
import threading
import time
from pathlib import Path

from stammtisch import backup, demo, mailer, organizers, privacy, site
from stammtisch.bootstrap import init_database
from stammtisch.clock import clock_from_setting
from stammtisch.config import ConfigError, load_settings
from stammtisch.db import make_engine, migrate, session_scope
from stammtisch.errors import DomainError, ValidationError
from stammtisch.formatting import format_timestamp
from stammtisch.privacy_text import RETENTION_DAYS


def _cmd_init(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    report = init_database(engine, now=clock_from_setting(settings.now).now())
    url = engine.url.render_as_string(hide_password=True)
    if report.seeded:
        print(
            f"Datenbank {url} vorbereitet: {report.topic_fields} Themenfelder, "
            f"{report.meetings} Termine aus dem Seed geladen."
        )
    else:
        print(f"Datenbank {url} ist aktuell; Seed war bereits geladen, nichts geändert.")
    engine.dispose()
    return 0


def _engine():
    settings = load_settings()
    engine = make_engine(settings.database_url)
    init_database(engine, now=clock_from_setting(settings.now).now())
    return engine, clock_from_setting(settings.now).now()


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Passwort: ")
    second = getpass.getpass("Passwort wiederholen: ")
    if first != second:
        raise SystemExit("Die Passwörter stimmen nicht überein.")
    return first


def _cmd_organizer_add(args: argparse.Namespace) -> int:
    engine, now = _engine()
    password = _read_password(args)
    with session_scope(engine) as session:
        view = organizers.add_organizer(
            session=session,
            name=args.name,
            password=password,
            now=now,
            display_name=args.display_name,
            email=args.email,
            admin=args.admin,
        )
    role = " als Admin" if view.is_admin else ""
    print(f"Organisator-Konto „{view.name}“{role} angelegt.")
    return 0


def _cmd_organizer_admin(args: argparse.Namespace) -> int:
    engine, now = _engine()
    with session_scope(engine) as session:
        view = organizers.set_role_by_name(
            session=session, name=args.name, admin=not args.remove, now=now
        )
    print(f"„{view.name}“ ist jetzt {'Admin' if view.is_admin else 'Organisator:in (kein Admin)'}.")
    return 0


def _cmd_organizer_list(args: argparse.Namespace) -> int:
    engine, _now = _engine()
    with session_scope(engine) as session:
        rows = organizers.list_organizers(session=session)
    if not rows:
        print("Noch keine Organisator-Konten. Anlegen mit: python -m stammtisch organizer add NAME")
    for row in rows:
        last = format_timestamp(row.last_login_at) if row.last_login_at else "nie"
        state = "" if row.active else "\tdeaktiviert"
        if not row.has_password:
            state += "\twartet auf Passwort (Link)"
        role = "\tAdmin" if row.is_admin else ""
        print(
            f"{row.name}\t{row.display_name}\t{row.email or '-'}\tletzte Anmeldung: {last}"
            f"{role}{state}"
        )
    if rows and not any(row.is_admin and row.active for row in rows):
        print(
            "Hinweis: Kein aktives Admin-Konto – Konten im Browser verwaltet nur ein Admin. "
            "Mit: python -m stammtisch organizer admin NAME",
            file=sys.stderr,
        )
    return 0


def _cmd_organizer_remove(args: argparse.Namespace) -> int:
    engine, now = _engine()
    with session_scope(engine) as session:
        organizers.remove_organizer(session=session, name=args.name, now=now)
    print(f"Organisator-Konto „{args.name}“ entfernt.")
    return 0


def _cmd_organizer_set_active(args: argparse.Namespace) -> int:
    engine, now = _engine()
    with session_scope(engine) as session:
        view = organizers.set_active(session=session, name=args.name, active=args.active, now=now)
    print(f"Organisator-Konto „{view.name}“ {'aktiviert' if view.active else 'deaktiviert'}.")
    return 0


def _cmd_organizer_unlock(args: argparse.Namespace) -> int:
    engine, now = _engine()
    with session_scope(engine) as session:
        removed = organizers.unlock(session=session, name=args.name, now=now)
    print(
        f"Anmeldesperren für „{args.name}“ aufgehoben"
        + (f" ({removed} Einträge)." if removed else " (es gab keine).")
    )
    return 0


def _cmd_organizer_password(args: argparse.Namespace) -> int:
    engine, now = _engine()
    password = _read_password(args)
    with session_scope(engine) as session:
        organizers.set_password(session=session, name=args.name, password=password, now=now)
    print(f"Neues Passwort für „{args.name}“ gesetzt; alle Anmeldungen des Kontos sind beendet.")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    engine, now = _engine()
    counts = backup.write_backup(engine, Path(args.file), now=now)
    print(
        f"Sicherung in {args.file} geschrieben: {sum(counts.values())} Zeilen "
        f"in {len(counts)} Tabellen."
    )
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate(engine)  # an empty database gets the schema first, but no seed content
    counts = backup.restore(engine, backup.read_backup(Path(args.file)), force=args.force)
    print(f"Wiederhergestellt: {sum(counts.values())} Zeilen in {len(counts)} Tabellen.")
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    engine, now = _engine()
    try:
        with session_scope(engine) as session:
            result = privacy.apply_retention_system(session=session, now=now, days=args.days)
    finally:
        engine.dispose()
    cutoff = format_timestamp(result.cutoff)
    if result.anonymised == 0:
        print(
            f"Löschfrist {result.days} Tage: keine Anmeldung zu Treffen, die vor dem "
            f"{cutoff} endeten, war noch zu anonymisieren."
        )
    else:
        print(
            f"Löschfrist {result.days} Tage: {result.anonymised} "
            f"{'Anmeldung' if result.anonymised == 1 else 'Anmeldungen'} aus "
            f"{result.meetings} Treffen "
            f"(beendet vor dem {cutoff}) anonymisiert."
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    engine, now = _engine()
    overrides = {
        name: getattr(args, name)
        for name in ("meetings", "people", "registrations", "suggestions", "votes", "offers")
        if getattr(args, name) is not None
    }
    scale = dataclasses.replace(demo.SCALES[args.scale], **overrides)
    started = time.perf_counter()
    report = demo.generate(engine, now=now, seed=args.seed, scale=scale, force=args.force)
    print(
        f"Demo-Daten angelegt: {report.meetings} Termine, {report.registrations} Anmeldungen, "
        f"{report.suggestions} Vorschläge, {report.votes} Stimmen, {report.offers} Impuls-Angebote "
        f"({time.perf_counter() - started:.1f} s)."
    )
    return 0


def _mail_settings():
    settings = load_settings()
    mailer.check_settings(settings)
    return settings


def _cmd_mail_send(args: argparse.Namespace) -> int:
    settings = _mail_settings()
    engine, now = _engine()
    try:
        report = mailer.send_pass(engine, settings=settings, now=now)
    finally:
        engine.dispose()
    print(f"Postausgang: {report}.")
    return 0


def _cmd_mail_run(args: argparse.Namespace) -> int:
    settings = _mail_settings()
    engine, _now = _engine()
    worker = mailer.MailWorker(
        engine,
        load_settings,
        lambda: clock_from_setting(load_settings().now).now(),
        interval=args.interval,
    )
    print(
        f"Sende Mails über {mailer.check_settings(settings)} "
        f"(alle {args.interval:g} s, Strg+C beendet)."
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        engine.dispose()
    return 0


def _cmd_text_show(args: argparse.Namespace) -> int:
    engine, _now = _engine()
    with session_scope(engine) as session:
        texts = site.site_texts(session=session)
    for key in site.TEXT_KEYS:
        value = texts[key].replace("\n", " / ")
        print(f"{key}\t{site.TEXT_LABELS[key]}\t{value or '(leer)'}")
    missing = site.missing_imprint_fields(texts)
    if missing:
        print("Im Impressum fehlt noch: " + ", ".join(missing), file=sys.stderr)
    return 0


def _cmd_text_set(args: argparse.Namespace) -> int:
    engine, now = _engine()
    value = sys.stdin.read() if args.value == "-" else args.value
    with session_scope(engine) as session:
        saved = site.set_text(session=session, key=args.key, value=value, now=now)
    label = site.TEXT_LABELS.get(args.key, args.key)
    print(f"Text „{label}“ gespeichert." if saved.changed else f"Text „{label}“ war schon so.")
    for warning in saved.warnings:
        print(f"Hinweis: {warning}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stammtisch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="Datenbank migrieren und einmalig mit dem Seed füllen")
    init.set_defaults(func=_cmd_init)

    dump = sub.add_parser("backup", help="alle Daten als JSON-Datei sichern")
    dump.add_argument("file")
    dump.set_defaults(func=_cmd_backup)
    load = sub.add_parser("restore", help="eine Sicherung in eine leere Datenbank laden")
    load.add_argument("file")
    load.add_argument("--force", action="store_true", help="vorhandene Daten ersetzen")
    load.set_defaults(func=_cmd_restore)

    dem = sub.add_parser("demo", help="synthetische Demo-Historie erzeugen (nie in echte Daten)")
    dem.add_argument("--seed", type=int, default=2021, help="gleicher Seed, gleiche Daten")
    dem.add_argument(
        "--scale",
        choices=sorted(demo.SCALES),
        default="standard",
        help="standard: eine Reihe (20 Termine); netzwerk: 300 Termine in 6 Regionalgruppen, "
        "200.000 Anmeldungen, 20.000 Vorschläge, 50.000 Stimmen",
    )
    dem.add_argument("--meetings", type=int, help="Anzahl Termine (überschreibt --scale)")
    dem.add_argument("--people", type=int, help="Personen, aus denen Anmeldungen kommen")
    dem.add_argument(
        "--registrations", type=int, help="Anmeldungen insgesamt (Standard: 15–60 je Termin)"
    )
    dem.add_argument("--suggestions", type=int)
    dem.add_argument("--votes", type=int)
    dem.add_argument("--offers", type=int)
    dem.add_argument("--force", action="store_true", help="auch in eine Datenbank mit Aktivität")
    dem.set_defaults(func=_cmd_demo)

    retention = sub.add_parser(
        "retention", help="persönliche Daten alter Anmeldungen anonymisieren (Löschfrist)"
    )
    retention.add_argument("--days", type=int, default=RETENTION_DAYS, help="Tage nach dem Treffen")
    retention.set_defaults(func=_cmd_retention)

    text = sub.add_parser(
        "text", help="Seitentexte (Impressum, Kontakt, Startseite) ansehen/ändern"
    )
    text_sub = text.add_subparsers(dest="text_command", required=True)
    text_sub.add_parser("show", help="alle Texte und was im Impressum fehlt").set_defaults(
        func=_cmd_text_show
    )
    text_set = text_sub.add_parser("set", help="einen Text setzen (WERT - liest von stdin)")
    text_set.add_argument("key", choices=site.TEXT_KEYS)
    text_set.add_argument("value")
    text_set.set_defaults(func=_cmd_text_set)

    mail_cmd = sub.add_parser("mail", help="Mails aus dem Postausgang senden")
    mail_sub = mail_cmd.add_subparsers(dest="mail_command", required=True)
    mail_sub.add_parser(
        "send", help="ein Durchgang: fällige Mails senden (für Cron oder einen systemd-Timer)"
    ).set_defaults(func=_cmd_mail_send)
    run = mail_sub.add_parser("run", help="dauerhaft senden, bis zum Beenden (Strg+C, SIGTERM)")
    run.add_argument("--interval", type=float, default=5.0, help="Sekunden zwischen Durchgängen")
    run.set_defaults(func=_cmd_mail_run)

    org = sub.add_parser("organizer", help="Organisator-Konten verwalten")
    org_sub = org.add_subparsers(dest="organizer_command", required=True)
    add = org_sub.add_parser("add", help="Konto anlegen (Passwort per Eingabeaufforderung)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="Passwort von stdin lesen")
    add.add_argument("--email", help="E-Mail-Adresse (für Single-Sign-On über st.login)")
    add.add_argument("--display-name", help="Anzeigename")
    add.add_argument(
        "--admin", action="store_true", help="als Admin (verwaltet im Browser die Konten)"
    )
    add.set_defaults(func=_cmd_organizer_add)
    admin = org_sub.add_parser(
        "admin", help="Konto zum Admin machen (--remove: die Rolle wieder nehmen)"
    )
    admin.add_argument("name")
    admin.add_argument("--remove", action="store_true", help="Admin-Rolle entziehen")
    admin.set_defaults(func=_cmd_organizer_admin)
    org_sub.add_parser("list", help="Konten auflisten").set_defaults(func=_cmd_organizer_list)
    remove = org_sub.add_parser("remove", help="Konto entfernen")
    remove.add_argument("name")
    remove.set_defaults(func=_cmd_organizer_remove)
    deactivate = org_sub.add_parser(
        "deactivate", help="Konto sperren: keine Anmeldung mehr, offene Sitzungen enden"
    )
    deactivate.add_argument("name")
    deactivate.set_defaults(func=_cmd_organizer_set_active, active=False)
    activate = org_sub.add_parser("activate", help="gesperrtes Konto wieder freigeben")
    activate.add_argument("name")
    activate.set_defaults(func=_cmd_organizer_set_active, active=True)

    password = org_sub.add_parser(
        "password", help="neues Passwort setzen (beendet alle Anmeldungen des Kontos)"
    )
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="Passwort von stdin lesen")
    password.set_defaults(func=_cmd_organizer_password)
    unlock = org_sub.add_parser(
        "unlock", help="Wartezeiten nach Fehlversuchen für ein Konto aufheben (alle Adressen)"
    )
    unlock.add_argument("name")
    unlock.set_defaults(func=_cmd_organizer_unlock)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:  # every message, one per field
        for message in exc.errors.values():
            print(f"Fehler: {message}", file=sys.stderr)
    except DomainError as exc:  # refused with a German reason (not found, backup, demo …)
        print(f"Fehler: {exc.message}", file=sys.stderr)
    except ConfigError as exc:
        print(f"Fehler in der Konfiguration: {exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
