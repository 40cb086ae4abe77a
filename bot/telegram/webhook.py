"""`python -m bot web`: Telegram's webhook, answered 200 only once the update is committed.

Also /healthz (the process is up) and /readyz (the database answers and its schema is the
one this version needs), for the load balancer in front of several instances.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

log = logging.getLogger(__name__)

Store = Callable[[list[dict[str, Any]]], Awaitable[None]]
Ready = Callable[[], Awaitable[str | None]]  # None when ready, else what is wrong
MAX_BODY = 1024 * 1024


class InboxRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler (its secret check), storing the update instead of handling
    it: the handling happens from the inbox, after the answer."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, store: Store, secret_token: str) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret_token)
        self._store = store

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await self._store([raw])
        except Exception:
            # Not stored: Telegram keeps the update and sends it again.
            log.exception("storing update %s failed; Telegram will send it again", raw["update_id"])
            return web.Response(status=500, text="not stored")
        return web.json_response({})


def build_web_app(
    *,
    dispatcher: Dispatcher,
    bot: Bot,
    store: Store,
    secret_token: str,
    path: str,
    ready: Ready,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    handler = InboxRequestHandler(dispatcher, bot, store, secret_token)
    # Registered by hand: SimpleRequestHandler.register would also close the bot's session
    # when the web app stops, which the application does itself, in its own order.
    app.router.add_post(path, handler.handle)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        problem = await ready()
        if problem is None:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "problem": problem}, status=503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
