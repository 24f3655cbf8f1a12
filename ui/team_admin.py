"""The team's accounts ("Team-Konten"): the list for everyone; for admins the forms that
add an account with a one-time link, send a new link, deactivate and reactivate, and give
or take the admin role. Every service checks the role again."""

from __future__ import annotations

import streamlit as st

from stammtisch import limits, mail, organizers
from stammtisch.formatting import format_timestamp
from stammtisch.identity import OrganizerIdentity
from stammtisch.models import OrganizerRole
from stammtisch.organizers import OrganizerView, PasswordLink
from ui import core
from ui.forms import FormState, confirm_button
from ui.render import escape_md, form_error

DONE = "team.done"


def state_label(view: OrganizerView) -> str:
    if not view.active:
        return "deaktiviert"
    if not view.has_password:
        return "wartet auf Passwort"
    return "aktiv"


def summary(view: OrganizerView, me: OrganizerIdentity) -> str:
    """One account as a Markdown block (every stored text escaped)."""
    last = format_timestamp(view.last_login_at) if view.last_login_at else "noch nie"
    lines = [
        f"**{escape_md(view.display_name)}** · {escape_md(view.name)}"
        + (" · *Sie*" if view.id == me.id else ""),
        f"{OrganizerRole.label_for(view.role)} · {state_label(view)} · "
        f"letzte Anmeldung: {escape_md(last)}",
    ]
    if view.email:
        lines.append(f"E-Mail: {escape_md(view.email)}")
    if view.active and view.password_link_expires_at is not None:
        lines.append(
            "Link zum Festlegen des Passworts gilt bis "
            f"{escape_md(format_timestamp(view.password_link_expires_at))}"
        )
    return "  \n".join(lines)


def show_link(link: PasswordLink, *, what: str) -> None:
    """The one-time link, shown to the admin this once (stored only as its hash)."""
    url = mail.password_url(link.token, core.base_url())
    mailed = (
        f"Der Link ist per Mail an {link.account.email} unterwegs. "
        if link.mailed
        else "Das Konto hat keine E-Mail-Adresse: Geben Sie den Link selbst weiter. "
    )
    with st.container(border=True, key="team-link"):
        st.success(f"{what} {mailed}", icon=":material/check_circle:")
        st.caption(
            f"Nur jetzt zu sehen – zum Weitergeben an {link.account.display_name} persönlich. "
            f"Er gilt einmal und bis {format_timestamp(link.expires_at)}."
        )
        st.code(url, language=None, wrap_lines=True)


def add_form(actor: OrganizerIdentity) -> None:
    form = FormState("team.add")

    def add() -> None:
        if form.call(
            organizers.invite_organizer,
            actor=actor,
            name=form.value("name", ""),
            display_name=form.value("display_name", ""),
            email=form.value("email", ""),
            admin=bool(form.value("admin", False)),
        ):
            st.session_state[DONE] = (f"Konto „{form.result.account.name}“ angelegt.", form.result)
            form.set_inputs(name="", display_name="", email="", admin=False)
            form.reset()

    st.caption(
        "Statt ein Passwort für jemand anderen auszudenken: Das neue Konto bekommt einen "
        "Link, mit dem die Person ihr Passwort selbst festlegt (7 Tage gültig, einmal)."
    )
    form.field(st.text_input, "name", "Anmeldename", max_chars=limits.LOGIN_NAME.max)
    form.field(st.text_input, "display_name", "Anzeigename", max_chars=limits.DISPLAY_NAME.max)
    form.field(st.text_input, "email", "E-Mail-Adresse (für den Link und Single-Sign-On)")
    st.checkbox("Admin (verwaltet auch die Konten)", key=form.widget_key("admin"), value=False)
    form_error(form.errors)
    st.button(
        "Konto anlegen und Link senden",
        type="primary",
        icon=":material/person_add:",
        on_click=add,
        key="team.add.save",
    )


def actions(actor: OrganizerIdentity, view: OrganizerView) -> None:
    """What an admin can do with another account."""
    form = FormState(f"team.{view.id}")

    def run(fn, message: str, **kwargs) -> None:
        if form.call(fn, actor=actor, organizer_id=view.id, **kwargs):
            result = form.result
            link = result if isinstance(result, PasswordLink) else None
            st.session_state[DONE] = (message, link)

    row = st.container(horizontal=True)
    if view.active:
        confirm_button(
            "Deaktivieren",
            key=f"team.deactivate.{view.id}",
            question=f"„{view.name}“ deaktivieren? Offene Anmeldungen des Kontos enden "
            "beim nächsten Klick; anmelden geht erst wieder nach dem Aktivieren.",
            yes="Ja, deaktivieren",
            icon=":material/person_off:",
            action=run,
            args=(organizers.admin_set_active, f"„{view.name}“ ist deaktiviert."),
            kwargs={"active": False},
            row=row,
        )
        row.button(
            "Link für neues Passwort",
            key=f"team.reset.{view.id}",
            icon=":material/lock_reset:",
            on_click=run,
            args=(organizers.reset_password_link, f"Neuer Link für „{view.name}“."),
        )
    else:
        row.button(
            "Wieder aktivieren",
            key=f"team.activate.{view.id}",
            icon=":material/person_check:",
            on_click=run,
            args=(organizers.admin_set_active, f"„{view.name}“ ist wieder aktiv."),
            kwargs={"active": True},
        )
    if view.is_admin:
        row.button(
            "Admin-Rolle entziehen",
            key=f"team.role.{view.id}",
            icon=":material/remove_moderator:",
            on_click=run,
            args=(organizers.set_role, f"„{view.name}“ ist jetzt Organisator:in."),
            kwargs={"admin": False},
        )
    else:
        row.button(
            "Zum Admin machen",
            key=f"team.role.{view.id}",
            icon=":material/shield_person:",
            on_click=run,
            args=(organizers.set_role, f"„{view.name}“ ist jetzt Admin."),
            kwargs={"admin": True},
        )
    form_error(form.errors)
