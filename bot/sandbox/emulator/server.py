"""HTTP side of the Bot API: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import api_chats, api_messages, webhook
from .errors import ApiError
from .limits import FaultInjector, RateLimiter
from .params import Params
from .world import World

Handler = Callable[[World, Params], Any]
HANG_SECONDS = 3600.0


def build_registry() -> dict[str, tuple[str, Handler]]:
    """Lower-cased method name -> (canonical name, handler); Telegram ignores the case."""
    registry: dict[str, tuple[str, Handler]] = {}
    for table in (api_messages.HANDLERS, api_chats.HANDLERS, webhook.HANDLERS):
        for name, handler in table.items():
            registry[name.lower()] = (name, handler)
    return registry


def json_error(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


class BotApiServer:
    def __init__(self, world: World, faults: FaultInjector, limiter: RateLimiter) -> None:
        self.world = world
        self.faults = faults
        self.limiter = limiter
        self.calls: list[dict[str, Any]] = []
        self.registry = build_registry()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle_method),
            web.get("/file/bot{token}/{path:.+}", self.handle_file),
        ]

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        name, handler = self.registry.get(method.lower(), (method, None))
        call: dict[str, Any] = {"method": name, "params": {}, "time": time.time()}
        self.calls.append(call)
        self.world.changed.fire()
        try:
            params = await Params.from_request(request)
            call["params"] = params.loggable()
            if request.match_info["token"] != self.world.token:
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found")
            if await self._apply_fault(request, call, params):
                return _dropped()
            self.limiter.check(name.lower(), _chat_id(params), _send_count(name, params))
            result = handler(self.world, params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            call.update(ok=False, error_code=error.code, description=error.description)
            return json_error(error)
        call.update(ok=True, result=result)
        return web.json_response({"ok": True, "result": result})

    async def _apply_fault(
        self, request: web.Request, call: dict[str, Any], params: Params
    ) -> bool:
        """Sleep for latency, raise for error faults; True when the connection was dropped."""
        fault = self.faults.pick(call["method"].lower(), params.raw("chat_id"))
        if fault is None:
            return False
        call["fault"] = fault.kind
        if fault.kind == "latency":
            await asyncio.sleep(fault.delay)
            return False
        if fault.kind == "timeout":
            # With a delay: hang that long (longer than the client waits); then drop the line.
            await asyncio.sleep(fault.delay)
            call.update(ok=False, error_code=None, description="connection dropped")
            if request.transport is not None:
                request.transport.abort()
            return True
        await asyncio.sleep(fault.delay)
        raise fault.error()

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.token:
            return json_error(ApiError(401, "Unauthorized"))
        stored = self.world.files.by_path(request.match_info["path"])
        if stored is None:
            return json_error(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _dropped() -> web.Response:
    return web.Response(status=499)


def _chat_id(params: Params) -> int | None:
    try:
        return int(params.raw("chat_id"))
    except (TypeError, ValueError):
        return None


def _send_count(method: str, params: Params) -> int:
    if method.lower() == "sendmediagroup":
        media = params.json_value("media")
        return len(media) if isinstance(media, list) else 1
    return 1
