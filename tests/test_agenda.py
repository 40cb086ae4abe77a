"""The /session line and the order of a session's agenda (no database, no Telegram)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.agenda import SessionRequest, next_position, on_agenda, parse_session, renumber
from bot.domain.calendar import WorkCalendar
from models import Hearing

CALENDAR = WorkCalendar(ZoneInfo("Asia/Almaty"))
AT_15 = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)  # 15:00 in Almaty


def test_a_full_line_in_any_of_the_three_label_languages() -> None:
    for invited, bring, link in (
        ("invited", "bring", "link"),
        ("Приглашены", "взять", "ссылка"),
        ("шақырылды", "алу", "сілтеме"),
    ):
        line = (
            f"2026-12-10 15:00 Өскемен, Горький к-сі 40; {invited}: акимат, ДГД\n ДЭП; "
            f"{bring}: паспорт; {link}: https://meet.example/kz"
        )
        assert parse_session(line, CALENDAR) == SessionRequest(
            AT_15,
            "Өскемен, Горький к-сі 40",
            "https://meet.example/kz",
            "акимат\nДГД\nДЭП",
            "паспорт",
        )


def test_the_place_may_be_the_online_link() -> None:
    request = parse_session("2026-12-10 15:00 https://meet.example/kz", CALENDAR)
    assert request is not None
    assert (request.place, request.online_link) == ("https://meet.example/kz",) * 2
    assert (request.invited, request.bring) == (None, None)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "завтра в 15:00 зал",
        "2026-12-10 15:00",  # no place
        "2026-12-10 25:00 Зал",
        "2026-02-30 15:00 Зал",
        "2026-12-10 15:00 Зал; кто: все",  # a part nobody knows
        "2026-12-10 15:00 Зал; bring: a; bring: b",  # twice
        "2026-12-10 15:00 Зал; link: not a link",
        "2026-12-10 15:00 " + "З" * 501,
    ],
)
def test_what_is_not_a_session_line(line: str) -> None:
    assert parse_session(line, CALENDAR) is None


def _item(id_: int, position: int, state: str = "scheduled") -> Hearing:
    return Hearing(id=id_, position=position, state=state)


def test_the_agenda_keeps_its_order_and_closes_its_gaps() -> None:
    items = [_item(3, 2), _item(1, 1), _item(2, 3, "cancelled"), _item(4, 4)]
    assert [i.id for i in on_agenda(items)] == [1, 3, 4]
    assert next_position(items) == 5
    renumber(items)
    assert [(i.id, i.position) for i in on_agenda(items)] == [(1, 1), (3, 2), (4, 3)]
    assert next_position([]) == 1
