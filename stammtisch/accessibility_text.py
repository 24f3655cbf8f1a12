"""What the accessibility statement says (``pages/barrierefreiheit.py``), kept next to the
tests that make it true (``tests/browser/test_accessibility_*.py``, the keyboard journey).
"""

STANDARD = "WCAG 2.1, Stufe AA (BITV 2.0)"
REVIEWED = "29.11.2026"
"""The day the statement was last checked against the app: update with every review."""

ACCESSIBLE = (
    "Jede Seite ist als deutschsprachig ausgezeichnet, damit Screenreader die richtige "
    "Aussprache wählen.",
    "Alles lässt sich mit der Tastatur allein bedienen (Tab, Umschalt+Tab, Eingabe- und "
    "Leertaste): Anmeldung, Themenvorschlag und Impuls-Angebot. Der Tastaturfokus ist "
    "immer deutlich als grüner Rahmen zu sehen.",
    "Texte haben einen Kontrast von mindestens 4,5 : 1, auch Kleingedrucktes.",
    "Jede Seite hat genau eine Hauptüberschrift, die weiteren Überschriften folgen ohne "
    "Sprünge; die Navigation ist eine Liste je Bereich.",
    "Jedes Formularfeld hat eine sichtbare Beschriftung. Fehlermeldungen stehen direkt am "
    "Feld, sind mit ihm verknüpft und werden vorgelesen; Bestätigungen (Anmeldung, Platz "
    "auf der Warteliste, gesendeter Vorschlag) werden angesagt und bekommen den Fokus.",
    "Jedes Diagramm der Auswertung und der Themenplanung hat daneben einen Satz, der sagt, "
    "was es zeigt, und darunter die Zahlen als Tabelle. Die Farben sind auch bei "
    "Farbsehschwäche unterscheidbar, und keine Information steckt nur in der Farbe.",
    "Die Seiten passen sich an schmale Bildschirme an (geprüft bei 390 Pixel Breite, wie "
    "bei einem Telefon).",
)

NOT_YET_ACCESSIBLE = (
    "Einige sichtbare Texte erzeugt die Software, auf der die App aufbaut (Streamlit), "
    "selbst und nur auf Englisch: der Sprunglink „Skip to main content“ und der Hinweis "
    "„Press Enter to submit form“ in Formularen; sie sind als englisch ausgezeichnet, damit "
    "Screenreader sie richtig aussprechen. Im Bereich für das Team kommen die Monats- und "
    "Wochentagsnamen im Datumsfeld und die Texte des Datei-Uploads dazu. Was Screenreader "
    "sonst von Streamlit hören (etwa „Hauptmenü“, „Seitenleiste einklappen“), ist deutsch.",
    "Im Bereich für das Team zeichnet die Tabelle der Anmeldungen (eine Grafik, die die "
    "automatische Prüfung nicht erreicht) die angehefteten Spalten in hellerem Grau, mit "
    "weniger Kontrast als der übrige Text; dieselben Angaben stehen im Export.",
    "Die Diagramme selbst sind für Screenreader nur als Ganzes beschrieben (der Satz neben "
    "dem Diagramm); die einzelnen Werte stehen in der Tabelle darunter.",
    "Verlinkte Dokumentationen vergangener Treffen und Zoom, wo die Treffen stattfinden, "
    "gehören nicht zu dieser App; ihre Barrierefreiheit können wir nicht zusichern.",
    "Informationen in Leichter Sprache und in Deutscher Gebärdensprache gibt es noch nicht.",
)

METHOD = (
    "Die Erklärung beruht auf einer Selbstbewertung. Bei jeder Änderung der App prüfen "
    "automatische Tests mit axe-core (Regeln der WCAG 2.0 und 2.1, Stufen A und AA) jede "
    "Seite in ihren wichtigsten Zuständen – geöffnetes Formular, Formular mit Fehlern, "
    "Bestätigung, Warteliste, leere Listen – bei 1280 und 390 Pixel Breite, dazu Überschriften, "
    "Beschriftungen und eine Anmeldung und einen Themenvorschlag nur mit der Tastatur."
)
