"""The sandbox web application: the page, its static files and its API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator

from .api import Controls, SandboxApi, errors_as_json
from .clock import ClockFile, Stamps
from .feed import Feed
from .guide import DEFAULT_TIMEZONE
from .scene import Scene

STATIC = Path(__file__).with_name("static")
FEED_KEY = web.AppKey("feed", Feed)
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def make_app(
    emulator: BotAPIEmulator,
    scene: Scene,
    clock: ClockFile,
    *,
    controls: Controls | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> web.Application:
    """The page and its API. ``controls`` (the running sandbox) lets the page reach the bot
    when the clock moves and wipe everything; without it (tests) there is no wiping."""
    stamps = Stamps(clock)
    feed = Feed(emulator, stamps)
    app = web.Application(
        client_max_size=MAX_UPLOAD_BYTES, middlewares=[local_only, errors_as_json]
    )
    app[FEED_KEY] = feed
    api = SandboxApi(emulator, scene, clock, feed, stamps, controls=controls, timezone=timezone)
    app.add_routes(api.routes())
    app.add_routes([web.get("/", index), web.static("/static", STATIC)])
    app.on_startup.append(_attach_feed)
    app.on_shutdown.append(_close_feed)
    app.on_response_prepare.append(_no_cache)
    return app


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


@web.middleware
async def local_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """Refuse requests that name another host or come from another site's page.

    The page can act as anyone in the sandbox; a foreign page (or a DNS-rebound name) in the
    same browser must not.
    """
    if request.host.rsplit(":", 1)[0] not in _LOCAL_HOSTS:
        raise web.HTTPForbidden(text="the sandbox answers on 127.0.0.1 only")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="cross-origin requests are refused")
    response: web.StreamResponse = await handler(request)
    return response


async def _attach_feed(app: web.Application) -> None:
    app[FEED_KEY].attach()


async def _close_feed(app: web.Application) -> None:
    app[FEED_KEY].detach()
    app[FEED_KEY].close()


async def _no_cache(request: web.Request, response: web.StreamResponse) -> None:
    # The page and its scripts change while one develops; never serve a stale copy.
    response.headers.setdefault("Cache-Control", "no-cache")
