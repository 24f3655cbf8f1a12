"""Rendering helpers that pages share."""

from __future__ import annotations

from ui import render


def test_memoised_visitor_texts_are_dropped_when_the_data_changes():
    render.forget_texts(-1)
    render._text_block_markdown(("Ein Vorschlag von Eva",), None, None)
    assert render._text_block_markdown.cache_info().currsize == 1
    render.forget_texts(-1)  # same data version: kept
    assert render._text_block_markdown.cache_info().currsize == 1
    render.forget_texts(-2)  # anything changed (say, an anonymisation): dropped
    assert render._text_block_markdown.cache_info().currsize == 0


def test_escape_md_makes_markdown_and_directives_literal():
    assert render.escape_md("**a** <b>x</b> [l](u) :red[y] \\ $1") == (
        r"\*\*a\*\* \<b\>x\</b\> \[l\]\(u\) \:red\[y\] \\ \$1"
    )
