"""The framework's floor: a minimal aiogram bot that answers every update with one message.

Run as its own process (`python -m bench.echo_bot`) with BOT_TOKEN and BOT_API_URL, like the
real bot. Every reply carries the dialogue's buttons, so the same simulated owners can drive it.
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bench.owners import DIALOGUE

BUTTONS = sorted(
    {s.value.format(lang=lang) for s in DIALOGUE if s.kind == "button" for lang in ("kk", "ru")}
)
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text=data, callback_data=data)] for data in BUTTONS]
)


async def on_message(message: Message) -> None:
    await message.answer(message.text or "ok", reply_markup=KEYBOARD)


async def on_callback(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    if query.message is not None:
        await bot.send_message(query.message.chat.id, query.data or "?", reply_markup=KEYBOARD)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(on_message)
    dispatcher.callback_query.register(on_callback, F.data)
    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
