"""Every kind of message staff post in an appeal's topic is relayed to the owner under the
office's name, or answered in the topic with what can be relayed; never silently dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Message

from bot.app import Application
from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import ChatDriver
from tests.emulator import Env, running_env
from tests.support.live import live_app
from tests.support.owner import I18N, file_appeal, frag
from tests.support.pages import Group

Entry = dict[str, Any]


# ---- the emulator: the kinds it lets people post, and copying them as Telegram does ----------


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


@pytest.mark.parametrize("kind", ["video", "video_note", "animation", "audio"])
async def test_the_emulator_posts_and_copies_media(env: Env, kind: str) -> None:
    caption = None if kind == "video_note" else "подпись"
    posted = env.emu.send_media(env.user_id, kind, caption=caption)
    message = Message.model_validate(posted)
    assert message.content_type == kind  # a GIF is an animation, though it has a document too
    copied = await env.bot.copy_message(
        env.user_id, env.user_id, posted["message_id"], caption="<b>новая</b>", parse_mode="HTML"
    )
    entry = env.emu.transcript(env.user_id)[-1]
    assert entry["message_id"] == copied.message_id and entry["kind"] == kind
    # a video note keeps no caption, as in Telegram; the others take the new one
    assert entry["caption"] == (None if kind == "video_note" else "новая")


async def test_the_emulator_drops_a_caption_copied_onto_a_sticker_or_a_dice(env: Env) -> None:
    for posted in (env.emu.send_sticker(env.user_id), env.emu.send_dice(env.user_id, value=6)):
        await env.bot.copy_message(env.user_id, env.user_id, posted["message_id"], caption="x")
        entry = env.emu.transcript(env.user_id)[-1]
        assert entry["caption"] is None and entry["kind"] in ("sticker", "dice")
    with pytest.raises(ValueError, match="kind must be one of"):
        env.emu.send_media(env.user_id, "hologram")


# ---- relayed by the bot ---------------------------------------------------------------------


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[BotAPIEmulator, Group, Application]]:
    emu = BotAPIEmulator(seed=12)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    async with live_app(emu, tmp_path, group_id) as app:
        yield emu, Group(emu, group_id, staff), app
    await emu.stop()


Post = Callable[[BotAPIEmulator, int, int, int], Entry]  # emu, staff, chat, thread


def media(kind: str, caption: str | None = None) -> Post:
    return lambda emu, staff, chat, thread: emu.send_media(
        staff, kind, caption=caption, chat_id=chat, thread_id=thread
    )


# kind, how staff post it, whether it carries the header as its caption
CAPTIONED: list[tuple[str, Post]] = [
    (
        "voice",
        lambda emu, staff, chat, thread: emu.send_voice(staff, chat_id=chat, thread_id=thread),
    ),
    ("video", media("video", "Видео с объекта")),
    ("animation", media("animation")),
    ("audio", media("audio", "Запись разговора")),
]
UNCAPTIONED: list[tuple[str, Post]] = [
    (
        "sticker",
        lambda emu, staff, chat, thread: emu.send_sticker(staff, chat_id=chat, thread_id=thread),
    ),
    ("video_note", media("video_note")),
    (
        "location",
        lambda emu, staff, chat, thread: emu.send_location(staff, chat_id=chat, thread_id=thread),
    ),
    (
        "contact",
        lambda emu, staff, chat, thread: emu.send_contact(
            staff, "+77232123456", first_name="Приёмная", own=False, chat_id=chat, thread_id=thread
        ),
    ),
]


async def owner_gets(emu: BotAPIEmulator, owner: int, kind: str, after: int) -> Entry:
    def of_kind(entry: Entry) -> bool:
        return entry["kind"] == kind

    return await emu.wait_for_message(owner, of_kind, after_message_id=after, timeout=45)


async def test_every_kind_of_staff_post_reaches_the_owner_with_the_office_header(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = world
    owner = emu.add_user("Асель", language_code="kk")
    number = await file_appeal(emu, owner, "kk", photos=0)
    thread = (await group.card(number))["message_thread_id"]
    chat = ChatDriver(emu, owner)
    header = frag("kk", "notify.header")

    for kind, post in CAPTIONED:
        after = chat.last_id()
        sent = post(emu, group.staff, group.chat_id, thread)
        got = await owner_gets(emu, owner, kind, after)
        assert header in got["caption"] and number in got["caption"], kind
        if sent.get("caption"):
            assert sent["caption"] in got["caption"]
        assert got["buttons"], kind  # the Reply button
        assert await group.reaction_on(sent["message_id"]), kind

    for kind, post in UNCAPTIONED:
        after = chat.last_id()
        sent = post(emu, group.staff, group.chat_id, thread)
        got = await owner_gets(emu, owner, kind, after)
        heading = [e for e in emu.transcript(owner) if after < e["message_id"] < got["message_id"]]
        assert [e["kind"] for e in heading] == ["text"], kind
        assert header in heading[0]["text"] and number in heading[0]["text"], kind
        assert got["buttons"], kind
        assert await group.reaction_on(sent["message_id"]), kind
    assert emu.transcript(owner)[-1]["content"]["contact"]["phone_number"] == "+77232123456"


async def test_a_post_that_cannot_be_relayed_is_answered_in_the_topic(
    world: tuple[BotAPIEmulator, Group, Application],
) -> None:
    emu, group, _app = world
    owner = emu.add_user("Ольга", language_code="ru")
    number = await file_appeal(emu, owner, "ru", photos=0)
    thread = (await group.card(number))["message_thread_id"]
    owner_after, after = ChatDriver(emu, owner).last_id(), group.last_id(thread)
    dice = emu.send_dice(group.staff, chat_id=group.chat_id, thread_id=thread)
    answer = await group.expect(I18N.get("ru", "staff.not_relayed")[:40], thread, after)
    assert answer["reply_to_message_id"] == dice["message_id"]
    assert answer["text"] == I18N.get("ru", "staff.not_relayed")
    # the owner got nothing; a dice outside any appeal's topic is not answered either
    assert ChatDriver(emu, owner).last_id() == owner_after
    emu.send_dice(group.staff, chat_id=group.chat_id)
    await group.say("/open", None, expect=number)
    answers = [e for e in emu.transcript(group.chat_id) if e["text"] == answer["text"]]
    assert len(answers) == 1
