"""The durable core as a user of the bot meets it: updates stored before they are
acknowledged, a repeated update without a second effect (polling and webhook), a failing
update parked for staff with the person told, the webhook's secret and health checks, and
nothing said to Telegram outside the outbox."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.app import Application, create_application
from bot.migrate import SchemaOutdated
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.capture import OutsideUnitOfWork
from models import Appeal, InboxUpdate, OutboxMessage
from tests.e2e.harness import ChatDriver
from tests.support import database
from tests.support.harness import make_settings
from tests.support.keyboard import data_of
from tests.support.live import live_app, settled
from tests.support.owner import I18N, file_appeal, frag

SECRET = "runtime-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(seed=11)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def staff(emu: BotAPIEmulator) -> int:
    return emu.add_user("Дина", "Оспанова", language_code="ru")


@pytest.fixture
def group(emu: BotAPIEmulator, staff: int) -> int:
    return emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])


@asynccontextmanager
async def live_web_app(
    emu: BotAPIEmulator, tmp_path: Path, group: int, **settings: Any
) -> AsyncIterator[tuple[Application, str]]:
    """The application serving its webhook on a free port; the emulator posts to it."""
    port = free_port()
    config = make_settings(
        tmp_path,
        BOT_TOKEN=emu.token,
        BOT_API_URL=emu.base_url,
        OPERATOR_CHAT_ID=group,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        WEBHOOK_SECRET=SECRET,
        WEB_PORT=port,
        **settings,
    )
    app = await create_application(config)
    app.stop_requested = stop = asyncio.Event()
    task = asyncio.create_task(app.run_web(stop=stop))
    await emu.wait_for_call("setWebhook", timeout=30)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await task


async def count(app: Application, model: Any, *where: Any) -> int:
    async with app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# ---- polling ---------------------------------------------------------------------------------


async def test_a_repeated_update_changes_nothing_polling(
    emu: BotAPIEmulator, group: int, tmp_path: Path
) -> None:
    owner = emu.add_user("Асель", language_code="kk")
    async with live_app(emu, tmp_path, group) as app:
        number = await file_appeal(emu, owner, "kk")
        await settled(emu, app)
        submit = max(
            (u for u in emu.handed_out if u["via"] == "poll"), key=lambda u: u["update_id"]
        )["update_id"]
        before = {
            "appeals": await count(app, Appeal),
            "outbox": await count(app, OutboxMessage),
            "inbox": await count(app, InboxUpdate),
        }
        for update in {u["update_id"] for u in emu.handed_out}:
            emu.redeliver(update)  # everything the owner did, handed out again
        await settled(emu, app)
        assert await count(app, Appeal) == before["appeals"] == 1
        assert await count(app, OutboxMessage) == before["outbox"]
        assert await count(app, InboxUpdate) == before["inbox"]
        assert len([u for u in emu.handed_out if u["update_id"] == submit]) == 2
    receipts = [e for e in emu.transcript(owner) if number in (e["text"] or "") and e["from_bot"]]
    assert len(receipts) == 1


async def test_a_failing_update_is_retried_then_parked_for_staff(
    emu: BotAPIEmulator, group: int, staff: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.start

    owner = emu.add_user("Ольга", language_code="ru")
    calls: list[int] = []
    real_menu = handlers.start.main_menu

    def broken_menu(t: Any) -> Any:
        calls.append(1)
        raise ValueError("a handler's bug")

    async with live_app(emu, tmp_path, group, UPDATE_MAX_ATTEMPTS=3) as app:
        chat = ChatDriver(emu, owner, timeout=30)
        await chat.say("/start", "Тілді")
        await chat.press("lang:ru", frag("ru", "start.welcome"))
        monkeypatch.setattr(handlers.start, "main_menu", broken_menu)
        told = await chat.say("/help", frag("ru", "errors.unexpected"))
        assert told["text"] == I18N.get("ru", "errors.unexpected")
        assert len(calls) == 3  # tried three times, then parked
        monkeypatch.setattr(handlers.start, "main_menu", real_menu)
        # The person's next message is handled as usual.
        await chat.say("/help", frag("ru", "help.text"))
        assert await count(app, InboxUpdate, InboxUpdate.state == "failed") == 1
        # Staff see it in /failed with its error, and can have it handled again.
        after = max((e["message_id"] for e in emu.transcript(group)), default=0)
        emu.send_text(staff, "/failed", chat_id=group)
        listing = await emu.wait_for_message(
            group, lambda e: "↘️" in (e["text"] or ""), after_message_id=after, timeout=30
        )
        assert "ValueError: a handler's bug" in listing["text"]
        retry = data_of(listing, prefix="fu:")
        mark = ChatDriver(emu, owner).last_id()
        emu.press_button(staff, group, listing["message_id"], retry)
        await ChatDriver(emu, owner, timeout=30).expect(frag("ru", "help.text"), mark)
        await settled(emu, app)
        assert await count(app, InboxUpdate, InboxUpdate.state == "failed") == 0


async def test_nothing_is_said_outside_a_unit_of_work(
    emu: BotAPIEmulator, group: int, tmp_path: Path
) -> None:
    async with live_app(emu, tmp_path, group) as app:
        user = emu.add_user("Ерлан")
        with pytest.raises(OutsideUnitOfWork):
            await app.bot.send_message(user, "straight to Telegram")
        assert all(c["method"] != "sendMessage" for c in emu.calls)


# ---- webhook ---------------------------------------------------------------------------------


async def test_webhook_stores_before_200_checks_secret_and_health(
    emu: BotAPIEmulator, group: int, tmp_path: Path
) -> None:
    owner = emu.add_user("Асель", language_code="kk")
    async with live_web_app(emu, tmp_path, group) as (app, base):
        info = emu.webhook_info()
        assert info["url"].endswith("/telegram/hook")
        call = next(c for c in emu.calls if c["method"] == "setWebhook")
        assert str(call["params"].get("drop_pending_updates", "false")).lower() == "false"
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{base}/healthz") as answer:
                assert answer.status == 200
            async with client.get(f"{base}/readyz") as answer:
                assert answer.status == 200
            forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0}}
            async with client.post(f"{base}/telegram/hook", json=forged) as answer:
                assert answer.status == 401
            async with client.post(
                f"{base}/telegram/hook",
                json=forged,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as answer:
                assert answer.status == 401
        assert await count(app, InboxUpdate, InboxUpdate.update_id == 999_999) == 0

        number = await file_appeal(emu, owner, "kk")
        await settled(emu, app)
        handed = {u["update_id"] for u in emu.handed_out if u["via"] == "webhook"}
        assert handed and handed <= {
            row[0]
            for row in database.fetch_all(app.settings.DATABASE_URL, select(InboxUpdate.update_id))
        }
        # Telegram sends one twice: nothing happens the second time.
        for update in handed:
            emu.redeliver(update)
        await settled(emu, app)
        assert await count(app, Appeal) == 1
        receipts = [e for e in emu.transcript(owner) if number in (e["text"] or "")]
        assert len(receipts) == 1


async def test_webhook_answers_500_when_the_update_cannot_be_stored(
    emu: BotAPIEmulator, group: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.telegram import inbox

    owner = emu.add_user("Асель", language_code="kk")
    real_store = inbox.store
    failures = {"left": 2}

    async def flaky_store(*args: Any) -> list[int]:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the database is away")
        return await real_store(*args)

    async with live_web_app(emu, tmp_path, group):
        monkeypatch.setattr(inbox, "store", flaky_store)
        chat = ChatDriver(emu, owner, timeout=30)
        await chat.say("/start", "Тілді")  # answered once Telegram sent it again
        statuses = [u["status"] for u in emu.handed_out if u["via"] == "webhook"]
        assert statuses[:3] == [500, 500, 200]


async def test_an_instance_on_an_older_schema_stops_with_one_clear_line(tmp_path: Path) -> None:
    if database.is_sqlite():
        pytest.skip("SQLite migrates itself at start")
    url = await database.fresh_database_url(tmp_path)
    await database.execute(url, text("UPDATE alembic_version SET version_num = '0003'"))
    settings = make_settings(tmp_path, DATABASE_URL=url)
    with pytest.raises(SchemaOutdated, match="run `python -m bot migrate` first"):
        await create_application(settings)


async def test_handled_updates_are_forgotten_after_three_days_failed_ones_kept(
    harness: Any,
) -> None:
    from datetime import UTC, datetime, timedelta

    app = harness.app
    now = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)
    rows = [
        (1, "done", now - timedelta(days=4)),
        (2, "failed", now - timedelta(days=4)),
        (3, "done", now - timedelta(days=1)),
        (4, "pending", now - timedelta(days=5)),
    ]
    async with app.sessionmaker.begin() as session:
        for update_id, state, received in rows:
            session.add(
                InboxUpdate(
                    update_id=update_id,
                    lane=1,
                    kind="message",
                    payload={"update_id": update_id},
                    received_at=received,
                    state=state,
                    attempts=0,
                )
            )
    async with app.sessionmaker() as session:
        await app.jobs.forget_updates(session, now)
        await session.commit()
        left = sorted(await session.scalars(select(InboxUpdate.update_id)))
    assert left == [2, 3, 4]
