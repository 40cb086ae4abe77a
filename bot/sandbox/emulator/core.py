"""BotAPIEmulator: a local Telegram Bot API that aiogram talks to as if it were Telegram."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from .actors import UserActions
from .control import ControlApi
from .delivery import WebhookSender
from .limits import FaultInjector, RateLimiter, RateLimits
from .server import BotApiServer
from .updates import Pulse, is_success
from .webhook import webhook_info
from .world import World

DEFAULT_TOKEN = "123456:TEST-token-for-the-local-emulator"
Entry = dict[str, Any]


class BotAPIEmulator(UserActions):
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "adal_test_bot",
        *,
        seed: int | None = None,
    ) -> None:
        self.world = World(token, bot_username, seed=seed)
        self.faults = FaultInjector(seed)
        self.limiter = RateLimiter()
        self.api = BotApiServer(self.world, self.faults, self.limiter)
        self.webhook_sender = WebhookSender(self.world.updates)
        self.control = ControlApi(self)
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    # ---- lifecycle --------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username or ""

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(self.api.routes())
        app.add_routes(self.control.routes())
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # handler_cancellation: a long poll whose client went away stops waiting at once.
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self.webhook_sender.start()
        return self.base_url

    async def stop(self) -> None:
        self.world.updates.close()
        self.world.events.close()
        # Before the server goes: a webhook request in flight is cancelled, not left dangling.
        await self.webhook_sender.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- reading ----------------------------------------------------------------------------

    def transcript(self, chat_id: int, thread_id: int | None = None) -> list[Entry]:
        chat = self.world.chat(chat_id)
        return [
            self.world.entry(message)
            for message in chat.messages.values()
            if thread_id is None or message.thread_id == thread_id
        ]

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        return [topic.summary() for topic in self.world.chat(chat_id).topics.values()]

    @property
    def callback_answers(self) -> dict[str, dict[str, Any]]:
        return self.world.callback_answers

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        return self.world.commands

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self.api.calls

    @property
    def rate_limit_violations(self) -> list[dict[str, Any]]:
        return self.limiter.violations

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self.world.updates.pending)

    @property
    def handed_out(self) -> list[dict[str, Any]]:
        """Every time an update left: each getUpdates result item, each webhook POST attempt.

        ``{"update_id", "via": "poll" | "webhook", "time", "status"}``; status is ``"ok"``
        for polling, the HTTP status or the error (``"Read timeout expired"`` ...) for a
        webhook attempt, and ``None`` while the attempt is still waiting for its answer.
        """
        return self.world.updates.handed_out

    def delivered_update_ids(self) -> set[int]:
        """update_ids handed out successfully at least once (getUpdates, or a webhook 2xx)."""
        return self.world.updates.delivered_ids()

    def webhook_info(self) -> dict[str, Any]:
        """What getWebhookInfo answers."""
        return webhook_info(self.world)

    def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        """Every new/edited/deleted message (and topic, reaction, callback answer) event."""
        return self.world.events.subscribe()

    @property
    def listeners(self) -> list[Callable[[dict[str, Any]], None]]:
        """Synchronous callbacks called with each event; append to subscribe."""
        return self.world.events.listeners

    # ---- waiting ----------------------------------------------------------------------------

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[Entry], bool] | None = None,
        *,
        thread_id: int | None = None,
        after_message_id: int = 0,
        timeout: float = 30.0,
    ) -> Entry:
        """The first message the bot sent (newer than ``after_message_id``) matching ``predicate``.

        Service messages (topic created/edited/closed) don't count as sent messages.
        """

        def find() -> Entry | None:
            for entry in self.transcript(chat_id, thread_id):
                if (
                    entry["from_bot"]
                    and entry["message_id"] > after_message_id
                    and not entry["kind"].startswith("forum_topic_")
                    and (predicate is None or predicate(entry))
                ):
                    return entry
            return None

        try:
            return await self._wait(find, timeout)
        except TimeoutError:
            tail = "\n".join(_describe(e) for e in self.transcript(chat_id, thread_id)[-8:])
            raise TimeoutError(
                f"no matching bot message in chat {chat_id} within {timeout}s; "
                f"transcript tail:\n{tail or '(empty)'}"
            ) from None

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = 30.0
    ) -> dict[str, Any]:
        try:
            return await self._wait(lambda: self.callback_answers.get(callback_query_id), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {callback_query_id} not answered within {timeout}s"
            ) from None

    async def wait_for_delivery(
        self, *update_ids: int, count: int = 1, timeout: float = 30.0
    ) -> None:
        """Until each update was handed out successfully ``count`` times (redeliveries count)."""
        queue = self.world.updates

        def done() -> bool | None:
            successes = Counter(
                entry["update_id"] for entry in queue.handed_out if is_success(entry["status"])
            )
            return all(successes[update_id] >= count for update_id in update_ids) or None

        try:
            await self._wait(done, timeout, queue.pulse)
        except TimeoutError:
            missing = sorted(set(update_ids) - queue.delivered_ids())
            raise TimeoutError(
                f"updates {list(update_ids)} not delivered {count}x within {timeout}s; "
                f"never delivered: {missing}; last attempts: {queue.handed_out[-5:]}"
            ) from None

    async def wait_for_hand_outs(
        self, update_id: int, count: int, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The update's first ``count`` answered hand-outs, whatever their status (retries)."""
        queue = self.world.updates

        def find() -> list[dict[str, Any]] | None:
            settled = [
                entry
                for entry in queue.handed_out
                if entry["update_id"] == update_id and entry["status"] is not None
            ]
            return settled[:count] if len(settled) >= count else None

        try:
            found: list[dict[str, Any]] = await self._wait(find, timeout, queue.pulse)
        except TimeoutError:
            raise TimeoutError(
                f"update {update_id} not handed out {count}x within {timeout}s"
            ) from None
        return found

    async def wait_for_call(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first Bot API call of ``method`` (any case), as soon as its request arrives."""
        wanted = method.lower()

        def find() -> dict[str, Any] | None:
            return next((c for c in self.calls if c["method"].lower() == wanted), None)

        try:
            found: dict[str, Any] = await self._wait(find, timeout)
        except TimeoutError:
            raise TimeoutError(f"no {method} call within {timeout}s") from None
        return found

    async def _wait(
        self, find: Callable[[], Any], timeout: float, pulse: Pulse | None = None
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            wakeup = (pulse or self.world.changed).current
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            await asyncio.wait_for(wakeup.wait(), remaining)

    # ---- faults and limits ------------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        count: int | None = 1,
        probability: float | None = None,
        retry_after: int = 1,
        delay: float = 0.0,
        description: str | None = None,
    ) -> None:
        """Make matching calls fail: kind is 429, 403, 400, 5xx, timeout or latency.

        ``method=None`` matches every method but getUpdates; ``count=None`` never runs out;
        ``probability`` draws from the seeded generator. ``timeout`` hangs ``delay`` seconds
        and then drops the connection; ``latency`` waits ``delay`` and answers normally.
        """
        self.faults.add(
            kind,
            method=method,
            chat_id=chat_id,
            count=count,
            probability=probability,
            retry_after=retry_after,
            delay=delay,
            description=description,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limits(
        self,
        per_private_chat_per_s: float = 1,
        per_group_per_min: float = 20,
        total_per_s: float = 30,
        scale: float = 1.0,
        enforce: bool = True,
    ) -> None:
        """Telegram's flood limits over sliding windows; ``scale`` multiplies every limit."""
        self.limiter.configure(
            RateLimits(per_private_chat_per_s, per_group_per_min, total_per_s, scale, enforce)
        )

    def clear_rate_limits(self) -> None:
        self.limiter.configure(None)

    # ---- webhook and redelivery -------------------------------------------------------------

    @property
    def webhook_timeout(self) -> float:
        """Seconds a webhook request may take before it counts as failed (Telegram: ~10)."""
        return self.webhook_sender.timeout

    @webhook_timeout.setter
    def webhook_timeout(self, seconds: float) -> None:
        self.webhook_sender.timeout = seconds

    @property
    def webhook_retry_delay(self) -> float:
        """The pause after a first failed webhook request; it doubles with each failure."""
        return self.webhook_sender.retry_delay

    @webhook_retry_delay.setter
    def webhook_retry_delay(self, seconds: float) -> None:
        self.webhook_sender.retry_delay = seconds

    @property
    def webhook_max_retry_delay(self) -> float:
        return self.webhook_sender.max_retry_delay

    @webhook_max_retry_delay.setter
    def webhook_max_retry_delay(self, seconds: float) -> None:
        self.webhook_sender.max_retry_delay = seconds

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Hand an update out once more: same update_id, same body, by getUpdates or webhook.

        getUpdates returns it even though the bot's offset already confirmed it. An update
        still queued goes out again after its current delivery. Returns the update.
        """
        return self.world.updates.redeliver(update_id)

    def duplicate_updates(self, probability: float, *, seed: int | None = None) -> None:
        """Hand each update out a second time with ``probability`` after its first delivery.

        Telegram occasionally delivers an update twice; 0 turns this off. Draws come from the
        emulator's seed (or ``seed``), apart from the fault injector's.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        queue = self.world.updates
        queue.duplicate_probability = probability
        if seed is not None:
            queue.random.seed(seed)


def _describe(entry: Entry) -> str:
    who = "bot" if entry["from_bot"] else f"user {entry['from_user_id']}"
    body = entry["text"] or entry["caption"] or f"<{entry['kind']}>"
    flags = " (deleted)" if entry["deleted"] else ""
    return f"  #{entry['message_id']} {who}: {body[:200]!r}{flags}"
