"""Emulator events turned into page events and fanned out to every open page."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator

from .clock import Stamps
from .views import message_view, topic_views

Event = dict[str, Any]
_MESSAGE_EVENTS = ("new", "edited", "deleted", "reaction")
KEEPALIVE_SECONDS = 15.0


class Feed:
    def __init__(self, emulator: BotAPIEmulator, stamps: Stamps | None = None) -> None:
        self.emulator = emulator
        self.stamps = stamps
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self._closed = False
        self._attached = False

    def attach(self) -> None:
        self.emulator.listeners.append(self.on_emulator_event)
        self._attached = True

    def detach(self) -> None:
        self._attached = False
        if self.on_emulator_event in self.emulator.listeners:
            self.emulator.listeners.remove(self.on_emulator_event)

    def rebind(self, emulator: BotAPIEmulator) -> None:
        """Follow a fresh emulator (the sandbox's data was wiped)."""
        attached = self._attached
        self.detach()
        self.emulator = emulator
        if attached:
            self.attach()

    def on_emulator_event(self, event: Event) -> None:
        page_event = self.translate(event)
        if page_event is not None:
            self.publish(page_event)

    def translate(self, event: Event) -> Event | None:
        kind = event.get("type")
        if kind in _MESSAGE_EVENTS:
            return {
                "type": "message",
                "action": kind,
                "message": message_view(self.emulator, event["message"], self.stamps),
            }
        if kind == "topic":
            chat_id = event["chat_id"]
            return {
                "type": "topics",
                "chat_id": chat_id,
                "topics": topic_views(self.emulator, chat_id),
            }
        if kind == "callback_answer":
            return {
                "type": "callback_answer",
                "callback_query_id": event["callback_query_id"],
                "text": event.get("text"),
                "show_alert": bool(event.get("show_alert")),
            }
        if kind == "chat_action":
            return {"type": "chat_action", "chat_id": event["chat_id"], "action": event["action"]}
        return None

    def publish(self, event: Event) -> None:
        for queue in self._queues:
            queue.put_nowait(event)

    def close(self) -> None:
        """End every open stream, so the web server can stop without waiting for pages."""
        self._closed = True
        for queue in self._queues:
            queue.put_nowait(None)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events; the browser's EventSource reconnects by itself."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.add(queue)
        try:
            await response.write(b"event: hello\ndata: {}\n\n")
            while not self._closed:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                data = json.dumps(event, ensure_ascii=False, default=str)
                await response.write(f"data: {data}\n\n".encode())
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self._queues.discard(queue)
        return response
