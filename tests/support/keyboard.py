"""Reading a message's inline keyboard as the emulator records it (``entry["buttons"]``)."""

from __future__ import annotations

from typing import Any

Entry = dict[str, Any]


def buttons(entry: Entry) -> list[tuple[str, str]]:
    """A message's inline buttons, row by row, as (text, callback data)."""
    return [(str(b[0]), str(b[1])) for row in entry["buttons"] for b in row]


def button(entry: Entry, text: str) -> str:
    """The callback data of the message's button reading ``text``."""
    for label, data in buttons(entry):
        if label == text:
            return data
    raise AssertionError(f"no button {text!r} in {[label for label, _ in buttons(entry)]}")
