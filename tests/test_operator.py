"""Operator side, with the whole application polling the emulator: topics and cards, the
relay both ways, internal notes, every lifecycle transition with its notice and event,
hearings, authorization, a deleted topic, a blocked owner, a group without topics."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import ChatDriver
from tests.support.live import eventually, live_app
from tests.support.owner import I18N, file_appeal, frag

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
        """Press the card's button for `action`, once the card (edited in place) offers it."""

        def button() -> str | None:
            current = self.current_card(card)
            found = [
                b[1] for row in current["buttons"] for b in row if b[1].split(":")[1] == action
            ]
            return found[0] if found else None

        data = await eventually(button)
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


async def staff_step(group: Group, card: Entry, action: str, text: str | None, expect: str) -> None:
    """Press a card button; when it asks for a text, write it; wait for the confirmation."""
    thread = card["message_thread_id"]
    after = group.last_id(thread)
    await group.press(group.current_card(card), action)
    if text is not None:
        await group.emu.wait_for_message(group.chat_id, thread_id=thread, after_message_id=after)
        after = group.last_id(thread)
        await group.say(text, thread)
    await group.expect(expect, thread, after) if expect else None


async def wait_status(app: Application, number: str, status: str) -> None:
    def reached() -> bool:
        with db(app) as conn:
            row = conn.execute("select status from appeals where number = ?", (number,)).fetchone()
        return bool(row and row[0] == status)

    await eventually(reached)


async def test_every_transition_with_notice_and_event(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, app = world
    kk = emu.add_user("Асель", language_code="kk")
    ru = emu.add_user("Ольга", language_code="ru")
    first = await file_appeal(emu, kk, "kk")
    card = await group.card(first)
    thread = card["message_thread_id"]
    owner = ChatDriver(emu, kk)

    async def notice(key: str, after: int) -> Entry:
        return await owner.expect(frag("kk", key), after)

    # registered -> in_review (Take)
    after = owner.last_id()
    await group.press(card, "take")
    await wait_status(app, first, "in_review")
    await notice("notify.in_review", after)
    await eventually(lambda: "На рассмотрении" in (group.current_card(card)["text"] or ""))
    assert "Дина Оспанова" in group.current_card(card)["text"]
    await eventually(
        lambda: next(t for t in emu.topics(group.chat_id) if t["thread_id"] == thread)[
            "name"
        ].startswith("🔍")
    )

    # in_review -> needs_info: the question reaches the owner, who answers -> in_review
    after = owner.last_id()
    await staff_step(group, card, "needs_info", "Приложите, пожалуйста, акт проверки.", "→")
    question = await notice("notify.needs_info", after)
    assert "акт проверки" in question["text"]
    reply = next(b[1] for row in question["buttons"] for b in row if b[1].startswith("re:"))
    await owner.press(reply, first)
    group_after = group.last_id(thread)
    emu.send_text(kk, "Акт жіберемін, ол 12 наурызда жасалған.")
    await group.expect("Акт жіберемін", thread, group_after)
    await group.expect("снова на рассмотрении", thread, group_after)
    await wait_status(app, first, "in_review")

    # in_review -> hearing_scheduled, then moved (hearing_scheduled -> hearing_scheduled)
    after = owner.last_id()
    await group.say(
        "/hearing 2030-12-03 15:00 Өскемен, Горький к-сі 40, 12-каб.; bring: шарт",
        thread,
        expect="Заседание: 03.12.2030 15:00",
    )
    invite = await notice("notify.hearing", after)
    assert "03.12.2030" in invite["text"] and "шарт" in invite["text"]
    ics = await owner.expect(frag("kk", "notify.ics_caption"), invite["message_id"])
    assert ics["kind"] == "document"
    assert ics["content"]["document"]["file_name"].endswith(".ics")
    after = owner.last_id()
    await group.say(
        "/hearing 2030-12-04 10:30 Өскемен, Горький к-сі 40", thread, expect="04.12.2030 10:30"
    )
    moved = await owner.expect("04.12.2030", after)
    going = next(b[1] for row in moved["buttons"] for b in row if b[1].endswith(":yes"))
    await owner.press(going, "10:30")
    await group.expect("Владелец придёт", thread, 0)
    old_going = next(b[1] for row in invite["buttons"] for b in row if b[1].endswith(":yes"))
    stale = await owner.press_answer(old_going)  # the moved hearing's button is stale
    assert stale["text"] == I18N.get("kk", "hint.stale")

    # hearing_scheduled -> answered (satisfied) -> in_review (dispute) -> answered -> closed
    after = owner.last_id()
    await group.press(group.current_card(card), "answered")
    outcome_message = await group.expect("Выберите итог", thread, 0)
    await group.emu.wait_for_message(group.chat_id, thread_id=thread)
    data = next(
        b[1] for row in outcome_message["buttons"] for b in row if b[1].endswith(":satisfied")
    )
    group.emu.press_button(group.staff, group.chat_id, outcome_message["message_id"], data)
    await group.expect("Напишите текст ответа", thread, outcome_message["message_id"])
    await group.say("Разрешение выдано 20.11.2030.", thread, expect="Дан ответ")
    answered = await notice("notify.answered", after)
    assert "қанағаттандырылды" in answered["text"] and "20.11.2030" in answered["text"]
    after = owner.last_id()
    await staff_step(group, card, "in_review", None, "")
    await notice("notify.back_in_review", after)
    await wait_status(app, first, "in_review")
    after = owner.last_id()
    await group.press(group.current_card(card), "answered")
    outcome_message = await group.expect("Выберите итог", thread, outcome_message["message_id"])
    data = next(b[1] for row in outcome_message["buttons"] for b in row if b[1].endswith(":partly"))
    group.emu.press_button(group.staff, group.chat_id, outcome_message["message_id"], data)
    await group.expect("Напишите текст ответа", thread, outcome_message["message_id"])
    await group.say("Часть требований удовлетворена.", thread, expect="Дан ответ")
    await notice("notify.answered", after)
    after = owner.last_id()
    await group.press(group.current_card(card), "closed")
    await notice("notify.closed", after)
    await eventually(
        lambda: next(t for t in emu.topics(group.chat_id) if t["thread_id"] == thread)["closed"]
    )

    # the Russian owner: registered -> redirected; another: registered -> not_considered
    second = await file_appeal(emu, ru, "ru")
    second_card = await group.card(second)
    after = ChatDriver(emu, ru).last_id()
    await staff_step(group, second_card, "redirected", "Департамент госдоходов по ВКО", "→")
    redirected = await ChatDriver(emu, ru).expect(frag("ru", "notify.redirected"), after)
    assert "Департамент госдоходов" in redirected["text"]
    third = await file_appeal(emu, ru, "ru", returning=True)
    third_card = await group.card(third)
    after = ChatDriver(emu, ru).last_id()
    await staff_step(
        group, third_card, "not_considered", "Анонимное лицо не подтвердило данные", "→"
    )
    await ChatDriver(emu, ru).expect(frag("ru", "notify.not_considered"), after)

    # a forbidden transition is refused if forced: closing a final appeal
    forged = f"st:closed:{0}:"
    with db(app) as conn:
        third_id = conn.execute("select id from appeals where number = ?", (third,)).fetchone()[0]
    forged = f"st:in_review:{third_id}:"
    query = emu.forge_callback(group.staff, group.chat_id, third_card["message_id"], forged)
    refused = await emu.wait_for_callback_answer(query)
    assert "не допускается" in refused["text"]

    assert statuses(app, first) == [
        (None, "registered"),
        ("registered", "in_review"),
        ("in_review", "needs_info"),
        ("needs_info", "in_review"),
        ("in_review", "hearing_scheduled"),
        ("hearing_scheduled", "hearing_scheduled"),
        ("hearing_scheduled", "answered"),
        ("answered", "in_review"),
        ("in_review", "answered"),
        ("answered", "closed"),
    ]
    assert statuses(app, second)[-1] == ("registered", "redirected")
    assert statuses(app, third)[-1] == ("registered", "not_considered")


async def test_authorization_deleted_topic_blocked_owner_and_tools(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, app = world
    outsider: int = app.outsider  # type: ignore[attr-defined]
    owner = emu.add_user("Ерлан", language_code="ru")
    number = await file_appeal(emu, owner, "ru")
    card = await group.card(number)
    thread = card["message_thread_id"]

    # a non-member's button press on a card is refused
    take = next(b[1] for row in card["buttons"] for b in row if b[1].startswith("st:take"))
    query = emu.forge_callback(outsider, group.chat_id, card["message_id"], take)
    assert "для сотрудников" in (await emu.wait_for_callback_answer(query))["text"]
    # a staff command in a private chat is refused, in the sender's language
    await ChatDriver(emu, outsider).say("/open", "только сотрудникам")
    # a card button forged into a private chat is refused too
    await ChatDriver(emu, owner).say("/my", number)
    query = emu.forge_callback(owner, owner, 1, take)
    assert "для сотрудников" in (await emu.wait_for_callback_answer(query))["text"]
    with db(app) as conn:
        assert conn.execute("select status from appeals").fetchone() == ("registered",)

    # /help, /open and /find in the operator group
    staff_help = await group.say("/help", None, expect="Команды сотрудников")
    for command in ("/open", "/find", "/note", "/hearing", "/failed"):
        assert command in staff_help["text"]
    await group.say("/open", None, expect=number)
    await group.say("/find Сериков", None, expect=number)
    await group.say("/find нет-такого", None, expect="Ничего не найдено")

    # staff deleted the topic: the owner's next message recreates it with the card
    emu.delete_topic(group.chat_id, thread)
    chat = ChatDriver(emu, owner)
    listing = await chat.say("/my", number)
    opened = next(b[1] for row in listing["buttons"] for b in row if b[0] == number)
    card_message = await chat.press(opened, "История")
    add = next(b[1] for row in card_message["buttons"] for b in row if b[1].startswith("my:add"))
    await chat.press(add, number)
    await chat.say("Вот ещё одна деталь: инспектор приходил дважды.", number)
    new_card = await group.card(number, after=card["message_id"])
    assert new_card["message_thread_id"] != thread
    await group.expect("инспектор приходил дважды", new_card["message_thread_id"], 0)
    live_topics = [t for t in emu.topics(group.chat_id) if not t["deleted"]]
    assert len(live_topics) == 1

    # the owner blocked the bot: staff see a failure note instead of a delivered mark
    emu.block_bot(owner)
    await group.say(
        "Добрый день! Есть вопросы по акту.",
        new_card["message_thread_id"],
        expect="заблокировал бота",
    )
    with db(app) as conn:
        assert conn.execute("select blocked from users where id = ?", (owner,)).fetchone() == (1,)

    # another owner blocks the bot before any staff message: the first undeliverable notice
    # is reported in the topic, once
    quiet = emu.add_user("Мирас", language_code="kk")
    quiet_number = await file_appeal(emu, quiet, "kk")
    quiet_card = await group.card(quiet_number)
    emu.block_bot(quiet)
    await group.press(quiet_card, "take")
    await group.expect("заблокировал бота", quiet_card["message_thread_id"], 0)
    with db(app) as conn:
        assert conn.execute("select blocked from users where id = ?", (quiet,)).fetchone() == (1,)
    await group.press(group.current_card(quiet_card), "needs_info")
    await group.say("Уточните адрес объекта.", quiet_card["message_thread_id"], expect="→")

    def settled() -> bool:
        with db(app) as conn:
            rows = conn.execute("select state from outbox where chat_id = ?", (quiet,)).fetchall()
        return len(rows) == 2 and all(state != "pending" for (state,) in rows)

    await eventually(settled)
    notes = [
        e
        for e in emu.transcript(group.chat_id, quiet_card["message_thread_id"])
        if "заблокировал бота" in (e["text"] or "")
    ]
    assert len(notes) == 1


@pytest.fixture
async def plain_world(tmp_path: Path) -> AsyncIterator[tuple[BotAPIEmulator, Group, Application]]:
    emu = BotAPIEmulator(seed=4)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=False, members=[staff], admins=[staff])
    async with live_app(emu, tmp_path, group_id) as app:
        yield emu, Group(emu, group_id, staff), app
    await emu.stop()


async def test_group_without_topics_uses_reply_threads(
    plain_world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = plain_world
    owner = emu.add_user("Ольга", language_code="ru")
    number = await file_appeal(emu, owner, "ru")
    card = await group.card(number)
    assert card["message_thread_id"] is None and emu.topics(group.chat_id) == []

    # a staff reply to the card reaches the owner
    after = ChatDriver(emu, owner).last_id()
    emu.send_text(
        group.staff,
        "Добрый день, приняли в работу.",
        chat_id=group.chat_id,
        reply_to=card["message_id"],
    )
    got = await ChatDriver(emu, owner).expect("приняли в работу", after)
    assert "Проектный офис" in got["text"]
    # the owner's reply comes back as a reply to the card; staff reply to that one too
    after_group = group.last_id()
    emu.send_text(owner, "Спасибо, жду.", reply_to=got["message_id"])
    shown = await group.expect("Спасибо, жду", None, after_group)
    assert shown["reply_to_message_id"] == card["message_id"]
    after = ChatDriver(emu, owner).last_id()
    emu.send_text(
        group.staff, "Ответ будет до пятницы.", chat_id=group.chat_id, reply_to=shown["message_id"]
    )
    await ChatDriver(emu, owner).expect("до пятницы", after)
    # a message that is not a reply stays in the group
    emu.send_text(group.staff, "Коллеги, обед в 13:00", chat_id=group.chat_id)
    await group.say("/open", None, expect=number)
    assert all("обед" not in (e["text"] or "") for e in emu.transcript(owner))


async def owner_withdraws(emu: BotAPIEmulator, user: int, language: str, number: str) -> None:
    chat = ChatDriver(emu, user)
    listing = await chat.say("/my", number)
    opened = next(b[1] for row in listing["buttons"] for b in row if b[0] == number)
    card = await chat.press(opened, frag(language, "my.card.history"))
    withdraw = next(b[1] for row in card["buttons"] for b in row if ":withdraw:" in b[1])
    await chat.press(withdraw, frag(language, "my.withdraw.confirm"))
    await chat.press(
        withdraw.replace(":withdraw:", ":confirm:"), frag(language, "my.withdraw.done")
    )


async def test_remaining_transitions_hearing_cancel_and_extension(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, app = world
    ru = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, ru)

    async def new_case(returning: bool = True) -> tuple[str, Entry]:
        number = await file_appeal(emu, ru, "ru", returning=returning)
        card = await group.card(number)
        await group.press(card, "take")
        await wait_status(app, number, "in_review")
        return number, card

    # in_review -> redirected
    a, card_a = await new_case(returning=False)
    await staff_step(group, card_a, "redirected", "Акимат области", "→")
    await wait_status(app, a, "redirected")
    # in_review -> needs_info -> not_considered (no answer came)
    b, card_b = await new_case()
    await staff_step(group, card_b, "needs_info", "Уточните адрес.", "→")
    await staff_step(group, card_b, "not_considered", "Заявитель не ответил на запрос", "→")
    await wait_status(app, b, "not_considered")
    # in_review -> withdrawn; needs_info -> withdrawn
    c, card_c = await new_case()
    await owner_withdraws(emu, ru, "ru", c)
    await group.expect("отозвал обращение", card_c["message_thread_id"], 0)
    d, card_d = await new_case()
    await staff_step(group, card_d, "needs_info", "Какой номер разрешения?", "→")
    await wait_status(app, d, "needs_info")
    await owner_withdraws(emu, ru, "ru", d)
    # hearing_scheduled -> in_review (hearing cancelled) -> hearing_scheduled -> withdrawn
    e, card_e = await new_case()
    thread = card_e["message_thread_id"]
    await group.say("/hearing 2030-05-05 11:00 Каб. 7", thread, expect="Заседание: 05.05.2030")
    after = owner.last_id()
    await group.say("/hearing cancel", thread, expect="Заседание отменено")
    cancelled = await owner.expect(frag("ru", "notify.hearing_cancelled"), after)
    assert "05.05.2030" in cancelled["text"]
    await wait_status(app, e, "in_review")
    await group.say("/hearing 2020-01-01 10:00 Каб. 7", thread, expect="уже прошло")
    await group.say("/hearing завтра утром", thread, expect="Не понял дату")

    # an extension: a date past two months from registration is refused, a good one moves due
    after = owner.last_id()
    await group.press(group.current_card(card_e), "extend")
    await group.expect("новый срок", thread, 0)
    await group.say("01.01.2099 слишком поздно", thread, expect="не позже")
    with db(app) as conn:
        registered = conn.execute(
            "select registered_at from appeals where number = ?", (e,)
        ).fetchone()[0]
    year, month = int(registered[:4]), int(registered[5:7]) + 1
    year, month = (year + 1, month - 12) if month > 12 else (year, month)
    new_due = f"20.{month:02d}.{year}"
    await group.say(f"{new_due} нужен ответ из акимата", thread, expect="Срок продлён")
    extended = await owner.expect(frag("ru", "notify.extended"), after)
    assert new_due in extended["text"] and "акимата" in extended["text"]
    await eventually(lambda: new_due in (group.current_card(card_e)["text"] or ""))

    await group.say("/hearing 2030-05-06 11:00 Каб. 7", thread, expect="Заседание: 06.05.2030")
    await wait_status(app, e, "hearing_scheduled")
    await owner_withdraws(emu, ru, "ru", e)

    expected_tail = {
        a: ("in_review", "redirected"),
        b: ("needs_info", "not_considered"),
        c: ("in_review", "withdrawn"),
        d: ("needs_info", "withdrawn"),
        e: ("hearing_scheduled", "withdrawn"),
    }
    for number, tail in expected_tail.items():
        assert statuses(app, number)[-1] == tail, number
    assert ("hearing_scheduled", "in_review") in statuses(app, e)
    with db(app) as conn:
        hearing_states = [r[0] for r in conn.execute("select state from hearings order by id")]
        extensions = conn.execute("select count(*) from appeal_events where kind = 'extension'")
        assert extensions.fetchone() == (1,)
    assert hearing_states == ["cancelled", "scheduled"]


async def test_publishing_twice_at_once_makes_one_topic(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    import asyncio

    from models import Appeal

    emu, group, app = world
    owner = emu.add_user("Асель", language_code="kk")
    number = await file_appeal(emu, owner, "kk", photos=0)
    first_card = await group.card(number)

    def card_recorded() -> bool:
        with db(app) as conn:
            return conn.execute("select card_message_id from appeals").fetchone()[0] is not None

    await eventually(card_recorded)  # the submitting update has finished with the card
    emu.delete_topic(group.chat_id, first_card["message_thread_id"])
    with db(app) as conn:
        conn.execute("update appeals set card_message_id = null, topic_id = null")
    topics = app.dispatcher["topics"]

    async def publish() -> None:
        async with app.sessionmaker() as session:
            appeal = await session.scalar(select(Appeal).where(Appeal.number == number))
            await topics.publish(app.bot, session, appeal)

    await asyncio.gather(publish(), publish(), publish())
    live = [t for t in emu.topics(group.chat_id) if not t["deleted"]]
    assert len(live) == 1 and number in live[0]["name"]
