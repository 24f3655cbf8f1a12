"""The audit log: every organizer change, who made it and when."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from stammtisch import audit
from stammtisch.formatting import format_timestamp
from ui import auth, core

PAGE_SIZE = 100

actor = auth.require_organizer()
st.title("Änderungsprotokoll", anchor=False)
st.caption(
    "Jede Änderung durch das Team – wer, was, wann, vorher → nachher. Neueste zuerst. "
    "„Details“ enthält jeden Eintrag vollständig (auch lange Texte)."
)

prefix = st.text_input(
    "Nach Code filtern (Anfang, z. B. „meeting“, „topic_field“, „site“ oder „organizer“)",
    key="audit.prefix",
)
page_no = st.number_input("Seite", min_value=1, value=1, step=1, key="audit.page")

with core.session() as s:
    entries = audit.list_entries(
        session=s,
        limit=PAGE_SIZE,
        offset=(int(page_no) - 1) * PAGE_SIZE,
        action_prefix=prefix.strip() or None,
    )

if not entries:
    st.info("Keine Einträge für diese Auswahl.", icon=":material/history:")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Zeitpunkt": format_timestamp(e.at),
                    "Wer": e.actor_name,
                    "Aktion": audit.action_label(e.action),
                    "Objekt": audit.object_label(e.object_type, e.object_id),
                    "Änderung": audit.describe(e.details),
                    # The exact record (long texts in full), and the action's code for the filter.
                    "Code": e.action,
                    "Details": json.dumps(e.details, ensure_ascii=False),
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )
