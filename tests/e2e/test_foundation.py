"""The real bot process against the emulator: start, crash, restart, graceful stop."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import select

from bot.sandbox.emulator import BotAPIEmulator
from models import User
from tests.e2e.harness import BotProcess, ChatDriver
from tests.support import database


async def test_start_survives_sigkill_with_user_row_and_fsm_state(
    emu: BotAPIEmulator, bot_process: BotProcess
) -> None:
    user = emu.add_user("Айдос", "Серікұлы", language_code="kk")
    chat = ChatDriver(emu, user)
    reply = await chat.say("/start", "Тілді таңдаңыз")
    assert [button[0] for row in reply["buttons"] for button in row] == ["Қазақша", "Русский"]

    await bot_process.kill()
    await bot_process.start()

    url = bot_process.env["DATABASE_URL"]
    assert database.fetch_all(url, select(User.id).where(User.id == user)) != []
    if database.is_sqlite():
        with sqlite3.connect(bot_process.workdir / "bot.db") as db:
            assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    # The language question is still pending: a text gets the hint and the buttons again.
    hint = await chat.say("сәлем", "батырма арқылы")
    assert len(hint["buttons"][0]) == 2
    welcome = await chat.press("lang:kk", "жобалық кеңсесі")
    assert "Жаңа өтініш" in str(welcome["reply_markup"])


async def test_commands_registered_per_language_and_clean_stop(
    emu: BotAPIEmulator, bot_process: BotProcess
) -> None:
    keys = set(emu.commands)
    assert {("all_private_chats", "kk"), ("all_private_chats", "ru")} <= keys
    russian = {c["command"]: c["description"] for c in emu.commands[("all_private_chats", "ru")]}
    assert russian["new"] == "Подать обращение"
    assert await bot_process.stop() == 0
    log = bot_process.log()
    assert log.count("started @") == 1 and "stopped" in log
    assert emu.token not in log and emu.token.split(":")[1] not in log
    assert "Traceback" not in log


async def test_in_flight_update_finishes_on_sigterm(
    emu: BotAPIEmulator, bot_process: BotProcess
) -> None:
    user = emu.add_user("Марат", language_code="ru")
    chat = ChatDriver(emu, user)
    emu.inject_fault("latency", method="sendMessage", delay=1.5)
    after = chat.last_id()
    emu.send_text(user, "/start")

    # Ask the bot to stop while its reply is still on the way: the reply must still arrive.
    # Only the reply to this chat counts: the day's digest to the group may leave first.
    # The call log has no event to wait on; poll it briefly.
    def reply_on_the_wire() -> bool:
        return any(
            call["method"] == "sendMessage" and str(call["params"].get("chat_id")) == str(user)
            for call in emu.calls
        )

    while not reply_on_the_wire():  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert await bot_process.stop() == 0
    reply = await chat.expect("Выберите язык", after)
    assert reply["buttons"]
