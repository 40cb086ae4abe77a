from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox.emulator import BotAPIEmulator, make_png
from bot.sandbox.emulator.html_text import HtmlError, parse_html
from tests.emulator import Env, running_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


async def control(emu: BotAPIEmulator, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{emu.base_url}/_emu/{path}"
    async with aiohttp.ClientSession() as http:
        request = http.post(url, json=body) if body is not None else http.get(url)
        async with request as resp:
            answer = await resp.json()
    assert answer["ok"], answer
    return answer["result"]


async def test_http_control_creates_users_sends_and_reads(env: Env) -> None:
    user = (await control(env.emu, "users", {"first_name": "Дана", "language_code": "kk"}))[
        "user_id"
    ]
    sent = await control(env.emu, "send_text", {"user_id": user, "text": "/start"})
    assert sent["chat"]["id"] == user and sent["entities"][0]["type"] == "bot_command"
    await env.bot.send_message(user, "<b>Сәлем</b>", parse_mode="HTML")
    photo = base64.b64encode(make_png()).decode()
    await control(env.emu, "send_photo", {"user_id": user, "data": photo, "caption": "акт"})
    transcript = await control(env.emu, f"transcript?chat_id={user}")
    assert [(e["from_bot"], e["kind"], e["text"] or e["caption"]) for e in transcript] == [
        (False, "text", "/start"),
        (True, "text", "Сәлем"),
        (False, "photo", "акт"),
    ]
    calls = await control(env.emu, "calls")
    assert calls[-1]["method"] == "sendMessage" and calls[-1]["params"]["chat_id"] == str(user)


async def test_http_control_groups_buttons_faults_and_topics(env: Env) -> None:
    group = (
        await control(env.emu, "groups", {"title": "Ops", "forum": True, "members": [env.user_id]})
    )["chat_id"]
    topic = await env.bot.create_forum_topic(group, "Тема")
    assert (await control(env.emu, f"topics?chat_id={group}"))[0]["name"] == "Тема"
    await control(env.emu, "faults", {"kind": "5xx", "method": "getMe"})
    await control(env.emu, "rate_limits", {"enforce": False})
    sent = await env.bot.send_message(
        group,
        "?",
        message_thread_id=topic.message_thread_id,
        reply_markup={"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]},  # type: ignore[arg-type]
    )
    pressed = await control(
        env.emu,
        "press_button",
        {
            "user_id": env.user_id,
            "chat_id": group,
            "message_id": sent.message_id,
            "callback_data": "yes",
        },
    )
    assert pressed["callback_query_id"] in env.emu.world.callback_queries
    url = f"{env.emu.base_url}/_emu/press_button"
    async with aiohttp.ClientSession() as http, http.post(url, json={"user_id": 1}) as resp:
        assert resp.status == 400 and not (await resp.json())["ok"]


async def test_subscribe_and_server_sent_events(env: Env) -> None:
    seen: list[dict[str, Any]] = []
    env.emu.listeners.append(seen.append)
    stream = env.emu.subscribe()
    first_event = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    events_url = f"{env.emu.base_url}/_emu/events"
    async with aiohttp.ClientSession() as http, http.get(events_url) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert await resp.content.readline() == b": connected\n"
        await resp.content.readline()
        sent = await env.bot.send_message(env.user_id, "live")
        await env.bot.delete_message(env.user_id, sent.message_id)
        lines = [await resp.content.readline() for _ in range(6)]
    events = [json.loads(line[len(b"data: ") :]) for line in lines if line.startswith(b"data")]
    assert [(e["type"], e["message"]["text"]) for e in events] == [
        ("new", "live"),
        ("deleted", "live"),
    ]
    assert (await first_event)["message"]["text"] == "live"
    assert [e["type"] for e in seen] == ["new", "deleted"]
    await stream.aclose()  # type: ignore[attr-defined]


def test_html_parser_offsets_are_utf16() -> None:
    text, entities = parse_html('😀 <b>жирный</b> <pre><code class="language-py">x</code></pre>')
    assert text == "😀 жирный x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "pre", "language": "py", "offset": 10, "length": 1},
    ]
    assert parse_html("<tg-spoiler>a</tg-spoiler><blockquote expandable>b</blockquote>")[1] == [
        {"type": "spoiler", "offset": 0, "length": 1},
        {"type": "expandable_blockquote", "offset": 1, "length": 1},
    ]
    with pytest.raises(HtmlError, match='Unsupported start tag "br"'):
        parse_html("a<br>b")


async def test_cli_prints_ids_and_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.emulator_cli",
        "--port",
        "0",
        "--forum-group-with-members",
        "3",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 10)).decode() for _ in range(5)]
        values = dict(line.strip().split("=", 1) for line in lines)
        assert set(values) == {"BASE_URL", "TOKEN", "USER_ID", "GROUP_ID", "STAFF_IDS"}
        assert len(values["STAFF_IDS"].split(",")) == 3
        url = f"{values['BASE_URL']}/bot{values['TOKEN']}/getChat"
        form = {"chat_id": values["GROUP_ID"]}
        async with aiohttp.ClientSession() as http, http.post(url, data=form) as resp:
            chat = (await resp.json())["result"]
        assert chat["is_forum"] is True
    finally:
        process.terminate()
        await process.wait()
