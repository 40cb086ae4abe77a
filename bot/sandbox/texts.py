"""What to look for in the bot's messages: the longest plain piece of a catalog text.

The bench, the tests and the sandbox wait for a message by such a piece: placeholders and tags
split a text, so the piece is the part every rendering of it contains.
"""

from __future__ import annotations

import re
from functools import cache

from bot.i18n import I18n

PIECE_CHARS = 40


def plain(html: str) -> str:
    """A catalog text as a person reads it (tags gone)."""
    return re.sub(r"<[^>]+>", "", html)


def piece(text: str) -> str:
    """The longest part of ``text`` without a placeholder or a line break, cut to 40 chars."""
    parts = [part.strip() for part in re.split(r"\{[^}]*\}|\n", plain(text))]
    return max(parts, key=len)[:PIECE_CHARS]


@cache
def catalogs() -> I18n:
    return I18n("kk")


def frag(language: str, key: str) -> str:
    """The piece of catalog text ``key`` in ``language`` that a message must contain."""
    return piece(catalogs().get(language, key))
