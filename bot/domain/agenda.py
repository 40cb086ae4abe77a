"""A session's agenda: the order of its items, and the one-line command that sets a session up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.calendar import WorkCalendar
from models import Hearing, HearingState

WHEN = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<time>\d{1,2}:\d{2})(?:\s+(?P<rest>.*))?$", re.DOTALL
)
# The labels of the command's parts, in English, Russian and Kazakh (staff type any).
LABELS = {
    "invited": ("invited", "приглашены", "шақырылды"),
    "bring": ("bring", "взять", "алу"),
    "link": ("link", "ссылка", "сілтеме"),
}
URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
PLACE_MAX, LINK_MAX, TEXT_MAX = 500, 500, 2000


@dataclass(frozen=True)
class SessionRequest:
    starts_at: datetime
    place: str
    online_link: str | None = None
    invited: str | None = None  # one body or official per line
    bring: str | None = None


def _local(date_text: str, time_text: str, calendar: WorkCalendar) -> datetime | None:
    try:
        local = datetime.strptime(f"{date_text} {time_text}", "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=calendar.tz).astimezone(UTC)


def parse_when(text: str, calendar: WorkCalendar) -> tuple[datetime, str] | None:
    """'2026-12-10 15:00 the rest' (local time): the moment, and the rest of the line."""
    match = WHEN.match(text.strip())
    if match is None:
        return None
    moment = _local(match["date"], match["time"], calendar)
    return (moment, (match["rest"] or "").strip()) if moment is not None else None


def _label(part: str) -> tuple[str, str] | None:
    head, sep, value = part.partition(":")
    if not sep:
        return None
    name = head.strip().casefold()
    for field, words in LABELS.items():
        if name in words:
            return field, value.strip()
    return None


def parse_session(text: str, calendar: WorkCalendar) -> SessionRequest | None:
    """'2026-12-10 15:00 Place; invited: body A, official B; bring: X; link: https://…'.

    The place may be the online link itself. None: the line is not one of these.
    """
    when = parse_when(text, calendar)
    if when is None:
        return None
    starts_at, rest = when
    place, *parts = [part.strip() for part in rest.split(";")]
    fields: dict[str, str] = {}
    for part in parts:
        labelled = _label(part)
        if labelled is None or labelled[0] in fields:
            return None
        fields[labelled[0]] = labelled[1]
    link = fields.get("link") or None
    if URL.match(place):
        link = link or place
    if not place or len(place) > PLACE_MAX or (link and not URL.match(link)):
        return None
    invited = "\n".join(
        name.strip() for name in re.split(r"[,\n]", fields.get("invited", "")) if name.strip()
    )
    bring = fields.get("bring") or None
    if len(invited) > TEXT_MAX or (bring and len(bring) > TEXT_MAX) or len(link or "") > LINK_MAX:
        return None
    return SessionRequest(starts_at, place, link, invited or None, bring)


def on_agenda(items: Sequence[Hearing]) -> list[Hearing]:
    """The items still on the agenda, in order."""
    kept = [item for item in items if item.state != HearingState.CANCELLED]
    return sorted(kept, key=lambda item: (item.position, item.id))


def next_position(items: Sequence[Hearing]) -> int:
    return max((item.position for item in on_agenda(items)), default=0) + 1


def renumber(items: Sequence[Hearing]) -> None:
    """1, 2, 3… after an item left the agenda."""
    for position, item in enumerate(on_agenda(items), start=1):
        item.position = position
