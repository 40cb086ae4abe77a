"""Texts and captions longer than Telegram takes: split or shortened on a word boundary with
valid HTML, never refused; the sender is told; the card stays within 4,096 characters with
every field at its maximum, and the appeal's full text is posted next to it."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Application
from bot.domain.calendar import WorkCalendar
from bot.i18n import I18n
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.emulator.html_text import parse_html
from bot.telegram.texts import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    shorten,
    split_html,
    utf16_len,
    visible_length,
)
from bot.views.cards import card_text, full_text, shortened
from models import Appeal, Hearing, OutboxMessage
from tests.e2e.harness import ChatDriver
from tests.support import database
from tests.support.keyboard import data_of
from tests.support.live import eventually, live_app
from tests.support.owner import I18N, file_appeal, frag
from tests.support.pages import Group, wait_status

Entry = dict[str, Any]
VALID_BIN = "940140000385"


def plain(html: str) -> str:
    """What Telegram shows of an HTML text; raises as Telegram refuses (unbalanced tags)."""
    return parse_html(html)[0]


def words(text: str) -> str:
    return " ".join(text.split())


def long_text(length: int, *, seed: int = 7) -> str:
    """Kazakh and Russian prose with paragraphs, lines, HTML-special characters and emoji,
    exactly `length` characters."""
    rng = random.Random(seed)
    vocabulary = [
        "инспектор",
        "рұқсат",
        "тексеру",
        "ЖШС",
        "«Шығыс»",
        "A&B",
        "<акт>",
        "№12",
        "👍",
        "деньги",
        "предписание",
        "мерзімі",
    ]
    out: list[str] = []
    size = 0
    while size < length:
        piece = rng.choice(vocabulary) + rng.choice([" "] * 12 + ["\n", "\n\n", ". "])
        out.append(piece)
        size += len(piece)
    text = "".join(out)[:length]
    return text[:-1] + "." if text[-1].isspace() else text


# ---- the splitting itself, judged by the emulator's copy of Telegram's HTML parser ------------


FRAGMENTS = [
    "слово",
    "<b>жирный текст</b>",
    "&amp;",
    "&lt;тег&gt;",
    "<i>курсив <b>и жирный</b> внутри</i>",
    "👍🏽",
    "👨‍👩‍👧",
    "\n",
    "\n\n",
    '<a href="https://egov.kz/?a=1&amp;b=2">ссылка на портал</a>',
    '<pre><code class="language-python">x = 1\ny = 2</code></pre>',
    "<blockquote expandable>длинная цитата заявителя</blockquote>",
    '<span class="tg-spoiler">скрыто</span>',
    "<u>подчёркнуто</u>",
    "сөз",
]


@pytest.mark.parametrize("seed", range(40))
def test_split_pieces_are_valid_within_the_limit_and_keep_every_word(seed: int) -> None:
    rng = random.Random(seed)
    html = " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 900)))
    limit = rng.choice([40, 200, CAPTION_LIMIT, TEXT_LIMIT])
    first = rng.choice([None, 30, CAPTION_LIMIT])
    pieces = split_html(html, limit, first=first)
    for index, piece in enumerate(pieces):
        shown = plain(piece)  # parses: balanced, no tag or entity cut
        assert shown.strip()
        assert utf16_len(shown) <= (first if index == 0 and first else limit)
    assert words("".join(plain(p) + " " for p in pieces)) == words(plain(html))


def test_split_prefers_a_paragraph_then_a_line_then_a_word() -> None:
    para = "Первый абзац довольно длинный.\n\nВторой абзац тоже."
    assert split_html(para, 40) == ["Первый абзац довольно длинный.", "Второй абзац тоже."]
    lines = "строка раз два три\nстрока четыре пять"
    assert split_html(lines, 30) == ["строка раз два три", "строка четыре пять"]
    assert split_html("бір екі үш төрт бес", 10) == ["бір екі үш", "төрт бес"]
    # no space at all: a hard cut, but never inside an entity or between an emoji's parts
    assert split_html("&amp;" * 12, 5) == ["&amp;" * 5, "&amp;" * 5, "&amp;" * 2]
    family = "👨‍👩‍👧"
    assert all(family in piece for piece in split_html(family * 4, 10))


def test_tags_open_across_a_cut_are_closed_and_opened_again() -> None:
    html = '<b>жирный <a href="https://x.kz">ссылка очень длинная</a> хвост</b>'
    pieces = split_html(html, 20)
    assert pieces[0].startswith("<b>") and pieces[0].endswith("</b>")
    assert all(piece.startswith("<b>") for piece in pieces)
    linked = [p for p in pieces if "ссылка" in p or "длинная" in p]
    assert all('<a href="https://x.kz">' in piece for piece in linked)
    for piece in pieces:
        _text, entities = parse_html(piece)
        assert any(entity["type"] == "bold" for entity in entities)


def test_a_caption_is_cut_at_1024_and_the_rest_follows() -> None:
    html = "🏛 <b>Проектный офис</b>\n\n<b>" + escape(long_text(1500)) + "</b>"
    caption, *rest = split_html(html, first=CAPTION_LIMIT)
    assert utf16_len(plain(caption)) <= CAPTION_LIMIT and rest
    assert caption.endswith("</b>") and rest[0].startswith("<b>")
    assert words(plain(caption) + " " + plain(rest[0])) == words(plain(html))
    # a 900-character bold caption with the header fits as it is
    fits = "🏛 <b>Проектный офис</b>\n\n<b>" + "ә" * 900 + "</b>"
    assert split_html(fits, first=CAPTION_LIMIT) == [fits]


def test_shorten_cuts_on_a_word_with_an_ellipsis() -> None:
    assert shorten("Жұмабаева Асель Маратқызы", 100) == "Жұмабаева Асель Маратқызы"
    assert shorten("Жұмабаева Асель Маратқызы", 18) == "Жұмабаева Асель…"
    assert shorten("а" * 50, 10) == "а" * 9 + "…"
    assert utf16_len(shorten(long_text(4000), 2000)) <= 2000
    assert shorten("👍" * 10, 7) == "👍👍👍…"  # an emoji counts twice, as in Telegram


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>a&amp;b</b> 👍") == 6  # the emoji is two UTF-16 units
    assert visible_length("&nbsp;") == 6  # not an entity Telegram knows: shown as typed


# ---- the card ---------------------------------------------------------------------------------


def maximal_appeal() -> Appeal:
    def fill(seed: str, length: int) -> str:
        return (seed * (length // len(seed) + 1))[:length]

    now = datetime(2030, 11, 4, 6, 0, tzinfo=UTC)
    return Appeal(
        id=1,
        number="2030-000001",
        user_id=1,
        applicant_name=fill("Жұмабаева-Сейітқазы Асель ", 200),
        applicant_kind="le",
        applicant_iin_bin=VALID_BIN,
        applicant_company=fill("ЖШС «Шығыс & <Құрылыс>» ", 300),
        applicant_phone="+77011112233",
        appeal_type="complaint",
        category="inspections",
        locality=fill("с. Новая Бухтарма & <район> ", 200),
        body=fill("ДГД по ВКО, инспектор & <отдел> ", 500),
        description=long_text(4000),
        confidential=True,
        status="hearing_scheduled",
        outcome="partly",
        assigned_staff_name=fill("Д", 64) + " " + fill("О", 64),
        registered_at=now,
        due_at=now + timedelta(days=21),
        created_at=now,
        anonymised_at=now,
    )


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_card_with_every_field_at_its_maximum_stays_within_the_limit(language: str) -> None:
    i18n = I18n("kk")
    t = i18n.translator(language)
    appeal = maximal_appeal()
    calendar = WorkCalendar(ZoneInfo("Asia/Almaty"))
    hearing = Hearing(appeal_id=1, starts_at=appeal.due_at, place="Өскемен & <зал> " * 32)
    text = card_text(
        t,
        appeal,
        owner_language="kk",
        calendar=calendar,
        now=appeal.due_at + timedelta(days=30),  # overdue too
        attachments=10,
        hearing=hearing,
        consent_withdrawn_at=appeal.registered_at,
    )
    shown = plain(text)
    assert utf16_len(shown) <= TEXT_LIMIT - 200  # with room to spare
    assert shortened(appeal) and t("staff.card.shortened") in text
    assert shown.count("…") >= 6  # name, company, place, body, description, assignee, hearing
    pieces = split_html(full_text(t, appeal))
    assert len(pieces) == 2
    whole = " ".join(plain(piece) for piece in pieces)
    for field in (appeal.applicant_name, appeal.applicant_company, appeal.body):
        assert words(str(field)) in words(whole)
    assert words(appeal.description) in words(whole)


# ---- relayed both ways, against the emulator ----------------------------------------------------


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[BotAPIEmulator, Group, Application]]:
    emu = BotAPIEmulator(seed=11)
    await emu.start()
    # Telegram's longest names: 64 characters each.
    staff = emu.add_user("Динара-Гүлнар" + "а" * 51, "Оспанова-Сейітқазы" + "а" * 46)
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    async with live_app(emu, tmp_path, group_id) as app:
        yield emu, Group(emu, group_id, staff), app
    await emu.stop()


def bot_texts(emu: BotAPIEmulator, chat: int, after: int, thread: int | None = None) -> list[Entry]:
    return [
        entry
        for entry in emu.transcript(chat, thread)
        if entry["from_bot"] and entry["message_id"] > after and entry["kind"] == "text"
    ]


async def ending_with(
    emu: BotAPIEmulator, chat: int, text: str, after: int, thread: int | None = None
) -> Entry:
    """The bot's message that ends as `text` ends (the last piece of it)."""
    tail = words(text)[-60:]
    return await emu.wait_for_message(
        chat,
        lambda e: words(e["text"] or e["caption"] or "").endswith(tail),
        thread_id=thread,
        after_message_id=after,
        timeout=45,
    )


async def test_a_long_owner_message_reaches_the_topic_in_pieces(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = world
    owner = emu.add_user("Асель", language_code="kk")
    number = await file_appeal(emu, owner, "kk", photos=0)
    thread = (await group.card(number))["message_thread_id"]
    chat = ChatDriver(emu, owner)
    text = long_text(TEXT_LIMIT, seed=1)
    header = plain(I18N.get("ru", "staff.owner_message"))
    after, owner_after = group.last_id(thread), chat.last_id()
    emu.send_text(owner, text)
    told = await chat.expect("бөліктермен", owner_after)
    assert told["text"] == I18N.get("kk", "owner_message.sent_in_parts", count=2)
    await chat.expect(frag("kk", "owner_message.sent"), owner_after)
    await ending_with(emu, group.chat_id, text, after, thread)
    pieces = bot_texts(emu, group.chat_id, after, thread)
    assert len(pieces) == 2
    assert pieces[0]["text"].startswith(header) and header not in pieces[1]["text"]
    assert words(pieces[0]["text"] + " " + pieces[1]["text"]) == words(f"{header} {text}")


async def test_a_long_staff_answer_reaches_the_owner_in_pieces_bold_kept(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = world
    owner = emu.add_user("Ольга", language_code="ru")
    number = await file_appeal(emu, owner, "ru", photos=0)
    thread = (await group.card(number))["message_thread_id"]
    chat = ChatDriver(emu, owner)
    text = long_text(TEXT_LIMIT, seed=2)
    bold = [{"type": "bold", "offset": 0, "length": utf16_len(text)}]
    after, group_after = chat.last_id(), group.last_id(thread)
    sent = emu.send_text(group.staff, text, chat_id=group.chat_id, thread_id=thread, entities=bold)
    note = await group.expect("частями", thread, group_after)
    assert note["text"] == I18N.get("ru", "staff.sent_in_parts", count=2)
    await ending_with(emu, owner, text, after)
    pieces = bot_texts(emu, owner, after)
    assert len(pieces) == 2
    header = plain(I18N.get("ru", "notify.header", number=number))
    assert pieces[0]["text"].startswith(header) and number not in pieces[1]["text"]
    assert words(pieces[0]["text"] + " " + pieces[1]["text"]) == words(f"{header} {text}")
    # the answer is bold in both pieces; the Reply button is under the last one
    assert all(any(e["type"] == "bold" for e in piece["entities"]) for piece in pieces)
    assert not pieces[0]["buttons"] and pieces[1]["buttons"]
    assert await group.reaction_on(sent["message_id"])


async def test_a_long_bold_caption_is_shortened_and_the_rest_follows(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = world
    owner = emu.add_user("Ольга", language_code="ru")
    number = await file_appeal(emu, owner, "ru", photos=0)
    thread = (await group.card(number))["message_thread_id"]
    chat = ChatDriver(emu, owner)

    def post(caption: str) -> Entry:
        bold = [{"type": "bold", "offset": 0, "length": utf16_len(caption)}]
        return emu.send_photo(
            group.staff,
            chat_id=group.chat_id,
            thread_id=thread,
            caption=caption,
            caption_entities=bold,
        )

    # 900 bold characters and the header: one photo, nothing refused
    caption = long_text(900, seed=3)
    after = chat.last_id()
    sent = post(caption)
    photo = await ending_with(emu, owner, caption, after)
    assert photo["kind"] == "photo" and number in photo["caption"]
    assert words(caption) in words(photo["caption"])
    assert any(e["type"] == "bold" for e in photo["entities"])
    assert await group.reaction_on(sent["message_id"])

    # 1,020 bold characters and the header: the caption is cut on a word, the rest follows
    caption = long_text(1020, seed=4)
    after, group_after = chat.last_id(), group.last_id(thread)
    sent = post(caption)
    rest = await ending_with(emu, owner, caption, after)
    photo = next(e for e in emu.transcript(owner) if e["message_id"] > after)
    assert photo["kind"] == "photo" and rest["kind"] == "text"
    assert utf16_len(photo["caption"]) <= CAPTION_LIMIT
    assert words(photo["caption"] + " " + rest["text"]).endswith(words(caption))
    assert any(e["type"] == "bold" for e in rest["entities"]) and rest["buttons"]
    await group.expect(I18N.get("ru", "staff.sent_in_parts", count=2), thread, group_after)
    assert await group.reaction_on(sent["message_id"])


# ---- the card with every field at its maximum, through the form and every change -------------


def fill(seed: str, length: int) -> str:
    text = (seed * (length // len(seed) + 1))[:length]
    return text[:-1] + "ы" if text[-1] == " " else text


async def file_maximal_appeal(emu: BotAPIEmulator, user: int) -> str:
    chat = ChatDriver(emu, user)

    def f(key: str) -> str:
        return frag("ru", key)

    await chat.say("/start", "Тілді таңдаңыз")
    await chat.press("lang:ru", f("start.welcome"))
    await chat.say("/new", f("form.consent.question"))
    await chat.press("f:consent:agree", f("form.full_name.question"))
    await chat.say(fill("Жұмабаева-Сейітқазы Асель ", 200), f("form.applicant_kind.question"))
    await chat.press("f:applicant_kind:le", f("form.iin_bin.question_le"))
    await chat.say(VALID_BIN, f("form.company.question"))
    await chat.say(fill("ЖШС «Шығыс & <Құрылыс>» ", 300), f("form.phone.question"))
    await chat.say("+7 701 111 22 33", f("form.appeal_type.question"))
    await chat.press("f:appeal_type:complaint", f("form.category.question"))
    await chat.press("f:category:inspections", f("form.locality.question"))
    await chat.press("f:locality:other", f("form.locality.other_question"))
    await chat.say(fill("с. Новая Бухтарма & <район> ", 200), f("form.body.question"))
    await chat.say(fill("ДГД по ВКО, инспектор & <отдел> ", 500), f("form.description.question"))
    await chat.say(long_text(4000, seed=5), f("form.attachments.question"))
    await chat.press("f:attachments:done", f("form.confidentiality.question"))
    await chat.press("f:confidentiality:keep", f("form.summary.title"))
    receipt = await chat.press("f:summary:submit", f("form.receipt.text"))
    match = re.search(r"\d{4}-\d{6}", receipt["text"])
    assert match is not None
    return match.group(0)


async def test_a_maximal_card_keeps_updating_and_its_full_text_is_in_the_topic(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, app = world
    owner = emu.add_user("Ольга", language_code="ru")
    number = await file_maximal_appeal(emu, owner)
    card = await group.card(number)
    thread = card["message_thread_id"]
    assert I18N.get("ru", "staff.card.shortened") in card["text"] and "…" in card["text"]
    description = long_text(4000, seed=5)
    title = plain(I18N.get("ru", "staff.card.full_title", number=number))
    first = await group.expect(title, thread, card["message_id"])
    last = await ending_with(emu, group.chat_id, description, card["message_id"], thread)
    pieces = bot_texts(emu, group.chat_id, card["message_id"], thread)
    assert [p["message_id"] for p in pieces] == [first["message_id"], last["message_id"]]
    assert words(description) in words(" ".join(p["text"] for p in pieces))

    def card_says(status: str) -> Any:
        current = group.current_card(card)
        return I18N.get("ru", f"status.{status}") in current["text"] and current

    buttons = [group.current_card(card)["buttons"]]

    async def changed(status: str) -> None:
        await wait_status(app, number, status)
        current = await eventually(lambda: card_says(status))
        assert current["buttons"] != buttons[-1]
        assert utf16_len(current["text"]) <= TEXT_LIMIT
        buttons.append(current["buttons"])

    await group.press(card, "take")
    await changed("in_review")
    assert "Динара-Гүлнар" in group.current_card(card)["text"]
    place = fill("Өскемен, Горький к-сі 40, 12-каб. & <зал> ", 480)
    await group.say(
        f"/hearing 2030-12-03 15:00 {place}; bring: {fill('шарт, акт & <хат> ', 990)}",
        thread,
        expect="03.12.2030 15:00",
    )
    await changed("hearing_scheduled")
    await group.press(group.current_card(card), "answered")
    outcome = await group.expect("Выберите итог", thread, 0)
    data = data_of(outcome, suffix=":partly")
    emu.press_button(group.staff, group.chat_id, outcome["message_id"], data)
    await group.expect("Напишите текст ответа", thread, outcome["message_id"])
    await group.say(long_text(3000, seed=6), thread, expect="Дан ответ")
    await changed("answered")
    assert I18N.get("ru", "staff.outcome.partly") in group.current_card(card)["text"]
    await group.press(group.current_card(card), "closed")
    await changed("closed")


async def test_without_topics_a_staff_reply_to_any_piece_reaches_the_owner(
    tmp_path: Path,
) -> None:
    emu = BotAPIEmulator(seed=13)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=False, members=[staff], admins=[staff])
    try:
        async with live_app(emu, tmp_path, group_id) as app:
            group = Group(emu, group_id, staff)
            owner = emu.add_user("Ольга", language_code="ru")
            number = await file_appeal(emu, owner, "ru", photos=0)
            card = await group.card(number)
            text = long_text(TEXT_LIMIT, seed=8)
            after = group.last_id()
            emu.send_text(owner, text)
            last = await ending_with(emu, group_id, text, after)
            pieces = bot_texts(emu, group_id, after)
            assert len(pieces) == 2 and pieces[-1] == last
            assert all(piece["reply_to_message_id"] == card["message_id"] for piece in pieces)
            # The piece's id is recorded right after Telegram accepted it; a person replies
            # later than a test.
            await eventually(
                lambda: database.fetch_all(
                    app.settings.DATABASE_URL,
                    select(OutboxMessage.id).where(
                        OutboxMessage.chat_id == group_id,
                        OutboxMessage.result_message_id == last["message_id"],
                    ),
                )
            )
            chat = ChatDriver(emu, owner)
            owner_after = chat.last_id()
            emu.send_text(
                staff, "Получили, спасибо.", chat_id=group_id, reply_to=last["message_id"]
            )
            got = await chat.expect("Получили, спасибо", owner_after)
            assert number in got["text"]
    finally:
        await emu.stop()
