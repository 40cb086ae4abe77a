"""Each router serves its own chats: a private chat's button forged into the operator group
(or an operator button forged into a private chat) is a stale button there and changes
nothing: no card rewritten, no help posted, no appeal withdrawn."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from models import Appeal, User
from tests.support.live import settled
from tests.support.owner import I18N, file_appeal
from tests.support.pages import Group, rows
from tests.test_operator import world  # noqa: F401 (world: a fixture)


def private_buttons(appeal_id: int) -> list[str]:
    return [
        "lang:ru",
        "lang:kk",
        "f:consent:agree",
        "f:summary:submit",
        "my:page:0:0",
        f"my:open:{appeal_id}:0",
        f"my:add:{appeal_id}:0",
        f"my:withdraw:{appeal_id}:0",
        f"my:confirm:{appeal_id}:0",
        f"re:{appeal_id}",
        f"mf:{appeal_id}",
        f"rt:{appeal_id}:5",
        f"rt:{appeal_id}:dispute",
        "hr:1:yes",
        "pv:download",
        "pv:confirm",
    ]


def seen(emu: BotAPIEmulator, chat_id: int) -> list[tuple[Any, ...]]:
    return [
        (e["message_id"], e["text"] or e["caption"], str(e["buttons"]))
        for e in emu.transcript(chat_id)
    ]


async def test_private_buttons_pressed_in_the_operator_group_are_stale(
    world: tuple[BotAPIEmulator, Group, Application],  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group, app = world
    owner = emu.add_user("Ерлан", language_code="ru")
    number = await file_appeal(emu, owner, "ru")
    card = await group.card(number)
    appeal_id = rows(app, select(Appeal.id).where(Appeal.number == number))[0][0]
    await settled(emu, app)
    group_before, owner_before = seen(emu, group.chat_id), seen(emu, owner)

    stale = I18N.get("ru", "errors.stale_button")
    # Pressed by a staff member on the card, and by the owner (who could forge it too).
    for presser in (group.staff, owner):
        for data in private_buttons(appeal_id):
            query = emu.forge_callback(presser, group.chat_id, card["message_id"], data)
            answer = await emu.wait_for_callback_answer(query)
            assert answer["text"] == stale, data
    await settled(emu, app)

    assert seen(emu, group.chat_id) == group_before  # the card as it was, no help, no notes
    assert seen(emu, owner) == owner_before
    assert rows(app, select(Appeal.status).where(Appeal.id == appeal_id))[0][0] == "registered"
    assert rows(app, select(User.language).where(User.id == group.staff)) == []
    assert rows(app, select(User.language).where(User.id == owner))[0][0] == "ru"


async def test_operator_buttons_pressed_in_a_private_chat_are_stale(
    world: tuple[BotAPIEmulator, Group, Application],  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group, app = world
    # A staff member in their own private chat with the bot: still not the operator group.
    emu.send_text(group.staff, "/start")
    await settled(emu, app)
    before = seen(emu, group.staff)
    for data in ("fl:1", "fu:1", "cs:send:1", "cs:drop:1"):
        query = emu.forge_callback(group.staff, group.staff, 1, data)
        answer = await emu.wait_for_callback_answer(query)
        assert answer["text"] == I18N.get("ru", "errors.stale_button"), data
    await settled(emu, app)
    assert seen(emu, group.staff) == before
