"""The form pattern every page uses.

The submit button's ``on_click`` callback calls one service. A validation error is kept
in ``st.session_state`` and shown by :func:`ui.render.field_error` right below each field
on the rerun; the widgets keep what the person typed. A success result is kept too, so
a confirmation survives later reruns (e.g. a download click).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from stammtisch import mailer, spam
from stammtisch.errors import FORM, DomainError, NeedsConfirmation, ValidationError
from ui import core
from ui.render import field_error

HONEYPOT_FIELD = "website"


class FormState:
    """Errors and result of one form, kept in the session under ``key``."""

    def __init__(self, key: str) -> None:
        self.key = key

    @property
    def errors(self) -> Mapping[str, str]:
        return st.session_state.get(f"{self.key}::errors", {})

    @property
    def result(self) -> Any:
        return st.session_state.get(f"{self.key}::result")

    def value(self, field: str, default: Any = None) -> Any:
        return st.session_state.get(f"{self.key}.{field}", default)

    def widget_key(self, field: str) -> str:
        return f"{self.key}.{field}"

    def field(self, widget: Callable[..., Any], field: str, label: str, **kwargs: Any) -> Any:
        """One input and, right below it, its German error message if it has one.

        ``widget`` is ``st.text_input`` or any other input (also ``column.text_input``);
        the widget's key is :meth:`widget_key` of ``field``, so the service's error for
        ``field`` lands next to it.
        """
        if getattr(widget, "__name__", "") in ("selectbox", "multiselect"):
            kwargs.setdefault("placeholder", "Bitte auswählen")  # Streamlit's is English
        value = widget(label, key=self.widget_key(field), **kwargs)
        field_error(self.errors, field, widget_key=self.widget_key(field))
        return value

    @property
    def confirmation(self) -> tuple[str, int] | None:
        """(question, count) when the service asked the organizer to confirm mails."""
        return st.session_state.get(f"{self.key}::confirm")

    def drop_confirmation(self) -> None:
        st.session_state.pop(f"{self.key}::confirm", None)

    def reset(self) -> None:
        st.session_state.pop(f"{self.key}::errors", None)
        st.session_state.pop(f"{self.key}::result", None)
        self.drop_confirmation()

    def honeypot(self) -> None:
        """The public form's hidden field (see :mod:`stammtisch.spam`). The page's style
        hides every ``honeypot-`` container entirely (``display: none``): out of sight,
        out of the tab order and of what screen readers read."""
        with st.container(key=f"honeypot-{self.key}"):
            st.text_input(
                "Website", key=self.widget_key(HONEYPOT_FIELD), label_visibility="collapsed"
            )

    def check_honeypot(self) -> None:
        """Refuse the send when the hidden field is filled (call first in the action)."""
        spam.check_honeypot(self.value(HONEYPOT_FIELD, ""))

    def clear_inputs(self, *fields: str) -> None:
        for field in fields:
            st.session_state.pop(self.widget_key(field), None)

    def set_inputs(self, **values: Any) -> None:
        """Put values into this form's inputs (from a callback, before they are drawn).

        Unlike :meth:`clear_inputs` this reaches a browser too: an input whose state was
        only removed keeps showing what the person typed there, an assigned one is redrawn.
        """
        for field, value in values.items():
            st.session_state[self.widget_key(field)] = value

    def submit(self, action: Callable[[], Any]) -> bool:
        """Run ``action``; keep its result or its German error messages."""
        try:
            result = action()
        except ValidationError as exc:
            st.session_state[f"{self.key}::errors"] = exc.errors
            st.session_state.pop(f"{self.key}::result", None)
            self.drop_confirmation()
            return False
        except NeedsConfirmation as exc:
            # Not an error: the page asks "write to N people?" and calls again with N.
            st.session_state[f"{self.key}::errors"] = {}
            st.session_state[f"{self.key}::confirm"] = (exc.message, exc.count)
            return False
        except DomainError as exc:
            st.session_state[f"{self.key}::errors"] = {FORM: exc.message}
            st.session_state.pop(f"{self.key}::result", None)
            self.drop_confirmation()
            return False
        st.session_state[f"{self.key}::errors"] = {}
        st.session_state[f"{self.key}::result"] = result
        self.drop_confirmation()
        core.data_changed()
        mailer.wake_worker()  # a mail the change queued goes out now, not at the next round
        return True

    def confirm_notice(self, retry: Callable[[int], None], *, key: str) -> None:
        """If the service asked "write to N people?": the question and two buttons.

        ``retry(count)`` calls the service again with ``notify_count=count``.
        """
        pending = self.confirmation
        if pending is None:
            return
        question, count = pending
        st.warning(question, icon=":material/forward_to_inbox:")
        yes, no = st.columns(2)
        people = "eine Person" if count == 1 else f"{count} Personen"
        yes.button(
            f"Ja, speichern und {people} benachrichtigen",
            key=f"{key}.notify.yes",
            type="primary",
            on_click=retry,
            args=(count,),
        )
        no.button("Abbrechen", key=f"{key}.notify.no", on_click=self.drop_confirmation)

    def call(self, fn: Callable[..., Any], **kwargs: Any) -> bool:
        """Run one service in a fresh session at the app's "now" (``fn(session=, now=, ...)``)."""

        def action() -> Any:
            with core.session() as session:
                return fn(session=session, now=core.now(), **kwargs)

        return self.submit(action)


def confirm_button(
    label: str,
    *,
    key: str,
    question: str,
    yes: str,
    action: Callable[..., Any],
    args: tuple = (),
    kwargs: dict[str, Any] | None = None,
    icon: str | None = None,
    row: Any = None,
) -> None:
    """A button for a change that is hard to undo: it asks first (the question, then
    "yes" and a primary "no"), and only "yes" calls ``action(*args, **kwargs)``.

    ``row``: the container (a row of buttons) for the button itself; the question takes
    its own full-width place below it.
    """
    asking = f"{key}::asking"

    def go() -> None:
        st.session_state.pop(asking, None)
        action(*args, **(kwargs or {}))

    if not st.session_state.get(asking):
        (row or st).button(
            label,
            key=key,
            icon=icon,
            on_click=lambda: st.session_state.update({asking: True}),
        )
        return
    st.warning(question, icon=":material/warning:")
    answers = st.container(horizontal=True)
    answers.button(yes, key=f"{key}.yes", icon=icon, on_click=go)
    answers.button(
        "Nein, abbrechen",
        key=f"{key}.no",
        type="primary",
        on_click=lambda: st.session_state.pop(asking, None),
    )
