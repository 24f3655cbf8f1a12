"""Which process sends mail: the server's start-up hook starts one sender, unless
STAMMTISCH_MAIL_WORKER=0 leaves sending to ``python -m stammtisch mail send/run``."""

from __future__ import annotations

import pytest

from stammtisch import mailer
from stammtisch.config import ConfigError, load_settings
from ui import server


@pytest.fixture
def started(monkeypatch):
    """The senders the start-up hook would start (none is really started)."""
    workers: list[mailer.MailWorker] = []
    monkeypatch.setattr(mailer, "start_worker", workers.append)
    monkeypatch.setattr(server, "_engine", lambda: "engine")
    return workers


def _with(monkeypatch, **environ):
    cfg = load_settings(environ={"DATABASE_URL": "sqlite://", **environ})
    monkeypatch.setattr(server, "settings", lambda: cfg)
    return cfg


@pytest.mark.parametrize("value", ["0", "nein", "false", "off"])
def test_mail_worker_off_means_this_process_sends_nothing(monkeypatch, started, value):
    cfg = _with(monkeypatch, STAMMTISCH_MAIL_WORKER=value)
    assert cfg.mail_worker is False
    server._start_mail()
    assert started == []


@pytest.mark.parametrize("environ", [{}, {"STAMMTISCH_MAIL_WORKER": "1"}])
def test_by_default_the_server_process_starts_its_sender(monkeypatch, started, environ):
    _with(monkeypatch, **environ)
    server._start_mail()
    [worker] = started
    assert isinstance(worker, mailer.MailWorker) and worker.engine == "engine"


def test_a_bad_switch_or_smtp_url_stops_the_start(monkeypatch, started):
    with pytest.raises(ConfigError, match="STAMMTISCH_MAIL_WORKER"):
        load_settings(environ={"STAMMTISCH_MAIL_WORKER": "vielleicht"})
    _with(monkeypatch, STAMMTISCH_SMTP_URL="http://mail.example.org")
    with pytest.raises(SystemExit, match="STAMMTISCH_SMTP_URL"):
        server._start_mail()
    assert started == []
