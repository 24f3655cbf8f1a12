"""The team's small Markdown subset: what it renders, and that nothing else gets through."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stammtisch import richtext


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag != "br":
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.balanced = False

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):  # pragma: no cover - must never happen
        self.tags.append(("!--", {}))


def _parsed(text: str) -> _Collect:
    collect = _Collect()
    collect.feed(richtext.to_html(text))
    collect.close()
    return collect


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Hallo **Welt**", "<p>Hallo <strong>Welt</strong></p>"),
        ("*kursiv* und _auch_", "<p><em>kursiv</em> und <em>auch</em></p>"),
        ("snake_case_name bleibt", "<p>snake_case_name bleibt</p>"),
        ("Zeile 1\nZeile 2\n\nAbsatz", "<p>Zeile 1<br>Zeile 2</p><p>Absatz</p>"),
        ("- eins\n- zwei", "<ul><li>eins</li><li>zwei</li></ul>"),
        ("3. drei\n4. vier", '<ol start="3"><li>drei</li><li>vier</li></ol>'),
        (
            "[Seite](https://example.org/a?b=1&c=2)",
            '<p><a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
            'rel="noopener noreferrer">Seite</a></p>',
        ),
        (
            "Siehe https://example.org/x. Danke",
            '<p>Siehe <a href="https://example.org/x" target="_blank" '
            'rel="noopener noreferrer">https://example.org/x</a>. Danke</p>',
        ),
        ("<b>fett</b> & <script>", "<p>&lt;b&gt;fett&lt;/b&gt; &amp; &lt;script&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("\\*kein Stern\\*", "<p>*kein Stern*</p>"),
        ("# Titel", "<p># Titel</p>"),
        (
            "![Bild](https://example.org/a.png)",
            '<p>!<a href="https://example.org/a.png" '
            'target="_blank" rel="noopener noreferrer">Bild</a></p>',
        ),
        ("", ""),
    ],
)
def test_what_the_subset_renders(text, html):
    assert richtext.to_html(text) == html


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "mailto:a@b.de",
        "/relativ",
        "ftp://example.org",
        "data:text/html,x",
        "",
    ],
)
def test_links_other_than_http_are_refused_with_a_german_message(target):
    [problem] = richtext.problems(f"Mehr [hier]({target}) lesen")
    assert "„hier“" in problem and "http:// oder https://" in problem


def test_http_links_are_fine_and_html_is_noticed():
    assert richtext.problems("[a](https://a.de) [b](http://b.de/x_(y))") == []
    assert richtext.has_html("Das ist <b>fett</b>") and not richtext.has_html("3 < 4 > 2")


def test_plain_text_drops_the_markup():
    assert richtext.to_plain("**fett** und [Link](https://a.de)\n\n- a\n- b") == (
        "fett und Link (https://a.de)\n\n– a\n– b"
    )


# Texts made of the pieces markup is made of, so that the odd combinations come up.
PIECES = [*"ab c\n*_[]()\\-.1<>\"'&:/#!`", "https://", "javascript:", "<script>", "**", "\n\n"]
MARKUP = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
ANY = st.one_of(st.text(max_size=300), MARKUP)


@settings(max_examples=400, deadline=None)
@given(text=ANY)
def test_any_text_gives_only_the_allowed_tags_and_http_links(text):
    parsed = _parsed(text)
    assert parsed.balanced and not parsed.open
    for tag, attrs in parsed.tags:
        assert tag in richtext.ALLOWED_TAGS
        if tag == "a":
            assert set(attrs) == {"href", "target", "rel"}
            href = attrs["href"] or ""
            assert urlsplit(href).scheme in ("http", "https") and richtext.safe_url(href)
        elif tag == "ol":
            assert set(attrs) <= {"start"} and (attrs.get("start") or "1").isdigit()
        else:
            assert attrs == {}
    assert "\n" not in richtext.to_html(text)  # one HTML block for the Markdown renderer


PLAIN = st.text(alphabet=st.characters(categories=["L", "N", "Zs"], exclude_characters="\x85\xa0"))


@settings(max_examples=200, deadline=None)
@given(text=PLAIN)
def test_text_without_markup_is_shown_as_written(text):
    words = " ".join(text.split())
    shown = " ".join("".join(_parsed(text).text).split())
    assert shown == words


@settings(max_examples=200, deadline=None)
@given(text=ANY)
def test_parsing_is_quick_and_total(text):
    # Any text, also hostile: no exception, and the plain form exists.
    assert isinstance(richtext.to_plain(text), str)
    richtext.problems(text)


def test_long_texts_parse_in_linear_time():
    import time

    for hostile in ("*a " * 5000, "_a " * 5000, "**a " * 3000, "[a](" * 3000, "h" * 15000):
        started = time.perf_counter()
        richtext.to_html(hostile)
        assert time.perf_counter() - started < 1.0, hostile[:10]
