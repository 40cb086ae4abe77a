"""Appeals filed through the domain service, for tests about what happens after filing (the
dialogue itself has tests of its own: tests/test_appeal_form.py, tests/test_form_inputs.py)."""

from __future__ import annotations

from typing import Any

from bot.app import Application
from bot.domain.intake import record_consent, submit_appeal
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.emulator.media import DEFAULT_PHOTO
from models import User

VALID_IIN = "900101300017"
ANSWERS: dict[str, Any] = {
    "full_name": "Жұмабаева Асель Маратқызы",
    "applicant_kind": "ie",
    "iin_bin": VALID_IIN,
    "company": None,
    "phone": "+77011112233",
    "appeal_type": "complaint",
    "category": "inspections",
    "locality": "ust_kamenogorsk",
    "body": "ДГД по ВКО, инспектор Сериков",
    "description": (
        "Инспектор пришёл без предписания и требует деньги за «быстрое закрытие» проверки."
    ),
    "files": [],
    "confidential": True,
}


def photo(emu: BotAPIEmulator) -> dict[str, Any]:
    """An attachment of a photo the emulator holds (as if the owner had sent it)."""
    largest = emu.world.files.add_photo(DEFAULT_PHOTO)[-1]
    return {
        "kind": "photo",
        "file_id": largest["file_id"],
        "file_unique_id": largest["file_unique_id"],
        "file_name": None,
        "mime_type": None,
        "size": largest.get("file_size"),
    }


async def filed(
    app: Application, emu: BotAPIEmulator, user: int, language: str, *, photos: int = 0
) -> str:
    """An appeal of ``user`` (who chose ``language`` and consented), registered and published
    to the operator group as the Submit button does; its receipt number."""
    answers = {**ANSWERS, "files": [photo(emu) for _ in range(photos)]}
    now = app.clock()
    async with app.sessionmaker() as session:
        if await session.get(User, user) is None:
            session.add(User(id=user, language=language))
            await session.flush()
        await record_consent(session, user, now)
        appeal = await submit_appeal(
            session,
            app.topics.calendar,
            user,
            answers,
            now=now,
            term_days=app.settings.APPEAL_TERM_DAYS,
        )
        await app.topics.publish(session, appeal)
        await app.bell.commit(session)
        return appeal.number
