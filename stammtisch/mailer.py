"""The sender: delivers queued mails once, with retries, from one or many processes.

How a mail leaves the outbox (:mod:`stammtisch.mail`):

1. A pass first does the outbox's housekeeping in one transaction: reminders that are
   due are queued (:func:`stammtisch.notify.queue_due_reminders`), pending registrations
   that were never confirmed are deleted, and mails past their ``expires_at`` (a
   reminder after the meeting began) are marked expired.
2. It then *claims* a batch of up to :data:`BATCH` due mails (oldest first) with one
   conditional ``UPDATE … WHERE id IN (…) AND (status IN ('queued', 'retry') …)`` that
   changes only the rows still claimable and marks them with a random claim token
   (PostgreSQL first picks candidates with ``FOR UPDATE SKIP LOCKED``). The claim sets a
   lease. Each mail is recorded as sent right after the server took it, and only by the
   holder of its claim token. A sender that dies holding a batch leaves its unsent rest
   to whoever finds the lease run out; a sender whose lease runs short mid-batch (a slow
   server, :data:`LEASE_MARGIN`) gives the rest back instead of sending it. So several
   senders never send one mail twice, and a killed sender repeats at most the one mail
   that was in flight.
3. Delivery builds the message (:func:`build_message`: plain text, simple HTML, the
   ``.ics`` attachment, the personal link put in only now) and hands it to the transport.
   Success marks it sent and deletes the secret; a failure schedules the next attempt
   after a growing delay (:data:`RETRY_DELAYS`); after the last one it is *failed* and
   the team sees it in the Postausgang.

Transports: SMTP via the standard library (``smtp://``, ``smtp+starttls://``,
``smtps://``), or, with no SMTP server configured, files: each mail is written once as
``.eml`` under ``data/outbox/`` and *stays queued*, so it goes out for real as soon as
SMTP is configured (nothing is lost) while a newcomer can read what would be sent.

Leases and retry delays run on the real clock; "now" for expiry and reminders is the
app's clock (which ``STAMMTISCH_NOW`` may pin).
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine, and_, or_, update
from sqlmodel import col, select

from stammtisch import notify
from stammtisch.config import ConfigError, Settings
from stammtisch.db import bump_data_version, data_version_bump, session_scope, write_transaction
from stammtisch.mail import with_secret
from stammtisch.models import DUE_MAIL, Mail, MailStatus
from stammtisch.validation import normalise_text

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# A mail is only handed to the server while this much of its lease is left, so one slow
# send cannot run past the lease into another sender's claim.
LEASE_MARGIN = timedelta(seconds=60)
BATCH = 20  # mails claimed at once; each is still recorded as sent right after sending
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SMTP_TIMEOUT = 20  # seconds


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "none", "starttls" or "ssl"
    username: str | None = None
    password: str | None = None

    def describe(self) -> str:
        return f"{self.security}://{self.host}:{self.port}"


_SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://host:25``, ``smtp+starttls://user:password@host:587``, ``smtps://…:465``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        raise ConfigError(
            f"STAMMTISCH_SMTP_URL: Schema '{parts.scheme}' unbekannt – erlaubt sind "
            "smtp://, smtp+starttls:// und smtps://."
        )
    if not parts.hostname:
        raise ConfigError("STAMMTISCH_SMTP_URL: Es fehlt der Name des Mailservers.")
    security, default_port = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigError("STAMMTISCH_SMTP_URL: Die Portnummer ist ungültig.") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _address(text: str, name: str) -> Address:
    display, addr = parseaddr(text)
    if "@" not in addr or any(c in text for c in "\r\n"):
        raise ConfigError(f"{name}: '{text}' ist keine E-Mail-Adresse (z. B. Name <a@b.de>).")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=display, username=user, domain=domain)


def check_settings(settings: Settings) -> str:
    """Validate the mail settings at start-up; returns a one-line description.

    Raises :class:`ConfigError` with a German message, so a bad URL stops the start.
    """
    _address(settings.mail_from, "STAMMTISCH_MAIL_FROM")
    if settings.mail_reply_to:
        _address(settings.mail_reply_to, "STAMMTISCH_MAIL_REPLY_TO")
    if settings.smtp_url:
        return "SMTP " + parse_smtp_url(settings.smtp_url).describe()
    return f"Dateien in {settings.outbox_dir}"


# --- the message -----------------------------------------------------------------------------


def build_message(mail: Mail, settings: Settings) -> Message:
    """The mail as it is delivered: the personal link is filled in here, and only here.

    Built with ``email.mime`` (fast: the sender builds hundreds a minute). Every header
    value is one line of text by construction (``normalise_text`` removes CR, LF and all
    other control characters; addresses were validated), so no value can start a header
    of its own; names and subjects are RFC 2047-encoded. An address with non-ASCII
    characters takes :func:`_build_utf8`, which needs a server with SMTPUTF8.
    """
    if not mail.to_address.isascii():
        return _build_utf8(mail, settings)
    base = settings.base_url
    body = MIMEMultipart("alternative")
    body.attach(
        MIMEText(
            with_secret(mail.body_text, mail.secret, escape=False, base_url=base), "plain", "utf-8"
        )
    )
    body.attach(
        MIMEText(
            with_secret(mail.body_html, mail.secret, escape=True, base_url=base), "html", "utf-8"
        )
    )
    message: Message = body
    if mail.ics:
        message = MIMEMultipart("mixed")
        message.attach(body)
        calendar = MIMEText(mail.ics, "calendar", "utf-8")
        calendar.set_param("method", _ics_method(mail.ics))
        calendar.add_header(
            "Content-Disposition", "attachment", filename="strukturwandel-stammtisch.ics"
        )
        message.attach(calendar)
    sender_name, sender = _parsed(settings.mail_from, "STAMMTISCH_MAIL_FROM")
    message["From"] = formataddr((sender_name, sender), "utf-8")
    message["To"] = formataddr((normalise_text(mail.to_name or ""), mail.to_address), "utf-8")
    if settings.mail_reply_to:
        message["Reply-To"] = formataddr(
            _parsed(settings.mail_reply_to, "STAMMTISCH_MAIL_REPLY_TO"), "utf-8"
        )
    message["Subject"] = Header(normalise_text(mail.subject), "utf-8")
    message["Date"] = format_datetime(mail.created_at.astimezone(UTC))
    message["Message-ID"] = normalise_text(mail.message_id)
    message["Auto-Submitted"] = "auto-generated"
    _list_headers(message, mail)
    return message


def _list_headers(message: Message, mail: Mail) -> None:
    """One-click unsubscribe (RFC 8058) for mails sent because of a subscription."""
    if mail.list_unsubscribe:
        message["List-Unsubscribe"] = f"<{normalise_text(mail.list_unsubscribe)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def _ics_method(ics_text: str) -> str:
    return "CANCEL" if "METHOD:CANCEL" in ics_text else "PUBLISH"


@functools.cache
def _parsed(text: str, name: str) -> tuple[str, str]:
    address = _address(text, name)
    return normalise_text(address.display_name), address.addr_spec


def _build_utf8(mail: Mail, settings: Settings) -> EmailMessage:
    """The same message for an internationalised address (policy with SMTPUTF8)."""
    message = EmailMessage(policy=policy.SMTPUTF8)
    message["From"] = _address(settings.mail_from, "STAMMTISCH_MAIL_FROM")
    message["To"] = Address(
        display_name=normalise_text(mail.to_name or ""), addr_spec=mail.to_address
    )
    if settings.mail_reply_to:
        message["Reply-To"] = _address(settings.mail_reply_to, "STAMMTISCH_MAIL_REPLY_TO")
    message["Subject"] = normalise_text(mail.subject)
    message["Date"] = format_datetime(mail.created_at.astimezone(UTC))
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    _list_headers(message, mail)
    base = settings.base_url
    message.set_content(with_secret(mail.body_text, mail.secret, escape=False, base_url=base))
    message.add_alternative(
        with_secret(mail.body_html, mail.secret, escape=True, base_url=base), subtype="html"
    )
    if mail.ics:
        message.add_attachment(
            mail.ics.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="strukturwandel-stammtisch.ics",
            params={"method": _ics_method(mail.ics)},
        )
    return message


# --- transports ------------------------------------------------------------------------------


class SmtpTransport:
    """One SMTP connection per pass (opened on the first mail), closed at the end."""

    queues = True

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    @contextmanager
    def connection(self) -> Iterator[Callable[[Message], None]]:
        client: smtplib.SMTP | None = None

        def send(message: Message) -> None:
            nonlocal client
            if client is None:
                client = self._connect()
            client.send_message(message)

        try:
            yield send
        finally:
            if client is not None:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=SMTP_TIMEOUT)
            if cfg.security == "starttls":
                client.starttls(context=ssl.create_default_context())
        if cfg.username:
            client.login(cfg.username, cfg.password or "")
        return client


class FileTransport:
    """No SMTP server: write each due mail once as ``.eml``; it stays queued."""

    queues = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, mail: Mail) -> Path:
        return self.directory / f"{mail.id:06d}-{mail.kind}.eml"

    def forget(self, existing: Callable[[list[int]], set[int]]) -> int:
        """Delete the files of mails that no longer exist (erased with their person or
        past the retention period): a file holds the same personal data as its row."""
        files: dict[int, Path] = {}
        for path in self.directory.glob("*.eml"):
            number = path.name.split("-", 1)[0]
            if number.isdigit():
                files[int(number)] = path
        if not files:
            return 0
        keep = existing(list(files))
        gone = [path for mail_id, path in files.items() if mail_id not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
        return len(gone)

    def write(self, mail: Mail, message: Message) -> bool:
        target = self.path_for(mail)
        if target.exists():
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(message.as_bytes())
        temporary.replace(target)
        return True


def transport_for(settings: Settings) -> SmtpTransport | FileTransport:
    if settings.smtp_url:
        return SmtpTransport(parse_smtp_url(settings.smtp_url))
    return FileTransport(settings.outbox_dir)


# --- one pass --------------------------------------------------------------------------------


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    written: int = 0
    reminders: int = 0
    purged: int = 0

    def __str__(self) -> str:
        return (
            f"gesendet {self.sent}, neuer Versuch {self.retried}, fehlgeschlagen {self.failed}, "
            f"verfallen {self.expired}, als Datei {self.written}, Erinnerungen {self.reminders}"
        )


def housekeeping(engine: Engine, *, now: datetime, settings: Settings) -> PassReport:
    """Queue due reminders, delete unconfirmed registrations that expired, expire mails,
    forget the form counts of :mod:`stammtisch.rate_limits` that ran out (real clock) and
    who sent suggestions older than a day."""
    from stammtisch import rate_limits, subscriptions, suggestions
    from stammtisch.registrations import purge_expired

    report = PassReport()
    with session_scope(engine) as session, write_transaction(session, content=False):
        report.reminders = notify.queue_due_reminders(
            session, now=now, hours=settings.reminder_hours
        )
        report.purged = purge_expired(session, now)
        subscriptions.purge_expired(session, now)
        suggestions.forget_senders(session, now)
        rules = dict(settings.rate_rules) if settings.rate_rules else rate_limits.DEFAULT_RULES
        rate_limits.prune(session, datetime.now(UTC), rules)
        result = session.exec(
            update(Mail)
            .where(
                col(Mail.status).in_(DUE_MAIL),
                col(Mail.expires_at).is_not(None),
                col(Mail.expires_at) <= now,
            )
            .values(status=MailStatus.EXPIRED, secret=None, lease_until=None)
        )
        report.expired = int(result.rowcount or 0)
        if report.reminders or report.purged or report.expired:
            bump_data_version(session)
    return report


def _claimable(wall: datetime):
    return or_(
        and_(col(Mail.status).in_(DUE_MAIL), Mail.next_attempt_at <= wall),
        and_(Mail.status == MailStatus.SENDING, col(Mail.lease_until) < wall),
    )


_MAIL = Mail.__table__


def claim(engine: Engine, *, wall: datetime, size: int = 1) -> list[Mail]:
    """Claim up to ``size`` due mails (oldest first; or ones whose lease ran out).

    One conditional UPDATE marks them with this claim's random token and a lease; only
    rows still claimable change, so two senders never hold the same mail. A sender that
    dies holding a batch leaves the unsent rest to whoever finds the lease run out: only
    the one mail in flight can go out twice.
    """
    token = secrets.token_hex(16)
    with session_scope(engine) as session, write_transaction(session, content=False):
        query = select(Mail.id).where(_claimable(wall)).order_by(Mail.id).limit(size)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        candidates = list(session.exec(query).all())
        if not candidates:
            return []
        session.exec(
            update(Mail)
            .where(col(Mail.id).in_(candidates), _claimable(wall))
            .values(
                status=MailStatus.SENDING,
                lease_until=wall + LEASE,
                attempts=Mail.attempts + 1,
                claim_token=token,
            )
        )
        rows = session.connection().execute(
            _MAIL.select().where(_MAIL.c.claim_token == token).order_by(_MAIL.c.id)
        )
        claimed = [Mail(**row._mapping) for row in rows]
    return claimed


@contextmanager
def _transaction(target: Engine | Connection) -> Iterator[Connection]:
    if isinstance(target, Connection):
        with target.begin():
            yield target
    else:
        with target.begin() as conn:
            yield conn


def _finish(
    engine: Engine | Connection, mail: Mail, values: dict, *, content: bool = False
) -> bool:
    """Record the outcome, unless another sender took the mail over after our lease ran out
    (one UPDATE in its own short transaction; a final failure also bumps the data version,
    so every process's navigation shows it). A sender passes the connection it holds for
    its pass (one statement, so autocommit is enough when ``content`` is False)."""
    with _transaction(engine) as conn:
        changed = (
            conn.execute(
                _MAIL.update()
                .where(
                    _MAIL.c.id == mail.id,
                    _MAIL.c.status == MailStatus.SENDING.value,
                    _MAIL.c.claim_token == mail.claim_token,
                )
                .values(lease_until=None, claim_token=None, **values)
            ).rowcount
            == 1
        )
        if content and changed:
            conn.execute(data_version_bump())
        return changed


def send_pass(
    engine: Engine,
    *,
    settings: Settings,
    now: datetime,
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    transport: SmtpTransport | FileTransport | None = None,
    limit: int = 200,
) -> PassReport:
    """One round: housekeeping, then deliver up to ``limit`` due mails."""
    transport = transport or transport_for(settings)
    report = housekeeping(engine, now=now, settings=settings)
    if isinstance(transport, FileTransport):
        report.written = _write_files(engine, transport, settings, wall(), limit)
        return report
    # "Sent" is one UPDATE: on a connection held for the pass and in autocommit mode it
    # costs one round trip (no pool checkout, liveness ping, BEGIN or COMMIT of its own).
    with (
        transport.connection() as send,
        engine.connect().execution_options(isolation_level="AUTOCOMMIT") as marks,
    ):
        done = 0
        while done < limit:
            batch = claim(engine, wall=wall(), size=min(BATCH, limit - done))
            if not batch:
                break
            done += len(batch)
            for index, mail in enumerate(batch):
                if wall() >= mail.lease_until - LEASE_MARGIN:
                    # A slow server ate the lease: whoever finds it run out may already be
                    # sending the rest, so give back what is still ours and claim anew.
                    _release(engine, batch[index:])
                    break
                try:
                    send(build_message(mail, settings))
                except Exception as exc:  # every failure is retried or shown to the team
                    log.warning("mail %s (%s) failed: %s", mail.id, mail.kind, exc)
                    _failed(engine, mail, exc, wall(), report)
                    if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                        # The server is unreachable: the rest of the batch waits its turn.
                        _release(engine, batch[batch.index(mail) + 1 :])
                        return report
                    continue
                if _finish(
                    marks,
                    mail,
                    {
                        "status": MailStatus.SENT,
                        "sent_at": wall(),
                        "secret": None,
                        "last_error": None,
                    },
                ):
                    report.sent += 1
    return report


def _release(engine: Engine, mails: list[Mail]) -> None:
    """Give claimed but untried mails back (their attempt did not happen)."""
    for mail in mails:
        _finish(
            engine,
            mail,
            {
                "status": MailStatus.RETRY if mail.attempts > 1 else MailStatus.QUEUED,
                "attempts": mail.attempts - 1,
            },
        )


def _failed(engine: Engine, mail: Mail, exc: Exception, wall: datetime, report: PassReport) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if mail.attempts >= MAX_ATTEMPTS:
        if _finish(engine, mail, {"status": MailStatus.FAILED, "last_error": error}, content=True):
            report.failed += 1
        return
    delay = RETRY_DELAYS[min(mail.attempts, len(RETRY_DELAYS)) - 1]
    if _finish(
        engine,
        mail,
        {"status": MailStatus.RETRY, "next_attempt_at": wall + delay, "last_error": error},
    ):
        report.retried += 1


def _write_files(
    engine: Engine, transport: FileTransport, settings: Settings, wall: datetime, limit: int
) -> int:
    written = 0

    def existing(ids: list[int]) -> set[int]:
        with session_scope(engine) as session:
            found: set[int] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found.update(session.exec(select(Mail.id).where(col(Mail.id).in_(chunk))).all())
            return found

    transport.forget(existing)
    with session_scope(engine) as session:
        due = session.exec(
            select(Mail)
            .where(col(Mail.status).in_(DUE_MAIL), Mail.next_attempt_at <= wall)
            .order_by(col(Mail.id).desc())
            .limit(limit)
        ).all()
        for mail in due:
            if transport.write(mail, build_message(mail, settings)):
                written += 1
        session.rollback()
    return written


# --- the sender in a server process ------------------------------------------------------------


class MailWorker:
    """Runs :func:`send_pass` every ``interval`` seconds in a daemon thread (one per process;
    started from the server's start-up hook, never from a page). :meth:`wake` runs the
    next pass at once (after a page queued a mail)."""

    def __init__(
        self,
        engine: Engine,
        settings_fn: Callable[[], Settings],
        now_fn: Callable[[], datetime],
        *,
        interval: float = 5.0,
    ) -> None:
        self.engine = engine
        self.settings_fn = settings_fn
        self.now_fn = now_fn
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stammtisch-mail", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = send_pass(self.engine, settings=self.settings_fn(), now=self.now_fn())
                if report.sent or report.failed or report.retried:
                    log.info("mail pass: %s", report)
            except Exception:  # keep going: a database hiccup must not stop all mail
                log.exception("mail pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()


_worker: MailWorker | None = None


def start_worker(worker: MailWorker) -> MailWorker:
    """Start this process's sender (idempotent: the first one started stays)."""
    global _worker
    if _worker is None:
        _worker = worker
        worker.start()
    return _worker


def wake_worker() -> None:
    """Ask this process's sender (if any) to run now."""
    if _worker is not None:
        _worker.wake()


def stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None
