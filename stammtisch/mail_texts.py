"""What each mail says (German, plain words, no advertising).

One function per kind of mail; each returns a :class:`~stammtisch.mail.MailContent` built
from blocks, which :mod:`stammtisch.mail` renders as text and HTML. Texts written by
visitors or organizers (names, themes, a personal message) are only ever placed into
blocks, never into markup, so they arrive exactly as written.
"""

from __future__ import annotations

from datetime import datetime

from stammtisch import ics
from stammtisch.config import Settings, load_settings
from stammtisch.formatting import format_meeting_time, format_timestamp
from stammtisch.mail import (
    CONFIRM_LINK,
    PASSWORD_LINK,
    PERSONAL_LINK,
    Facts,
    Items,
    Link,
    MailContent,
    Para,
    Quote,
)
from stammtisch.meetings import MeetingView

REGISTRATION_FOOTER = (
    "Sie erhalten diese Nachricht, weil mit dieser Adresse eine Anmeldung zum "
    "Strukturwandel-Stammtisch des Landesverbands Nachhaltiges Sachsen e.V. eingegangen ist. "
    "Fragen? Antworten Sie einfach auf diese Mail."
)
OFFER_FOOTER = (
    "Sie erhalten diese Nachricht, weil Sie mit dieser Adresse einen Impuls für den "
    "Strukturwandel-Stammtisch angeboten haben."
)


def _hello(name: str | None) -> str:
    return f"Hallo {name}," if name else "Hallo,"


def _meeting_facts(meeting: MeetingView, *, time_label: str | None = None) -> list:
    blocks: list = [
        Facts(
            (
                ("Termin", time_label or meeting.time_label),
                ("Thema", meeting.theme),
                ("Ort", "online (Zoom)"),
            )
        )
    ]
    if meeting.impulses:
        blocks.append(
            Items(
                "Impulse",
                tuple(
                    f"{i.title} – {i.presenter}"
                    + (f" ({i.organisation})" if i.organisation else "")
                    for i in meeting.impulses
                ),
            )
        )
    return blocks


def _zoom(online_link: str | None) -> list:
    if online_link:
        return [Link("Zugangslink zum Zoom-Meeting", online_link)]
    return [
        Para(
            "Den Zugangslink zum Zoom-Meeting tragen wir rechtzeitig vor dem Treffen ein. Sie "
            "finden ihn dann über Ihren persönlichen Link; wir schicken ihn außerdem mit der "
            "Erinnerung."
        )
    ]


def _personal() -> list:
    return [
        Link("Ihre Anmeldung ansehen oder absagen (Ihr persönlicher Link)", PERSONAL_LINK),
        Para("Bitte geben Sie diesen Link nicht weiter: Er führt zu Ihrer Anmeldung."),
    ]


def _registered_ics(meeting: MeetingView, online_link: str | None, now: datetime) -> bytes:
    return ics.meeting_ics(meeting, now=now, online_link=online_link, page_url=_base())


def _base() -> str:
    return load_settings().base_url


# --- registrations -------------------------------------------------------------------------


def confirm_request(
    theme: str, time_label: str, name: str | None, expires_at: datetime
) -> MailContent:
    """ "Please confirm" (only theme and time: it is rendered on the registration's hot path)."""
    return MailContent(
        subject="Bitte bestätigen Sie Ihre Anmeldung",
        greeting=_hello(name),
        blocks=(
            Para(
                "vielen Dank für Ihre Anmeldung zum Strukturwandel-Stammtisch. Bitte bestätigen "
                "Sie sie mit einem Klick auf den Link unten und dann auf „Anmeldung bestätigen“. "
                "Erst danach ist Ihr Platz reserviert und Sie erhalten den Zugangslink."
            ),
            Facts((("Termin", time_label), ("Thema", theme), ("Ort", "online (Zoom)"))),
            Link("Anmeldung bestätigen", PERSONAL_LINK),
            Para(
                f"Der Link gilt bis {format_timestamp(expires_at)}. Wenn Sie sich nicht "
                "angemeldet haben, ignorieren Sie diese Mail einfach: Ohne Bestätigung wird die "
                "Anmeldung dann gelöscht."
            ),
        ),
        footer=REGISTRATION_FOOTER,
    )


def registration_confirmed(
    meeting: MeetingView, name: str | None, online_link: str | None, now: datetime
) -> MailContent:
    return MailContent(
        subject=f"Ihre Anmeldung für den {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para("Ihre Anmeldung ist bestätigt. Wir freuen uns auf Sie!"),
            *_meeting_facts(meeting),
            *_zoom(online_link),
            Para("Den Termin für Ihren Kalender finden Sie im Anhang (.ics)."),
            *_personal(),
        ),
        footer=REGISTRATION_FOOTER,
        ics=_registered_ics(meeting, online_link, now),
    )


def waitlisted(meeting: MeetingView, name: str | None, position: int) -> MailContent:
    return MailContent(
        subject=f"Sie stehen auf der Warteliste für den {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(
                f"das Treffen ist leider ausgebucht. Sie stehen auf der Warteliste, auf "
                f"Position {position}. Wird ein Platz frei, rücken Sie in der Reihenfolge der "
                "Warteliste automatisch nach – dann bekommen Sie sofort eine Mail mit dem "
                "Zugangslink."
            ),
            *_meeting_facts(meeting),
            *_personal(),
            Para("Wenn Sie doch keine Zeit haben, melden Sie sich bitte über den Link ab."),
        ),
        footer=REGISTRATION_FOOTER,
    )


def already_registered(
    meeting: MeetingView, name: str | None, *, pending: bool, expires_at: datetime | None
) -> MailContent:
    """Someone sent the form again with an address that is registered: a fresh link."""
    if pending and expires_at is not None:
        content = confirm_request(meeting.theme, meeting.time_label, name, expires_at)
        return MailContent(
            subject=content.subject,
            greeting=content.greeting,
            blocks=(
                Para(
                    "mit dieser Adresse wurde das Anmeldeformular noch einmal abgeschickt. "
                    "Hier ist ein neuer Bestätigungslink; der frühere gilt nicht mehr."
                ),
                *content.blocks[1:],
            ),
            footer=content.footer,
        )
    return MailContent(
        subject=f"Ihre Anmeldung für den {meeting.time_label} besteht bereits",
        greeting=_hello(name),
        blocks=(
            Para(
                "mit dieser Adresse wurde das Anmeldeformular noch einmal abgeschickt. Sie sind "
                "für dieses Treffen bereits angemeldet – es bleibt alles, wie es ist. Hier ist "
                "Ihr persönlicher Link zu Ihrer Anmeldung noch einmal."
            ),
            *_meeting_facts(meeting),
            *_personal(),
            Para(
                "Wenn Sie das Formular nicht selbst abgeschickt haben, ignorieren Sie diese Mail."
            ),
        ),
        footer=REGISTRATION_FOOTER,
    )


def promoted(
    meeting: MeetingView, name: str | None, online_link: str | None, now: datetime
) -> MailContent:
    return MailContent(
        subject=f"Sie sind nachgerückt: Ihr Platz am {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(
                "gute Nachricht: Auf der Warteliste ist ein Platz für Sie frei geworden. Sie sind "
                "jetzt fest angemeldet. Wir freuen uns auf Sie!"
            ),
            *_meeting_facts(meeting),
            *_zoom(online_link),
            Para("Den Termin für Ihren Kalender finden Sie im Anhang (.ics)."),
            *_personal(),
            Para(
                "Können Sie doch nicht teilnehmen, geben Sie Ihren Platz bitte über den Link "
                "frei – dann rückt die nächste Person nach."
            ),
        ),
        footer=REGISTRATION_FOOTER,
        ics=_registered_ics(meeting, online_link, now),
    )


def cancellation(meeting: MeetingView, name: str | None, *, by_team: bool) -> MailContent:
    first = (
        "das Team des Strukturwandel-Stammtischs hat Ihre Anmeldung storniert."
        if by_team
        else "Sie haben sich abgemeldet. Schade, dass Sie nicht dabei sein können – vielleicht "
        "beim nächsten Mal!"
    )
    return MailContent(
        subject=f"Abmeldung für den {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(first),
            *_meeting_facts(meeting),
            Para(
                "Ihr Zugangslink gilt damit nicht mehr für Sie. Wenn das ein Irrtum war, melden "
                "Sie sich gern wieder an, solange die Anmeldung offen ist:"
            ),
            Link("Zu den Terminen", _base()),
        ),
        footer=REGISTRATION_FOOTER,
    )


def reminder(meeting: MeetingView, name: str | None, online_link: str | None) -> MailContent:
    return MailContent(
        subject=f"Erinnerung: Stammtisch am {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para("wir erinnern Sie an das nächste Treffen, für das Sie angemeldet sind:"),
            *_meeting_facts(meeting),
            *_zoom(online_link),
            *_personal(),
            Para(
                "Können Sie doch nicht? Dann geben Sie Ihren Platz bitte über den Link frei, "
                "damit jemand von der Warteliste nachrücken kann."
            ),
        ),
        footer=REGISTRATION_FOOTER,
    )


def meeting_cancelled(meeting: MeetingView, name: str | None, now: datetime) -> MailContent:
    return MailContent(
        subject=f"Abgesagt: Stammtisch am {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(
                "leider müssen wir das Treffen absagen, für das Sie angemeldet sind (oder auf "
                "der Warteliste stehen). Ihre Anmeldung bleibt gespeichert; wenn das Treffen "
                "doch stattfindet, schreiben wir Ihnen."
            ),
            *_meeting_facts(meeting),
            Para(
                "Der Kalender-Anhang (.ics) entfernt den Termin aus Ihrem Kalender, wenn Sie "
                "ihn dort eingetragen hatten."
            ),
            Link("Zu den weiteren Terminen", _base()),
        ),
        footer=REGISTRATION_FOOTER,
        ics=ics.meeting_ics(meeting, now=now, online_link=None, page_url=_base()),
    )


def meeting_replanned(
    meeting: MeetingView, name: str | None, online_link: str | None, now: datetime
) -> MailContent:
    return MailContent(
        subject=f"Findet doch statt: Stammtisch am {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(
                "das Treffen, das wir abgesagt hatten, findet nun doch statt. Ihre Anmeldung gilt "
                "weiter."
            ),
            *_meeting_facts(meeting),
            *_zoom(online_link),
            *_personal(),
        ),
        footer=REGISTRATION_FOOTER,
        ics=_registered_ics(meeting, online_link, now) if online_link is not None else None,
    )


def meeting_changed(
    meeting: MeetingView,
    name: str | None,
    *,
    old_time: str | None,
    link_changed: bool,
    online_link: str | None,
    now: datetime,
) -> MailContent:
    """New time and/or Zoom link; ``online_link`` is None for people on the waitlist."""
    what = []
    if old_time:
        what.append(f"Die Zeit hat sich geändert (bisher: {old_time}).")
    if link_changed and online_link:
        what.append("Der Zugangslink zum Zoom-Meeting hat sich geändert.")
    blocks: list = [
        Para(
            "es gibt eine Änderung bei dem Treffen, für das Sie angemeldet sind. " + " ".join(what)
        ),
        *_meeting_facts(meeting),
    ]
    if online_link:
        blocks.append(
            Link(
                "Neuer Zugangslink zum Zoom-Meeting"
                if link_changed
                else "Zugangslink zum Zoom-Meeting",
                online_link,
            )
        )
        blocks.append(Para("Im Anhang finden Sie den aktualisierten Kalendereintrag (.ics)."))
    blocks.extend(_personal())
    return MailContent(
        subject=f"Geändert: Stammtisch am {meeting.time_label}",
        greeting=_hello(name),
        blocks=tuple(blocks),
        footer=REGISTRATION_FOOTER,
        ics=_registered_ics(meeting, online_link, now) if online_link else None,
    )


# --- subscriptions (stammtisch.subscriptions) --------------------------------------------------


def _subscription_footer(confirmed_at: datetime | None, unsubscribe_page: str) -> str:
    since = f" am {format_timestamp(confirmed_at)}" if confirmed_at else ""
    return (
        f"Sie erhalten diese Nachricht, weil Sie das{since} mit dieser Adresse bestätigt haben. "
        f"Abbestellen mit einem Klick: {unsubscribe_page}"
    )


def subscription_confirm(name: str | None, what: str, *, expires_at: datetime) -> MailContent:
    """Double opt-in: the only mail before the person confirms."""
    return MailContent(
        subject="Bitte bestätigen Sie Ihren Wunsch nach Benachrichtigung",
        greeting=_hello(name),
        blocks=(
            Para(
                "jemand – hoffentlich Sie – hat mit dieser Adresse darum gebeten, vom "
                "Strukturwandel-Stammtisch per E-Mail benachrichtigt zu werden:"
            ),
            Facts((("Wunsch", what),)),
            Link("Ja, benachrichtigen Sie mich", CONFIRM_LINK),
            Para(
                f"Der Link gilt bis {format_timestamp(expires_at)}. Waren Sie das nicht, "
                "ignorieren Sie diese Mail einfach: Ohne Bestätigung schreiben wir Ihnen nichts "
                "und löschen die Adresse nach 48 Stunden."
            ),
        ),
        footer=(
            "Sie erhalten diese eine Nachricht, weil diese Adresse auf der Seite des "
            "Strukturwandel-Stammtischs eingetragen wurde."
        ),
    )


def _unsubscribe_block(page: str) -> Link:
    return Link("Keine solchen Mails mehr (abbestellen)", page)


def registration_open(
    meeting: MeetingView,
    name: str | None,
    unsubscribe_page: str,
    confirmed_at: datetime | None,
    *,
    news: bool = False,
) -> MailContent:
    """Registration opened: to those who asked for this meeting (then their wish ends) or
    for announcements (``news``)."""
    ending = (
        Para("Sie bekommen weiter Mails zu neuen Terminen, bis Sie sie abbestellen.")
        if news
        else Para(
            "Damit ist Ihr Wunsch erfüllt: Zu diesem Treffen schreiben wir Ihnen nicht noch "
            "einmal, außer Sie melden sich an."
        )
    )
    return MailContent(
        subject=f"Die Anmeldung für den {meeting.time_label} ist offen",
        greeting=_hello(name),
        blocks=(
            Para("die Anmeldung für dieses Treffen des Strukturwandel-Stammtischs ist offen:"),
            *_meeting_facts(meeting),
            Link("Zur Anmeldung", _base() + "/"),
            ending,
            _unsubscribe_block(unsubscribe_page),
        ),
        footer=_subscription_footer(confirmed_at, unsubscribe_page),
    )


def news_meeting(
    meeting: MeetingView, name: str | None, unsubscribe_page: str, confirmed_at: datetime | None
) -> MailContent:
    """A new meeting was published (to announcement subscribers whose fields match)."""
    from stammtisch.models import RegistrationState

    opened = meeting.registration_state == RegistrationState.OPEN
    return MailContent(
        subject=f"Neuer Termin: {meeting.theme}",
        greeting=_hello(name),
        blocks=(
            Para("es gibt einen neuen Termin des Strukturwandel-Stammtischs:"),
            *_meeting_facts(meeting),
            Para(
                "Die Anmeldung ist schon offen."
                if opened
                else "Die Anmeldung öffnet später; wir schreiben Ihnen dann noch einmal."
            ),
            Link("Zum Termin" + (" und zur Anmeldung" if opened else ""), _base() + "/"),
            _unsubscribe_block(unsubscribe_page),
        ),
        footer=_subscription_footer(confirmed_at, unsubscribe_page),
    )


def link_again(meeting: MeetingView, name: str | None) -> MailContent:
    """ "Link verloren?": a fresh personal link (the earlier ones stopped working)."""
    return MailContent(
        subject=f"Ihr persönlicher Link für den {meeting.time_label}",
        greeting=_hello(name),
        blocks=(
            Para(
                "Sie haben einen neuen persönlichen Link zu Ihrer Anmeldung angefordert. Hier "
                "ist er; frühere Links zu dieser Anmeldung gelten ab jetzt nicht mehr."
            ),
            *_meeting_facts(meeting),
            *_personal(),
            Para(
                "Haben Sie keinen Link angefordert? Dann hat jemand Ihre Adresse eingegeben; Ihre "
                "Anmeldung bleibt, wie sie ist. Nur dieser neue Link führt zu ihr."
            ),
        ),
        footer=REGISTRATION_FOOTER,
    )


def team_message(
    meeting: MeetingView, name: str | None, subject: str, text: str, sender: str
) -> MailContent:
    """The team writes to a meeting's registrants (the text is organizer text, as written)."""
    return MailContent(
        subject=f"{subject} ({meeting.time_label})",
        greeting=_hello(name),
        blocks=(
            Quote(f"Nachricht von {sender} zum Treffen „{meeting.theme}“", text),
            *_meeting_facts(meeting),
        ),
        footer=REGISTRATION_FOOTER,
    )


# --- impulse offers ----------------------------------------------------------------------------


def offer_received(title: str, name: str) -> MailContent:
    return MailContent(
        subject="Ihr Impuls-Angebot ist bei uns angekommen",
        greeting=_hello(name),
        blocks=(
            Para(
                "vielen Dank für Ihr Angebot, beim Strukturwandel-Stammtisch etwas vorzustellen. "
                "Es ist bei uns angekommen; wir melden uns, sobald wir es im Team besprochen "
                "haben."
            ),
            Facts((("Ihr Thema", title),)),
            Para("Bis dahin ist Ihr Angebot nicht öffentlich."),
        ),
        footer=OFFER_FOOTER,
    )


def offer_decision(
    title: str,
    name: str,
    *,
    accepted: bool,
    meeting: MeetingView | None,
    message: str | None,
) -> MailContent:
    if accepted and meeting is not None:
        blocks: list = [
            Para(
                "wir freuen uns: Ihr Impuls ist angenommen und steht im Programm dieses Treffens."
            ),
            Facts((("Ihr Thema", title),)),
            *_meeting_facts(meeting),
            Para(
                "Ein Impuls dauert etwa 5 bis 10 Minuten, danach sprechen wir gemeinsam darüber. "
                "Wir melden uns vor dem Treffen mit den Einzelheiten."
            ),
        ]
        subject = "Ihr Impuls ist angenommen"
    else:
        blocks = [
            Para(
                "vielen Dank für Ihr Angebot. Wir haben es im Team besprochen und können es "
                "diesmal leider nicht ins Programm nehmen."
            ),
            Facts((("Ihr Thema", title),)),
        ]
        subject = "Zu Ihrem Impuls-Angebot"
    if message:
        blocks.append(Quote("Eine Nachricht aus dem Team", message))
    return MailContent(
        subject=subject, greeting=_hello(name), blocks=tuple(blocks), footer=OFFER_FOOTER
    )


# --- the team --------------------------------------------------------------------------------


def test_mail(sender_name: str, settings: Settings) -> MailContent:
    transport = settings.smtp_url.split("@")[-1] if settings.smtp_url else "Datei (data/outbox)"
    return MailContent(
        subject="Testmail",
        greeting="Hallo,",
        blocks=(
            Para(
                f"diese Testmail hat {sender_name} im Postausgang des Strukturwandel-Stammtischs "
                "ausgelöst. Wenn sie ankommt, funktioniert der Versand."
            ),
            Facts((("Absender", settings.mail_from), ("Versand über", transport))),
        ),
    )


TEAM_FOOTER = (
    "Sie erhalten diese Nachricht, weil ein Admin des Strukturwandel-Stammtischs für diese "
    "Adresse ein Konto im Team-Bereich angelegt oder ein neues Passwort angefordert hat."
)


def organizer_invite(
    display_name: str, login_name: str, by: str, expires_at: datetime, *, admin: bool
) -> MailContent:
    """A new team account: the one-time link to choose a password."""
    return MailContent(
        subject="Ihr Konto im Team-Bereich",
        greeting=_hello(display_name),
        blocks=(
            Para(
                f"{by} hat für Sie ein Konto im Team-Bereich des Strukturwandel-Stammtischs "
                "angelegt. Bitte legen Sie über den Link unten Ihr Passwort fest; danach melden "
                "Sie sich mit Ihrem Anmeldenamen an."
            ),
            Facts(
                (
                    ("Anmeldename", login_name),
                    ("Rolle", "Admin (verwaltet auch die Konten)" if admin else "Organisator:in"),
                )
            ),
            Link("Passwort festlegen", PASSWORD_LINK),
            Para(
                f"Der Link gilt einmal und bis {format_timestamp(expires_at)}. Bitte geben Sie "
                "ihn nicht weiter. Wenn Sie mit dieser Mail nichts anfangen können, ignorieren "
                "Sie sie einfach."
            ),
        ),
        footer=TEAM_FOOTER,
    )


def organizer_password_reset(
    display_name: str, login_name: str, by: str, expires_at: datetime
) -> MailContent:
    """An admin asked for a new password for this account: the one-time link."""
    return MailContent(
        subject="Neues Passwort für den Team-Bereich",
        greeting=_hello(display_name),
        blocks=(
            Para(
                f"{by} hat für Ihr Konto im Team-Bereich einen Link zum Festlegen eines neuen "
                "Passworts angefordert. Ihr bisheriges Passwort gilt, bis Sie den Link benutzen; "
                "dann enden alle Anmeldungen des Kontos."
            ),
            Facts((("Anmeldename", login_name),)),
            Link("Neues Passwort festlegen", PASSWORD_LINK),
            Para(
                f"Der Link gilt einmal und bis {format_timestamp(expires_at)}. Bitte geben Sie "
                "ihn nicht weiter."
            ),
        ),
        footer=TEAM_FOOTER,
    )


def meeting_time_label(starts_at: datetime, ends_at: datetime) -> str:
    return format_meeting_time(starts_at, ends_at)
