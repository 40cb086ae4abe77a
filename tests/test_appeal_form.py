"""Dispatcher level: the appeal dialogue step by step, with bad input at each step."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import form
from models import Appeal, AppealEvent, Attachment, FsmRecord, User
from tests.support import updates as up
from tests.support.harness import Harness

VALID_IIN = "900101300017"
VALID_BIN = "940140000385"
DESCRIPTION = (
    "Акимат третий месяц не выдаёт разрешение на строительство склада, "
    "требуя неофициальную «помощь»."
)


def private(calls: list[Any]) -> list[Any]:
    """What the owner's own chat received (the operator group has a negative id)."""
    return [c for c in calls if int(getattr(c, "chat_id", None) or 1) > 0]


def last_text(calls: list[Any]) -> str:
    texts = [c.text for c in private(calls) if isinstance(c, SendMessage)]
    return texts[-1] if texts else ""


def all_text(calls: list[Any]) -> str:
    return "\n".join(getattr(c, "text", None) or "" for c in private(calls))


def button_values(call: Any) -> list[str]:
    rows = getattr(call.reply_markup, "inline_keyboard", None) or []
    return [b.callback_data for row in rows for b in row if b.callback_data]


class Owner:
    """Drives one owner's private chat through the harness."""

    def __init__(self, harness: Harness, user_id: int, language: str = "ru") -> None:
        self.h = harness
        self.id = user_id
        self.language = language

    async def say(self, text: str) -> list[Any]:
        return await self.h.feed(up.text(self.id, text))

    async def press(self, data: str) -> list[Any]:
        return await self.h.feed(up.callback(self.id, data))

    async def begin(self) -> list[Any]:
        await self.say("/start")
        await self.press(f"lang:{self.language}")
        return await self.say("/new")

    async def fill_until_summary(self, *, legal: bool = False) -> list[Any]:
        """Answer every step up to the summary, in the form's order (bot/domain/form.py)."""
        answers = {  # by step name
            "full_name": "Сейткали Айгерім Нұрланқызы",
            "applicant_kind": "le" if legal else "ie",
            "iin_bin": VALID_BIN if legal else VALID_IIN,
            "company": "ТОО «Шығыс Құрылыс»",
            "phone": "77011234567",
            "appeal_type": "complaint",
            "category": "construction",
            "locality": "ridder",
            "body": "Отдел строительства акимата г. Риддер, главный специалист Иванов",
            "description": DESCRIPTION,
            "confidentiality": "keep",
        }
        calls = await self.begin()
        for name in form.path(form.Facts(answers=answers))[:-1]:
            step = form.step(name)
            if step.kind == "consent":
                calls = await self.press("f:consent:agree")
            elif step.kind == "contact":
                calls = await self.h.feed(up.contact(self.id, answers[name]))
            elif step.kind == "files":
                await self.h.feed(up.photo(self.id))
                await self.h.feed(up.document(self.id, "act.pdf"))
                calls = await self.press(f"f:{name}:done")
            elif step.options:
                calls = await self.press(f"f:{name}:{answers.get(name, step.options[0])}")
            else:
                calls = await self.say(answers.get(name) or step.example)
        return calls


async def state_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> str | None:
    async with sessionmaker() as session:
        record = await session.scalar(
            select(FsmRecord).where(FsmRecord.key.like(f"%:{user_id}:{user_id}:%"))
        )
        return record.state if record else None


async def test_full_dialogue_registers_appeal_with_receipt(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 500)
    summary = await owner.fill_until_summary()
    text = last_text(summary)
    assert "Проверьте обращение" in text
    for shown in (
        "Сейткали Айгерім",
        VALID_IIN,
        "+77011234567",
        "Жалоба",
        "Строительство",
        "г. Риддер",
        "2 шт.",
        "не раскрывать",
    ):
        assert shown in text, shown
    values = button_values([c for c in summary if isinstance(c, SendMessage)][-1])
    assert "f:summary:submit" in values and "f:summary:edit-description" in values

    calls = await owner.press("f:summary:submit")
    receipt = last_text(calls)
    assert "Обращение зарегистрировано" in receipt
    async with sessionmaker() as session:
        appeal = await session.scalar(select(Appeal))
        assert appeal is not None
        assert appeal.number in receipt and appeal.number.endswith("-000001")
        assert appeal.status == "registered" and appeal.confidential is True
        assert appeal.locality == "ridder" and appeal.applicant_iin_bin == VALID_IIN
        assert appeal.due_at > appeal.registered_at
        files = (await session.scalars(select(Attachment).order_by(Attachment.position))).all()
        assert [f.kind for f in files] == ["photo", "document"]
        assert files[1].file_name == "act.pdf"
        events = (await session.scalars(select(AppealEvent))).all()
        assert [(e.kind, e.to_status) for e in events] == [("status", "registered")]
        user = await session.get(User, 500)
        assert user is not None and user.iin_bin == VALID_IIN and user.consent_version
    assert await state_of(sessionmaker, 500) is None


async def test_second_appeal_offers_saved_profile(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 501)
    await owner.fill_until_summary(legal=True)
    await owner.press("f:summary:submit")
    calls = await owner.say("/new")
    text = last_text(calls)
    assert "Использовать данные из прошлого обращения" in text
    assert VALID_BIN in text and "Шығыс Құрылыс" in text
    calls = await owner.press("f:profile:reuse")
    assert "Выберите вид обращения" in last_text(calls)


async def test_refusing_consent_stores_nothing_personal(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 502)
    calls = await owner.begin()
    assert "Согласие на обработку персональных данных" in last_text(calls)
    calls = await owner.press("f:consent:refuse")
    assert "ничего не сохранили" in last_text(calls)
    async with sessionmaker() as session:
        user = await session.get(User, 502)
        assert user is not None
        assert user.consent_at is None and user.full_name is None and user.phone is None
    assert await state_of(sessionmaker, 502) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12345", "ровно из 12 цифр"),
        ("940140000386", "Контрольная цифра"),
        (VALID_IIN, "Похоже, это ИИН"),
    ],
)
async def test_invalid_bin_refused_with_reason(harness: Harness, value: str, reason: str) -> None:
    owner = Owner(harness, 503)
    await owner.begin()
    await owner.press("f:consent:agree")
    await owner.say("Омаров Ерлан")
    await owner.press("f:applicant_kind:le")
    calls = await owner.say(value)
    assert reason in all_text(calls)
    assert "Введите БИН" in last_text(calls)  # the same step is asked again
    calls = await owner.say(VALID_BIN)
    assert "наименование организации" in last_text(calls)


async def test_bad_inputs_get_hints_and_keep_answers(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 504)
    await owner.begin()
    calls = await owner.press("f:consent:agree")
    assert "✅ Даю согласие" in all_text(calls) and "✅ ✅" not in all_text(calls)
    # text where a button is expected is fine here? No: name step expects text.
    calls = await harness.feed(up.sticker(504))
    assert "Здесь нужен текст" in all_text(calls) and "фамилию" in last_text(calls)
    await owner.say("Омаров Ерлан")
    calls = await owner.say("ИП")  # text at a button step
    assert "выберите вариант кнопкой" in all_text(calls)
    await owner.press("f:applicant_kind:ie")
    calls = await harness.feed(up.voice(504))
    assert "Здесь нужен текст" in all_text(calls) and "ИИН" in last_text(calls)
    calls = await harness.feed(up.document(504))
    assert "Здесь нужен текст" in all_text(calls)
    await owner.say(VALID_IIN)
    calls = await owner.say("12345")
    assert "Не удалось распознать номер" in all_text(calls)
    calls = await owner.say("/my")  # a command in the middle
    assert "Вы заполняете обращение" in all_text(calls)
    calls = await owner.press("f:category:taxes")  # a button of a later step
    assert any(isinstance(c, AnswerCallbackQuery) and "старого" in (c.text or "") for c in calls)
    calls = await owner.say("8 (701) 555-44-33")
    assert "+77015554433" in all_text(calls) and "вид обращения" in last_text(calls)
    await owner.press("f:appeal_type:statement")
    await owner.press("f:category:taxes")
    await owner.press("f:locality:other")
    calls = await owner.say("Б")
    assert "от 2 до 200" in all_text(calls)
    await owner.say("с. Новая Бухтарма")
    await owner.say("Налоговое управление")
    calls = await owner.say("коротко")
    assert "Слишком коротко (7 симв.)" in all_text(calls)
    long_text = "я" * 4050
    calls = await owner.say(long_text)
    assert "4050 симв." in all_text(calls) and "на 50" in all_text(calls)
    await owner.say(DESCRIPTION)
    calls = await owner.say("вот файлы")
    assert "принимаются фото и документы" in all_text(calls)
    calls = await harness.feed(up.document(504, "virus.exe", "application/x-msdownload"))
    assert "virus.exe" in all_text(calls) and "не принят" in all_text(calls)
    for _ in range(10):
        await harness.feed(up.photo(504))
    calls = await harness.feed(up.photo(504))
    assert "не больше 10 файлов" in all_text(calls)
    await owner.press("f:attachments:done")
    calls = await owner.press("f:confidentiality:disclose")
    summary = last_text(calls)
    for kept in (
        "Омаров Ерлан",
        VALID_IIN,
        "+77015554433",
        "Заявление",
        "Налоги",
        "с. Новая Бухтарма",
        "Налоговое управление",
        "10 шт.",
        "можно раскрыть",
    ):
        assert kept in summary, kept


async def test_back_cancel_and_edit(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 505)
    await owner.begin()
    await owner.press("f:consent:agree")
    await owner.say("Омаров Ерлан")
    await owner.press("f:applicant_kind:ie")
    calls = await owner.press("f:iin_bin:back")
    assert "Кто подаёт обращение" in last_text(calls)
    calls = await owner.press("f:applicant_kind:back")
    assert "фамилию, имя" in last_text(calls)
    await owner.say("Омаров Ерлан Болатович")
    await owner.press("f:applicant_kind:ie")
    await owner.say(VALID_IIN)
    calls = await owner.say("◀️ Назад")  # Back on the phone step's reply keyboard
    assert "Введите ваш ИИН" in last_text(calls)
    calls = await owner.press("f:iin_bin:cancel")
    assert "прервано" in last_text(calls)
    assert await state_of(sessionmaker, 505) is None

    await owner.fill_until_summary()
    calls = await owner.press("f:summary:edit-description")
    assert "Опишите ситуацию" in last_text(calls)
    new_description = "Инспектор ДГД по ВКО требует оплатить «консультацию» за проведение проверки."
    calls = await owner.say(new_description)
    assert "Проверьте обращение" in last_text(calls) and new_description[:40] in last_text(calls)
    calls = await owner.press("f:summary:edit-applicant_kind")
    await owner.press("f:applicant_kind:le")
    calls = await owner.say(VALID_BIN)
    assert "наименование организации" in last_text(calls)
    calls = await owner.say("ТОО Рассвет")
    summary = last_text(calls)
    assert "Юридическое лицо" in summary and "ТОО Рассвет" in summary
    calls = await owner.press("f:summary:edit-locality")
    calls = await owner.press("f:locality:summary")  # forged value at the right step
    assert any(isinstance(c, AnswerCallbackQuery) for c in calls)
    await owner.press("f:locality:altai")
    calls = await owner.press("f:summary:submit")
    assert "Обращение зарегистрировано" in last_text(calls)
    async with sessionmaker() as session:
        appeal = await session.scalar(select(Appeal).where(Appeal.user_id == 505))
        assert appeal is not None
        assert appeal.description == new_description
        assert appeal.applicant_kind == "le" and appeal.applicant_company == "ТОО Рассвет"
        assert appeal.locality == "altai"


async def test_album_is_one_step_with_one_status_message(harness: Harness) -> None:
    owner = Owner(harness, 506, "kk")
    await owner.fill_until_summary()
    await owner.press("f:summary:edit-attachments")
    first = await harness.feed(up.document(506, "a.pdf", media_group_id="g1"))
    second = await harness.feed(up.document(506, "b.pdf", media_group_id="g1"))
    third = await harness.feed(up.document(506, "c.docx", media_group_id="g1"))
    assert "Қабылданған файлдар саны: 3 (ең көбі 10)" in first[0].text
    assert isinstance(second[0], EditMessageText) and isinstance(third[0], EditMessageText)
    assert "саны: 5 " in (third[0].text or "")
    calls = await owner.press("f:attachments:done")
    assert "5 дана" in last_text(calls)


async def test_stale_button_outside_dialogue(harness: Harness) -> None:
    owner = Owner(harness, 507)
    await owner.begin()
    await owner.press("f:consent:cancel")
    calls = await owner.press("f:summary:submit")
    assert [type(c) for c in calls] == [AnswerCallbackQuery]
    assert "старого" in (calls[0].text or "")


async def test_kazakh_dialogue_texts(harness: Harness) -> None:
    owner = Owner(harness, 508, "kk")
    calls = await owner.begin()
    assert "Дербес деректерді өңдеуге келісім" in last_text(calls)
    await owner.press("f:consent:agree")
    await owner.say("Омаров Ерлан")
    await owner.press("f:applicant_kind:le")
    calls = await owner.say(VALID_IIN)
    assert "Бұл ЖСН сияқты" in all_text(calls)


async def test_appeal_rows_count_once(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = Owner(harness, 509)
    await owner.fill_until_summary()
    await owner.press("f:summary:submit")
    calls = await owner.press("f:summary:submit")  # a second press of the old button
    assert [type(c) for c in calls] == [AnswerCallbackQuery]
    async with sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Appeal))
        assert count == 1


async def test_someone_elses_contact_is_not_taken_as_the_phone(harness: Harness) -> None:
    owner = Owner(harness, 510)
    await owner.begin()
    await owner.press("f:consent:agree")
    await owner.say("Омаров Ерлан")
    await owner.press("f:applicant_kind:ie")
    await owner.say(VALID_IIN)
    calls = await harness.feed(up.contact(510, "77019998877", own=False))
    assert "чужой контакт" in all_text(calls)
    calls = await harness.feed(up.contact(510, "77019998877"))
    assert "+77019998877" in all_text(calls)
