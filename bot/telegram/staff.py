"""Who is staff: members of the operator group, asked of Telegram and cached briefly."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

MEMBER_STATUSES = {"creator", "administrator", "member"}
CACHE_SECONDS = 60.0


class StaffDirectory:
    def __init__(
        self,
        chat_id: int,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat_id = chat_id
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[int, tuple[bool, float]] = {}

    async def is_staff(self, bot: Bot, user_id: int) -> bool:
        cached = self._cache.get(user_id)
        now = self.clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await bot.get_chat_member(self.chat_id, user_id)
        except TelegramAPIError:
            return False  # not cached: a passing error must not lock staff out for a minute
        status = str(member.status.value if hasattr(member.status, "value") else member.status)
        verdict = status in MEMBER_STATUSES or (
            status == "restricted" and bool(getattr(member, "is_member", False))
        )
        self._cache[user_id] = (verdict, now + self.ttl)
        return verdict
