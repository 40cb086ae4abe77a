"""A bot's webhook endpoint for emulator tests: records each POST and answers as told."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass
class Hit:
    """One POST the emulator made."""

    update: dict[str, Any]
    headers: dict[str, str]
    content_type: str

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


Responder = Callable[[Hit, web.Request], Awaitable[web.StreamResponse]]


async def answer_ok(hit: Hit, request: web.Request) -> web.StreamResponse:
    return web.json_response({})


async def answer_500(hit: Hit, request: web.Request) -> web.StreamResponse:
    return web.json_response({"error": "the bot crashed"}, status=500)


async def drop_connection(hit: Hit, request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer, as a crashing bot process would."""
    assert request.transport is not None
    request.transport.abort()
    return web.Response(status=499)


async def hang(hit: Hit, request: web.Request) -> web.StreamResponse:
    """Never answer; the emulator gives up after its webhook timeout and closes the line."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


class HookServer:
    """Listens on 127.0.0.1, port 0. ``respond`` decides each answer; ``gate`` holds them.

    While ``gate`` is clear every request waits before being answered, so a test sees what
    is in flight at once; ``active`` and ``peak`` count requests being handled.
    """

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.active = 0
        self.peak = 0
        self.respond: Responder = answer_ok
        self.gate = asyncio.Event()
        self.gate.set()
        self.url = ""
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self, path: str = "/hook") -> str:
        app = web.Application()
        app.router.add_post(path, self._handle)
        # handler_cancellation: a hanging answer ends when the emulator gives up on it.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}{path}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def ids(self) -> list[int]:
        return [hit.update_id for hit in self.hits]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        hit = Hit(await request.json(), dict(request.headers), request.content_type)
        self.hits.append(hit)
        self.active += 1
        self.peak = max(self.peak, self.active)
        self._notify()
        try:
            await self.gate.wait()
            return await self.respond(hit, request)
        finally:
            self.active -= 1
            self._notify()
