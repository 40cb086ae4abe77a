"""``/api/...``: what the page reads and the actions a person takes in it."""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator

from .clock import ClockFile, Stamps
from .feed import Feed
from .guide import DEFAULT_TIMEZONE, guide_json, next_month_morning
from .scene import Scene
from .uploads import BadInput, Upload, album_item, read_multipart
from .views import chat_views, topic_views

ALBUM_SIZE = 10
Fresh = Callable[[BotAPIEmulator, Scene], None]


class Controls(Protocol):
    """What the page asks of the running sandbox beyond the emulator (bot/sandbox/run.py)."""

    def clock_moved(self) -> None:
        """The clock file changed: the bot should look for due work now."""

    async def wipe(self, fresh: Fresh) -> None:
        """Stop the bot, start over with a new emulator (handed to ``fresh`` as soon as it
        exists, before the bot starts), an empty database and real time; return once the new
        bot polls."""


class SandboxApi:
    def __init__(
        self,
        emulator: BotAPIEmulator,
        scene: Scene,
        clock: ClockFile,
        feed: Feed,
        stamps: Stamps,
        *,
        controls: Controls | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ):
        self.emulator = emulator
        self.scene = scene
        self.clock = clock
        self.feed = feed
        self.stamps = stamps
        self.controls = controls
        self.timezone = timezone
        self.wiping = False

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/state", self.state),
            web.get("/api/messages", self.messages),
            web.get("/api/topics", self.topics),
            web.get("/api/events", self.feed.stream),
            web.get("/api/file/{file_id}", self.file),
            web.get("/api/clock", self.get_clock),
            web.post("/api/clock", self.set_clock),
            web.post("/api/send_text", self.send_text),
            web.post("/api/send_contact", self.send_contact),
            web.post("/api/send_location", self.send_location),
            web.post("/api/press", self.press),
            web.post("/api/upload", self.upload),
            web.post("/api/wipe", self.wipe),
        ]

    # ---- reading ----------------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        bot = self.emulator.world.bot
        clock = self.clock.json()
        return _ok(
            {
                **self.scene.json(),
                "bot": {"user_id": bot.id, "name": bot.first_name, "username": bot.username},
                "clock": clock,
                "guide": guide_json(self.timezone, clock["now"]),
                "can_wipe": self.controls is not None,
                "wiping": self.wiping,
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        chat_id = _int(dict(request.query), "chat_id")
        if chat_id not in self.emulator.world.chats:
            raise BadInput(f"unknown chat {chat_id}")
        return _ok(chat_views(self.emulator, chat_id, self.stamps))

    async def topics(self, request: web.Request) -> web.Response:
        return _ok(topic_views(self.emulator, self.scene.group_id))

    async def file(self, request: web.Request) -> web.Response:
        stored = self.emulator.world.files.get(request.match_info["file_id"])
        if stored is None:
            return _fail("no such file", status=404)
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        mime = stored.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        disposition = "attachment" if request.query.get("download") else "inline"
        return web.Response(
            body=stored.data,
            content_type=mime,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                # A file from a chat must never run as a page of this origin.
                "Content-Security-Policy": "sandbox",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def get_clock(self, request: web.Request) -> web.Response:
        return _ok(self.clock.json())

    async def set_clock(self, request: web.Request) -> web.Response:
        body = await _json(request)
        self._not_wiping()
        if body.get("reset"):
            self.clock.reset()
        elif body.get("to") == "next_month":
            now = self.clock.json()["now"]
            self.clock.advance(round(next_month_morning(self.timezone, now) - now))
        else:
            self.clock.advance(_int(body, "add_seconds"))
        if self.controls is not None:
            self.controls.clock_moved()
        clock = self.clock.json()
        self.feed.publish({"type": "clock", "clock": clock})
        return _ok(clock)

    # ---- starting over ----------------------------------------------------------------------

    async def wipe(self, request: web.Request) -> web.Response:
        """Every chat, topic, appeal and the clock offset gone; the same personas and staff."""
        body = await _json(request)
        if body.get("confirm") is not True:
            raise BadInput('send {"confirm": true}: this wipes every chat, appeal and the clock')
        if self.controls is None:
            return _fail("wiping needs the whole sandbox (python -m bot sandbox)", status=501)
        if self.wiping:
            return _fail("the sandbox is being wiped already", status=409)
        self.wiping = True
        self.feed.publish({"type": "wiping"})
        try:
            # Shielded: a page that goes away meanwhile must not leave half a sandbox.
            await asyncio.shield(self.controls.wipe(self._fresh))
        except Exception as error:
            self.feed.publish({"type": "wipe_failed", "error": str(error)})
            return _fail(f"wiping failed: {error}", status=500)
        finally:
            self.wiping = False
        clock = self.clock.json()
        self.feed.publish({"type": "wiped", "clock": clock})
        return _ok({"clock": clock})

    def _fresh(self, emulator: BotAPIEmulator, scene: Scene) -> None:
        self.emulator = emulator
        self.scene = scene
        self.stamps.clear()
        self.feed.rebind(emulator)

    def _not_wiping(self) -> None:
        if self.wiping:
            raise BadInput("the sandbox is being wiped; try again in a few seconds")

    # ---- acting -----------------------------------------------------------------------------

    async def send_text(self, request: web.Request) -> web.Response:
        body = await _json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadInput("text is empty")
        user_id, chat_id, thread_id = self._where(body)
        sent = self.emulator.send_text(
            user_id,
            text,
            chat_id=chat_id,
            thread_id=thread_id,
            reply_to=_opt_int(body, "reply_to"),
        )
        return _ok({"message_id": sent["message_id"]})

    async def send_contact(self, request: web.Request) -> web.Response:
        body = await _json(request)
        self._not_wiping()
        persona = self.scene.persona(_int(body, "user_id"))
        if persona is None:
            raise BadInput("only an owner persona shares a contact")
        sent = self.emulator.send_contact(persona.user_id, persona.phone)
        return _ok({"message_id": sent["message_id"]})

    async def send_location(self, request: web.Request) -> web.Response:
        user_id, chat_id, thread_id = self._where(await _json(request))
        sent = self.emulator.send_location(user_id, chat_id=chat_id, thread_id=thread_id)
        return _ok({"message_id": sent["message_id"]})

    async def press(self, request: web.Request) -> web.Response:
        body = await _json(request)
        data = body.get("callback_data")
        if not isinstance(data, str) or not data:
            raise BadInput("callback_data is empty")
        user_id, chat_id, _ = self._where(body)
        query_id = self.emulator.press_button(
            user_id, chat_id or user_id, _int(body, "message_id"), data
        )
        return _ok({"callback_query_id": query_id})

    async def upload(self, request: web.Request) -> web.Response:
        fields, files = await read_multipart(request)
        user_id, chat_id, thread_id = self._where(fields)
        if not files:
            raise BadInput("no files")
        sent: list[dict[str, Any]] = []
        if len(files) == 1:
            sent.append(self._send_one(user_id, chat_id, thread_id, files[0]))
        else:
            for start in range(0, len(files), ALBUM_SIZE):
                chunk = files[start : start + ALBUM_SIZE]
                if len(chunk) == 1:
                    sent.append(self._send_one(user_id, chat_id, thread_id, chunk[0]))
                    continue
                items: list[dict[str, Any] | bytes] = [album_item(f) for f in chunk]
                sent.extend(
                    self.emulator.send_album(user_id, items, chat_id=chat_id, thread_id=thread_id)
                )
        return _ok({"message_ids": [m["message_id"] for m in sent]})

    def _send_one(
        self, user_id: int, chat_id: int | None, thread_id: int | None, upload: Upload
    ) -> dict[str, Any]:
        if upload.is_photo:
            return self.emulator.send_photo(
                user_id, upload.data, chat_id=chat_id, thread_id=thread_id
            )
        return self.emulator.send_document(
            user_id,
            upload.name,
            upload.data,
            upload.mime_type,
            chat_id=chat_id,
            thread_id=thread_id,
        )

    def _where(self, body: dict[str, Any]) -> tuple[int, int | None, int | None]:
        """Who acts, in which chat and topic: owners in their own chat, staff in the group."""
        self._not_wiping()
        user_id = _int(body, "user_id")
        chat_id = _opt_int(body, "chat_id")
        thread_id = _opt_int(body, "thread_id")
        if chat_id in (None, user_id):
            if self.scene.persona(user_id) is None:
                raise BadInput(f"user {user_id} is not an owner persona")
            return user_id, None, None
        if chat_id != self.scene.group_id or not self.scene.is_staff(user_id):
            raise BadInput(f"user {user_id} can't write to chat {chat_id}")
        return user_id, chat_id, thread_id


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise BadInput("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object")
    return body


def _int(body: dict[str, Any], key: str) -> int:
    value = _opt_int(body, key)
    if value is None:
        raise BadInput(f"{key} is required")
    return value


def _opt_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInput(f"{key} must be an integer") from None


@web.middleware
async def errors_as_json(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except ValueError as error:  # BadInput, and the emulator's refusals
        return _fail(str(error))
    return response


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _fail(error: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
