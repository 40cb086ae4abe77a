from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, InlineKeyboardButton
from aiogram.types import InlineKeyboardMarkup as Markup

from tests.emulator import Env, running_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


def keyboard() -> Markup:
    return Markup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Қазақша", callback_data="lang:kk")],
            [InlineKeyboardButton(text="Сайт", url="https://example.kz")],
        ]
    )


async def test_press_button_delivers_the_message_with_its_markup(env: Env) -> None:
    sent = await env.bot.send_message(env.user_id, "Тілді таңдаңыз", reply_markup=keyboard())
    query_id = env.emu.press_button(env.user_id, env.user_id, sent.message_id, "lang:kk")
    updates = await env.bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.id == query_id and query.data == "lang:kk"
    assert query.chat_instance and query.from_user.id == env.user_id
    assert query.message is not None and query.message.message_id == sent.message_id
    markup = query.message.reply_markup  # type: ignore[union-attr]
    assert markup is not None
    assert [[b.callback_data or b.url for b in row] for row in markup.inline_keyboard] == [
        ["lang:kk"],
        ["https://example.kz"],
    ]
    assert await env.bot.answer_callback_query(query_id, text="Таңдалды", show_alert=True)
    answer = await env.emu.wait_for_callback_answer(query_id, timeout=1)
    assert answer["text"] == "Таңдалды" and answer["show_alert"] is True
    assert env.emu.callback_answers[query_id]["text"] == "Таңдалды"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await env.bot.answer_callback_query(query_id)


async def test_press_button_refuses_missing_buttons_but_forge_does_not(env: Env) -> None:
    sent = await env.bot.send_message(env.user_id, "?", reply_markup=keyboard())
    with pytest.raises(ValueError, match="no button"):
        env.emu.press_button(env.user_id, env.user_id, sent.message_id, "admin:delete_all")
    query_id = env.emu.forge_callback(env.user_id, env.user_id, sent.message_id, "admin:x")
    updates = await env.bot.get_updates(timeout=0)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.id == query_id


async def test_buttons_summary_in_transcript(env: Env) -> None:
    await env.bot.send_message(env.user_id, "?", reply_markup=keyboard())
    assert env.emu.transcript(env.user_id)[-1]["buttons"] == [
        [("Қазақша", "lang:kk")],
        [("Сайт", "https://example.kz")],
    ]


async def test_private_chat_rate_limit_answers_429_and_records(env: Env) -> None:
    env.emu.set_rate_limits(per_private_chat_per_s=1, enforce=True)
    for text in ("first", "second", "third"):  # a short burst is tolerated
        await env.bot.send_message(env.user_id, text)
    with pytest.raises(TelegramRetryAfter) as caught:
        await env.bot.send_message(env.user_id, "fourth")
    assert caught.value.retry_after >= 1
    violation = env.emu.rate_limit_violations[-1]
    assert violation["chat_id"] == env.user_id and violation["limits"] == ["chat"]
    assert [e["text"] for e in env.emu.transcript(env.user_id)] == ["first", "second", "third"]


async def test_unenforced_limits_only_record(env: Env) -> None:
    env.emu.set_rate_limits(per_group_per_min=2, enforce=False)
    group = env.emu.add_group("Операторы", forum=False, members=[env.user_id])
    for n in range(3):
        await env.bot.send_message(group, f"#{n}")
    assert len(env.emu.transcript(group)) == 3
    assert len(env.emu.rate_limit_violations) == 1
    assert env.emu.rate_limit_violations[0]["enforced"] is False


async def test_commands_are_stored_per_scope_and_language(env: Env) -> None:
    commands = [BotCommand(command="start", description="Бастау")]
    scope = BotCommandScopeAllPrivateChats()
    assert await env.bot.set_my_commands(commands, scope=scope, language_code="kk")
    assert await env.bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert env.emu.commands[("all_private_chats", "kk")] == [
        {"command": "start", "description": "Бастау"}
    ]
    assert env.emu.commands[("default", "")][0]["description"] == "Начать"
    stored = await env.bot.get_my_commands(scope=scope, language_code="kk")
    assert [(c.command, c.description) for c in stored] == [("start", "Бастау")]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await env.bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_chat_member_statuses(env: Env) -> None:
    creator = env.emu.add_user("Бастық")
    operator = env.emu.add_user("Оператор")
    outsider = env.emu.add_user("Бөгде")
    group = env.emu.add_group("Операторы", forum=True, members=[operator], admins=[creator])
    statuses = {
        user: (await env.bot.get_chat_member(group, user)).status
        for user in (creator, operator, outsider, env.emu.bot_id)
    }
    assert statuses == {
        creator: "creator",
        operator: "member",
        outsider: "left",
        env.emu.bot_id: "administrator",
    }
    env.emu.remove_member(group, operator)
    assert (await env.bot.get_chat_member(group, operator)).status == "left"
    chat = await env.bot.get_chat(group)
    assert chat.is_forum and chat.type == "supergroup" and str(chat.id).startswith("-100")
