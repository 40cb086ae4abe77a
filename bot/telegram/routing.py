"""Sync filters and handlers run inline, not in a thread.

aiogram calls a callback that is not a coroutine function through ``asyncio.to_thread``: every
magic filter (``F.chat.type == ...``, ``F.text``) then costs a thread hand-off and a copy of
the context, and a private message passes a dozen routers' filters on its way. Ours are
attribute checks of microseconds, so they are cheaper on the loop than the hand-off they
would wait for (measured in B1: see docs/benchmarks.md, "Fast: third step").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject


def _inline(sync: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    return run


def callables(router: Router) -> Iterator[CallableObject]:
    """Every filter and handler of the router and the routers included in it."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            # The observer's own filters (``router.message.filter(...)``) sit on a handler of
            # its own.
            yield from observer._handler.filters or []
            for handler in observer.handlers:
                yield handler
                yield from handler.filters or []


def run_inline(router: Router) -> Router:
    """Make every sync filter and handler of the tree awaitable, in place."""
    for item in callables(router):
        if not item.awaitable:
            # The keyword arguments it takes were read from the original's signature.
            item.callback = _inline(item.callback)
            item.awaitable = True
    return router
