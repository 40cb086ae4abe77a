"""Telegram's HTML parse mode: turn markup into plain text plus message entities.

Offsets and lengths of entities are counted in UTF-16 code units, as Telegram does.
Anything Telegram rejects (unknown tags, unbalanced tags, a bare ``<``) raises
:class:`HtmlError` with a description close to Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = {*SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_NAME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)(.*)\Z", re.DOTALL)
_ATTR_RE = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


class HtmlError(ValueError):
    """The text can't be parsed the way Telegram parses HTML."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    start: int
    entity: dict[str, Any] | None


@dataclass
class _Parser:
    source: str
    chunks: list[str] = field(default_factory=list)
    position: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, text: str) -> None:
        self.chunks.append(text)
        self.position += utf16_len(text)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        index = 0
        while index < len(self.source):
            char = self.source[index]
            if char == "<":
                index = self.tag(index)
            elif char == "&":
                index = self.entity(index)
            else:
                next_special = _next_special(self.source, index)
                self.emit(self.source[index:next_special])
                index = next_special
        if self.stack:
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.chunks), self.entities

    def entity(self, index: int) -> int:
        match = _ENTITY_RE.match(self.source, index)
        if match is None:
            self.emit("&")
            return index + 1
        body = match.group(1)
        if body.startswith(("#x", "#X")):
            self.emit(chr(int(body[2:], 16)))
        elif body.startswith("#"):
            self.emit(chr(int(body[1:])))
        elif body.lower() in NAMED_ENTITIES:
            self.emit(NAMED_ENTITIES[body.lower()])
        else:
            self.emit(match.group(0))
        return match.end()

    def tag(self, index: int) -> int:
        close = self.source.find(">", index)
        if close == -1:
            raise HtmlError(f"Unclosed start tag at byte offset {self.byte_offset(index)}")
        inside = self.source[index + 1 : close]
        if inside.startswith("/"):
            self.end_tag(inside[1:].strip().lower(), index)
        else:
            self.start_tag(inside, index)
        return close + 1

    def start_tag(self, inside: str, index: int) -> None:
        match = _TAG_NAME_RE.match(inside.rstrip("/").strip())
        name = match.group(1).lower() if match else ""
        if name not in SUPPORTED_TAGS:
            raise HtmlError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(index)}'
            )
        attrs = _attributes(match.group(2) if match else "")
        entity = self.entity_for(name, attrs, index)
        self.stack.append(_OpenTag(name, self.position, entity))

    def entity_for(self, name: str, attrs: dict[str, str], index: int) -> dict[str, Any] | None:
        if name in SIMPLE_TAGS:
            entity_type = SIMPLE_TAGS[name]
            if name == "code" and self.stack and self.stack[-1].name == "pre":
                language = attrs.get("class", "")
                pre = self.stack[-1].entity
                if language.startswith("language-") and pre is not None:
                    pre["language"] = language.removeprefix("language-")
                    return None
            return {"type": entity_type}
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise HtmlError(
                    f'Unsupported start tag "span" at byte offset {self.byte_offset(index)}'
                )
            return {"type": "spoiler"}
        if name == "a":
            href = attrs.get("href")
            return {"type": "text_link", "url": href} if href else None
        if name == "blockquote":
            return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
        emoji_id = attrs.get("emoji-id")
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id} if emoji_id else None

    def end_tag(self, name: str, index: int) -> None:
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {self.byte_offset(index)}")
        opened = self.stack[-1]
        if opened.name != name:
            raise HtmlError(
                f"Unmatched end tag at byte offset {self.byte_offset(index)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        self.stack.pop()
        length = self.position - opened.start
        if opened.entity is not None and length > 0:
            self.entities.append({**opened.entity, "offset": opened.start, "length": length})


def _next_special(source: str, index: int) -> int:
    candidates = [pos for pos in (source.find("<", index), source.find("&", index)) if pos != -1]
    return min(candidates) if candidates else len(source)


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = next((v for v in match.groups()[1:] if v is not None), "")
        attrs[match.group(1).lower()] = _unescape(value)
    remainder = _ATTR_RE.sub("", raw).split()
    for flag in remainder:
        attrs.setdefault(flag.lower().rstrip("/"), "")
    return attrs


def _unescape(value: str) -> str:
    return _Parser(value.replace("<", "&lt;")).run()[0]


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` or raise :class:`HtmlError`."""
    return _Parser(source).run()
