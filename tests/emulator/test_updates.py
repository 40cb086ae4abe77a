from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.exceptions import TelegramConflictError
from aiogram.types import Message

from tests.emulator import Env, make_bot, running_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


async def test_long_poll_waits_for_an_update_injected_later(env: Env) -> None:
    loop = asyncio.get_running_loop()
    injected_at: list[float] = []

    async def inject_later() -> None:
        await asyncio.sleep(0.3)
        injected_at.append(loop.time())
        env.emu.send_text(env.user_id, "Сәлеметсіз бе")

    started = loop.time()
    injector = asyncio.create_task(inject_later())
    updates = await env.bot.get_updates(timeout=5)
    returned = loop.time()
    await injector
    assert [u.message.text for u in updates if u.message] == ["Сәлеметсіз бе"]
    assert returned >= injected_at[0] >= started + 0.3


async def test_long_poll_without_updates_returns_empty_after_timeout(env: Env) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await env.bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.95


async def test_pending_updates_return_at_once_and_offset_confirms(env: Env) -> None:
    env.emu.send_text(env.user_id, "one")
    env.emu.send_text(env.user_id, "two")
    first = await env.bot.get_updates(timeout=5, limit=1)
    assert [u.message.text for u in first if u.message] == ["one"]
    again = await env.bot.get_updates(timeout=5)
    assert [u.message.text for u in again if u.message] == ["one", "two"]
    rest = await env.bot.get_updates(offset=again[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["two"]
    assert await env.bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == []
    assert env.emu.pending_updates == []


async def test_allowed_updates_filter_out_other_kinds(env: Env) -> None:
    env.emu.send_text(env.user_id, "text")
    sent = await env.bot.send_message(env.user_id, "?", reply_markup=None)
    env.emu.forge_callback(env.user_id, env.user_id, sent.message_id, "x")
    updates = await env.bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["x"]
    assert len(updates) == 1


async def test_edited_message_update(env: Env) -> None:
    message = env.emu.send_text(env.user_id, "Тіркелу")
    env.emu.edit_text(env.user_id, env.user_id, message["message_id"], "Тіркеу")
    updates = await env.bot.get_updates(timeout=0)
    assert updates[-1].edited_message is not None
    assert updates[-1].edited_message.text == "Тіркеу"
    assert env.emu.transcript(env.user_id)[0]["edited"]


async def test_a_second_poller_terminates_the_first_with_conflict(env: Env) -> None:
    first = asyncio.create_task(env.bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    other = make_bot(env.emu)
    try:
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(TelegramConflictError):
            await first
        assert await second == []
    finally:
        await other.session.close()


async def test_user_messages_carry_commands_contacts_and_other_kinds(env: Env) -> None:
    env.emu.send_text(env.user_id, "/start ref42")
    env.emu.send_contact(env.user_id, "+77011234567")
    env.emu.send_sticker(env.user_id)
    env.emu.send_voice(env.user_id)
    env.emu.send_location(env.user_id)
    updates = await env.bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message]
    assert messages[0].entities is not None and messages[0].entities[0].type == "bot_command"
    assert messages[1].contact is not None and messages[1].contact.user_id == env.user_id
    assert messages[2].sticker is not None and messages[3].voice is not None
    assert messages[4].location is not None
    kinds = [e["kind"] for e in env.emu.transcript(env.user_id)]
    assert kinds == ["text", "contact", "sticker", "voice", "location"]


async def test_blocking_produces_my_chat_member_update(env: Env) -> None:
    env.emu.block_bot(env.user_id)
    updates = await env.bot.get_updates(timeout=0)
    change = updates[-1].my_chat_member
    assert change is not None and change.new_chat_member.status == "kicked"


async def test_dispatcher_polling_answers_an_injected_message(env: Env) -> None:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(env.bot, polling_timeout=2, handle_signals=False)
    )
    try:
        incoming = env.emu.send_text(env.user_id, "Привет")
        reply = await env.emu.wait_for_message(
            env.user_id, after_message_id=incoming["message_id"], timeout=5
        )
        assert reply["text"] == "Эхо: Привет"
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert any(call["method"] == "getUpdates" for call in env.emu.calls)


async def test_wait_for_message_times_out_with_the_transcript_tail(env: Env) -> None:
    env.emu.send_text(env.user_id, "Есть кто?")
    with pytest.raises(TimeoutError, match="Есть кто"):
        await env.emu.wait_for_message(env.user_id, timeout=0.2)
