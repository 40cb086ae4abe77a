"""Flood control: past N messages a minute from one person, one polite notice, then a pause.

An album counts once (Telegram sends each part as its own message), so sending ten files
together never trips it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import Translator

WINDOW_SECONDS = 60.0


class FloodMiddleware(BaseMiddleware):
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}
        self._groups: dict[int, str] = {}

    def _over_limit(self, user_id: int, media_group: str | None) -> bool:
        now = self.clock()
        if media_group is not None and self._groups.get(user_id) == media_group:
            return False
        if media_group is not None:
            self._groups[user_id] = media_group
        stamps = self._seen.setdefault(user_id, deque())
        while stamps and stamps[0] <= now - WINDOW_SECONDS:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return True
        stamps.append(now)
        if len(self._seen) > 10_000:
            self._forget_quiet(now)
        return False

    def _forget_quiet(self, now: float) -> None:
        for user_id in [u for u, s in self._seen.items() if not s or s[-1] <= now - WINDOW_SECONDS]:
            self._seen.pop(user_id, None)
            self._groups.pop(user_id, None)
            self._warned_until.pop(user_id, None)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None or chat is None or chat.type != "private":
            return await handler(event, data)
        group = event.media_group_id if isinstance(event, Message) else None
        if not self._over_limit(user.id, group):
            return await handler(event, data)
        now = self.clock()
        if self._warned_until.get(user.id, 0.0) <= now:
            self._warned_until[user.id] = now + WINDOW_SECONDS
            t: Translator = data["t"]
            if isinstance(event, Message):
                await event.answer(t("hint.flood"))
            elif isinstance(event, CallbackQuery):
                await event.answer(t("hint.flood"), show_alert=True)
        elif isinstance(event, CallbackQuery):
            await event.answer()
        return None
