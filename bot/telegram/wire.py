"""A stored call made as it is stored: JSON, straight to the Bot API.

A row in the outbox is already the call's JSON: its method object was checked by aiogram when
a handler made it, or it was written as plain data by our own code. Making it through aiogram
again would validate it into a method object, turn that into a multipart form, and read the
answer into a response model, only for the sender to take the id of what it made. Here a
call without files is posted as JSON and its answer read as JSON. An error answer is still
read by aiogram, so the sender gets the same exceptions (retry after, bad request, blocked)
as from any aiogram call. Calls with files, bots whose session is not aiohttp's (test
doubles) and sessions with request middlewares other than the bot's own go through aiogram.
"""

from __future__ import annotations

import json
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.methods import GetMe, TelegramMethod
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from bot.telegram import methods
from bot.telegram.capture import QueueInUnitOfWork
from bot.telegram.responses import KeepResponseModels

HEADERS = {"Content-Type": "application/json"}
OURS = (KeepResponseModels, QueueInUnitOfWork)


def has_files(value: Any) -> bool:
    if isinstance(value, dict):
        return "$file" in value or any(has_files(item) for item in value.values())
    if isinstance(value, list):
        return any(has_files(item) for item in value)
    return False


class Wire:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    def takes(self, params: dict[str, Any]) -> bool:
        session = self._bot.session
        return (
            isinstance(session, AiohttpSession)
            # A request middleware of anyone else's must see every call (tests watch sends
            # that way): then aiogram makes them. Ours only pass a sender's calls through.
            and all(isinstance(each, OURS) for each in session.middleware)
            and not has_files(params)
        )

    async def call(self, name: str, params: dict[str, Any]) -> Any:
        """Make the call; its result as Telegram sent it (a message as a dict, True ...)."""
        session = self._bot.session
        assert isinstance(session, AiohttpSession)
        http = await session.create_session()
        url = session.api.api_url(token=self._bot.token, method=name)
        body = json.dumps(params, ensure_ascii=False)
        try:
            async with http.post(
                url, data=body, headers=HEADERS, timeout=ClientTimeout(total=session.timeout)
            ) as response:
                status, content = response.status, await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(_method(name, params), "Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(_method(name, params), message) from error
        if 200 <= status <= 226:
            answer = json.loads(content)
            if isinstance(answer, dict) and answer.get("ok"):
                return answer.get("result")
        # Not done: aiogram reads the answer and raises what it says.
        method = _method(name, params)
        session.check_response(self._bot, method, status, content)
        raise TelegramAPIError(method, f"unexpected answer ({status})")


def _method(name: str, params: dict[str, Any]) -> TelegramMethod[Any]:
    """The call as aiogram's object, for the exception that names it; a payload aiogram
    cannot read (Telegram refused it anyway) is named as a getMe."""
    try:
        return methods.load(name, params)
    except (ValueError, TypeError, ValidationError):
        return GetMe()


__all__ = ["Wire", "has_files"]
