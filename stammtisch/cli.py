"""Command line: ``python -m stammtisch COMMAND``."""

from __future__ import annotations

import argparse
import sys

from stammtisch.bootstrap import init_database
from stammtisch.clock import clock_from_setting
from stammtisch.config import load_settings
from stammtisch.db import make_engine


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stammtisch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="Datenbank migrieren und einmalig mit dem Seed füllen")
    init.set_defaults(func=_cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
