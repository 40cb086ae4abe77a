"""A stored call made as JSON (bot/telegram/wire.py): the same results and errors as aiogram."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from bot.telegram.effects import result_id
from bot.telegram.wire import Wire, has_files
from tests.emulator import running_env


async def test_a_message_comes_back_as_telegrams_json_and_is_in_the_chat() -> None:
    async with running_env() as env:
        wire = Wire(env.bot)
        params = {
            "chat_id": env.user_id,
            "text": "Өтінішіңіз <b>тіркелді</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "Ашу", "callback_data": "my:1"}]]},
        }
        assert wire.takes(params)
        result = await wire.call("sendMessage", params)

        assert isinstance(result, dict)
        assert result_id(result) == result["message_id"]
        shown = env.emu.transcript(env.user_id)[-1]
        assert shown["text"] == "Өтінішіңіз тіркелді"
        assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "my:1"


async def test_telegrams_refusals_are_aiograms_exceptions() -> None:
    async with running_env() as env:
        wire = Wire(env.bot)
        env.emu.inject_fault("429", method="sendMessage", retry_after=7)
        with pytest.raises(TelegramRetryAfter) as waited:
            await wire.call("sendMessage", {"chat_id": env.user_id, "text": "a"})
        assert waited.value.retry_after == 7

        env.emu.inject_fault("403", method="sendMessage")
        with pytest.raises(TelegramForbiddenError):
            await wire.call("sendMessage", {"chat_id": env.user_id, "text": "b"})

        with pytest.raises(TelegramBadRequest):
            await wire.call("sendMessage", {"chat_id": env.user_id, "text": ""})


def test_a_topic_and_an_album_give_the_id_of_what_they_made() -> None:
    assert result_id({"message_thread_id": 55, "name": "№ 2026-0001", "icon_color": 1}) == 55
    assert result_id([{"message_id": 9, "date": 0}, {"message_id": 10, "date": 0}]) == 9
    assert result_id(True) is None


async def test_calls_with_files_or_watched_by_a_middleware_go_through_aiogram() -> None:
    document = {"chat_id": 1, "document": {"$file": {"name": "a.pdf", "data_b64": "eA=="}}}
    assert has_files(document)
    async with running_env() as env:
        wire = Wire(env.bot)
        assert not wire.takes(document)
        assert wire.takes({"chat_id": 1, "text": "x"})

        async def watching(make_request, bot, method):
            return await make_request(bot, method)

        env.bot.session.middleware(watching)
        assert not wire.takes({"chat_id": 1, "text": "x"})
