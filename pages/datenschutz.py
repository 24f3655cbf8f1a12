"""Privacy notice: what is stored, why, for how long, and how to cancel or ask for deletion."""

from __future__ import annotations

import streamlit as st

from stammtisch.privacy_text import RETENTION_DAYS
from ui import layout, site_content

texts = layout.texts()

st.title("Datenschutzhinweise", anchor=False)
st.caption("Informationen nach Art. 13 der Datenschutz-Grundverordnung (DSGVO)")

st.header("Verantwortlich", anchor=False)
site_content.privacy_responsible(texts)

st.header("Was wir speichern und warum", anchor=False)
st.markdown(
    """
**Anmeldung zu einem Treffen.** Name, E-Mail-Adresse, freiwillig Organisation und
Bundesland, der Zeitpunkt Ihrer Einwilligung, der Status Ihrer Anmeldung (angemeldet,
Warteliste, abgemeldet) und nach dem Treffen, ob Sie teilgenommen haben. Wir brauchen das,
um das Treffen zu organisieren, Ihnen den Zugangslink zu geben, Plätze fair zu vergeben
und doppelte Anmeldungen zu vermeiden. Bundesland und Teilnahme werten wir nur
zusammengefasst aus, etwa um zu sehen, ob der Stammtisch Menschen aus Sachsen,
Sachsen-Anhalt und Thüringen zusammenbringt.

**E-Mails an Sie.** Was wir Ihnen schreiben, entsteht aus Ihrer Anmeldung und nur aus
ihr: die Bitte, die Anmeldung zu bestätigen (ohne Bestätigung löschen wir die Anmeldung
nach spätestens 48 Stunden), die Bestätigung mit Zugangslink und Kalendereintrag, der
Platz auf der Warteliste, das Nachrücken, eine Erinnerung vor dem Treffen, Ihre Abmeldung
und Änderungen oder die Absage des Treffens; wer einen Impuls anbietet, bekommt eine
Eingangsbestätigung und unsere Entscheidung. Wir speichern dazu Empfänger, Betreff, Text,
Zeitpunkt und ob die Mail zugestellt wurde – so sehen wir, wenn eine Mail nicht ankommt.
Ihr persönlicher Link wird dabei nicht im Klartext aufbewahrt: Er wird erst beim Versand
in die Mail eingesetzt. Andere Mails schicken wir nur, wenn Sie sie ausdrücklich
bestellt haben (siehe unten).

**Benachrichtigungen per E-Mail.** Wenn Sie sich benachrichtigen lassen – sobald die
Anmeldung zu einem Treffen öffnet, oder über neue Termine (auf Wunsch nur zu bestimmten
Themenfeldern) –, speichern wir Ihre E-Mail-Adresse, freiwillig Ihren Namen, Ihre Auswahl,
den Zeitpunkt und den Wortlaut (die Version) Ihrer Einwilligung und wann Sie bestätigt
haben. Zuerst schicken wir nur eine Mail mit einem Bestätigungslink (Double-Opt-in); ohne
Bestätigung schreiben wir Ihnen nichts und löschen die Angaben nach 48 Stunden. Jede
weitere Mail enthält einen Link zum Abbestellen mit einem Klick; dann löschen wir den
Eintrag sofort. Die Liste für ein Treffen löschen wir, sobald die Anmeldung geöffnet und
Ihnen das geschrieben ist. Bestätigte Einträge für neue Termine kann der Verband in sein
Newsletter-Programm übernehmen, nur für diesen Zweck.

**Link verloren?** Wer seine Adresse dort eingibt, bekommt für jede Anmeldung zu einem
kommenden Treffen einen neuen persönlichen Link; frühere Links gelten dann nicht mehr. Wir
speichern dafür nichts Zusätzliches außer der Mail selbst.

**Themensammlung.** Ihr Vorschlag, die Art (Thema, Frage, Idee), das Themenfeld und
freiwillig Ihr Name. Vorschläge werden nach einer kurzen Prüfung öffentlich gezeigt,
mit dem Namen, falls Sie einen angegeben haben. Für das „+1“ speichern wir nur eine
zufällige Kennung Ihres Browsers, damit jede Stimme einmal zählt; einen Tag lang steht
eine nicht umkehrbare Kennung (ein Hash) davon – ohne Cookie: Ihrer Netzwerkadresse –
auch bei Ihrem Vorschlag, damit ein zweiter Klick ihn nicht doppelt speichert, danach
wird sie dort gelöscht. Dafür setzt diese Seite
beim ersten Besuch ein Cookie („stammtisch_besuch“, 180 Tage): Es enthält nur diese
Zufallskennung, keine Angaben zu Ihnen, und wir zeichnen damit keine Seitenaufrufe auf.

**Schutz vor Missbrauch.** Damit niemand die Formulare mit Massen von Einträgen flutet,
zählen wir jede Anmeldung, jeden Vorschlag, jedes „+1“, jedes Impuls-Angebot, jeden
Benachrichtigungswunsch und jede Anforderung eines neuen Links für
höchstens einen Tag unter einer nicht umkehrbaren Kennung (einem Hash) Ihrer
Netzwerkadresse und, wo Sie eine E-Mail-Adresse eingeben, dieser Adresse. Aus der
Kennung lässt sich keine Adresse zurückrechnen; nach spätestens einem Tag wird sie
gelöscht (berechtigtes Interesse, Art. 6 Abs. 1 lit. f DSGVO).

**Angebot eines Impulses.** Titel, Beschreibung, Name, E-Mail-Adresse und freiwillig
Organisation, Themenfeld und Wunschtermin. Das sehen nur die Organisator:innen; öffentlich
wird ein Impuls erst, wenn wir ihn gemeinsam mit Ihnen einem Termin zugeordnet haben
(dann mit Titel, Name und Organisation).
"""
)

st.header("Rechtsgrundlage", anchor=False)
st.markdown(
    """
Ihre Einwilligung (Art. 6 Abs. 1 lit. a DSGVO), die Sie bei der Anmeldung oder für eine
Benachrichtigung geben und jederzeit widerrufen können (bei Benachrichtigungen mit einem
Klick in jeder Mail), sowie die Durchführung der Veranstaltung, für die Sie sich
angemeldet haben (Art. 6 Abs. 1 lit. b DSGVO).
"""
)

st.header("Wie lange", anchor=False)
st.markdown(
    f"""
Die persönlichen Angaben einer Anmeldung (Name, E-Mail-Adresse, Organisation) und die
E-Mails dazu löschen wir {RETENTION_DAYS} Tage nach dem Treffen; jede andere Mail
löschen wir {RETENTION_DAYS} Tage, nachdem sie geschrieben wurde. Übrig bleiben nur
Angaben ohne Personenbezug – Status, Bundesland, Teilnahme und eine Kennung, aus der
sich Ihre E-Mail-Adresse nicht zurückrechnen lässt –, damit unsere Statistik (etwa wie
viele Menschen wiederkommen) stimmt. Vorschläge der Themensammlung und Impuls-Angebote
bewahren wir auf, solange sie für die Planung der Reihe gebraucht werden; auf Wunsch
löschen wir sie sofort.
"""
)

st.header("Empfänger", anchor=False)
st.markdown(
    """
Die Treffen finden auf Zoom statt (Zoom Video Communications, Inc.). Was Zoom verarbeitet,
wenn Sie am Treffen teilnehmen, regeln die Datenschutzhinweise von Zoom. Für die Teilnahme
werten wir den Teilnahmebericht von Zoom aus, um festzuhalten, wer dabei war. Darüber
hinaus geben wir Ihre Angaben nicht weiter; unsere E-Mails versendet der Mailserver, den
der Landesverband dafür nutzt.
"""
)

st.header("Abmelden, Auskunft und Löschung", anchor=False)
st.markdown(
    """
**Abmelden** können Sie sich jederzeit selbst über den persönlichen Link aus Ihrer
Anmeldebestätigung; ein freier Platz geht dann an die nächste Person auf der Warteliste.

Sie haben das Recht auf **Auskunft** über Ihre Daten (Art. 15 DSGVO), auf **Berichtigung**
(Art. 16), **Löschung** (Art. 17), **Einschränkung der Verarbeitung** (Art. 18),
**Datenübertragbarkeit** (Art. 20) und **Widerspruch** (Art. 21). Schreiben Sie uns dazu
an die oben genannte Adresse; wir können Ihnen alle zu Ihrer E-Mail-Adresse gespeicherten
Angaben zusammenstellen oder sie löschen.

Sie können sich außerdem bei einer Aufsichtsbehörde beschweren, in Sachsen bei der
Sächsischen Datenschutz- und Transparenzbeauftragten.
"""
)

st.header("Cookies", anchor=False)
st.markdown(
    "Die App verwendet nur technisch notwendige Sitzungsdaten, damit Formulare und Ihre "
    "Anmeldebestätigung funktionieren. Es gibt kein Tracking und keine Werbung."
)
