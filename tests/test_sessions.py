"""Sessions with an agenda, the whole application against the emulator with a moved clock:
three appeals on one session, moved once and held; each owner is invited once, told of the
move once, reminded once per offset at the new time only, and gets the decision in their own
language; the figures count the session with its attendance. Then what staff typing or
pressing the wrong thing see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.calendar import WorkCalendar
from bot.domain.figures import office_figures
from bot.domain.periods import month_of
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.texts import plain
from models import Appeal, Hearing, OfficeSession, OutboxMessage
from tests.support.keyboard import buttons, data_of
from tests.support.live import live_app
from tests.support.owner import I18N
from tests.support.pages import Group
from tests.test_scheduled import ALMATY, Clock, World, case, texts

Entry = dict[str, Any]
RU = I18N.translator("ru")
LINE = (
    "/session 2026-12-10 15:00 Өскемен, Горький к-сі 40, 2-зал; "
    "invited: қала әкімдігі, Мемлекеттік кірістер департаменті; bring: жеке куәлік, шарт"
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    emu = BotAPIEmulator(seed=7)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    clock = Clock(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # Tuesday 10:00 in Almaty
    state = World(emu, Group(emu, group_id, staff), clock, tmp_path)
    async with live_app(emu, tmp_path, group_id, clock=clock) as app:
        state.app = app
        yield state
    await emu.stop()


def staff_text(key: str, **values: Any) -> str:
    return plain(RU(key, **values))


def session_cards(world: World, session_id: int) -> list[Entry]:
    title = staff_text("session.card.title", id=session_id, date="", time="").split("·")[0]
    return [
        e
        for e in world.emu.transcript(world.group.chat_id)
        if e["from_bot"] and (e["text"] or "").startswith(title.strip()) and e["buttons"]
    ]


async def press(world: World, message: Entry, label: str) -> dict[str, Any]:
    """Press the button with this text (the message as it reads now); the callback answer."""
    emu, group = world.emu, world.group
    current = next(
        e for e in emu.transcript(group.chat_id) if e["message_id"] == message["message_id"]
    )
    data = data_of(current, label=label)
    query = emu.press_button(group.staff, group.chat_id, message["message_id"], data)
    return await emu.wait_for_callback_answer(query, timeout=45)


async def card_after_press(world: World, session_id: int, label: str) -> dict[str, Any]:
    """Press a button of the session's latest card (what it asks for is typed where it is)."""
    card = session_cards(world, session_id)[-1]
    world.typing_in = card["message_thread_id"]  # type: ignore[attr-defined]
    answer = await press(world, card, label)
    await world.settled()
    return answer


async def staff_says(world: World, text: str, expect: str) -> Entry:
    thread = getattr(world, "typing_in", None)
    reply = await world.group.say(text, thread, expect=expect)
    await world.settled()  # and the card that follows the reply
    return reply


async def session_id_of(world: World) -> int:
    found = await world.scalar(select(OfficeSession.id).order_by(OfficeSession.id.desc()))
    assert isinstance(found, int)
    return found


def owner_messages(
    emu: BotAPIEmulator, user: int, language: str, key: str, **values: Any
) -> list[str]:
    """The bot's messages to the owner that open with the first line of `key`."""
    first = I18N.catalogs[language][key].splitlines()[0]
    return texts(emu, user, plain(first.format(**values)))


async def test_a_session_of_three_moved_once_and_held(world: World) -> None:
    emu, group = world.emu, world.group
    languages = ["kk", "ru", "ru"]
    users = [
        emu.add_user(name, language_code=language)
        for name, language in zip(("Асель", "Ольга", "Игорь"), languages, strict=True)
    ]
    numbers = []
    cards = []
    for user, language in zip(users, languages, strict=True):
        number, card = await case(world, user, language)
        numbers.append(number)
        cards.append(card)

    # Created with one line, two appeals added by number from the card, the third from its
    # own card's 📅.
    await staff_says(world, LINE, staff_text("session.card.agenda", count=0))
    sid = await session_id_of(world)
    for number in numbers[:2]:
        await card_after_press(world, sid, RU("session.button.add"))
        await staff_says(world, number, staff_text("session.added", number=number, id=sid))
    after = group.last_id(cards[2]["message_thread_id"])
    await group.press(cards[2], "hearing")
    offer = await group.expect(
        staff_text("staff.ask.hearing"), cards[2]["message_thread_id"], after
    )
    put = RU("session.button.put", id=sid, date="10.12.2026", time="15:00")
    assert put in [label for label, _ in buttons(offer)]
    answer = await press(world, offer, put)
    assert answer["text"] == staff_text("session.added", number=numbers[2], id=sid)
    await world.settled()
    statuses = [row[0] for row in await world.rows(select(Appeal.status).order_by(Appeal.id))]
    assert statuses == ["hearing_scheduled"] * 3

    # Invited: each owner once, with their place in the agenda, in their language.
    answer = await card_after_press(world, sid, RU("session.button.invite"))
    assert answer["text"] == staff_text("session.invited", count=3)
    answer = await card_after_press(world, sid, RU("session.button.invite"))
    assert answer["text"] == staff_text("session.invited", count=0)  # nobody twice
    for position, (user, language, number) in enumerate(
        zip(users, languages, numbers, strict=True), start=1
    ):
        [invitation] = owner_messages(emu, user, language, "session.invitation", number=number)
        t = I18N.translator(language)
        assert plain(t("session.position", position=position, total=3)) in invitation
        assert "10.12.2026" in invitation and "15:00" in invitation
        assert "жеке куәлік, шарт" in invitation and "қала әкімдігі" in invitation

    # The kk owner says they will come.
    invited = next(
        e
        for e in emu.transcript(users[0])
        if e["from_bot"] and e["buttons"] and "10.12.2026" in (e["text"] or "")
    )
    query = emu.press_button(
        users[0], users[0], invited["message_id"], data_of(invited, suffix=":yes")
    )
    await emu.wait_for_callback_answer(query, timeout=45)
    await world.settled()

    # Moved once: everyone is told once, with the new time.
    await card_after_press(world, sid, RU("session.button.move"))
    await staff_says(
        world,
        "2026-12-11 11:00",
        staff_text("session.moved_staff", date="11.12.2026", time="11:00"),
    )
    for user, language, number in zip(users, languages, numbers, strict=True):
        [moved] = owner_messages(emu, user, language, "session.moved", number=number)
        assert "11.12.2026" in moved and "11:00" in moved
    revision = await world.scalar(select(OfficeSession.revision).where(OfficeSession.id == sid))
    assert revision == 2

    # The clock through the old reminder times and the new ones.
    for moment in (
        "2026-12-07 15:30",  # old 3 days before: nothing
        "2026-12-08 11:30",  # new 3 days before
        "2026-12-09 15:30",  # old 1 day before: nothing
        "2026-12-10 11:30",  # new 1 day before
        "2026-12-10 13:30",  # old 2 hours before: nothing
        "2026-12-11 09:30",  # new 2 hours before
    ):
        world.clock.set_local(moment)
        await world.run()
    for user in users:
        reminders = texts(emu, user, "⏰")
        assert len(reminders) == 3, reminders
        assert all("11.12.2026" in r and "10.12.2026" not in r for r in reminders)
        assert len(texts(emu, user, "📎")) == 2  # one calendar file per time

    # Held; attendance recorded per item.
    world.clock.set_local("2026-12-11 12:30")
    answer = await card_after_press(world, sid, RU("session.button.hold"))
    assert answer["text"] == staff_text("session.held")
    marks = [("owner", 1, 1), ("owner", 2, 1), ("owner", 3, 0), ("official", 1, 1)]
    marks += [("official", 2, 0)]
    for who, position, came in marks:
        label = RU(f"session.button.{who}_{came}", position=position)
        answer = await card_after_press(world, sid, label)
        assert answer["text"] == staff_text("session.marked")
    card_text = session_cards(world, sid)[-1]["text"]
    assert staff_text("session.state.held") in card_text

    # A decision per item, each to its owner in their language.
    for position, number in enumerate(numbers, start=1):
        await card_after_press(world, sid, RU("session.button.decision", position=position))
        await staff_says(
            world,
            f"Акимат выдаст разрешение по {number} до 20.12.2026.",
            staff_text("session.decision_sent", number=number),
        )
    await world.settled()
    for user, language, number in zip(users, languages, numbers, strict=True):
        [decision] = owner_messages(
            emu, user, language, "session.decision", number=number, date="11.12.2026"
        )
        assert f"Акимат выдаст разрешение по {number}" in decision
    statuses = [row[0] for row in await world.rows(select(Appeal.status).order_by(Appeal.id))]
    assert statuses == ["in_review"] * 3
    for card, number in zip(cards, numbers, strict=True):  # and staff see it in the topic
        [note] = texts(emu, group.chat_id, f"Решение заседания №{sid}", card["message_thread_id"])
        assert f"Акимат выдаст разрешение по {number}" in note

    # Exactly once each, whatever was pressed twice.
    for user, language, number in zip(users, languages, numbers, strict=True):
        assert len(owner_messages(emu, user, language, "session.invitation", number=number)) == 1
        assert len(owner_messages(emu, user, language, "session.moved", number=number)) == 1

    # What is stored is what the figures count.
    rows = await world.rows(
        select(Hearing.position, Hearing.owner_attended, Hearing.official_attended)
        .where(Hearing.session_id == sid)
        .order_by(Hearing.position)
    )
    assert [tuple(r) for r in rows] == [(1, True, True), (2, True, False), (3, False, None)]
    assert world.app is not None
    async with world.app.sessionmaker() as session:
        figures = await office_figures(
            session, month_of(date(2026, 12, 1)), WorkCalendar(ALMATY), term_days=15
        )
    assert figures.sessions_held == 1
    assert (figures.owners_came, figures.owners_absent) == (2, 1)
    assert (figures.officials_came, figures.officials_absent) == (1, 1)
    # And as staff read it in /stats.
    stats = await world.group.say("/stats", None, expect="Проведено заседаний: 1")
    assert (
        "Проведено заседаний: 1; заявители пришли — 2, не пришли — 1; представители органов "
        "пришли — 1, не пришли — 1" in stats["text"]
    )


async def test_malformed_session_gets_the_format(world: World) -> None:
    usage_head = staff_text("session.usage").splitlines()[0]
    reply = await staff_says(world, "/session завтра в три", staff_text("session.invalid"))
    assert usage_head in reply["text"]
    reply = await staff_says(world, "/session 2026-13-40 15:00 Зал", staff_text("session.invalid"))
    reply = await staff_says(
        world, "/session 2026-12-10 15:00 Зал; кто: все", staff_text("session.invalid")
    )
    await staff_says(world, "/session 2026-11-30 15:00 Зал", staff_text("session.past"))
    await staff_says(world, "/session", usage_head)
    await staff_says(world, "/session 999", staff_text("session.unknown"))
    assert await world.scalar(select(OfficeSession.id)) is None


async def test_session_is_for_staff_only(world: World) -> None:
    emu = world.emu
    user = emu.add_user("Асель", language_code="kk")
    emu.send_text(user, LINE)
    reply = await emu.wait_for_message(user, lambda e: bool(e["from_bot"]), timeout=45)
    assert reply["text"] == plain(I18N.get("kk", "staff.only_staff"))
    assert await world.scalar(select(OfficeSession.id)) is None


async def test_forged_and_stale_session_buttons(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    number, _card = await case(world, user, "ru")
    await staff_says(world, LINE, staff_text("session.card.agenda", count=0))
    sid = await session_id_of(world)
    card = session_cards(world, sid)[-1]
    # A session that does not exist, an item that does not exist, a mark before the session.
    forged = {
        f"ss:invite:{sid + 40}:0:0": staff_text("session.unknown"),
        f"ss:explode:{sid}:0:0": staff_text("session.unknown"),
        "sa:999:owner:1": staff_text("session.unknown_item"),
        "sr:999": staff_text("session.unknown_item"),
        "sa:1:owner:7": None,  # not even well formed: the stale-button answer
    }
    for data, expected in forged.items():
        query = emu.forge_callback(group.staff, group.chat_id, card["message_id"], data)
        answer = await emu.wait_for_callback_answer(query, timeout=45)
        assert answer["text"] == expected if expected else answer["text"], data
    # An outsider in the group presses a real button.
    stranger = emu.add_user("Чужой")
    data = data_of(card, label=RU("session.button.invite"))
    query = emu.press_button(stranger, group.chat_id, card["message_id"], data)
    answer = await emu.wait_for_callback_answer(query, timeout=45)
    assert answer["text"] == staff_text("staff.not_member")
    # Held before it began, and with nobody on the agenda: refused, nothing changes.
    answer = await card_after_press(world, sid, RU("session.button.hold"))
    assert answer["text"] == staff_text("session.not_yet")
    # Cancelled: its buttons no longer change it.
    await card_after_press(world, sid, RU("session.button.add"))
    await staff_says(world, number, staff_text("session.added", number=number, id=sid))
    first = session_cards(world, sid)[0]
    answer = await card_after_press(world, sid, RU("session.button.cancel"))
    assert answer["text"] == staff_text("session.cancelled")
    answer = await press(world, first, RU("session.button.invite"))
    assert answer["text"] == staff_text(
        "session.not_scheduled", state=RU("session.state.cancelled")
    )
    status = await world.scalar(select(Appeal.status))
    assert status == "in_review"
    assert owner_messages(emu, user, "ru", "session.invitation", number=number) == []


async def test_cancelling_a_session_calls_it_off_for_every_owner_once(world: World) -> None:
    emu = world.emu
    languages = ["kk", "ru"]
    users = [
        emu.add_user(n, language_code=lang)
        for n, lang in zip(("Асель", "Ольга"), languages, strict=True)
    ]
    numbers = [
        (await case(world, user, lang))[0] for user, lang in zip(users, languages, strict=True)
    ]
    await staff_says(world, LINE, staff_text("session.card.agenda", count=0))
    sid = await session_id_of(world)
    for number in numbers:
        await card_after_press(world, sid, RU("session.button.add"))
        await staff_says(world, number, staff_text("session.added", number=number, id=sid))
    await card_after_press(world, sid, RU("session.button.invite"))
    # The second appeal leaves the agenda first: only its owner hears of it, once.
    answer = await card_after_press(world, sid, RU("session.button.remove", position=2))
    assert answer["text"] == staff_text("session.removed")
    answer = await card_after_press(world, sid, RU("session.button.cancel"))
    assert answer["text"] == staff_text("session.cancelled")
    for moment in ("2026-12-07 15:30", "2026-12-09 15:30", "2026-12-10 13:30"):
        world.clock.set_local(moment)
        await world.run()
    for user, language, number in zip(users, languages, numbers, strict=True):
        called_off = I18N.get(
            language, "notify.hearing_cancelled", number=number, date="10.12.2026", time="15:00"
        )
        assert texts(emu, user, plain(called_off)) == [plain(called_off)]
        assert texts(emu, user, "⏰") == []
    statuses = [row[0] for row in await world.rows(select(Appeal.status).order_by(Appeal.id))]
    assert statuses == ["in_review", "in_review"]
    card = session_cards(world, sid)[-1]
    assert staff_text("session.state.cancelled") in card["text"]


async def test_moved_twice_only_the_last_time_reminds(world: World) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    number, _card = await case(world, user, "ru")
    await staff_says(world, LINE, staff_text("session.card.agenda", count=0))
    sid = await session_id_of(world)
    await card_after_press(world, sid, RU("session.button.add"))
    await staff_says(world, number, staff_text("session.added", number=number, id=sid))
    await card_after_press(world, sid, RU("session.button.invite"))
    for when, shown in (
        ("2026-12-11 11:00 Зал 3", "11.12.2026"),
        ("2026-12-14 10:00", "14.12.2026"),
    ):
        await card_after_press(world, sid, RU("session.button.move"))
        # A photo is not a date: asked again, nothing moves.
        after = group.last_id(getattr(world, "typing_in", None))
        emu.send_photo(
            group.staff, chat_id=group.chat_id, thread_id=getattr(world, "typing_in", None)
        )
        await group.expect(
            staff_text("session.text_only"), getattr(world, "typing_in", None), after
        )
        await staff_says(
            world, when, staff_text("session.moved_staff", date=shown, time=when.split()[1])
        )
    keys = dict(
        await world.rows(
            select(OutboxMessage.dedupe_key, OutboxMessage.state).where(
                OutboxMessage.dedupe_key.like("hearing:%")
            )
        )
    )
    pending = sorted(k.split(":", 2)[2] for k, state in keys.items() if state == "pending")
    assert pending == ["r3:remind:24h", "r3:remind:2h", "r3:remind:72h"]
    assert {k.split(":")[2] for k in keys} == {"r1", "r2", "r3"}
    for moment in ("2026-12-07 15:30", "2026-12-08 11:30", "2026-12-09 15:30", "2026-12-10 11:30"):
        world.clock.set_local(moment)
        await world.run()
    assert texts(emu, user, "⏰") == []
    for moment in ("2026-12-11 10:30", "2026-12-13 10:30", "2026-12-14 08:30"):
        world.clock.set_local(moment)
        await world.run()
    reminders = texts(emu, user, "⏰")
    assert len(reminders) == 3 and all("14.12.2026" in r and "Зал 3" in r for r in reminders)
    assert len(owner_messages(emu, user, "ru", "session.invitation", number=number)) == 1
    assert len(owner_messages(emu, user, "ru", "session.moved", number=number)) == 2


async def test_a_restart_repeats_no_invitation_and_loses_no_reminder(tmp_path: Path) -> None:
    emu = BotAPIEmulator(seed=9)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    clock = Clock(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    world = World(emu, Group(emu, group_id, staff), clock, tmp_path)
    user = emu.add_user("Асель", language_code="kk")
    try:
        async with live_app(emu, tmp_path, group_id, clock=clock) as app:
            world.app = app
            url = app.settings.DATABASE_URL
            number, _card = await case(world, user, "kk")
            await staff_says(world, LINE, staff_text("session.card.agenda", count=0))
            sid = await session_id_of(world)
            await card_after_press(world, sid, RU("session.button.add"))
            await staff_says(world, number, staff_text("session.added", number=number, id=sid))
            await card_after_press(world, sid, RU("session.button.invite"))
        async with live_app(emu, tmp_path, group_id, clock=clock, DATABASE_URL=url) as app:
            world.app = app
            answer = await card_after_press(world, sid, RU("session.button.invite"))
            assert answer["text"] == staff_text("session.invited", count=0)
            # Down from before the 3-day reminder until after it: sent once on the way back.
            for moment in ("2026-12-07 16:00", "2026-12-09 15:30", "2026-12-10 13:30"):
                clock.set_local(moment)
                await world.run()
        assert len(owner_messages(emu, user, "kk", "session.invitation", number=number)) == 1
        assert len(texts(emu, user, "⏰")) == 3
    finally:
        await emu.stop()
