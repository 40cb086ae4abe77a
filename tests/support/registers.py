"""Beside the history's year (tests/support/history.py, whose projects were all registered on
20 January 2025): one investment project registered at 00:30 local on 1 January 2026 (19:30
UTC on 31 December 2025), which a register of 2025 must leave out and one of January 2026
must hold; its BIN and phone differ from every other, so a masked register is checked for
each of them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import InvestmentProject
from tests.support.history import PEOPLE

LATE_NUMBER = "ИП-2026-0001"
LATE_BIN = "940140000385"
LATE_PHONE = "+77010000002"
LATE_REGISTERED = datetime(2025, 12, 31, 19, 30, tzinfo=UTC)


async def insert_late_project(session: AsyncSession) -> None:
    session.add(
        InvestmentProject(
            number=LATE_NUMBER,
            user_id=PEOPLE["P2"][0],
            language="kk",
            company="ЖШС «Алтай Агро»",
            bin=LATE_BIN,
            project="Сүт өңдеу зауыты",
            industry="агроөнеркәсіп",
            locality="Катон-Қарағай ауданы, Үлкен Нарын ауылы",
            amount_tenge=1_200_000_000,
            jobs=35,
            stage="idea",
            needs="жер учаскесі",
            bodies="аудан әкімдігі",
            contact_name="Айгүл Сейітова",
            contact_phone=LATE_PHONE,
            consent_at=LATE_REGISTERED,
            status="received",
            registered_at=LATE_REGISTERED,
        )
    )
    await session.commit()
