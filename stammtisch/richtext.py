"""The small, safe subset of Markdown the team may use in page texts and topic fields.

What it knows, and nothing else:

* paragraphs (an empty line between them); a single line break stays a line break
* lists: lines starting with ``- `` or ``* `` (bullets) or ``1. `` (numbered)
* ``**fett**``, ``*kursiv*`` and ``_kursiv_``
* links ``[Text](https://…)`` and bare ``https://…`` addresses: **http and https only**
* a backslash shows the next sign as it is (``\\*`` is a star)

Everything else is text and shows exactly as typed: HTML (``<b>``) is never markup,
a link to ``javascript:``, ``mailto:`` or a relative address stays text (and
:func:`problems` names it, so the team's form refuses it). :func:`to_html` builds the
HTML itself from escaped pieces, with a fixed set of tags, so no input can add a tag,
an attribute or a script; the public pages render exactly that HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from stammtisch.limits import URL_MAX

# --- the parsed form ------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class LinkNode:
    children: tuple[Inline, ...]
    url: str


@dataclass(frozen=True)
class Break:
    pass


Inline = Text | Strong | Emphasis | LinkNode | Break


@dataclass(frozen=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Inline, ...], ...]


Block = Paragraph | ListBlock

# --- links ------------------------------------------------------------------------------

ESCAPABLE = set("\\*_[]()-+.!#`<>")
# [label](target): the target may hold one level of parentheses (Wikipedia addresses).
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")
_BARE = re.compile(r"https?://[^\s<>\[\]\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_"


def safe_url(url: str) -> bool:
    """An address a visitor may follow: http or https, a host, no spaces, not too long."""
    if not url or len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _bare_url(text: str, start: int) -> str | None:
    """The address starting at ``start`` without the punctuation that ends a sentence."""
    match = _BARE.match(text, start)
    if match is None:
        return None
    url = match.group(0)
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in _TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url if safe_url(url) else None


def problems(text: str) -> list[str]:
    """German messages for what the team's form refuses: links that are not http(s)."""
    found = []
    for match in _LINK.finditer(text or ""):
        label, target = match.group(1), match.group(2)
        if not safe_url(target):
            shown = target if len(target) <= 60 else target[:57] + "…"
            found.append(
                f"Der Link „{label.strip()}“ führt zu „{shown}“: Links müssen mit http:// "
                "oder https:// beginnen und eine Adresse nennen."
            )
    return found


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>|<!--")


def has_html(text: str) -> bool:
    """Whether the text contains something that looks like HTML (shown as text)."""
    return bool(_TAG.search(text or ""))


# --- inline parsing ----------------------------------------------------------------------

# A closer is valid regardless of where its opener was; so once the search for one fails
# from some position, it fails from every later one too (which keeps parsing linear).
# A closer follows a visible sign that is not a backslash (``\*`` is an escaped star).
_CLOSE_STRONG = re.compile(r"(?<=[^\s\\])\*\*")
_CLOSE_STAR = re.compile(r"(?<=[^\s*\\])\*(?!\*)")
_CLOSE_UNDERSCORE = re.compile(r"(?<=[^\s\\])_(?!\w)")


def parse_inline(text: str, *, links: bool = True) -> tuple[Inline, ...]:
    """Emphasis, links and plain text of one line (or one list item)."""
    out: list[Inline] = []
    buffer: list[str] = []
    exhausted: set[str] = set()
    i, n = 0, len(text)

    def flush() -> None:
        if buffer:
            out.append(Text("".join(buffer)))
            buffer.clear()

    def closer(kind: str, pattern: re.Pattern, start: int) -> int | None:
        if kind in exhausted:
            return None
        match = pattern.search(text, start)
        if match is None:
            exhausted.add(kind)
            return None
        return match.start()

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch == "\\" and nxt in ESCAPABLE:
            buffer.append(nxt)
            i += 2
            continue
        if links and ch == "[":
            match = _LINK.match(text, i)
            if match and safe_url(match.group(2)):
                flush()
                out.append(LinkNode(parse_inline(match.group(1), links=False), match.group(2)))
                i = match.end()
                continue
        if links and ch in "hH" and (i == 0 or not text[i - 1].isalnum()):
            url = _bare_url(text, i)
            if url:
                flush()
                out.append(LinkNode((Text(url),), url))
                i += len(url)
                continue
        if ch == "*" and nxt == "*":
            after = text[i + 2] if i + 2 < n else ""
            end = closer("**", _CLOSE_STRONG, i + 3) if after and not after.isspace() else None
            if end is not None:
                flush()
                out.append(Strong(parse_inline(text[i + 2 : end], links=links)))
                i = end + 2
                continue
            buffer.append("**")
            i += 2
            continue
        if ch == "*" and nxt and not nxt.isspace():
            end = closer("*", _CLOSE_STAR, i + 2)
            if end is not None:
                flush()
                out.append(Emphasis(parse_inline(text[i + 1 : end], links=links)))
                i = end + 1
                continue
        if (
            ch == "_"
            and nxt
            and not nxt.isspace()
            and nxt != "_"
            and (i == 0 or not text[i - 1].isalnum())
        ):
            end = closer("_", _CLOSE_UNDERSCORE, i + 2)
            if end is not None:
                flush()
                out.append(Emphasis(parse_inline(text[i + 1 : end], links=links)))
                i = end + 1
                continue
        buffer.append(ch)
        i += 1
    flush()
    return tuple(out)


# --- blocks ------------------------------------------------------------------------------

_BULLET = re.compile(r"^ {0,3}[-*] +(\S.*)$")
_NUMBERED = re.compile(r"^ {0,3}(\d{1,6})[.)] +(\S.*)$")


def parse(text: str) -> tuple[Block, ...]:
    """The blocks of a text: paragraphs (line breaks kept) and lists."""
    blocks: list[Block] = []
    lines: list[str] = []
    items: list[tuple[Inline, ...]] = []
    kind: tuple[bool, int] | None = None  # (ordered, start) of the open list

    def end_paragraph() -> None:
        if lines:
            children: list[Inline] = []
            for index, line in enumerate(lines):
                if index:
                    children.append(Break())
                children.extend(parse_inline(line))
            blocks.append(Paragraph(tuple(children)))
            lines.clear()

    def end_list() -> None:
        nonlocal kind
        if kind is not None and items:
            blocks.append(ListBlock(kind[0], kind[1], tuple(items)))
        items.clear()
        kind = None

    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if not line.strip():
            end_paragraph()
            end_list()
        elif bullet or numbered:
            end_paragraph()
            ordered = numbered is not None
            if kind is None or kind[0] != ordered:
                end_list()
                kind = (ordered, int(numbered.group(1)) if numbered else 1)
            items.append(parse_inline(numbered.group(2) if numbered else bullet.group(1)))
        else:
            end_list()
            lines.append(line.strip())
    end_paragraph()
    end_list()
    return tuple(blocks)


# --- rendering ---------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a"}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _inline_html(nodes: tuple[Inline, ...]) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(_e(node.text))
        elif isinstance(node, Break):
            parts.append("<br>")
        elif isinstance(node, Strong):
            parts.append(f"<strong>{_inline_html(node.children)}</strong>")
        elif isinstance(node, Emphasis):
            parts.append(f"<em>{_inline_html(node.children)}</em>")
        elif isinstance(node, LinkNode):
            parts.append(
                f'<a href="{_e(node.url)}" target="_blank" rel="noopener noreferrer">'
                f"{_inline_html(node.children)}</a>"
            )
    return "".join(parts)


def to_html(text: str) -> str:
    """The text as HTML of :data:`ALLOWED_TAGS` only, every piece of text escaped, on one
    line (so a Markdown renderer takes it as one HTML block and changes nothing in it)."""
    parts = []
    for block in parse(text):
        if isinstance(block, Paragraph):
            parts.append(f"<p>{_inline_html(block.children)}</p>")
        else:
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f"<li>{_inline_html(item)}</li>" for item in block.items)
            parts.append(f"<{tag}{start}>{items}</{tag}>")
    return "".join(parts)


def _inline_plain(nodes: tuple[Inline, ...]) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.text)
        elif isinstance(node, Break):
            parts.append("\n")
        elif isinstance(node, LinkNode):
            label = _inline_plain(node.children)
            parts.append(label if label == node.url else f"{label} ({node.url})")
        else:
            parts.append(_inline_plain(node.children))
    return "".join(parts)


def to_plain(text: str) -> str:
    """The text without its markup (for places that show plain text: mails, the CLI)."""
    parts = []
    for block in parse(text):
        if isinstance(block, Paragraph):
            parts.append(_inline_plain(block.children))
        else:
            parts.append(
                "\n".join(
                    (f"{block.start + k}. " if block.ordered else "– ") + _inline_plain(item)
                    for k, item in enumerate(block.items)
                )
            )
    return "\n\n".join(parts)
