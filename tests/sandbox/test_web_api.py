"""The sandbox web server's own API, against an in-process emulator (no bot, no browser)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram.types import BufferedInputFile, InputMediaPhoto
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import Workbook, load_workbook

from bot.domain.calendar import WorkCalendar
from bot.domain.validation import check_iin_bin
from bot.sandbox.emulator import BotAPIEmulator, make_png
from bot.sandbox.web import Scene, make_app, populate
from bot.sandbox.web.clock import ClockFile
from bot.timezones import load_zone
from tests.emulator import make_bot

PDF = b"%PDF-1.4\n% test\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Sandbox:
    def __init__(self, emu: BotAPIEmulator, scene: Scene, client: TestClient, clock: Path):
        self.emu = emu
        self.scene = scene
        self.client = client
        self.clock_path = clock

    @property
    def owner(self) -> int:
        return self.scene.personas[0].user_id

    @property
    def staff(self) -> int:
        return self.scene.staff[0].user_id

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> Any:
        response = await self.client.post(path, json=body)
        payload = await response.json()
        assert response.status == status, payload
        return payload.get("result") if payload["ok"] else payload["error"]

    async def get(self, path: str) -> Any:
        response = await self.client.get(path)
        assert response.status == 200, await response.text()
        return (await response.json())["result"]

    async def bot_api(self, method: str, **params: Any) -> Any:
        """Call the emulator as the bot does (HTTP, JSON body)."""
        url = f"{self.emu.base_url}/bot{self.emu.token}/{method}"
        async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
            payload = await response.json()
        assert payload["ok"], payload
        return payload["result"]

    def updates(self) -> list[dict[str, Any]]:
        return self.emu.pending_updates


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    emu = BotAPIEmulator()
    await emu.start()
    scene = populate(emu)
    clock = tmp_path / "data" / "sandbox-clock"
    client = TestClient(TestServer(make_app(emu, scene, ClockFile(clock)), host="127.0.0.1"))
    await client.start_server()
    yield Sandbox(emu, scene, client, clock)
    await client.close()
    await emu.stop()


async def test_page_and_its_files_are_served_locally(sandbox: Sandbox) -> None:
    page = await sandbox.client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "/static/app.js" in html and "://" not in html  # nothing from elsewhere
    for name, kind in (("app.js", "javascript"), ("rich.js", "javascript"), ("style.css", "css")):
        response = await sandbox.client.get(f"/static/{name}")
        assert response.status == 200 and kind in response.content_type


async def test_state_names_personas_staff_and_the_forum(sandbox: Sandbox) -> None:
    state = await sandbox.get("/api/state")
    assert [(p["first_name"], p["language"]) for p in state["personas"]] == [
        ("Асель", "kk"),
        ("Ольга", "ru"),
        ("Ерлан", "kk"),
    ]
    assert len(state["staff"]) == 2
    assert state["group"]["title"] == "Операторы / Операторлар"
    group = sandbox.emu.world.chat(state["group"]["chat_id"])
    assert group.is_forum and group.members == {s["user_id"] for s in state["staff"]}
    assert state["clock"]["offset_seconds"] == 0


async def test_owner_text_becomes_an_update_and_a_message(sandbox: Sandbox) -> None:
    await sandbox.post("/api/send_text", {"user_id": sandbox.owner, "text": "/start"})
    [update] = sandbox.updates()
    assert update["message"]["text"] == "/start"
    [message] = await sandbox.get(f"/api/messages?chat_id={sandbox.owner}")
    assert message["sender"] == "Асель Жұмабаева" and not message["from_bot"]
    assert message["entities"][0]["type"] == "bot_command"


async def test_bot_message_keeps_formatting_and_buttons_and_they_press(sandbox: Sandbox) -> None:
    owner = sandbox.owner
    sent = await sandbox.bot_api(
        "sendMessage",
        chat_id=owner,
        text="<b>Өтініш</b> &lt;script&gt;тіркелді",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "Иә", "callback_data": "yes"}]]},
    )
    [view] = await sandbox.get(f"/api/messages?chat_id={owner}")
    assert view["text"] == "Өтініш <script>тіркелді"
    assert view["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert view["inline_keyboard"] == [[{"text": "Иә", "callback_data": "yes", "url": None}]]

    pressed = await sandbox.post(
        "/api/press",
        {"user_id": owner, "message_id": sent["message_id"], "callback_data": "yes"},
    )
    [update] = sandbox.updates()
    assert update["callback_query"]["id"] == pressed["callback_query_id"]
    assert update["callback_query"]["data"] == "yes"
    await sandbox.post(
        "/api/press",
        {"user_id": owner, "message_id": sent["message_id"], "callback_data": "forged"},
        status=400,
    )


async def test_reply_keyboard_and_shared_contact(sandbox: Sandbox) -> None:
    owner = sandbox.owner
    await sandbox.bot_api(
        "sendMessage",
        chat_id=owner,
        text="Телефон?",
        reply_markup={
            "keyboard": [[{"text": "📱 Контактімен бөлісу", "request_contact": True}], ["Артқа"]],
            "one_time_keyboard": True,
        },
    )
    [view] = await sandbox.get(f"/api/messages?chat_id={owner}")
    assert view["reply_keyboard"] == {
        "remove": False,
        "rows": [
            [{"text": "📱 Контактімен бөлісу", "request": "request_contact"}],
            [{"text": "Артқа", "request": None}],
        ],
        "one_time": True,
        "placeholder": None,
    }
    await sandbox.post("/api/send_contact", {"user_id": owner})
    [update] = sandbox.updates()
    contact = update["message"]["contact"]
    assert contact["phone_number"] == sandbox.scene.personas[0].phone
    assert contact["user_id"] == owner


async def test_one_upload_is_one_message_and_several_are_an_album(sandbox: Sandbox) -> None:
    owner = sandbox.owner
    form = aiohttp.FormData()
    form.add_field("user_id", str(owner))
    form.add_field("file", make_png(), filename="фото.png", content_type="image/png")
    response = await sandbox.client.post("/api/upload", data=form)
    assert response.status == 200
    [update] = sandbox.updates()
    assert "photo" in update["message"]

    form = aiohttp.FormData()
    form.add_field("user_id", str(owner))
    form.add_field("file", make_png(), filename="a.png", content_type="image/png")
    form.add_field("file", PDF, filename="акт.pdf", content_type="application/pdf")
    response = await sandbox.client.post("/api/upload", data=form)
    assert len((await response.json())["result"]["message_ids"]) == 2
    album = [u["message"] for u in sandbox.updates()[1:]]
    assert len({m["media_group_id"] for m in album}) == 1
    assert album[1]["document"]["file_name"] == "акт.pdf"

    file_id = album[1]["document"]["file_id"]
    download = await sandbox.client.get(f"/api/file/{file_id}?download=1")
    assert await download.read() == PDF
    assert download.content_type == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%D0%B0%D0%BA%D1%82.pdf"
    )
    missing = await sandbox.client.get("/api/file/EMU-nothing")
    assert missing.status == 404


def register_xlsx() -> bytes:
    book = Workbook()
    book.active.append(["№", "Тіркелген күні"])
    book.active.append(["2026-000001", "2026-11-02"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_charts_album_and_register_reach_the_page_as_the_bot_uploads_them(
    sandbox: Sandbox,
) -> None:
    """What /stats and /export send (aiogram's multipart attach:// uploads) is what the
    operator pane draws: the charts as one album of PNGs, the register as a file to download."""
    group = sandbox.scene.group_id
    charts = [make_png(640, 400, (40, 110, 170)), make_png(640, 400, (200, 60, 40))]
    bot = make_bot(sandbox.emu)
    try:
        await bot.send_media_group(
            group,
            [
                InputMediaPhoto(
                    media=BufferedInputFile(png, f"chart-{n}.png"),
                    caption=f"<b>Диаграмма {n}</b>",
                    parse_mode="HTML",
                )
                for n, png in enumerate(charts, 1)
            ],
        )
        register = register_xlsx()
        await bot.send_document(group, BufferedInputFile(register, "реестр-2026-11.xlsx"))
    finally:
        await bot.session.close()

    first, second, document = await sandbox.get(f"/api/messages?chat_id={group}")
    assert first["media_group_id"] is not None
    assert first["media_group_id"] == second["media_group_id"]
    assert [m["text"] for m in (first, second)] == ["Диаграмма 1", "Диаграмма 2"]
    assert first["entities"] == [{"type": "bold", "offset": 0, "length": 11}]
    for message, png in zip((first, second), charts, strict=True):
        [photo] = message["files"]
        assert (photo["kind"], photo["width"], photo["height"]) == ("photo", 640, 400)
        shown = await sandbox.client.get(f"/api/file/{photo['file_id']}")
        assert shown.content_type == "image/png" and await shown.read() == png

    [file] = document["files"]
    assert file["kind"] == "document" and file["name"] == "реестр-2026-11.xlsx"
    assert file["mime_type"] == XLSX and file["size"] == len(register)
    download = await sandbox.client.get(f"/api/file/{file['file_id']}?download=1")
    assert download.content_type == XLSX
    assert download.headers["Content-Disposition"].startswith("attachment;")
    rows = load_workbook(io.BytesIO(await download.read())).active.iter_rows(values_only=True)
    assert list(rows)[1] == ("2026-000001", "2026-11-02")


async def test_staff_post_into_a_topic_and_topics_are_listed(sandbox: Sandbox) -> None:
    group = sandbox.scene.group_id
    topic = await sandbox.bot_api("createForumTopic", chat_id=group, name="2026-000001 · Жер")
    thread = topic["message_thread_id"]
    [listed] = await sandbox.get("/api/topics")
    assert listed["name"] == "2026-000001 · Жер" and listed["icon_color"].startswith("#")

    body = {
        "user_id": sandbox.staff,
        "chat_id": group,
        "thread_id": thread,
        "text": "Сәлеметсіз бе",
    }
    await sandbox.post("/api/send_text", body)
    [update] = sandbox.updates()
    assert update["message"]["message_thread_id"] == thread
    messages = await sandbox.get(f"/api/messages?chat_id={group}")
    assert [m.get("service") for m in messages] == ["Topic created: 2026-000001 · Жер", None]
    assert messages[1]["sender"] == "Дина Оспанова" and messages[1]["thread_id"] == thread


async def test_nobody_acts_outside_their_role(sandbox: Sandbox) -> None:
    owner, staff, group = sandbox.owner, sandbox.staff, sandbox.scene.group_id
    refusals: list[dict[str, Any]] = [
        {"user_id": owner, "chat_id": group, "text": "hi"},  # an owner in the staff group
        {"user_id": staff, "text": "hi"},  # staff in a private chat of their own
        {"user_id": staff, "chat_id": owner, "text": "hi"},  # staff in an owner's chat
        {"user_id": owner, "text": "   "},
        {"user_id": "x", "text": "hi"},
        {"user_id": staff, "chat_id": group, "thread_id": 999, "text": "hi"},  # no such topic
    ]
    for body in refusals:
        error = await sandbox.post("/api/send_text", body, status=400)
        assert isinstance(error, str) and error
    assert sandbox.updates() == []
    response = await sandbox.client.get("/api/messages?chat_id=42")
    assert response.status == 400


async def test_other_sites_and_host_names_are_refused(sandbox: Sandbox) -> None:
    body = {"user_id": sandbox.owner, "text": "hi"}
    foreign = await sandbox.client.post(
        "/api/send_text", json=body, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status == 403
    rebound = await sandbox.client.get("/api/state", headers={"Host": "evil.example:8080"})
    assert rebound.status == 403
    assert sandbox.updates() == []


async def test_event_stream_pushes_messages_as_they_happen(sandbox: Sandbox) -> None:
    response = await sandbox.client.get("/api/events")
    assert response.content_type == "text/event-stream"
    assert await response.content.readline() == b"event: hello\n"
    await response.content.readline()  # its data line
    await response.content.readline()  # blank line
    await sandbox.post("/api/send_text", {"user_id": sandbox.owner, "text": "Сәлем"})
    line = await response.content.readline()
    event = json.loads(line.decode().removeprefix("data: "))
    assert event["type"] == "message" and event["action"] == "new"
    assert event["message"]["text"] == "Сәлем"
    response.close()


async def test_clock_offset_is_written_to_the_file(sandbox: Sandbox) -> None:
    clock = await sandbox.post("/api/clock", {"add_seconds": 3600})
    assert clock["offset_seconds"] == 3600
    await sandbox.post("/api/clock", {"add_seconds": 3 * 86400})
    assert sandbox.clock_path.read_text() == f"{3600 + 3 * 86400}\n"
    assert (await sandbox.get("/api/clock"))["offset_seconds"] == 3600 + 3 * 86400
    await sandbox.post("/api/clock", {"add_seconds": 10**9}, status=400)
    await sandbox.post("/api/clock", {"reset": True})
    assert not sandbox.clock_path.exists()


async def test_next_month_lands_on_its_first_working_day_at_ten(sandbox: Sandbox) -> None:
    """The monthly report's day, by the bot's calendar: weekends and public holidays skipped."""
    zone = load_zone("Asia/Almaty")
    calendar = WorkCalendar(zone)
    for _ in range(2):  # twice: from real time, then from a moved clock
        before = datetime.fromtimestamp((await sandbox.get("/api/clock"))["now"], UTC)
        clock = await sandbox.post("/api/clock", {"to": "next_month"})
        landed = datetime.fromtimestamp(clock["now"], UTC).astimezone(zone)
        month_after = (before.astimezone(zone).date().replace(day=28) + timedelta(days=4)).month
        assert landed.month == month_after
        assert landed.date() == calendar.first_working_day(landed.date())
        assert abs(datetime.combine(landed.date(), time(10), zone) - landed) < timedelta(seconds=5)
    await sandbox.post("/api/clock", {"reset": True})


def test_clock_file_reads_missing_or_malformed_as_no_offset(tmp_path: Path) -> None:
    clock = ClockFile(tmp_path / "sandbox-clock")
    assert clock.offset() == 0
    clock.path.write_text("soon\n")
    assert clock.offset() == 0
    clock.path.write_text("-7200\n")
    assert clock.offset() == -7200


async def test_state_gives_valid_samples_and_the_bots_zone(sandbox: Sandbox) -> None:
    state = await sandbox.get("/api/state")
    guide = state["guide"]
    assert check_iin_bin(guide["iin"], legal_entity=False) == guide["iin"] == "900101300017"
    assert check_iin_bin(guide["bin"], legal_entity=True) == guide["bin"]
    # Kazakhstan is on UTC+5 since March 2024, whatever the browser's zone data say.
    assert guide["timezone"] == "Asia/Almaty" and guide["utc_offset_seconds"] == 5 * 3600
    assert state["can_wipe"] is False and state["wiping"] is False


async def test_messages_keep_the_sandbox_time_they_were_sent_at(sandbox: Sandbox) -> None:
    owner = sandbox.owner
    await sandbox.post("/api/send_text", {"user_id": owner, "text": "бұрын"})
    await sandbox.post("/api/clock", {"add_seconds": 86400})
    await sandbox.post("/api/send_text", {"user_id": owner, "text": "кейін"})
    first, second = await sandbox.get(f"/api/messages?chat_id={owner}")
    assert first["sandbox_date"] == first["date"]
    assert second["sandbox_date"] - second["date"] == 86400
    await sandbox.post("/api/clock", {"reset": True})
    again = await sandbox.get(f"/api/messages?chat_id={owner}")
    assert [m["sandbox_date"] for m in again] == [first["sandbox_date"], second["sandbox_date"]]


async def test_staff_notes_and_relayed_messages_are_marked(sandbox: Sandbox) -> None:
    group, staff = sandbox.scene.group_id, sandbox.staff
    texts = ["!тексеру керек", "/note реестр", "/notes are not notes", "Сәлеметсіз бе", "!жауап"]
    for text in texts:
        await sandbox.post("/api/send_text", {"user_id": staff, "chat_id": group, "text": text})
    # The bot delivered the fourth and the fifth (a "!" text taken as an answer it asked for).
    for message_id in (4, 5):
        await sandbox.bot_api(
            "setMessageReaction",
            chat_id=group,
            message_id=message_id,
            reaction=[{"type": "emoji", "emoji": "👍"}],
        )
    await sandbox.bot_api(
        "setMessageReaction",
        chat_id=group,
        message_id=2,
        reaction=[{"type": "emoji", "emoji": "✍"}],
    )
    views = await sandbox.get(f"/api/messages?chat_id={group}")
    assert [(v["note"], v["relayed"]) for v in views] == [
        (True, False),
        (True, False),
        (False, False),
        (False, True),
        (False, True),
    ]
    await sandbox.bot_api("sendMessage", chat_id=group, text="!бот")
    *_, from_bot = await sandbox.get(f"/api/messages?chat_id={group}")
    assert from_bot["note"] is False  # only staff write notes


async def test_wiping_needs_the_running_sandbox_and_a_confirmation(sandbox: Sandbox) -> None:
    error = await sandbox.post("/api/wipe", {}, status=400)
    assert "confirm" in error
    response = await sandbox.client.post("/api/wipe", json={"confirm": True})
    assert response.status == 501


class FakeControls:
    """The running sandbox's part, without a bot: a wipe makes a new emulator and scene."""

    def __init__(self, clock: ClockFile) -> None:
        self.clock = clock
        self.moves = 0
        self.emulators: list[BotAPIEmulator] = []
        self.release = asyncio.Event()

    def clock_moved(self) -> None:
        self.moves += 1

    async def wipe(self, fresh: Callable[[BotAPIEmulator, Scene], None]) -> None:
        self.clock.reset()
        emu = BotAPIEmulator()
        await emu.start()
        self.emulators.append(emu)
        fresh(emu, populate(emu))
        await self.release.wait()  # as a bot's start would take a while


async def read_event(response: aiohttp.ClientResponse) -> dict[str, Any]:
    while True:
        line = await response.content.readline()
        if line.startswith(b"data: "):
            event: dict[str, Any] = json.loads(line.removeprefix(b"data: "))
            return event


async def test_clock_moves_reach_the_bot_and_a_wipe_starts_over(tmp_path: Path) -> None:
    emu = BotAPIEmulator()
    await emu.start()
    scene = populate(emu)
    clock = ClockFile(tmp_path / "sandbox-clock")
    controls = FakeControls(clock)
    app = make_app(emu, scene, clock, controls=controls)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    owner = scene.personas[0].user_id
    try:
        assert (await (await client.get("/api/state")).json())["result"]["can_wipe"] is True
        await client.post("/api/clock", json={"add_seconds": 3600})
        await client.post("/api/clock", json={"reset": True})
        assert controls.moves == 2
        await client.post("/api/send_text", json={"user_id": owner, "text": "/start"})
        events = await client.get("/api/events")
        assert await events.content.readline() == b"event: hello\n"
        await events.content.readline()  # its data line

        wipe = asyncio.ensure_future(client.post("/api/wipe", json={"confirm": True}))
        assert (await read_event(events))["type"] == "wiping"
        refused = await client.post("/api/send_text", json={"user_id": owner, "text": "hi"})
        assert refused.status == 400 and "wiped" in (await refused.json())["error"]
        controls.release.set()
        response = await wipe
        assert response.status == 200
        assert (await read_event(events))["type"] == "wiped"

        [fresh] = controls.emulators
        state = (await (await client.get("/api/state")).json())["result"]
        assert [p["user_id"] for p in state["personas"]] == [p.user_id for p in scene.personas]
        messages = await client.get(f"/api/messages?chat_id={owner}")
        assert (await messages.json())["result"] == []
        # The page now acts in the new emulator, and the feed follows it.
        await client.post("/api/send_text", json={"user_id": owner, "text": "жаңа"})
        assert [u["message"]["text"] for u in fresh.pending_updates] == ["жаңа"]
        event = await read_event(events)
        assert event["type"] == "message" and event["message"]["text"] == "жаңа"
        events.close()
    finally:
        await client.close()
        for emulator in (emu, *controls.emulators):
            await emulator.stop()
