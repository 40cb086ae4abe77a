from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaDocument, InputMediaPhoto

from bot.sandbox.emulator import make_png
from tests.emulator import Env, running_env


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with running_env() as env:
        yield env


@pytest.fixture
def staff(env: Env) -> tuple[int, int]:
    """(operator id, forum supergroup id)."""
    operator = env.emu.add_user("Оператор", username="operator1")
    group = env.emu.add_group("Операторы", forum=True, members=[operator], admins=[operator])
    return operator, group


async def test_forum_topic_messages_carry_the_thread(env: Env, staff: tuple[int, int]) -> None:
    operator, group = staff
    topic = await env.bot.create_forum_topic(group, "№ 2025-0001 · ТОО «Алтай»")
    assert topic.message_thread_id == 1  # the id of the forum_topic_created service message
    sent = await env.bot.send_message(group, "Новое обращение", message_thread_id=1)
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.forum_topic_created is not None
    staff_reply = env.emu.send_text(operator, "Беру в работу", chat_id=group, thread_id=1)
    assert staff_reply["message_thread_id"] == 1 and staff_reply["is_topic_message"]
    kinds = [e["kind"] for e in env.emu.transcript(group, thread_id=1)]
    assert kinds == ["forum_topic_created", "text", "text"]


async def test_topic_lifecycle_and_deleted_topic(env: Env, staff: tuple[int, int]) -> None:
    _, group = staff
    topic = await env.bot.create_forum_topic(group, "Старое имя")
    thread = topic.message_thread_id
    assert await env.bot.edit_forum_topic(group, thread, name="Новое имя")
    assert await env.bot.close_forum_topic(group, thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await env.bot.close_forum_topic(group, thread)
    assert await env.bot.reopen_forum_topic(group, thread)
    env.emu.delete_topic(group, thread)
    assert env.emu.topics(group) == [
        {
            "thread_id": thread,
            "name": "Новое имя",
            "icon_custom_emoji_id": None,
            "closed": False,
            "deleted": True,
        }
    ]
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await env.bot.send_message(group, "Ответ", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await env.bot.send_message(group, "Ответ", message_thread_id=999)


async def test_bot_deletes_topic_and_non_forum_is_refused(env: Env, staff: tuple[int, int]) -> None:
    _, group = staff
    topic = await env.bot.create_forum_topic(group, "Тема")
    assert await env.bot.delete_forum_topic(group, topic.message_thread_id)
    assert all(e["deleted"] for e in env.emu.transcript(group))
    plain = env.emu.add_group("Обычная", forum=False, members=[])
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await env.bot.create_forum_topic(plain, "Тема")


async def test_uploaded_photo_downloads_with_the_same_bytes(env: Env) -> None:
    picture = make_png(400, 300)
    message = await env.bot.send_photo(
        env.user_id, BufferedInputFile(picture, "scan.png"), caption="Скан"
    )
    assert message.photo is not None and message.caption == "Скан"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (400, 300)
    file = await env.bot.get_file(largest.file_id)
    assert file.file_path is not None
    buffer = io.BytesIO()
    await env.bot.download(largest.file_id, destination=buffer)
    assert buffer.getvalue() == picture
    again = await env.bot.send_photo(env.user_id, largest.file_id)
    assert again.photo is not None and again.photo[-1].file_id == largest.file_id


async def test_document_keeps_its_name_and_type(env: Env) -> None:
    data = b"%PDF-1.4 appeal"
    message = await env.bot.send_document(env.user_id, BufferedInputFile(data, "жалоба.pdf"))
    assert message.document is not None
    assert message.document.file_name == "жалоба.pdf"
    assert message.document.mime_type == "application/pdf"
    assert message.document.file_size == len(data)
    buffer = io.BytesIO()
    await env.bot.download(message.document.file_id, destination=buffer)
    assert buffer.getvalue() == data
    with pytest.raises(TelegramBadRequest):
        await env.bot.send_photo(env.user_id, message.document.file_id)


async def test_media_group_shares_one_id(env: Env) -> None:
    messages = await env.bot.send_media_group(
        env.user_id,
        [
            InputMediaPhoto(media=BufferedInputFile(make_png(), "a.png"), caption="Акт"),
            InputMediaPhoto(media=BufferedInputFile(make_png(2, 2), "b.png")),
        ],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id is not None
    assert messages[0].media_group_id == messages[1].media_group_id
    assert messages[0].caption == "Акт"
    documents = await env.bot.send_media_group(
        env.user_id,
        [
            InputMediaDocument(media=BufferedInputFile(b"1", "1.txt")),
            InputMediaDocument(media=BufferedInputFile(b"2", "2.txt")),
        ],
    )
    assert [m.document.file_name for m in documents if m.document] == ["1.txt", "2.txt"]


async def test_user_photo_and_album_resolve_with_get_file(env: Env) -> None:
    photo = env.emu.send_photo(env.user_id, caption="Фото")
    file = await env.bot.get_file(photo["photo"][-1]["file_id"])
    assert file.file_size == len(make_png())
    album = env.emu.send_album(
        env.user_id,
        [make_png(), {"type": "document", "file_name": "a.docx", "data": b"PK"}],
    )
    assert album[0]["media_group_id"] == album[1]["media_group_id"]
    updates = await env.bot.get_updates(timeout=0)
    assert len(updates) == 3
    assert updates[2].message is not None and updates[2].message.document is not None
    assert updates[2].message.document.file_name == "a.docx"
