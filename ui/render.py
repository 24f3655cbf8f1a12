"""Shared rendering helpers: literal user text, field errors, meeting cards."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from stammtisch.errors import FORM


def literal(text: str | None, *, muted: bool = False) -> None:
    """Show text that a visitor wrote exactly as written: no Markdown, HTML or links."""
    if text:
        st.text(text, width="stretch")


def field_error(errors: Mapping[str, str] | None, field: str) -> None:
    """The German message for ``field`` right below its input, if there is one."""
    if errors and field in errors:
        st.error(errors[field], icon=":material/error:")


def form_error(errors: Mapping[str, str] | None) -> None:
    field_error(errors, FORM)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|~<>:$&=\"'")


def escape_md(text: str) -> str:
    """Backslash-escape Markdown (and Streamlit's :directives:) in our own headings."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)
