"""The command menu, per language (setMyCommands with language_code)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

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
# The operator group's own menu (handlers/not_staff.py STAFF_COMMANDS refuses them elsewhere).
STAFF_COMMANDS = (
    "open",
    "find",
    "note",
    "hearing",
    "session",
    "stats",
    "export",
    "failed",
    "help",
    "cancel",
)


def private_commands(i18n: I18n, language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.get(language, f"commands.{name}"))
        for name in PRIVATE_COMMANDS
    ]


def staff_commands(i18n: I18n, language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.get(language, f"staff_commands.{name}"))
        for name in STAFF_COMMANDS
    ]


async def register_commands(bot: Bot, i18n: I18n, operator_chat_id: int | None = None) -> None:
    scope = BotCommandScopeAllPrivateChats()
    try:
        await bot.set_my_commands(private_commands(i18n, i18n.default_language), scope=scope)
        for language in LANGUAGES:
            await bot.set_my_commands(
                private_commands(i18n, language), scope=scope, language_code=language
            )
        if operator_chat_id is not None:
            group = BotCommandScopeChat(chat_id=operator_chat_id)
            await bot.set_my_commands(staff_commands(i18n, i18n.default_language), scope=group)
            for language in LANGUAGES:
                await bot.set_my_commands(
                    staff_commands(i18n, language), scope=group, language_code=language
                )
    except TelegramAPIError as exc:
        # A menu is a convenience; the bot works without it.
        log.warning("could not register the command menu: %s", exc)
