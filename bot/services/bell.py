"""A doorbell for the delivery worker: rung after a commit that queued outbox rows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

QUEUED_KEY = "outbox_queued"


def mark_queued(session: AsyncSession) -> None:
    session.info[QUEUED_KEY] = True


class OutboxBell:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def connect(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(QUEUED_KEY, False):
            for listener in self._listeners:
                listener()
