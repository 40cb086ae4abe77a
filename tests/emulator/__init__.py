"""Tests of the local Bot API emulator, driven through a real aiogram Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.sandbox.emulator import BotAPIEmulator


@dataclass
class Env:
    emu: BotAPIEmulator
    bot: Bot
    user_id: int


class LoopbackSession(AiohttpSession):
    """aiogram's session without the 250 ms pause on close that only SSL connections need."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(emu: BotAPIEmulator, token: str | None = None, **kwargs: Any) -> Bot:
    session = LoopbackSession(api=TelegramAPIServer.from_base(emu.base_url))
    return Bot(token or emu.token, session=session, **kwargs)


def send_text_update(emu: BotAPIEmulator, user_id: int, text: str) -> int:
    """A user writes to the bot; returns the update_id that queued."""
    emu.send_text(user_id, text)
    return int(emu.pending_updates[-1]["update_id"])


@asynccontextmanager
async def running_env(**bot_kwargs: Any) -> AsyncIterator[Env]:
    """A started emulator, a user who has started the bot, and an aiogram Bot pointed at it."""
    emu = BotAPIEmulator(seed=1)
    await emu.start()
    bot = make_bot(emu, **bot_kwargs)
    try:
        yield Env(emu, bot, emu.add_user("Асем", "Нурланова", username="asem"))
    finally:
        await bot.session.close()
        await emu.stop()
