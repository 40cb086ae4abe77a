"""``/_emu/`` HTTP control API (JSON in, JSON out) and the server-sent event stream.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
POST bodies carry the keyword arguments of the Python method of the same name; binary
``data`` travels base64-encoded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .core import BotAPIEmulator

Action = Callable[..., Any]


class ControlApi:
    def __init__(self, emulator: BotAPIEmulator) -> None:
        self.emulator = emulator

    def actions(self) -> dict[str, Action]:
        emu = self.emulator
        return {
            "users": emu.add_user,
            "block": emu.block_bot,
            "groups": emu.add_group,
            "members": emu.add_member,
            "remove_member": emu.remove_member,
            "delete_topic": emu.delete_topic,
            "send_text": emu.send_text,
            "send_contact": emu.send_contact,
            "send_photo": emu.send_photo,
            "send_document": emu.send_document,
            "send_sticker": emu.send_sticker,
            "send_voice": emu.send_voice,
            "send_location": emu.send_location,
            "send_media": emu.send_media,
            "send_dice": emu.send_dice,
            "edit_text": emu.edit_text,
            "press_button": emu.press_button,
            "forge_callback": emu.forge_callback,
            "inject_update": lambda **raw: emu.inject_update(raw),
            "faults": emu.inject_fault,
            "rate_limits": emu.set_rate_limits,
            "redeliver": emu.redeliver,
            "duplicate_updates": emu.duplicate_updates,
        }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_emu/info", self.info),
            web.get("/_emu/transcript", self.transcript),
            web.get("/_emu/topics", self.topics),
            web.get("/_emu/calls", self.calls),
            web.get("/_emu/callback_answers", self.callback_answers),
            web.get("/_emu/handed_out", self.handed_out),
            web.get("/_emu/delivered", self.delivered),
            web.get("/_emu/webhook", self.webhook),
            web.get("/_emu/events", self.events),
            web.delete("/_emu/faults", self.clear_faults),
            web.delete("/_emu/rate_limits", self.clear_rate_limits),
            web.post("/_emu/{action}", self.act),
        ]

    async def act(self, request: web.Request) -> web.Response:
        action = self.actions().get(request.match_info["action"])
        if action is None:
            return _fail("unknown action", status=404)
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            if isinstance(body.get("data"), str):
                body["data"] = base64.b64decode(body["data"])
            if isinstance(body.get("items"), list):
                body["items"] = [_decode_item(item) for item in body["items"]]
            result = action(**body)
        except (TypeError, ValueError, KeyError) as error:
            return _fail(str(error))
        if request.match_info["action"] == "users":
            result = {"user_id": result}
        elif request.match_info["action"] == "groups":
            result = {"chat_id": result}
        elif request.match_info["action"] in ("press_button", "forge_callback"):
            result = {"callback_query_id": result}
        return _ok(result)

    async def info(self, request: web.Request) -> web.Response:
        emu = self.emulator
        world = emu.world
        return _ok(
            {
                "base_url": emu.base_url,
                "bot": world.bot.json(),
                "users": [user.json() for user in world.users.values()],
                "chats": [chat.json() for chat in world.chats.values()],
            }
        )

    async def transcript(self, request: web.Request) -> web.Response:
        try:
            chat_id = int(request.query["chat_id"])
            thread = request.query.get("thread_id")
            return _ok(self.emulator.transcript(chat_id, int(thread) if thread else None))
        except (KeyError, ValueError) as error:
            return _fail(str(error))

    async def topics(self, request: web.Request) -> web.Response:
        try:
            return _ok(self.emulator.topics(int(request.query["chat_id"])))
        except (KeyError, ValueError) as error:
            return _fail(str(error))

    async def calls(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return _ok(self.emulator.calls[since:])

    async def callback_answers(self, request: web.Request) -> web.Response:
        return _ok(self.emulator.callback_answers)

    async def handed_out(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return _ok(self.emulator.handed_out[since:])

    async def delivered(self, request: web.Request) -> web.Response:
        return _ok(sorted(self.emulator.delivered_update_ids()))

    async def webhook(self, request: web.Request) -> web.Response:
        return _ok(self.emulator.webhook_info())

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.emulator.clear_faults()
        return _ok(True)

    async def clear_rate_limits(self, request: web.Request) -> web.Response:
        self.emulator.clear_rate_limits()
        return _ok(True)

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(b": connected\n\n")
        async for event in self.emulator.subscribe():
            data = json.dumps(event, ensure_ascii=False, default=str)
            await response.write(f"event: {event['type']}\ndata: {data}\n\n".encode())
        return response


def _decode_item(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("data"), str):
        return {**item, "data": base64.b64decode(item["data"])}
    return item


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _fail(error: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
