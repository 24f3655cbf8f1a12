"""Render a confirmation mail as a mail program shows it, for the README (docs/*.png).

Usage: .venv/bin/python scripts/mail_screenshot.py [docs/mail-bestaetigung.png]
Builds the seed database in a temporary directory, registers and confirms one person,
and photographs the HTML part of the confirmation mail in headless Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from sqlmodel import select

from stammtisch import registrations
from stammtisch.bootstrap import init_database
from stammtisch.clock import parse_instant
from stammtisch.config import load_settings
from stammtisch.db import make_engine, session_scope
from stammtisch.mail import with_secret
from stammtisch.models import Mail
from tests.appserver import CHROMIUM, CHROMIUM_ARGS


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/mail-bestaetigung.png")
    now = parse_instant("2021-11-20T12:00:00+01:00")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/mail.db")
        init_database(engine, now=now)
        with session_scope(engine) as s:
            registrations.register(
                session=s,
                meeting_id=2,
                data=registrations.RegistrationInput(
                    name="Erika Beispiel", email="erika@example.org", consent=True
                ),
                now=now,
            )
        with session_scope(engine) as s:
            token = s.exec(select(Mail.secret)).one()
        with session_scope(engine) as s:
            registrations.confirm(session=s, token=token, now=now)
        with session_scope(engine) as s:
            mail = s.exec(select(Mail).where(Mail.kind == "registration_confirmed")).one()
        html = with_secret(
            mail.body_html, mail.secret, escape=True, base_url=load_settings().base_url
        )
        page_html = (
            '<div style="font-family:sans-serif;border-bottom:1px solid #ccc;padding:8px 16px;'
            'background:#f6f6f6"><b>Von:</b> Strukturwandel-Stammtisch '
            "&lt;stammtisch@nachhaltiges-sachsen.de&gt;<br><b>An:</b> Erika Beispiel "
            f"&lt;erika@example.org&gt;<br><b>Betreff:</b> {mail.subject}<br>"
            "<b>Anhang:</b> strukturwandel-stammtisch.ics</div>"
            f'<div style="padding:8px 16px">{html}</div>'
        )
        engine.dispose()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 760, "height": 900})
        page.set_content(page_html)
        page.screenshot(path=str(target), full_page=True)
        browser.close()
    print(f"{target} geschrieben")
    return 0


if __name__ == "__main__":
    sys.exit(main())
