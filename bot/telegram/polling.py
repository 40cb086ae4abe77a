"""Long polling with our own offset: an update is confirmed to Telegram (by asking for the
next ones past it) only after it is committed to the inbox.

aiogram's own polling confirms an update with the next getUpdates while its handler may
still run, so a crash at the wrong moment lost it. Here the offset lives in memory and only
moves past committed rows; after a restart the first call asks without an offset and
Telegram hands out again whatever was not confirmed, which the inbox recognises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramNetworkError, TelegramServerError
from aiogram.methods import TelegramMethod

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
Store = Callable[[list[dict[str, Any]]], Awaitable[None]]


class RawGetUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates answering the updates as Telegram sent them (stored as they are)."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class Poller:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        allowed_updates: list[str],
        *,
        timeout: int = LONG_POLL_SECONDS,
    ) -> None:
        self._bot = bot
        self._store = store
        self._allowed = allowed_updates
        self._timeout = timeout
        self._offset: int | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            request = RawGetUpdates(
                offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
            )
            fetch = asyncio.ensure_future(self._bot(request, request_timeout=self._timeout + 10))
            stop = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                break
            stop.cancel()
            try:
                raws = fetch.result()
            except TelegramConflictError:
                failures += 1
                log.error("another process polls this bot's token (409); retrying")
                await self._pause(failures)
                continue
            except (TelegramNetworkError, TelegramServerError) as error:
                failures += 1
                log.warning("getUpdates failed: %s", error)
                await self._pause(failures)
                continue
            failures = 0
            if not raws:
                continue
            try:
                # Shielded: once Telegram handed updates out, they are stored even if we are
                # being stopped; the offset moves only after the commit.
                await asyncio.shield(self._store(raws))
            except Exception:
                failures += 1
                log.exception("storing %d update(s) failed; asking for them again", len(raws))
                await self._pause(failures)
                continue
            ids = [raw["update_id"] for raw in raws if isinstance(raw.get("update_id"), int)]
            if ids:
                self._offset = max(ids) + 1

    async def _pause(self, failures: int) -> None:
        delay = min(30.0, 0.5 * 2 ** min(failures, 6))
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
        except TimeoutError:
            return
