"""Injected faults and Telegram-like flood limits."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, forbidden, too_many_requests

FAULT_KINDS = frozenset({"429", "403", "400", "5xx", "timeout", "latency"})
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "sendcontact",
        "sendlocation",
        "sendsticker",
        "sendvoice",
        "sendvideo",
        "sendaudio",
        "sendanimation",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass
class Fault:
    kind: str
    method: str | None
    chat_id: str | None
    remaining: int | None
    probability: float | None
    retry_after: int
    delay: float
    description: str | None

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method is None:
            # Unscoped faults leave polling alone; target getUpdates explicitly to break it.
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == str(chat_id)

    def error(self) -> ApiError:
        if self.kind == "429":
            return too_many_requests(self.retry_after)
        if self.kind == "403":
            return (
                ApiError(403, self.description)
                if self.description
                else forbidden("bot was blocked by the user")
            )
        if self.kind == "400":
            return ApiError(400, self.description or "Bad Request: injected fault")
        return ApiError(500, self.description or "Internal Server Error")


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self.faults: list[Fault] = []
        self.random = random.Random(seed)

    def add(
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
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {sorted(FAULT_KINDS)}")
        fault = Fault(
            kind=kind,
            method=method.lower() if method else None,
            chat_id=None if chat_id is None else str(chat_id),
            remaining=count,
            probability=probability,
            retry_after=retry_after,
            delay=delay,
            description=description,
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def pick(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self.faults:
            if not fault.matches(method, chat_id):
                continue
            if fault.probability is not None and self.random.random() >= fault.probability:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault
        return None


@dataclass
class Window:
    """A sliding window allowing ``capacity`` sends per ``seconds``."""

    capacity: float
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def trim(self, now: float) -> None:
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()

    def retry_after(self, now: float, count: int) -> float:
        """0 when ``count`` more sends fit now, else the seconds until they do."""
        self.trim(now)
        overflow = len(self.stamps) + count - math.floor(self.capacity)
        if overflow <= 0:
            return 0.0
        if overflow > len(self.stamps):
            return self.seconds
        return self.stamps[overflow - 1] + self.seconds - now

    def record(self, now: float, count: int) -> None:
        self.stamps.extend([now] * count)


# Telegram asks for about one message a second in a private chat and tolerates short bursts:
# modelled as three in any three seconds.
PRIVATE_WINDOW_S = 3.0


def _window(rate: float, seconds: float) -> tuple[float, float]:
    capacity = rate * seconds
    if capacity < 1:
        return 1.0, 1 / rate
    return capacity, seconds


@dataclass
class RateLimits:
    per_private_chat_per_s: float = 1.0
    per_group_per_min: float = 20.0
    total_per_s: float = 30.0
    scale: float = 1.0
    enforce: bool = True


class RateLimiter:
    """Counts message sends; ``scale`` multiplies every limit (2.0 = twice as permissive)."""

    def __init__(self) -> None:
        self.config: RateLimits | None = None
        self.violations: list[dict[str, Any]] = []
        self._windows: dict[str, Window] = {}

    def configure(self, config: RateLimits | None) -> None:
        self.config = config
        self._windows.clear()

    def _windows_for(self, chat_id: int) -> dict[str, Window]:
        assert self.config is not None
        config = self.config
        if chat_id > 0:
            key, rate = f"chat:{chat_id}", config.per_private_chat_per_s
            seconds = PRIVATE_WINDOW_S
        else:
            key, rate, seconds = f"chat:{chat_id}", config.per_group_per_min / 60, 60.0
        if key not in self._windows:
            self._windows[key] = Window(*_window(rate * config.scale, seconds))
        if "total" not in self._windows:
            self._windows["total"] = Window(*_window(config.total_per_s * config.scale, 1.0))
        return {"chat": self._windows[key], "total": self._windows["total"]}

    def check(self, method: str, chat_id: int | None, count: int) -> None:
        """Record a send; raise 429 when over the limit and enforcing."""
        if self.config is None or method not in SENDING_METHODS or chat_id is None:
            return
        now = time.monotonic()
        windows = self._windows_for(chat_id)
        waits = {name: w.retry_after(now, count) for name, w in windows.items()}
        worst = max(waits.values())
        if worst > 0:
            self.violations.append(
                {
                    "time": time.time(),
                    "method": method,
                    "chat_id": chat_id,
                    "count": count,
                    "limits": [name for name, wait in waits.items() if wait > 0],
                    "retry_after": worst,
                    "enforced": self.config.enforce,
                }
            )
            if self.config.enforce:
                raise too_many_requests(max(1, math.ceil(worst)))
        for window in windows.values():
            window.record(now, count)
