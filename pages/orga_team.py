"""Team-Konten: who is on the team; admins add accounts (with a one-time link to set the
password), send new links, deactivate and reactivate, and give or take the admin role."""

from __future__ import annotations

import streamlit as st

from stammtisch import organizers
from ui import auth, core, team_admin
from ui.render import bring_into_view, lazy_expander

actor = auth.require_organizer()
st.title("Team-Konten", anchor=False)


@st.cache_data(ttl=3600, max_entries=20, show_spinner=False)
def _accounts(version: str) -> list:
    return core.read(organizers.list_organizers)


accounts = _accounts(core.cache_key())
me = next((view for view in accounts if view.id == actor.id), None)
is_admin = me is not None and me.is_admin
admins = [view.display_name for view in accounts if view.is_admin and view.active]
if is_admin:
    st.caption(
        "Sie sind Admin: Sie legen Konten an, schicken Links für ein neues Passwort, "
        "deaktivieren Konten und vergeben die Admin-Rolle. Mindestens ein aktives "
        "Admin-Konto bleibt immer; das eigene Konto ändert ein anderes Admin-Konto."
    )
else:
    st.info(
        "Konten verwalten die Admins des Teams"
        + (f" ({', '.join(admins)})" if admins else "")
        + ". Ihr eigenes Passwort ändern Sie unter „Mein Konto“.",
        icon=":material/info:",
    )

done = st.session_state.pop(team_admin.DONE, None)
if done is not None:
    message, link = done
    with st.container(key="team-done"):
        if link is not None:
            team_admin.show_link(link, what=message)
        else:
            st.success(message, icon=":material/check_circle:")
    bring_into_view("team-done")  # the pressed button may be far below

if is_admin:
    box = lazy_expander("Konto anlegen", "team.add.open", icon=":material/person_add:")
    if box is not None:
        with box:
            team_admin.add_form(actor)

st.header(f"Konten ({len(accounts)})", anchor=False)
for view in accounts:
    with st.container(border=True, key=f"account-{view.id}"):
        st.markdown(team_admin.summary(view, actor))
        if is_admin and view.id != actor.id:
            team_admin.actions(actor, view)
