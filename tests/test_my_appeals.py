"""Dispatcher level: the owner's list, card, adding information and withdrawal."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Appeal, AppealEvent, Attachment, utcnow
from tests.support import updates as up
from tests.support.harness import Harness
from tests.test_appeal_form import Owner, button_values, last_text


async def submitted(owner: Owner) -> None:
    await owner.fill_until_summary()
    await owner.press("f:summary:submit")


async def appeal_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> Appeal:
    async with sessionmaker() as session:
        appeal = await session.scalar(
            select(Appeal).where(Appeal.user_id == user_id).order_by(Appeal.id.desc())
        )
        assert appeal is not None
        return appeal


async def test_list_card_add_and_withdraw(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 600)
    await submitted(owner)
    appeal = await appeal_of(sessionmaker, 600)

    calls = await owner.say("/my")
    listing = calls[-1]
    assert appeal.number in listing.text and "Строительство" in listing.text
    assert "Зарегистрировано" in listing.text and "срок истёк" not in listing.text
    assert f"my:open:{appeal.id}:0" in button_values(listing)

    calls = await owner.press(f"my:open:{appeal.id}:0")
    card = [c for c in calls if isinstance(c, SendMessage)][-1]
    assert f"Обращение {appeal.number}" in card.text
    assert "История" in card.text and "Отдел строительства" in card.text
    assert f"my:add:{appeal.id}:0" in button_values(card)
    assert f"my:withdraw:{appeal.id}:0" in button_values(card)

    await owner.press(f"my:add:{appeal.id}:0")
    calls = await owner.say("Дополнительно: 12 марта инспектор снова приходил без предписания.")
    assert "Добавлено к обращению" in last_text(calls)
    await harness.feed(up.document(600, "receipt.pdf"))
    calls = await harness.feed(up.sticker(600))
    assert "Отправьте текст, фото или документ" in last_text(calls)
    calls = await owner.press(f"my:done:{appeal.id}:0")
    assert "сохранено" in last_text(calls)
    # after Done, a typed message is no longer part of that addition: it goes to the office
    # as a message of its own (the owner's only open appeal), and says so
    calls = await owner.say("просто текст после завершения")
    assert last_text(calls) == f"📨 Отправлено в офис · обращение {appeal.number}"
    async with sessionmaker() as session:
        events = (
            await session.scalars(
                select(AppealEvent).where(AppealEvent.kind == "info_added").order_by(AppealEvent.id)
            )
        ).all()
        assert events[0].note is not None and events[0].note.startswith("Дополнительно: 12 марта")
        # the text, then the file; then the message typed after Done, on its own
        assert [e.note for e in events][2] == "просто текст после завершения"
        assert len(events) == 3
        files = (
            await session.scalars(select(Attachment).where(Attachment.event_id.is_not(None)))
        ).all()
        assert [f.file_name for f in files] == ["receipt.pdf"]

    calls = await owner.press(f"my:withdraw:{appeal.id}:0")
    assert "Отозвать обращение" in last_text(calls)
    calls = await owner.press(f"my:keep:{appeal.id}:0")
    assert "рассмотрение обращения" in last_text(calls)
    assert (await appeal_of(sessionmaker, 600)).status == "registered"
    await owner.press(f"my:withdraw:{appeal.id}:0")
    calls = await owner.press(f"my:confirm:{appeal.id}:0")
    assert "отозвано" in last_text(calls)
    assert (await appeal_of(sessionmaker, 600)).status == "withdrawn"
    calls = await owner.press(f"my:confirm:{appeal.id}:0")  # pressed again, from the old message
    assert "уже нельзя отозвать" in last_text(calls)
    async with sessionmaker() as session:
        status_events = (
            await session.scalars(select(AppealEvent).where(AppealEvent.kind == "status"))
        ).all()
        assert [(e.from_status, e.to_status) for e in status_events] == [
            (None, "registered"),
            ("registered", "withdrawn"),
        ]
    calls = await owner.press(f"my:open:{appeal.id}:0")
    card = [c for c in calls if isinstance(c, SendMessage)][-1]
    assert "Отозвано" in card.text
    assert f"my:withdraw:{appeal.id}:0" not in button_values(card)
    assert f"my:add:{appeal.id}:0" not in button_values(card)


async def test_another_owners_appeal_is_not_found(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await submitted(Owner(harness, 601))
    appeal = await appeal_of(sessionmaker, 601)
    intruder = Owner(harness, 602)
    await intruder.say("/start")
    for action in ("open", "add", "withdraw", "confirm"):
        calls = await intruder.press(f"my:{action}:{appeal.id}:0")
        assert [type(c) for c in calls] == [AnswerCallbackQuery]
        assert calls[0].text == "Обращение не найдено."
    calls = await intruder.press("my:open:abc:0")  # not even a number
    assert not any(isinstance(c, SendMessage) for c in calls)
    assert (await appeal_of(sessionmaker, 601)).status == "registered"


async def test_paging_and_overdue_mark(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 603, "kk")
    await submitted(owner)
    for _ in range(5):
        await owner.say("/new")
        await owner.press("f:profile:reuse")
        await owner.press("f:appeal_type:request")
        await owner.press("f:category:land")
        await owner.press("f:locality:zaisan")
        await owner.say("Зайсан ауданының жер қатынастары бөлімі")
        await owner.say(
            "Жер учаскесін ресімдеу үш айдан бері созылып келеді, себебі түсіндірілмейді."
        )
        await owner.press("f:attachments:skip")
        await owner.press("f:confidentiality:disclose")
        await owner.press("f:summary:submit")
    async with sessionmaker.begin() as session:
        first = await session.scalar(select(Appeal).order_by(Appeal.id).limit(1))
        assert first is not None
        # From now, not from registered_at: filed at night or on a weekend, an appeal is
        # registered on the next working day, which is still ahead.
        first.due_at = utcnow() - timedelta(days=1)
        first_number = first.number
    calls = await owner.say("/my")
    page_one = calls[-1]
    assert "2-ның 1-беті" in page_one.text or "2 беттің 1-беті" in page_one.text
    assert first_number not in page_one.text  # newest first: the oldest is on page two
    assert "my:page:0:1" in button_values(page_one)
    calls = await owner.press("my:page:0:1")
    edit = next(c for c in calls if isinstance(c, EditMessageText))
    assert first_number in (edit.text or "") and "мерзімі өтті" in (edit.text or "")
