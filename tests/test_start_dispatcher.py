"""Dispatcher level: /start and the language choice, through feed_update."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import User
from tests.support import updates as up
from tests.support.harness import Harness


def buttons(call: SendMessage) -> list[tuple[str, str | None]]:
    markup = call.reply_markup
    rows = getattr(markup, "inline_keyboard", None) or []
    return [(button.text, button.callback_data) for row in rows for button in row]


async def test_start_offers_both_languages_and_stores_user(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    calls = await harness.feed(up.text(100, "/start"))
    assert len(calls) == 1 and isinstance(calls[0], SendMessage)
    assert [text for text, _ in buttons(calls[0])] == ["Қазақша", "Русский"]
    async with sessionmaker() as session:
        user = await session.get(User, 100)
        assert user is not None and user.language is None


async def test_choosing_russian_stores_it_and_welcomes_in_russian(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await harness.feed(up.text(101, "/start"))
    calls = await harness.feed(up.callback(101, "lang:ru"))
    answers = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
    edits = [c for c in calls if isinstance(c, EditMessageText)]
    messages = [c for c in calls if isinstance(c, SendMessage)]
    assert answers and edits and messages
    assert "Проектный офис" in messages[0].text
    async with sessionmaker() as session:
        user = await session.get(User, 101)
        assert user is not None and user.language == "ru"
    calls = await harness.feed(up.text(101, "/help"))
    assert "/new" in calls[0].text and "Что умеет бот" in calls[0].text


async def test_text_instead_of_language_button_gets_bilingual_hint(harness: Harness) -> None:
    await harness.feed(up.text(102, "/start"))
    calls = await harness.feed(up.text(102, "привет"))
    assert len(calls) == 1
    assert "батырма" in calls[0].text and "кнопкой" in calls[0].text
    assert len(buttons(calls[0])) == 2


async def test_forged_language_code_is_refused(harness: Harness) -> None:
    await harness.feed(up.text(103, "/start"))
    calls = await harness.feed(up.callback(103, "lang:en"))
    assert [type(c) for c in calls] == [AnswerCallbackQuery]
    assert "ескірген" in (calls[0].text or "")


async def test_kazakh_is_the_default_language(harness: Harness) -> None:
    await harness.feed(up.text(104, "/start"))
    await harness.feed(up.callback(104, "lang:kk"))
    calls = await harness.feed(up.text(104, "/help"))
    assert "Бот не істей алады" in calls[0].text


async def test_free_text_and_unknown_buttons_get_an_answer(harness: Harness) -> None:
    await harness.feed(up.text(105, "/start"))
    await harness.feed(up.callback(105, "lang:ru"))
    calls = await harness.feed(up.text(105, "здравствуйте, у меня вопрос"))
    assert "/new" in calls[0].text and "/my" in calls[0].text
    for forged in ("garbage", "st:take:1", "f:" + "x" * 60):
        calls = await harness.feed(up.callback(105, forged))
        assert [type(c) for c in calls] == [AnswerCallbackQuery]
        assert calls[0].text == "Эта кнопка устарела. Воспользуйтесь последним сообщением."


async def test_forged_buttons_with_numbers_beyond_any_id_are_stale(harness: Harness) -> None:
    await harness.feed(up.text(106, "/start"))
    await harness.feed(up.callback(106, "lang:ru"))
    huge = "9" * 20
    for forged in (f"my:open:{huge}:0", f"re:{huge}", f"hr:{huge}:yes", f"my:open:1:{huge}"):
        calls = await harness.feed(up.callback(106, forged))
        assert [type(c) for c in calls] == [AnswerCallbackQuery], forged
        assert calls[0].text == "Эта кнопка устарела. Воспользуйтесь последним сообщением."
