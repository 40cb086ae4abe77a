from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji

from tests.emulator import Env, make_bot, running_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


async def test_get_me_reports_the_bot(env: Env) -> None:
    me = await env.bot.get_me()
    assert me.id == env.emu.bot_id == 123456
    assert me.is_bot and me.username == "adal_test_bot"


async def test_unknown_method_is_404_not_found(env: Env) -> None:
    url = f"{env.emu.base_url}/bot{env.emu.token}/sendTeleportation"
    async with aiohttp.ClientSession() as http, http.post(url, data={"chat_id": "1"}) as resp:
        body = await resp.json()
    assert resp.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(env: Env) -> None:
    url = f"{env.emu.base_url}/bot{env.emu.token}/GETME"
    async with aiohttp.ClientSession() as http, http.post(url) as resp:
        body = await resp.json()
    assert body["ok"] is True and body["result"]["id"] == env.emu.bot_id


async def test_wrong_token_is_unauthorized(env: Env) -> None:
    other = make_bot(env.emu, token="999:wrong")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await other.get_me()
    finally:
        await other.session.close()


async def test_send_message_returns_a_real_message(env: Env) -> None:
    first = await env.bot.send_message(env.user_id, "Здравствуйте")
    second = await env.bot.send_message(env.user_id, "Ещё раз", reply_to_message_id=1)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == env.user_id and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.is_bot
    assert second.reply_to_message is not None and second.reply_to_message.text == "Здравствуйте"
    entry = env.emu.transcript(env.user_id)[-1]
    assert entry["from_bot"] and entry["text"] == "Ещё раз" and entry["reply_to_message_id"] == 1


async def test_html_is_parsed_into_plain_text_and_entities(env: Env) -> None:
    html = "<b>Обращение</b> №&nbsp;1 &lt;ТОО&gt; <a href='https://adal.kz'>сайт</a>"
    message = await env.bot.send_message(env.user_id, html, parse_mode="HTML")
    assert message.text == "Обращение №&nbsp;1 <ТОО> сайт"
    assert message.entities is not None
    assert [e.type for e in message.entities] == ["bold", "text_link"]
    entry = env.emu.transcript(env.user_id)[-1]
    assert entry["html"] == html and entry["text"] == message.text


@pytest.mark.parametrize(
    "html", ["<b>bold", "a < b", "<br>", "<b><i>x</b></i>", "<span>x</span>", "x</b>"]
)
async def test_bad_html_is_rejected(env: Env, html: str) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await env.bot.send_message(env.user_id, html, parse_mode="HTML")


async def test_default_parse_mode_from_bot_properties(env: Env) -> None:
    bot = make_bot(env.emu, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        message = await bot.send_message(env.user_id, "<i>курсив</i>")
    finally:
        await bot.session.close()
    assert message.text == "курсив"


async def test_text_limits(env: Env) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await env.bot.send_message(env.user_id, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await env.bot.send_message(env.user_id, "<b></b>", parse_mode="HTML")
    assert (await env.bot.send_message(env.user_id, "я" * 4096)).text == "я" * 4096


async def test_callback_data_over_64_bytes_is_rejected(env: Env) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="ы" * 33)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await env.bot.send_message(env.user_id, "?", reply_markup=markup)


async def test_unknown_chat_and_blocked_user(env: Env) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await env.bot.send_message(424242, "hi")
    env.emu.block_bot(env.user_id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await env.bot.send_message(env.user_id, "hi")
    env.emu.send_text(env.user_id, "/start")  # writing to the bot unblocks it
    await env.bot.send_message(env.user_id, "hi again")


async def test_user_who_never_started_the_bot_cannot_be_messaged(env: Env) -> None:
    stranger = env.emu.add_user("Ерлан", started=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await env.bot.send_message(stranger, "hi")


async def test_editing_and_deleting(env: Env) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ок", callback_data="ok")]]
    )
    sent = await env.bot.send_message(env.user_id, "Статус: новое", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await env.bot.edit_message_text(
            text="Статус: новое",
            chat_id=env.user_id,
            message_id=sent.message_id,
            reply_markup=markup,
        )
    edited = await env.bot.edit_message_text(
        text="Статус: на рассмотрении", chat_id=env.user_id, message_id=sent.message_id
    )
    assert isinstance(edited, object) and edited.reply_markup is None  # type: ignore[union-attr]
    entry = env.emu.transcript(env.user_id)[-1]
    assert entry["edited"] and entry["text"] == "Статус: на рассмотрении"
    assert entry["buttons"] == []
    await env.bot.edit_message_reply_markup(
        chat_id=env.user_id, message_id=sent.message_id, reply_markup=markup
    )
    assert env.emu.transcript(env.user_id)[-1]["buttons"] == [[("Ок", "ok")]]
    assert await env.bot.delete_message(env.user_id, sent.message_id)
    assert env.emu.transcript(env.user_id)[-1]["deleted"]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await env.bot.delete_message(env.user_id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await env.bot.edit_message_text(text="x", chat_id=env.user_id, message_id=sent.message_id)


async def test_copy_and_forward_keep_content(env: Env) -> None:
    incoming = env.emu.send_text(env.user_id, "Прошу разобраться")
    staff = env.emu.add_user("Оператор")
    group = env.emu.add_group("Операторы", forum=False, members=[staff])
    copied = await env.bot.copy_message(group, env.user_id, incoming["message_id"])
    forwarded = await env.bot.forward_message(group, env.user_id, incoming["message_id"])
    transcript = env.emu.transcript(group)
    assert [e["text"] for e in transcript] == ["Прошу разобраться"] * 2
    assert transcript[0]["message_id"] == copied.message_id
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == env.user_id  # type: ignore[union-attr]


async def test_reactions_and_chat_actions(env: Env) -> None:
    incoming = env.emu.send_text(env.user_id, "Спасибо")
    await env.bot.set_message_reaction(
        env.user_id, incoming["message_id"], [ReactionTypeEmoji(emoji="👍")]
    )
    assert env.emu.transcript(env.user_id)[-1]["reaction"] == [{"type": "emoji", "emoji": "👍"}]
    assert await env.bot.send_chat_action(env.user_id, "typing")


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("403", TelegramForbiddenError),
        ("400", TelegramBadRequest),
        ("5xx", TelegramServerError),
        ("timeout", TelegramNetworkError),
    ],
)
async def test_injected_faults_reach_aiogram_as_its_errors(
    env: Env, kind: str, error: type[Exception]
) -> None:
    env.emu.inject_fault(kind, method="sendMessage")
    with pytest.raises(error):
        await env.bot.send_message(env.user_id, "hi")
    await env.bot.send_message(env.user_id, "the fault was used up")
    assert [e["text"] for e in env.emu.transcript(env.user_id)] == ["the fault was used up"]


async def test_429_fault_carries_retry_after(env: Env) -> None:
    env.emu.inject_fault("429", chat_id=env.user_id, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await env.bot.send_message(env.user_id, "hi")
    assert caught.value.retry_after == 7
    assert env.emu.calls[-1]["error_code"] == 429 and env.emu.calls[-1]["fault"] == "429"


async def test_latency_fault_delays_then_answers(env: Env) -> None:
    env.emu.inject_fault("latency", method="sendMessage", delay=0.2, count=None)
    message = await env.bot.send_message(env.user_id, "slow")
    assert message.text == "slow"
    assert env.emu.calls[-1]["ok"] and env.emu.calls[-1]["fault"] == "latency"


async def test_probabilistic_faults_are_seedable(env: Env) -> None:
    env.emu.inject_fault("5xx", method="getMe", count=None, probability=0.5)
    outcomes = []
    for _ in range(12):
        try:
            await env.bot.get_me()
            outcomes.append(True)
        except TelegramServerError:
            outcomes.append(False)
    assert True in outcomes and False in outcomes
    env.emu.clear_faults()
    assert (await env.bot.get_me()).id == env.emu.bot_id
