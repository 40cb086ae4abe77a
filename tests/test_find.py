"""/find matches Cyrillic and Kazakh letters whatever their case, on both databases (the
text it searches is stored casefolded; LIKE alone folds only ASCII on SQLite, and on
PostgreSQL it depends on the database's locale)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.domain.calendar import calendar_from_settings
from bot.domain.casework import find_appeals
from bot.domain.intake import submit_appeal
from models import User

BASE: dict[str, Any] = {
    "applicant_kind": "ie",
    "iin_bin": "900101300017",
    "company": None,
    "phone": "+77011234567",
    "appeal_type": "complaint",
    "category": "land",
    "locality": "ridder",
    "description": "Земельный отдел не выдаёт акт на участок третий месяц подряд.",
    "files": [],
    "confidential": False,
}


@pytest.fixture
async def appeals(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    calendar = calendar_from_settings(settings)
    people = {
        "Жұмабаева Әйгерім Қанатқызы": "ҚАЗАҚСТАН ТЕМІР ЖОЛЫ, Өскемен бөлімшесі",
        "Иванов Пётр Ильич": "Акимат города Риддер, отдел ЗЕМЕЛЬНЫХ отношений",
    }
    numbers = {}
    async with sessionmaker.begin() as session:
        for user_id, (name, body) in enumerate(people.items(), start=500):
            session.add(User(id=user_id, language="kk"))
            await session.flush()
            appeal = await submit_appeal(
                session,
                calendar,
                user_id,
                {**BASE, "full_name": name, "body": body},
                now=datetime.now(UTC),
                term_days=15,
            )
            numbers[name] = appeal.number
    return numbers


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("жұмабаева", "Жұмабаева Әйгерім Қанатқызы"),
        ("ЖҰМАБАЕВА ӘЙГЕРІМ", "Жұмабаева Әйгерім Қанатқызы"),
        ("қазақстан темір", "Жұмабаева Әйгерім Қанатқызы"),
        ("өскемен", "Жұмабаева Әйгерім Қанатқызы"),
        ("ИВАНОВ пётр", "Иванов Пётр Ильич"),
        ("земельных", "Иванов Пётр Ильич"),
    ],
)
async def test_find_ignores_case_of_cyrillic_and_kazakh_letters(
    appeals: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    query: str,
    who: str,
) -> None:
    async with sessionmaker() as session:
        found = await find_appeals(session, query)
    assert [appeal.number for appeal in found] == [appeals[who]]


async def test_find_by_number_and_iin_and_nothing_for_wildcards(
    appeals: dict[str, str], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    number = appeals["Иванов Пётр Ильич"]
    async with sessionmaker() as session:
        assert [a.number for a in await find_appeals(session, number)] == [number]
        assert len(await find_appeals(session, "900101300017")) == 2
        assert await find_appeals(session, "%") == []
        assert await find_appeals(session, "_") == []
