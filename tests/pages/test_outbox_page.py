"""The team's Postausgang (AppTest): filter, preview without the personal link, sending a
failed mail again, the test mail, and the count of failed mails in the navigation."""

from __future__ import annotations

from sqlmodel import select

from stammtisch import mail
from stammtisch.clock import parse_instant
from stammtisch.db import make_engine, session_scope
from stammtisch.models import Mail, MailStatus
from tests import factories as f
from tests.pages.conftest import SEED_NOW, texts

NOW = parse_instant(SEED_NOW)
PAGE = "pages/orga_postausgang.py"


def _mails(url) -> list[Mail]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = list(s.exec(select(Mail).order_by(Mail.id)).all())
    engine.dispose()
    return rows


def _registered_with_a_failed_mail(url) -> tuple[Mail, str]:
    """Eva registers for meeting 2; her confirmation (with her personal link waiting in
    ``secret``) failed after all attempts. Returns the failed mail and her token."""
    engine = make_engine(url)
    receipt = f.register(engine, 2, "eva", now=NOW, name="Eva Muster", email="eva@example.org")
    with session_scope(engine) as s:
        failed = s.exec(select(Mail).where(Mail.kind == "registration_confirmed")).one()
        failed.status = MailStatus.FAILED
        failed.attempts = 6
        failed.last_error = "SMTPRecipientsRefused: 550 Postfach unbekannt"
        s.add(failed)
        s.commit()
        s.refresh(failed)
    engine.dispose()
    return failed, receipt.token


def _navigation_titles(at) -> list[str]:
    return [str(info.get("page_name", "")) for info in at._registered_pages.values()]


def test_outbox_filters_previews_without_the_link_and_sends_a_failed_mail_again(
    make_organizer_app, app_db
):
    make_organizer_app()
    failed, token = _registered_with_a_failed_mail(app_db)
    at = make_organizer_app(PAGE)
    assert not at.exception
    # The team navigation counts the failed mail; the page says what to do.
    assert "Postausgang (1 fehlgeschlagen)" in _navigation_titles(at)
    assert "1 Mail(s) konnten nach allen Versuchen nicht zugestellt werden" in texts(at)

    at.selectbox(key="outbox.status").set_value(MailStatus.FAILED).run()
    shown = texts(at)
    assert "An: Eva Muster – eva@example.org" in shown
    assert "SMTPRecipientsRefused: 550 Postfach unbekannt" in shown
    assert "Bitte bestätigen" not in shown  # the other mails are filtered out
    assert [b.key for b in at.button if b.key.startswith("outbox.resend.")] == [
        f"outbox.resend.{failed.id}"
    ]
    at.selectbox(key="outbox.status").set_value(MailStatus.SENT).run()
    assert "Keine Mails in dieser Auswahl." in texts(at)
    at.selectbox(key="outbox.status").set_value(MailStatus.FAILED).run()

    # The preview shows the placeholder, never the personal link or its token.
    at.session_state[f"outbox.preview.{failed.id}"] = True
    at.run()
    preview = texts(at)
    assert mail.PERSONAL_LINK_PREVIEW in preview
    assert "Ihre Anmeldung ist bestätigt." in preview  # the body itself is there
    assert token not in preview and "token=" not in preview
    assert mail.PERSONAL_LINK not in preview

    at.button(key=f"outbox.resend.{failed.id}").click().run()
    assert not at.exception
    assert "Die Mail steht wieder in der Warteschlange." in texts(at)
    [again] = [m for m in _mails(app_db) if m.id == failed.id]
    assert (again.status, again.attempts, again.last_error) == (MailStatus.QUEUED, 0, None)
    assert again.secret == token  # the link still goes in when it is sent
    assert "Postausgang" in _navigation_titles(at)
    assert not [t for t in _navigation_titles(at) if "fehlgeschlagen" in t]


def test_outbox_test_mail_is_queued_to_the_address_and_a_bad_one_is_refused(
    make_organizer_app, app_db
):
    at = make_organizer_app(PAGE)
    before = len(_mails(app_db))
    at.text_input(key="outbox.test.to_address").input("kein-at-zeichen")
    [submit] = [b for b in at.button if b.label == "Testmail senden"]
    submit.click().run()
    assert not at.exception
    assert any("E-Mail-Adresse" in e.value for e in at.error)
    assert len(_mails(app_db)) == before
    at.text_input(key="outbox.test.to_address").input("technik@example.org")
    [submit] = [b for b in at.button if b.label == "Testmail senden"]
    submit.click().run()
    assert not at.exception
    assert "Die Testmail steht in der Warteschlange" in texts(at)
    new = _mails(app_db)[before:]
    assert [(m.kind, m.to_address, m.status) for m in new] == [
        ("test", "technik@example.org", MailStatus.QUEUED)
    ]
    assert "Leon Huff" in new[0].body_text  # who triggered it
