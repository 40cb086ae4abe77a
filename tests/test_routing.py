"""Sync filters and handlers run on the loop, not in a thread each (bot/telegram/routing.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Chat, Message, Update, User

from bot.i18n import I18n
from bot.telegram.routing import callables, run_inline
from bot.telegram.staff import StaffDirectory
from handlers import build_router


def test_the_bots_router_tree_has_no_callable_left_for_a_thread() -> None:
    router = build_router(I18n(), -100123, StaffDirectory(-100123))
    items = list(callables(router))
    assert len(items) > 50  # the walk reaches the included routers' filters and handlers
    assert [item.callback for item in items if not item.awaitable] == []


async def test_a_magic_filter_and_a_sync_handler_run_in_the_loops_thread() -> None:
    threads: dict[str, int] = {}

    def private(message: Message) -> bool:
        threads["filter"] = threading.get_ident()
        return message.chat.type == "private"

    def answer(message: Message) -> None:
        threads["handler"] = threading.get_ident()

    router = Router()
    router.message.filter(F.chat.type == "private")
    router.message.register(answer, private, F.text == "салем")
    dispatcher = Dispatcher()
    dispatcher.include_router(run_inline(router))

    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=5, type="private"),
        from_user=User(id=5, is_bot=False, first_name="Ерлан"),
        text="салем",
    )
    bot = Bot("42:TEST")
    try:
        await dispatcher.feed_update(bot, Update(update_id=1, message=message))
    finally:
        await bot.session.close()
    loop_thread = threading.get_ident()
    assert threads == {"filter": loop_thread, "handler": loop_thread}
