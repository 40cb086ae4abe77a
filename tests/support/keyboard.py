"""Reading a message's inline keyboard as the emulator records it (``entry["buttons"]``)."""

from __future__ import annotations

from typing import Any

Entry = dict[str, Any]


def buttons(entry: Entry) -> list[tuple[str, str]]:
    """A message's inline buttons, row by row, as (text, callback data)."""
    return [(str(b[0]), str(b[1])) for row in entry["buttons"] for b in row]


def labels(entry: Entry) -> list[str]:
    """The texts of a message's inline buttons, row by row."""
    return [str(b[0]) for row in entry["buttons"] for b in row]


def data_of(
    entry: Entry,
    *,
    label: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> str:
    """The callback data of the first button matching every criterion given.

    ``label`` is the button's exact text; ``prefix``/``suffix`` match its data (a URL button
    records its url there); buttons without data never match. Raises AssertionError listing the
    buttons if none does.
    """
    if label is None and prefix is None and suffix is None:
        raise TypeError("data_of needs a label, a prefix or a suffix")
    for row in entry["buttons"]:
        for text, data in row:
            if (
                data is not None
                and (label is None or text == label)
                and (prefix is None or data.startswith(prefix))
                and (suffix is None or data.endswith(suffix))
            ):
                return str(data)
    wanted = ", ".join(
        f"{name}={value!r}"
        for name, value in (("label", label), ("prefix", prefix), ("suffix", suffix))
        if value is not None
    )
    found = [(b[0], b[1]) for row in entry["buttons"] for b in row]
    raise AssertionError(f"no button with {wanted} in {found}")


def button(entry: Entry, text: str) -> str:
    """The callback data of the message's button reading ``text``."""
    return data_of(entry, label=text)
