from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import Message, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator
from tests.emulator import Env, make_bot, running_env, send_text_update
from tests.emulator.hook import Hit, HookServer, answer_500, answer_ok, drop_connection, hang

WRONG_500 = "Wrong response from the webhook: 500 Internal Server Error"


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        env.emu.webhook_timeout = 2.0
        yield env


def webhook_statuses(emu: BotAPIEmulator, update_id: int) -> list[int | str | None]:
    return [
        e["status"] for e in emu.handed_out if e["update_id"] == update_id and e["via"] == "webhook"
    ]


async def test_updates_arrive_as_json_with_the_secret_header(env: Env, hook: HookServer) -> None:
    assert await env.bot.set_webhook(hook.url, secret_token="s3cret_Token-1")
    sent = env.emu.send_text(env.user_id, "Сәлем")
    update_id = int(env.emu.pending_updates[-1]["update_id"])
    await env.emu.wait_for_delivery(update_id)
    [hit] = hook.hits
    assert hit.content_type == "application/json"
    assert hit.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_Token-1"
    assert hit.update == {"update_id": update_id, "message": sent}
    assert Update.model_validate(hit.update).message.text == "Сәлем"  # type: ignore[union-attr]
    info = await env.bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (hook.url, 0, 40)
    assert info.has_custom_certificate is False and info.last_error_message is None
    assert [(e["via"], e["status"]) for e in env.emu.handed_out] == [("webhook", 200)]


async def test_no_secret_means_no_header(env: Env, hook: HookServer) -> None:
    await env.bot.set_webhook(hook.url)
    await env.emu.wait_for_delivery(send_text_update(env.emu, env.user_id, "hi"))
    assert "X-Telegram-Bot-Api-Secret-Token" not in hook.hits[0].headers


@pytest.mark.parametrize(
    ("url", "secret", "description"),
    [
        ("ftp://example.kz/hook", None, "An HTTPS URL must be provided for webhook"),
        ("no url at all", None, "An HTTPS URL must be provided for webhook"),
        ("https:///hook", None, "invalid webhook URL specified"),
        ("https://example.kz/hook", "with space", "secret token contains unallowed characters"),
        ("https://example.kz/hook", "ключ", "secret token contains unallowed characters"),
        ("https://example.kz/hook", "a" * 257, "secret token is too long"),
    ],
)
async def test_set_webhook_rejects_bad_urls_and_secrets(
    env: Env, url: str, secret: str | None, description: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=description):
        await env.bot.set_webhook(url, secret_token=secret)
    assert (await env.bot.get_webhook_info()).url == ""


async def test_set_webhook_accepts_the_longest_secret_and_clamps_max_connections(
    env: Env,
) -> None:
    await env.bot.set_webhook(
        "https://example.kz/hook", secret_token="a" * 256, max_connections=500
    )
    assert (await env.bot.get_webhook_info()).max_connections == 100
    await env.bot.set_webhook("https://example.kz/hook", max_connections=0)
    assert (await env.bot.get_webhook_info()).max_connections == 1


async def test_empty_url_deletes_the_webhook(env: Env, hook: HookServer) -> None:
    await env.bot.set_webhook(hook.url, allowed_updates=["message", "callback_query"])
    info = await env.bot.get_webhook_info()
    assert info.allowed_updates == ["callback_query", "message"]
    await env.bot.set_webhook("")
    info = await env.bot.get_webhook_info()
    assert info.url == "" and info.max_connections is None and info.allowed_updates is None


async def test_pending_count_includes_updates_waiting_for_get_updates(env: Env) -> None:
    send_text_update(env.emu, env.user_id, "one")
    send_text_update(env.emu, env.user_id, "two")
    info = await env.bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 2)


async def test_a_500_is_retried_until_2xx_and_info_shows_the_error(
    env: Env, hook: HookServer
) -> None:
    hook.respond = answer_500
    await env.bot.set_webhook(hook.url)
    update_id = send_text_update(env.emu, env.user_id, "Өтініш")
    await hook.wait_until(lambda: len(hook.hits) >= 3)
    info = await env.bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == WRONG_500 and info.last_error_date is not None
    assert update_id not in env.emu.delivered_update_ids()

    hook.respond = answer_ok
    await env.emu.wait_for_delivery(update_id)
    statuses = webhook_statuses(env.emu, update_id)
    assert statuses[-1] == 200 and set(statuses[:-1]) == {500} and len(statuses) >= 4
    assert {hit.update_id for hit in hook.hits} == {update_id}
    info = await env.bot.get_webhook_info()
    # Telegram keeps reporting the last error after delivery recovers.
    assert info.pending_update_count == 0 and info.last_error_message == WRONG_500


async def test_a_dropped_connection_and_a_timeout_are_retried(env: Env, hook: HookServer) -> None:
    env.emu.webhook_timeout = 0.3
    script = [drop_connection, hang]

    async def respond(hit: Hit, request: web.Request) -> web.StreamResponse:
        if script == [hang]:
            # A request's timeout is fixed when it is sent: this one still hangs up at 0.3 s,
            # the retry after it gets time enough on a slow machine.
            env.emu.webhook_timeout = 5.0
        return await (script.pop(0) if script else answer_ok)(hit, request)

    hook.respond = respond
    await env.bot.set_webhook(hook.url)
    update_id = send_text_update(env.emu, env.user_id, "қайта")
    await env.emu.wait_for_delivery(update_id)
    assert webhook_statuses(env.emu, update_id) == [
        "Connection reset by peer",
        "Read timeout expired",
        200,
    ]
    assert [hit.update for hit in hook.hits[1:]] == [hook.hits[0].update] * 2
    assert (await env.bot.get_webhook_info()).last_error_message == "Read timeout expired"


async def test_an_unreachable_url_is_retried(env: Env, hook: HookServer) -> None:
    await hook.stop()
    await env.bot.set_webhook(hook.url)
    update_id = send_text_update(env.emu, env.user_id, "кто-нибудь?")
    attempts = await env.emu.wait_for_hand_outs(update_id, 3)
    assert {e["status"] for e in attempts} == {"Connection refused"}
    info = await env.bot.get_webhook_info()
    assert info.last_error_message == "Connection refused" and info.pending_update_count == 1
    with pytest.raises(TimeoutError, match=rf"never delivered: \[{update_id}\]"):
        await env.emu.wait_for_delivery(update_id, timeout=0.1)


async def test_one_chat_in_order_while_two_chats_interleave(env: Env, hook: HookServer) -> None:
    other = env.emu.add_user("Бауыржан")
    await env.bot.set_webhook(hook.url)
    hook.gate.clear()
    first_a = send_text_update(env.emu, env.user_id, "A1")
    first_b = send_text_update(env.emu, other, "B1")
    second_a = send_text_update(env.emu, env.user_id, "A2")
    second_b = send_text_update(env.emu, other, "B2")
    third_a = send_text_update(env.emu, env.user_id, "A3")
    await hook.wait_until(lambda: hook.active == 2)
    # One request per chat in flight; the next of each waits for its 2xx.
    assert sorted(hook.ids()) == [first_a, first_b]
    assert sorted(e["update_id"] for e in env.emu.handed_out) == [first_a, first_b]

    failed_once: list[int] = []

    async def respond(hit: Hit, request: web.Request) -> web.StreamResponse:
        if hit.update_id == first_a and not failed_once:
            failed_once.append(hit.update_id)
            return await answer_500(hit, request)
        return await answer_ok(hit, request)

    hook.respond = respond
    hook.gate.set()
    await env.emu.wait_for_delivery(first_a, first_b, second_a, second_b, third_a)
    chat_a = [
        hit.update_id for hit in hook.hits if hit.update["message"]["chat"]["id"] == env.user_id
    ]
    chat_b = [hit.update_id for hit in hook.hits if hit.update["message"]["chat"]["id"] == other]
    assert chat_a == [first_a, first_a, second_a, third_a]
    assert chat_b == [first_b, second_b]


async def test_max_connections_bounds_requests_in_flight(env: Env, hook: HookServer) -> None:
    users = [env.emu.add_user(f"U{n}") for n in range(5)]
    await env.bot.set_webhook(hook.url, max_connections=2)
    hook.gate.clear()
    update_ids = [send_text_update(env.emu, user, "салют") for user in users]
    await hook.wait_until(lambda: hook.active == 2)
    # The other three are waiting for a connection: they have not left the emulator.
    assert len(env.emu.handed_out) == 2 and env.emu.webhook_sender.in_flight == 2
    hook.gate.set()
    await env.emu.wait_for_delivery(*update_ids)
    assert hook.peak == 2 and sorted(hook.ids()) == update_ids


async def test_get_updates_conflicts_while_a_webhook_is_set(env: Env, hook: HookServer) -> None:
    hook.respond = answer_500
    await env.bot.set_webhook(hook.url)
    update_id = send_text_update(env.emu, env.user_id, "polling?")
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await env.bot.get_updates(timeout=0)
    await hook.wait_until(lambda: len(hook.hits) >= 1)
    assert await env.bot.delete_webhook()
    updates = await env.bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [update_id]
    assert (await env.bot.get_webhook_info()).url == ""


async def test_a_waiting_long_poll_ends_with_conflict_when_a_webhook_is_set(
    env: Env, hook: HookServer
) -> None:
    poller = make_bot(env.emu)
    try:
        polling = asyncio.create_task(poller.get_updates(timeout=10))
        await env.emu.wait_for_call("getUpdates")
        await env.bot.set_webhook(hook.url)
        with pytest.raises(TelegramConflictError):
            await polling
    finally:
        await poller.session.close()


async def test_drop_pending_updates_drops(env: Env, hook: HookServer) -> None:
    hook.respond = answer_500
    await env.bot.set_webhook(hook.url)
    stuck = send_text_update(env.emu, env.user_id, "stuck")
    send_text_update(env.emu, env.user_id, "behind it")
    await hook.wait_until(lambda: len(hook.hits) >= 1)
    hook.respond = answer_ok
    await env.bot.set_webhook(hook.url, drop_pending_updates=True)
    assert (await env.bot.get_webhook_info()).pending_update_count == 0
    fresh = send_text_update(env.emu, env.user_id, "after the drop")
    await env.emu.wait_for_delivery(fresh)
    assert stuck not in env.emu.delivered_update_ids()
    assert hook.ids()[-1] == fresh

    await env.bot.delete_webhook()
    send_text_update(env.emu, env.user_id, "for polling")
    await env.bot.delete_webhook(drop_pending_updates=True)
    assert await env.bot.get_updates(timeout=0) == []


async def test_allowed_updates_filter_webhook_delivery(env: Env, hook: HookServer) -> None:
    await env.bot.set_webhook(hook.url, allowed_updates=["callback_query"])
    sent = await env.bot.send_message(env.user_id, "?")
    send_text_update(env.emu, env.user_id, "text is not wanted")
    query_id = env.emu.forge_callback(env.user_id, env.user_id, sent.message_id, "x")
    wanted = int(env.emu.pending_updates[-1]["update_id"])
    await env.emu.wait_for_delivery(wanted)
    assert [hit.update["callback_query"]["id"] for hit in hook.hits] == [query_id]


async def test_aiogram_webhook_handler_answers_through_the_emulator(
    env: Env, hook: HookServer
) -> None:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dispatcher, env.bot, secret_token="hook-secret").register(app, "/tg")
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await env.bot.set_webhook(f"http://{host}:{port}/tg", secret_token="hook-secret")
        incoming = env.emu.send_text(env.user_id, "Привет")
        reply = await env.emu.wait_for_message(
            env.user_id, after_message_id=incoming["message_id"], timeout=5
        )
        assert reply["text"] == "Эхо: Привет"
    finally:
        await runner.cleanup()
    assert [e["status"] for e in env.emu.handed_out] == [200]


async def test_stop_cancels_a_request_in_flight(hook: HookServer) -> None:
    hook.respond = hang
    emu = BotAPIEmulator(seed=1)
    await emu.start()
    bot = make_bot(emu)
    try:
        user = emu.add_user("Асем")
        await bot.set_webhook(hook.url)
        send_text_update(emu, user, "и тишина")
        await hook.wait_until(lambda: hook.active == 1)
    finally:
        await bot.session.close()
        await asyncio.wait_for(emu.stop(), 3)
    assert [e["status"] for e in emu.handed_out] == ["cancelled"]
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "emulator-webhook"]
