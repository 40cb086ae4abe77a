"""The command menu, per language (setMyCommands with language_code)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from bot.i18n import LANGUAGES, I18n

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "new",
    "my",
    "invest",
    "results",
    "privacy",
    "language",
    "help",
    "cancel",
)


def private_commands(i18n: I18n, language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.get(language, f"commands.{name}"))
        for name in PRIVATE_COMMANDS
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    scope = BotCommandScopeAllPrivateChats()
    try:
        await bot.set_my_commands(private_commands(i18n, i18n.default_language), scope=scope)
        for language in LANGUAGES:
            await bot.set_my_commands(
                private_commands(i18n, language), scope=scope, language_code=language
            )
    except TelegramAPIError as exc:
        # A menu is a convenience; the bot works without it.
        log.warning("could not register the command menu: %s", exc)
