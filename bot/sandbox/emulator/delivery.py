"""Webhook delivery: POST each queued update to the bot's URL the way Telegram does.

Telegram sends updates of one chat strictly one after another (the next only after the
previous got a 2xx answer) and different chats in parallel, up to max_connections requests
at a time; a failed request is repeated. One worker task per chat keeps that order, a shared
counter the connection limit. Retry delays are short so tests need not wait.
"""

from __future__ import annotations

import asyncio
import json
import time
from http import HTTPStatus
from typing import Any

import aiohttp

from .updates import Key, Pulse, Queued, UpdateQueue, is_success
from .webhook import WebhookConfig

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookSender:
    def __init__(self, queue: UpdateQueue) -> None:
        self.queue = queue
        self.timeout = 10.0
        self.retry_delay = 0.05
        self.max_retry_delay = 1.0
        self.in_flight = 0
        self._freed = Pulse()
        self._workers: dict[Key, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    # ---- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._dispatch(), name="emulator-webhook")

    async def stop(self) -> None:
        tasks = [task for task in (self._task, *self._workers.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._workers.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---- scheduling -------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        """Give every chat with queued updates a worker; look again when something is queued.

        A worker keeps going while its chat has updates, so only arrivals need a look.
        """
        while not self.queue.closing:
            wakeup = self.queue.arrived.current
            if self.queue.webhook is not None:
                for item in self.queue.deliverable():
                    if item.key not in self._workers:
                        self._workers[item.key] = asyncio.create_task(self._drain(item.key))
            await wakeup.wait()

    def _next_for(self, key: Key) -> Queued | None:
        if self.queue.webhook is None or self.queue.closing:
            return None
        return next((item for item in self.queue.deliverable() if item.key == key), None)

    async def _drain(self, key: Key) -> None:
        """Deliver one chat's updates in update_id order, each only after the last got 2xx."""
        try:
            while (item := self._next_for(key)) is not None:
                await self._deliver(item)
        finally:
            self._workers.pop(key, None)

    async def _deliver(self, item: Queued) -> None:
        """Repeat until a 2xx answer, or until the item is dropped or the webhook deleted."""
        delay = self.retry_delay
        while self.queue.owes(item) and (config := self.queue.webhook) is not None:
            status = await self._attempt(item, config)
            if is_success(status):
                self.queue.acknowledge(item)
                return
            config.last_error_date = int(time.time())
            config.last_error_message = _error_message(status)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)

    # ---- one request ------------------------------------------------------------------------

    async def _acquire(self) -> None:
        """Wait for a free connection; re-reads max_connections, which setWebhook may change."""
        while True:
            wakeup = self._freed.current
            config = self.queue.webhook
            if self.in_flight < (config.max_connections if config else 1):
                self.in_flight += 1
                return
            await wakeup.wait()

    def _release(self) -> None:
        self.in_flight -= 1
        self._freed.fire()

    async def _attempt(self, item: Queued, config: WebhookConfig) -> int | str:
        await self._acquire()
        entry = self.queue.record(item.update_id, "webhook")
        try:
            status = await self._post(item.update, config)
        except asyncio.CancelledError:
            entry["status"] = "cancelled"
            raise
        finally:
            self._release()
        self.queue.settle(entry, status)
        return status

    async def _post(self, update: dict[str, Any], config: WebhookConfig) -> int | str:
        """The HTTP status of the answer, or Telegram's wording of why there was none."""
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            # Telegram does not follow redirects: a 3xx is a wrong answer like any other.
            async with self._client().post(
                config.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                await response.read()
                return response.status
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, ConnectionRefusedError):
                return "Connection refused"
            return f"Failed to connect: {error.os_error}"
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return "Connection reset by peer"
        except aiohttp.ClientError as error:
            return f"{type(error).__name__}: {error}"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No pool limit of its own: max_connections is counted above.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session


def _error_message(status: int | str) -> str:
    if isinstance(status, int):
        return f"Wrong response from the webhook: {status} {_reason(status)}".rstrip()
    return status


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
