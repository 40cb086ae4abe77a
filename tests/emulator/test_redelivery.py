from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator
from tests.emulator import Env, running_env, send_text_update
from tests.emulator.hook import Hit, HookServer


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


async def raw_get_updates(emu: BotAPIEmulator, **params: int) -> list[dict[str, Any]]:
    """getUpdates as JSON, the way Telegram's answer looks on the wire."""
    url = f"{emu.base_url}/bot{emu.token}/getUpdates"
    async with aiohttp.ClientSession() as http, http.post(url, data=params) as resp:
        body = await resp.json()
    assert body["ok"], body
    result: list[dict[str, Any]] = body["result"]
    return result


async def control(emu: BotAPIEmulator, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{emu.base_url}/_emu/{path}"
    async with aiohttp.ClientSession() as http:
        request = http.post(url, json=body) if body is not None else http.get(url)
        async with request as resp:
            return resp.status, await resp.json()


async def test_redeliver_returns_a_confirmed_update_to_get_updates(env: Env) -> None:
    first = send_text_update(env.emu, env.user_id, "бір")
    [original] = await raw_get_updates(env.emu, timeout=0)
    assert await raw_get_updates(env.emu, offset=first + 1, timeout=0) == []

    assert env.emu.redeliver(first) == original
    assert env.emu.pending_updates == [original]
    # The bot's offset is past it already; it comes back anyway, same id, same body.
    assert await raw_get_updates(env.emu, offset=first + 1, timeout=0) == [original]
    assert await raw_get_updates(env.emu, offset=first + 1, timeout=0) == []
    assert [(e["update_id"], e["via"], e["status"]) for e in env.emu.handed_out] == [
        (first, "poll", "ok"),
        (first, "poll", "ok"),
    ]


async def test_a_replay_comes_before_newer_updates_in_one_batch(env: Env) -> None:
    first = send_text_update(env.emu, env.user_id, "бір")
    await env.bot.get_updates(timeout=0)
    await env.bot.get_updates(offset=first + 1, timeout=0)
    second = send_text_update(env.emu, env.user_id, "екі")
    env.emu.redeliver(first)
    updates = await env.bot.get_updates(offset=first + 1, timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    assert await env.bot.get_updates(offset=second + 1, timeout=0) == []


async def test_redeliver_of_an_unconfirmed_update_waits_for_the_confirmation(env: Env) -> None:
    first = send_text_update(env.emu, env.user_id, "бір")
    env.emu.redeliver(first)
    # Not yet handed out: it goes out once, then once more after it is confirmed.
    assert [u.update_id for u in await env.bot.get_updates(timeout=0)] == [first]
    assert [u.update_id for u in await env.bot.get_updates(offset=first + 1, timeout=0)] == [first]
    assert await env.bot.get_updates(offset=first + 1, timeout=0) == []


async def test_redeliver_unknown_update_is_an_error(env: Env) -> None:
    with pytest.raises(ValueError, match="no update 99"):
        env.emu.redeliver(99)


async def test_redeliver_posts_again_and_the_body_is_what_get_updates_returns(
    env: Env, hook: HookServer
) -> None:
    await env.bot.set_webhook(hook.url)
    update_id = send_text_update(env.emu, env.user_id, "Сәлем 😀")
    await env.emu.wait_for_delivery(update_id)
    env.emu.redeliver(update_id)
    await env.emu.wait_for_delivery(update_id, count=2)
    assert hook.ids() == [update_id, update_id]
    assert hook.hits[0].update == hook.hits[1].update

    await env.bot.delete_webhook()
    env.emu.redeliver(update_id)
    assert await raw_get_updates(env.emu, timeout=0) == [hook.hits[0].update]
    assert [e["via"] for e in env.emu.handed_out] == ["webhook", "webhook", "poll"]


async def test_duplicate_updates_hands_each_out_twice_when_polling(env: Env) -> None:
    env.emu.duplicate_updates(1.0)
    first = send_text_update(env.emu, env.user_id, "бір")
    second = send_text_update(env.emu, env.user_id, "екі")
    batch = await env.bot.get_updates(timeout=0)
    assert [u.update_id for u in batch] == [first, second]
    again = await env.bot.get_updates(offset=second + 1, timeout=0)
    assert [u.update_id for u in again] == [first, second]
    assert [u.model_dump() for u in again] == [u.model_dump() for u in batch]
    # A duplicate is not duplicated again.
    assert await env.bot.get_updates(offset=second + 1, timeout=0) == []
    env.emu.duplicate_updates(0)
    third = send_text_update(env.emu, env.user_id, "үш")
    assert [u.update_id for u in await env.bot.get_updates(offset=second + 1)] == [third]
    assert await env.bot.get_updates(offset=third + 1, timeout=0) == []


async def test_duplicate_updates_posts_each_twice_in_order(env: Env, hook: HookServer) -> None:
    env.emu.duplicate_updates(1.0)
    await env.bot.set_webhook(hook.url)
    first = send_text_update(env.emu, env.user_id, "бір")
    second = send_text_update(env.emu, env.user_id, "екі")
    await env.emu.wait_for_delivery(first, second, count=2)
    assert hook.ids() == [first, first, second, second]


async def poll_with_duplicates(seed: int) -> list[int]:
    """Ten updates polled to the end, as aiogram moves its offset, with half of them doubled."""
    async with running_env() as env:
        env.emu.duplicate_updates(0.5, seed=seed)
        for n in range(10):
            send_text_update(env.emu, env.user_id, f"#{n}")
        offset: int | None = None
        while updates := await env.bot.get_updates(offset=offset, timeout=0):
            offset = updates[-1].update_id + 1
        return [e["update_id"] for e in env.emu.handed_out]


async def test_duplicate_updates_draw_from_the_seed() -> None:
    run = await poll_with_duplicates(seed=7)
    assert run == await poll_with_duplicates(seed=7)
    assert sorted(set(run)) == list(range(1, 11))
    assert 10 < len(run) < 20


async def test_duplicate_probability_must_be_a_probability(env: Env) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        env.emu.duplicate_updates(1.5)


async def test_handed_out_logs_polls_and_every_webhook_attempt(env: Env, hook: HookServer) -> None:
    polled = send_text_update(env.emu, env.user_id, "by polling")
    await env.bot.get_updates(timeout=0)
    answers = [500]

    async def respond_500_once(hit: Hit, request: web.Request) -> web.StreamResponse:
        return web.Response(status=answers.pop()) if answers else web.Response()

    hook.respond = respond_500_once
    # Never confirmed by an offset: the webhook gets it too, as Telegram would send it.
    await env.bot.set_webhook(hook.url)
    pushed = send_text_update(env.emu, env.user_id, "by webhook")
    # One chat: the older update first, retried until 2xx, then the new one.
    await env.emu.wait_for_delivery(pushed)
    assert [(e["update_id"], e["via"], e["status"]) for e in env.emu.handed_out] == [
        (polled, "poll", "ok"),
        (polled, "webhook", 500),
        (polled, "webhook", 200),
        (pushed, "webhook", 200),
    ]
    assert all(isinstance(e["time"], float) for e in env.emu.handed_out)
    assert env.emu.delivered_update_ids() == {polled, pushed}


async def test_control_api_redelivers_duplicates_and_reports(env: Env) -> None:
    first = send_text_update(env.emu, env.user_id, "бір")
    await env.bot.get_updates(timeout=0)
    await env.bot.get_updates(offset=first + 1, timeout=0)
    status, answer = await control(env.emu, "redeliver", {"update_id": first})
    assert status == 200 and answer["result"]["update_id"] == first
    status, answer = await control(env.emu, "redeliver", {"update_id": 4242})
    assert status == 400 and "no update 4242" in answer["error"]
    assert [u.update_id for u in await env.bot.get_updates(offset=first + 1, timeout=0)] == [first]

    status, answer = await control(env.emu, "duplicate_updates", {"probability": 1.0})
    assert status == 200 and env.emu.world.updates.duplicate_probability == 1.0
    _, log = await control(env.emu, "handed_out?since=1")
    assert [e["update_id"] for e in log["result"]] == [first]
    _, delivered = await control(env.emu, "delivered")
    assert delivered["result"] == [first]
    _, info = await control(env.emu, "webhook")
    assert info["result"] == {"url": "", "has_custom_certificate": False, "pending_update_count": 1}
