"""An owner who blocked the bot and came back: marked reachable again, the hearing reminders
and invitation still ahead are sent after all (never those of a hearing moved meanwhile), a
later block is reported to staff again; and "rate the answer" follows only an answer that
arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram.sender import BLOCKED
from models import Appeal, OutboxMessage, User
from tests.e2e.harness import ChatDriver
from tests.support import updates as up
from tests.support.harness import OPERATOR_CHAT, Harness
from tests.support.keyboard import data_of
from tests.support.live import eventually, settled
from tests.support.owner import I18N, frag
from tests.test_closed_appeals import answer
from tests.test_scheduled import World, case, texts, world  # noqa: F401 (world: a fixture)

BLOCKED_NOTE = "Заявитель заблокировал бота"


async def blocked(state: World, user: int) -> bool:
    return bool(await state.scalar(select(User.blocked).where(User.id == user)))


async def test_reminders_come_back_with_the_owner_and_a_new_block_is_reported(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    assert world.app is not None
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    await group.say(
        "/hearing 2026-12-07 15:00 Өскемен, Горький к-сі 40", thread, expect="07.12.2026 15:00"
    )
    await owner.expect(frag("ru", "notify.hearing"), 0)

    # blocked: the first message that cannot be delivered is reported, the reminders dropped
    emu.block_bot(user)
    await group.say("Добрый день! Есть вопросы по акту.", thread, expect=BLOCKED_NOTE)
    # moved while blocked: neither the old date's nor the new date's messages get through
    await group.say(
        "/hearing 2026-12-08 11:00 Өскемен, Горький к-сі 40", thread, expect="08.12.2026 11:00"
    )
    await settled(emu, world.app)
    assert await blocked(world, user)
    assert len(texts(emu, group.chat_id, BLOCKED_NOTE, thread)) == 1
    assert not texts(emu, user, "08.12.2026")

    # back (Telegram's my_chat_member): staff hear it; what still holds is sent
    after_topic = group.last_id(thread)
    emu.block_bot(user, False)
    back = I18N.get("ru", "staff.owner_unblocked", number=number)
    await group.expect(back, thread, after_topic)
    assert not await blocked(world, user)
    invitation = await owner.expect("08.12.2026", 0)  # the new date's, with its buttons
    assert invitation["buttons"]
    world.clock.set_local("2026-12-05 11:00")  # 72 hours before the new date
    await world.run()
    [reminder] = texts(emu, user, "⏰")
    assert "08.12.2026" in reminder and I18N.get("ru", "remind.in_days", days=3) in reminder
    assert not [text for text in texts(emu, user, "07.12.2026") if "⏰" in text]

    # blocked again: reported again
    emu.block_bot(user)
    await group.say("Напоминаем о заседании в понедельник.", thread)
    await eventually(lambda: len(texts(emu, group.chat_id, BLOCKED_NOTE, thread)) == 2)


async def test_a_message_from_an_owner_marked_blocked_brings_them_back(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Without Telegram's my_chat_member (missed, or unblocked on another device)."""
    owner = 900
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        session.add(User(id=owner, language="ru", blocked=True))
        await session.flush()
        appeal = Appeal(
            number="2026-000900",
            user_id=owner,
            applicant_name="Сидорова Ольга Петровна",
            applicant_kind="ie",
            applicant_iin_bin="900101300017",
            applicant_phone="+77011112233",
            status="in_review",
            appeal_type="complaint",
            category="inspections",
            locality="ust_kamenogorsk",
            body="ДГД",
            description="x" * 40,
            confidential=False,
            registered_at=now,
            due_at=now + timedelta(days=20),
            topic_id=77,
        )
        session.add(appeal)
        await session.flush()
        common: dict[str, Any] = {
            "chat_id": owner,
            "appeal_id": appeal.id,
            "payload": {"text": "⏰"},
            "state": "cancelled",
            "last_error": f"{BLOCKED} (row 1)",
        }
        session.add_all(
            [
                OutboxMessage(kind="reminder", due_at=now + timedelta(days=1), **common),
                OutboxMessage(
                    kind="reminder",
                    due_at=now - timedelta(days=2),
                    stale_at=now - timedelta(days=1),
                    **common,
                ),
                OutboxMessage(kind="status", due_at=now - timedelta(days=1), **common),
            ]
        )
    calls = await harness.feed(up.text(owner, "/help"))
    notes = [c for c in calls if isinstance(c, SendMessage) and c.chat_id == OPERATOR_CHAT]
    assert [n.text for n in notes] == [
        I18N.get("ru", "staff.owner_unblocked", number="2026-000900")
    ]
    async with sessionmaker() as session:
        user = await session.get(User, owner)
        assert user is not None and not user.blocked
        states = (
            await session.scalars(
                select(OutboxMessage.state)
                .where(
                    OutboxMessage.chat_id == owner,
                    OutboxMessage.kind.in_(["reminder", "status"]),
                )
                .order_by(OutboxMessage.id)
            )
        ).all()
    # the reminder still ahead waits for its time again; the one out of date and the news
    # of the past stay cancelled
    assert list(states) == ["pending", "cancelled", "cancelled"]
    calls = await harness.feed(up.text(owner, "/help"))  # nothing more to say to staff
    assert not [c for c in calls if isinstance(c, SendMessage) and c.chat_id == OPERATOR_CHAT]


async def test_no_rating_request_after_an_answer_that_was_not_delivered(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    assert world.app is not None
    user = emu.add_user("Асель", language_code="kk")
    owner = ChatDriver(emu, user)
    number, card = await case(world, user, "kk")
    await settled(emu, world.app)  # the notice of the take is out: the fault is the answer's
    emu.inject_fault("400", method="sendMessage", chat_id=user, count=1)
    await answer(world, card, "Ішінара шешілді.")
    await settled(emu, world.app)
    assert texts(emu, user, frag("kk", "notify.answered")) == []
    assert texts(emu, user, frag("kk", "rate.ask")) == []
    ratings = select(OutboxMessage.id).where(OutboxMessage.kind == "rating")
    assert await world.scalar(ratings) is None

    # staff send the answer again from /failed: now it arrives, and the rating request after
    listing = await group.say("/failed", None, expect="#")
    retry = data_of(listing, prefix="fl:")
    emu.press_button(group.staff, group.chat_id, listing["message_id"], retry)
    got = await owner.expect(frag("kk", "notify.answered"), 0)
    rating = await owner.expect(frag("kk", "rate.ask"), got["message_id"])
    assert number in rating["text"]
