"""Configuration from the environment (and, in the UI, from ``st.secrets``)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'stammtisch.db'}"


DEFAULT_BASE_URL = "http://localhost:8501"
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")
MIN_SECRET_KEY_LENGTH = 32
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?")
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
    # Signs the organizers' login cookie; None: a key generated once per database.
    secret_key: str | None = None
    # Proxies whose X-Forwarded-For names the client (addresses or networks).
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    # Host names besides the base URL's for which links may use the request's host.
    allowed_hosts: tuple[str, ...] = ()
    # Limits on the public forms (stammtisch.rate_limits) as (pair, rules) items, kept
    # hashable like every setting; None: the defaults there.
    rate_rules: tuple | None = None

    @property
    def base_url(self) -> str:
        """The public address for links in mails and feeds (never the request's Host)."""
        return self.public_base_url or DEFAULT_BASE_URL

    def link_base(self, request_host: str | None, scheme: str = "http") -> tuple[str, bool]:
        """(address for links in a response, whether it came from the request).

        The request's ``Host`` header is the client's to choose: it is used only when its
        host name is in :attr:`allowed_hosts`; otherwise links use :attr:`base_url`.
        A response built from the request's host must not be cached for others.
        """
        host = (request_host or "").strip().lower()
        name = host.rsplit("]", 1)[0] + "]" if host.startswith("[") else host.split(":", 1)[0]
        if (
            name
            and name in self.allowed_hosts
            and _HOST.fullmatch(host)
            and scheme in ("http", "https")
        ):
            return f"{scheme}://{host}", True
        return self.base_url, False


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


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(
        item.strip() for item in (value or "").replace(";", ",").split(",") if item.strip()
    )


def _networks(name: str, value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_TRUSTED_PROXIES
    if value.strip().lower() == "none":
        return ()
    items = _list(value)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"{name}: '{item}' ist keine IP-Adresse und kein Netz (z. B. 10.0.0.0/8)."
            ) from None
    return items


def _secret_key(name: str, value: str | None) -> str | None:
    if value is not None and len(value) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{name} ist zu kurz ({len(value)} Zeichen); nötig sind mindestens "
            f"{MIN_SECRET_KEY_LENGTH}, z. B. aus: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    return value


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
        secret_key=_secret_key("STAMMTISCH_SECRET_KEY", pick("STAMMTISCH_SECRET_KEY")),
        trusted_proxies=_networks("STAMMTISCH_TRUSTED_PROXIES", pick("STAMMTISCH_TRUSTED_PROXIES")),
        allowed_hosts=tuple(h.lower() for h in _list(pick("STAMMTISCH_ALLOWED_HOSTS"))),
        rate_rules=_rate_rules("STAMMTISCH_LIMITS", pick("STAMMTISCH_LIMITS")),
    )


def _rate_rules(name: str, value: str | None) -> tuple | None:
    if value is None:
        return None
    from stammtisch.rate_limits import parse_rules  # the domain's tables, loaded on demand

    try:
        return tuple(parse_rules(value).items())
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None
