"""Telegram's length limits for texts and captions, kept without losing a word.

Lengths are counted as Telegram counts them, on the text the reader sees (after HTML parsing),
in UTF-16 code units, so an emoji is never the character that tips a message over. HTML is
split between tags and entities only, never inside one; each piece is balanced on its own
(a tag open across a cut is closed at its end and opened again at the next piece's start).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html import unescape

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"

_TOKEN = re.compile(r"<[^<>]*>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);|[^<&]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
# The named entities Telegram decodes; any other "&name;" is shown as written.
_NAMED = frozenset({"lt", "gt", "amp", "quot"})
# Where a piece may end, best first: a paragraph, a line, a word.
_BREAKS = ("\n\n", "\n", " ")
_GLUE = frozenset({"\u200d", "\ufe0f", "\ufe0e"})


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Token:
    raw: str
    text: str = ""  # what the reader sees of it ("" for a tag)
    tag: str | None = None
    closing: bool = False

    @property
    def size(self) -> int:
        return utf16_len(self.text)

    @property
    def opening(self) -> bool:
        return self.tag is not None and not self.closing


def _entity_text(raw: str) -> str:
    body = raw[1:-1]
    if body.startswith("#") or body.lower() in _NAMED:
        return unescape(raw)
    return raw


def _tokens(html: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(html):
        raw = match.group(0)
        name = _TAG_NAME.match(raw) if raw.startswith("<") else None
        if name is not None:
            tokens.append(_Token(raw, tag=name.group(1).lower(), closing=raw.startswith("</")))
        elif raw.startswith("&") and len(raw) > 1:
            tokens.append(_Token(raw, _entity_text(raw)))
        else:
            tokens.extend(_Token(char, char) for char in raw)
    return tokens


def visible_length(html: str) -> int:
    """How long Telegram counts an HTML text (its limit applies to what the reader sees)."""
    return sum(token.size for token in _tokens(html))


def _track(open_tags: list[_Token], token: _Token) -> None:
    if token.opening:
        open_tags.append(token)
    elif token.closing:
        for index in range(len(open_tags) - 1, -1, -1):
            if open_tags[index].tag == token.tag:
                del open_tags[index]
                break


def _unglued(chars: list[str], at: int) -> int:
    """A hard cut moved back so that it leaves an emoji or an accented letter whole."""
    while at > 1 and (
        chars[at] in _GLUE
        or chars[at - 1] == "\u200d"
        or unicodedata.combining(chars[at])
        or 0x1F3FB <= ord(chars[at]) <= 0x1F3FF  # skin tone
    ):
        at -= 1
    return at


def _boundary(tokens: list[_Token], start: int, stop: int) -> int:
    """Where a piece made of tokens[start:stop] (all that fits) best ends: the token index."""
    chars: list[str] = []
    owners: list[int] = []
    for index in range(start, stop):
        for char in tokens[index].text:
            chars.append(char)
            owners.append(index)
    fits = len(chars)
    # The first characters that do not fit tell whether the cut already falls between words.
    ahead = "".join(token.text for token in tokens[stop : stop + 2])[:2]
    text = "".join(chars) + ahead
    for separator in _BREAKS:
        at = text.rfind(separator, 0, fits + len(separator))
        if at > (0 if separator == " " else fits // 2):
            return owners[at] if at < fits else stop
    at = _unglued(chars + list(ahead), fits)
    return owners[at] if at < fits else stop


def _cut(tokens: list[_Token], start: int, budget: int) -> tuple[int, int]:
    """(end of this piece, start of the next one): what lies between is the break itself."""
    used, index = 0, start
    while index < len(tokens) and used + tokens[index].size <= budget:
        used += tokens[index].size
        index += 1
    if index == len(tokens):
        return index, index
    end = _boundary(tokens, start, index)
    while end > start and tokens[end - 1].opening:
        end -= 1  # a tag opened right at the cut belongs to the next piece
    if end == start:
        end = max(index, start + 1)
    resume = end
    while resume < len(tokens) and (tokens[resume].text.isspace() or tokens[resume].closing):
        resume += 1
    return end, resume


def split_html(html: str, limit: int = TEXT_LIMIT, *, first: int | None = None) -> list[str]:
    """Pieces of an HTML text, in order, each at most `limit` long (the first at most
    `first`, e.g. a caption's 1,024), cut at a paragraph, else a line, else a word."""
    tokens = _tokens(html)
    pieces: list[str] = []
    open_tags: list[_Token] = []
    start, budget = 0, first or limit
    while start < len(tokens):
        end, resume = _cut(tokens, start, budget)
        reopened = "".join(token.raw for token in open_tags)
        body = tokens[start:end]
        for token in body:
            _track(open_tags, token)
        closed = "".join(f"</{token.tag}>" for token in reversed(open_tags))
        if any(token.text.strip() for token in body):
            pieces.append(reopened + "".join(token.raw for token in body) + closed)
            budget = limit
        for token in tokens[end:resume]:
            _track(open_tags, token)
        start = resume
    return pieces or [html]


def shorten(text: str, limit: int) -> str:
    """Plain text (not HTML: escape it afterwards) at most `limit` long as Telegram counts,
    cut after the last word that fits and ended with "…"."""
    if utf16_len(text) <= limit:
        return text
    room, used, fits = max(limit - len(ELLIPSIS), 1), 0, 0
    while fits < len(text) and used + utf16_len(text[fits]) <= room:
        used += utf16_len(text[fits])
        fits += 1
    head = list(text[: fits + 1])
    space = max(text.rfind(char, 0, fits + 1) for char in " \n\t")
    cut = space if space > fits // 2 else _unglued(head, min(fits, len(head) - 1))
    return text[:cut].rstrip(" \n\t,.;:—-") + ELLIPSIS
