"""Configuration from the environment (and, in the UI, from ``st.secrets``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'stammtisch.db'}"


DEFAULT_BASE_URL = "http://localhost:8501"
DEFAULT_MAIL_FROM = "Strukturwandel-Stammtisch <stammtisch@localhost>"
OUTBOX_DIR = DATA_DIR / "outbox"


@dataclass(frozen=True)
class Settings:
    database_url: str
    now: str | None = None
    public_base_url: str | None = None
    # E-mail (see stammtisch.mailer): no SMTP URL means mails are written to outbox_dir.
    smtp_url: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    mail_reply_to: str | None = None
    mail_worker: bool = True  # the in-process sender; off when a cron job sends
    confirm_registrations: bool = True  # double opt-in for registrations
    reminder_hours: int = 24
    outbox_dir: Path = OUTBOX_DIR

    @property
    def base_url(self) -> str:
        """The public address for links in mails and feeds (never the request's Host)."""
        return self.public_base_url or DEFAULT_BASE_URL


class ConfigError(ValueError):
    """A setting is unusable; the message says which and why (printed at start-up)."""


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "ja", "on"):
        return True
    if lowered in ("0", "false", "no", "nein", "off"):
        return False
    raise ConfigError(f"{name}: '{value}' ist kein Schalter (erlaubt: 1/0, true/false, ja/nein).")


def _int(name: str, value: str | None, default: int, *, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: '{value}' ist keine ganze Zahl.") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}: {number} liegt nicht zwischen {low} und {high}.")
    return number


def load_settings(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> Settings:
    """Read settings; the environment wins over secrets, secrets over the defaults."""
    env = os.environ if environ is None else environ
    sec = secrets or {}

    def pick(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        if value is None or value == "":
            raw = sec.get(name)
            value = str(raw) if raw not in (None, "") else None
        return value if value is not None else default

    return Settings(
        database_url=pick("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        now=pick("STAMMTISCH_NOW"),
        public_base_url=(pick("STAMMTISCH_BASE_URL") or "").rstrip("/") or None,
        smtp_url=pick("STAMMTISCH_SMTP_URL"),
        mail_from=pick("STAMMTISCH_MAIL_FROM", DEFAULT_MAIL_FROM) or DEFAULT_MAIL_FROM,
        mail_reply_to=pick("STAMMTISCH_MAIL_REPLY_TO"),
        mail_worker=_flag("STAMMTISCH_MAIL_WORKER", pick("STAMMTISCH_MAIL_WORKER"), True),
        confirm_registrations=_flag(
            "STAMMTISCH_CONFIRM_REGISTRATIONS", pick("STAMMTISCH_CONFIRM_REGISTRATIONS"), True
        ),
        reminder_hours=_int(
            "STAMMTISCH_REMINDER_HOURS", pick("STAMMTISCH_REMINDER_HOURS"), 24, low=1, high=24 * 14
        ),
        outbox_dir=Path(pick("STAMMTISCH_OUTBOX_DIR") or OUTBOX_DIR),
    )
