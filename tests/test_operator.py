"""Operator side, with the whole application polling the emulator: topics and cards, the
relay both ways, internal notes, every lifecycle transition with its notice and event,
hearings, authorization, a deleted topic, a blocked owner, a group without topics."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import ChatDriver
from tests.support.live import eventually, live_app
from tests.support.owner import file_appeal

Entry = dict[str, Any]


class Group:
    """The operator group as one staff member sees it."""

    def __init__(self, emu: BotAPIEmulator, chat_id: int, staff: int) -> None:
        self.emu = emu
        self.chat_id = chat_id
        self.staff = staff

    async def card(self, number: str, after: int = 0) -> Entry:
        """The appeal's card (the newest one after `after`), waiting for it to be posted."""

        def is_card(entry: Entry) -> bool:
            return f"Обращение {number}" in (entry["text"] or "") and bool(entry["buttons"])

        return await self.emu.wait_for_message(
            self.chat_id, is_card, after_message_id=after, timeout=15
        )

    def current_card(self, card: Entry) -> Entry:
        """The card as it reads now (cards are edited in place)."""
        for entry in self.emu.transcript(self.chat_id):
            if entry["message_id"] == card["message_id"]:
                return entry
        raise AssertionError("card is gone")

    def last_id(self, thread: int | None = None) -> int:
        entries = self.emu.transcript(self.chat_id, thread)
        return entries[-1]["message_id"] if entries else 0

    async def expect(self, needle: str, thread: int | None, after: int) -> Entry:
        return await self.emu.wait_for_message(
            self.chat_id,
            lambda e: needle in (e["text"] or e["caption"] or ""),
            thread_id=thread,
            after_message_id=after,
            timeout=15,
        )

    async def say(
        self, text: str, thread: int | None, expect: str | None = None, reply_to: int | None = None
    ) -> Entry:
        after = self.last_id(thread)
        sent = self.emu.send_text(
            self.staff, text, chat_id=self.chat_id, thread_id=thread, reply_to=reply_to
        )
        if expect is not None:
            return await self.expect(expect, thread, after)
        return sent

    async def press(self, card: Entry, action: str, user: int | None = None) -> str:
        data = next(b[1] for row in card["buttons"] for b in row if b[1].split(":")[1] == action)
        return self.emu.press_button(user or self.staff, self.chat_id, card["message_id"], data)

    async def reaction_on(self, message_id: int) -> Any:
        def reacted() -> Any:
            for entry in self.emu.transcript(self.chat_id):
                if entry["message_id"] == message_id and entry["reaction"]:
                    return entry["reaction"]
            return None

        return await self.emu._wait(reacted, 15)


def db(app: Application) -> sqlite3.Connection:
    path = app.settings.sqlite_path
    assert path is not None
    return sqlite3.connect(path)


def statuses(app: Application, number: str) -> list[tuple[str | None, str | None]]:
    with db(app) as conn:
        return conn.execute(
            "select e.from_status, e.to_status from appeal_events e join appeals a"
            " on a.id = e.appeal_id where a.number = ? and e.kind = 'status' order by e.id",
            (number,),
        ).fetchall()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[BotAPIEmulator, Group, Application]]:
    emu = BotAPIEmulator(seed=3)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    outsider = emu.add_user("Посторонний")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    async with live_app(emu, tmp_path, group_id) as app:
        app.outsider = outsider  # type: ignore[attr-defined]
        yield emu, Group(emu, group_id, staff), app
    await emu.stop()


async def owner_sees(emu: BotAPIEmulator, user: int, needle: str, after: int = 0) -> Entry:
    return await ChatDriver(emu, user).expect(needle, after)


async def test_topic_card_relay_and_notes(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, app = world
    owner = emu.add_user("Асель", language_code="kk")
    number = await file_appeal(emu, owner, "kk", photos=2)

    card = await group.card(number)
    thread = card["message_thread_id"]
    topic = next(t for t in emu.topics(group.chat_id) if t["thread_id"] == thread)
    assert "Тексерулер" not in topic["name"] and "Проверки" in topic["name"]  # staff language ru
    assert "Жұмабаева А." in topic["name"]
    assert "КОНФИДЕНЦИАЛЬНО" in card["text"] and "900101300017" in card["text"]
    assert card["buttons"][0][0][0] == "🙋 Взять в работу"
    # the attachments follow the card, as one album
    await emu.wait_for_message(
        group.chat_id,
        lambda e: e["kind"] == "photo",
        thread_id=thread,
        after_message_id=card["message_id"] + 1,
    )
    kinds = [e["kind"] for e in emu.transcript(group.chat_id, thread) if e["from_bot"]]
    assert kinds.count("photo") == 2

    # staff text reaches the owner under the office's name, in Kazakh; gets a delivered mark
    after = ChatDriver(emu, owner).last_id()
    sent = await group.say("Сәлеметсіз бе! Құжаттарыңызды алдық.", thread)
    got = await owner_sees(emu, owner, "Құжаттарыңызды алдық", after)
    assert "Жобалық кеңсе" in got["text"] and number in got["text"]
    assert "Дина" not in got["text"] and "Оспанова" not in got["text"]
    assert await group.reaction_on(sent["message_id"])

    # a staff photo reaches the owner with the header as its caption
    after = ChatDriver(emu, owner).last_id()
    emu.send_photo(group.staff, chat_id=group.chat_id, thread_id=thread, caption="Акт проверки")
    photo = await owner_sees(emu, owner, "Акт проверки", after)
    assert photo["kind"] == "photo" and "Жобалық кеңсе" in photo["caption"]

    # an internal note never reaches the owner
    after = ChatDriver(emu, owner).last_id()
    note = await group.say("!позвонить в ДГД до пятницы", thread)
    await group.reaction_on(note["message_id"])
    await group.say("/note проверить лицензию", thread)
    assert all(
        "позвонить" not in (e["text"] or "") and "лицензию" not in (e["text"] or "")
        for e in emu.transcript(owner)
    )

    # the owner replies to the office's message: it appears in the topic
    after_group = group.last_id(thread)
    emu.send_text(owner, "Рахмет! Ертең келемін.", reply_to=got["message_id"])
    shown = await group.expect("Ертең келемін", thread, after_group)
    assert "Сообщение владельца" in shown["text"]

    def directions() -> list[str]:
        with db(app) as conn:
            return [r[0] for r in conn.execute("select direction from relayed_messages")]

    await eventually(lambda: "to_staff" in directions())
    assert sorted(directions()) == ["internal", "internal", "to_owner", "to_owner", "to_staff"]
