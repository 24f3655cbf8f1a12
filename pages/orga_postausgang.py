"""Postausgang: every mail the app queued – waiting, sent, failed – with a preview."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from stammtisch import limits, mail, mailer
from stammtisch.config import ConfigError
from stammtisch.formatting import format_count, format_timestamp
from stammtisch.models import MailStatus
from ui import auth, core
from ui.forms import FormState
from ui.paging import pager
from ui.render import form_error, lazy_expander, literal

PAGE_SIZE = 20

actor = auth.require_organizer()
st.title("Postausgang", anchor=False)
settings = core.settings()
try:
    transport = mailer.check_settings(settings)
except ConfigError as exc:  # the server refuses to start with this; say it here too
    transport = None
    st.error(f"Die Mail-Einstellungen sind unbrauchbar: {exc}", icon=":material/error:")
if transport and not settings.smtp_url:
    st.info(
        "Es ist kein Mailserver eingerichtet (STAMMTISCH_SMTP_URL). Jede Mail liegt als "
        f"Datei im Ordner „{settings.outbox_dir}“ und bleibt hier „wartet“: Sobald ein "
        "Mailserver eingerichtet ist, geht sie wirklich hinaus.",
        icon=":material/folder:",
    )
elif transport:
    st.caption(f"Versand über {transport}, Absender {settings.mail_from}.")
if not settings.mail_worker:
    st.caption(
        "Dieser Server sendet nicht selbst (STAMMTISCH_MAIL_WORKER=0): Der Versand läuft über "
        "„python -m stammtisch mail send“ (Cron) oder „mail run“."
    )

counts = core.read(mail.status_counts)
columns = st.columns(4)
for column, status in zip(
    columns,
    (MailStatus.QUEUED, MailStatus.SENT, MailStatus.FAILED, MailStatus.EXPIRED),
    strict=True,
):
    waiting = counts[status] + (counts[MailStatus.RETRY] if status == MailStatus.QUEUED else 0)
    column.metric(status.label.capitalize(), format_count(waiting))
if counts[MailStatus.FAILED]:
    st.error(
        f"{format_count(counts[MailStatus.FAILED])} Mail(s) konnten nach allen Versuchen nicht "
        "zugestellt werden. Prüfen Sie Adresse und Fehlermeldung und senden Sie sie erneut.",
        icon=":material/error:",
    )

form = FormState("outbox")
form_error(form.errors)
if form.result == "resent":
    st.success("Die Mail steht wieder in der Warteschlange.", icon=":material/check_circle:")

left, right = st.columns([1, 1])
status = left.selectbox(
    "Zustand",
    options=[None, *MailStatus],
    format_func=lambda s: "alle" if s is None else s.label,
    key="outbox.status",
)
search = right.text_input("Empfänger suchen", key="outbox.search", max_chars=100)


def _page(offset: int):
    return core.read(
        mail.list_mails, actor=actor, status=status, search=search, limit=PAGE_SIZE, offset=offset
    )


# Read live (no cache): the sender changes states without bumping the data version.
wanted = (int(st.session_state.get("outbox.page", 1)) - 1) * PAGE_SIZE
rows, total = _page(wanted)
offset = pager(total, PAGE_SIZE, key="outbox")
if offset != wanted:  # the filter left fewer pages than the one that was open
    rows, total = _page(offset)
if not rows:
    st.caption("Keine Mails in dieser Auswahl.")


def _resend(mail_id: int) -> None:
    if form.call(mail.resend, actor=actor, mail_id=mail_id, wall=datetime.now(UTC)):
        st.session_state["outbox::result"] = "resent"


for row in rows:
    state = MailStatus(row.status)
    with st.container(border=True):
        st.markdown(f"**{mail.kind_label(row.kind)}** · {state.label}")
        literal(f"An: {row.to_name + ' – ' if row.to_name else ''}{row.to_address}")
        literal(row.subject)
        sent = f", gesendet {format_timestamp(row.sent_at)}" if row.sent_at else ""
        tries = f", {row.attempts} Versuch(e)" if row.attempts else ""
        st.caption(f"Anlass vom {format_timestamp(row.created_at)}{sent}{tries}")
        if row.last_error:
            st.caption("Letzter Fehler:")
            literal(row.last_error)
        preview = lazy_expander("Vorschau", f"outbox.preview.{row.id}")
        if preview is not None:
            with preview:
                literal(row.body_text)
                if row.has_ics:
                    st.caption("Anhang: Kalendereintrag (.ics)")
        if state in (MailStatus.FAILED, MailStatus.EXPIRED):
            st.button(
                "Erneut senden",
                key=f"outbox.resend.{row.id}",
                icon=":material/send:",
                on_click=_resend,
                args=(row.id,),
            )

st.divider()
st.header("Testmail", anchor=False)
test = FormState("outbox.test")
if isinstance(test.result, int):
    st.success(
        "Die Testmail steht in der Warteschlange und geht in wenigen Sekunden hinaus.",
        icon=":material/check_circle:",
    )
with st.form("outbox.test.form"):
    test.field(st.text_input, "to_address", "An diese Adresse", max_chars=limits.EMAIL_ADDRESS_MAX)
    form_error(test.errors)
    st.form_submit_button(
        "Testmail senden",
        on_click=lambda: test.call(
            mail.queue_test_mail,
            actor=actor,
            to_address=test.value("to_address", ""),
            wall=datetime.now(UTC),
        ),
    )
