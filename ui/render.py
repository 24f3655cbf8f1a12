"""Shared rendering helpers: literal user text, field errors, meeting cards."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import streamlit as st

from stammtisch import richtext
from stammtisch.errors import FORM


def literal(text: str | None, *, muted: bool = False) -> None:
    """Show text that a visitor wrote exactly as written: no Markdown, HTML or links."""
    if text:
        st.text(text, width="stretch")


@lru_cache(maxsize=256)
def _markup_html(text: str) -> str:
    return richtext.to_html(text)


def markup(text: str | None) -> None:
    """Show a text the team wrote, with the small Markdown subset of
    :mod:`stammtisch.richtext` (bold, italic, lists, http(s) links) and nothing else: the
    HTML comes from that module's fixed set of tags, every piece of text escaped."""
    if text and text.strip():
        st.markdown(_markup_html(text), unsafe_allow_html=True)


def lazy_expander(label: str, key: str, *, open_anyway: bool = False, **kwargs):
    """An expander whose content is built only while it is open (``None`` while closed).

    Streamlit sends a closed expander's content too, and every input costs time on each
    rerun; lists with a form per item (offers, the moderation queue) build the form only
    for the item someone opens. ``open_anyway`` keeps it open, e.g. to show an error.
    """
    box = st.expander(label, expanded=open_anyway, key=key, on_change="rerun", **kwargs)
    return box if (box.open or open_anyway) else None


def field_error(
    errors: Mapping[str, str] | None,
    field: str,
    *,
    widget_key: str | None = None,
    literal: bool = False,
) -> None:
    """The German message for ``field`` right below its input, if there is one.

    Every message is an alert (screen readers announce it when it appears). With the
    input's ``widget_key`` the message is tied to the input as well: ``ui/a11y.js`` marks
    the input invalid and points its ``aria-describedby`` at the message. ``literal``: the
    message may quote a visitor's or a file's text (a name, a cell), so it is shown exactly
    as written instead of as Markdown.
    """
    if not errors or field not in errors:
        return
    message = escape_md(errors[field]) if literal else errors[field]
    if widget_key is None:
        st.error(message, icon=":material/error:")
        return
    with st.container(key=f"{FIELD_ERROR_PREFIX}{widget_key}"):
        st.error(message, icon=":material/error:")


# ui/a11y.js finds a message by this key prefix and its input by the rest of the key.
FIELD_ERROR_PREFIX = "feldfehler-"


def form_error(errors: Mapping[str, str] | None, *, literal: bool = False) -> None:
    field_error(errors, FORM, literal=literal)


_MD_SPECIAL = re.compile(r"""([\\`*_{}\[\]()#+\-.!|~<>:$&="'])""")
# GitHub-flavoured Markdown turns bare "http://…", "www.…" and "a@b.de" into links, escaped
# or not. An invisible WORD JOINER (U+2060) inside each of those marks keeps them text:
# spam and phishing addresses in visitor text are never one click away.
_LINK_STARTS = re.compile(r"(://)|(?i:\b(www)(\.))|(@)")
WORD_JOINER = "\u2060"


def _unlinked(text: str) -> str:
    def join(match: re.Match) -> str:
        if match.group(1):
            return ":" + WORD_JOINER + "//"
        if match.group(2):
            return match.group(2) + WORD_JOINER + "."
        return WORD_JOINER + "@"

    return _LINK_STARTS.sub(join, text)


def escape_md(text: str) -> str:
    """Text for a Markdown block, shown as written: Markdown (and Streamlit's
    :directives:) backslash-escaped, and no web or mail address turned into a link."""
    return _MD_SPECIAL.sub(r"\\\1", _unlinked(text))


def md_literal(text: str) -> str:
    """Text as written, for a Markdown block: escaped, with its line breaks kept.

    Lets one ``st.markdown`` show several pieces (heading, badge, description, list),
    which Streamlit renders much faster than one element per piece.
    """
    lines = (line.strip() for line in text.replace("\r\n", "\n").split("\n"))
    return "  \n".join(escape_md(line) for line in lines)


def md_small(text: str) -> str:
    """Muted small print inside a Markdown block (like ``st.caption``)."""
    return f":small[:gray[{md_literal(' '.join(text.split()))}]]"


def text_block(*parts: str | None, meta: str | None = None, note: str | None = None) -> None:
    """Visitor text as one Markdown element: a muted line above, the text, a muted note.

    The text is shown exactly as written (escaped, line breaks kept). One element instead
    of three or four keeps long lists quick.
    """
    st.markdown(_text_block_markdown(tuple(part for part in parts if part), meta, note))


def forget_texts(version: int) -> None:
    """Drop memoised visitor texts once the data changed (deleted or anonymised text
    must not linger in the server's memory); ``ui.core`` calls this on every run."""
    if _texts_version[0] != version:
        _text_block_markdown.cache_clear()
        _texts_version[0] = version


_texts_version: list[int | None] = [None]


@lru_cache(maxsize=1024)
def _text_block_markdown(parts: tuple[str, ...], meta: str | None, note: str | None) -> str:
    # Long lists show the same texts on every rerun: escape each one once.
    lines = [md_small(meta)] if meta else []
    lines += [md_literal(part) for part in parts]
    if note:
        lines.append(md_small(note))
    return "\n\n".join(lines)


def bring_into_view(key: str) -> None:
    """Scroll to and focus the container with Streamlit ``key`` (letters, digits, dashes).

    A confirmation that replaced a form is then seen, and read out by screen readers,
    instead of sitting above the visible area. ``ui/a11y.js`` (linked from every page's
    document, so no inline script is needed under the Content-Security-Policy) acts on
    the marker once, when it appears.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ValueError("bring_into_view needs a plain key")
    st.html(f'<div data-stammtisch-fokus="{key}"></div>', width="content")
