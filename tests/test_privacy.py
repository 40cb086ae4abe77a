"""Dispatcher level: /privacy (what is stored and why), the copy of one's data, withdrawing
consent with open appeals both ways, consent asked again, the card, and retention."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import EditMessageText, SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import workflow
from bot.domain.intake import has_current_consent, submit_appeal
from bot.i18n import I18n
from models import (
    ActorKind,
    Appeal,
    AppealEvent,
    AppealStatus,
    Attachment,
    OutboxMessage,
    User,
)
from tests.support import updates as up
from tests.support.harness import OPERATOR_CHAT, Harness
from tests.test_appeal_form import VALID_IIN, Owner, button_values, last_text, private

I18N = I18n("kk")
STAFF = 500
OTHER_IIN = "850315400124"
STAFF_ANSWER = "Инспекция отозвала предписание, проверка прекращена."
INTERNAL_NOTE = "!проверить связи инспектора"


def answers(name: str, iin: str, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "full_name": name,
        "applicant_kind": "ie",
        "iin_bin": iin,
        "company": None,
        "phone": phone,
        "appeal_type": "complaint",
        "category": "inspections",
        "locality": "ridder",
        "body": "Департамент госдоходов по ВКО",
        "description": f"{name}: инспектор требует деньги за закрытие проверки без предписания.",
        "files": [],
        "confidential": False,
        **extra,
    }


async def appeals_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> list[Appeal]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Appeal).where(Appeal.user_id == user_id).order_by(Appeal.id)
        )
        return list(rows)


async def user_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def second_appeal(owner: Owner) -> list[Any]:
    """Another appeal with the saved profile (the first one came from fill_until_summary)."""
    await owner.say("/new")
    await owner.press("f:profile:reuse")
    await owner.press("f:appeal_type:request")
    await owner.press("f:category:land")
    await owner.press("f:locality:zaisan")
    await owner.say("Отдел земельных отношений Зайсанского района")
    await owner.say("Оформление земельного участка тянется три месяца без объяснения причин.")
    await owner.press("f:attachments:skip")
    await owner.press("f:confidentiality:disclose")
    return await owner.press("f:summary:submit")


async def owner_with_appeals(harness: Harness, user_id: int, count: int) -> Owner:
    owner = Owner(harness, user_id)
    await owner.fill_until_summary()
    await owner.press("f:summary:submit")
    for _ in range(count - 1):
        await second_appeal(owner)
    return owner


def group_texts(calls: list[Any]) -> list[str]:
    return [
        c.text or ""
        for c in calls
        if isinstance(c, SendMessage | EditMessageText) and c.chat_id == OPERATOR_CHAT
    ]


def today(harness: Harness) -> str:
    calendar = harness.dispatcher["services"].calendar
    return str(calendar.local(datetime.now(UTC)).strftime("%d.%m.%Y"))


# --- /privacy ------------------------------------------------------------------------------


async def test_privacy_tells_what_is_stored_and_why_in_both_languages(harness: Harness) -> None:
    owner = await owner_with_appeals(harness, 700, 2)
    calls = await owner.say("/privacy")
    shown = [c for c in private(calls) if isinstance(c, SendMessage)][-1]
    text = shown.text
    for part in (
        "Ваши персональные данные",
        "Сейткали Айгерім Нұрланқызы",
        VALID_IIN,
        "+77011234567",
        "Индивидуальный предприниматель",
        "<b>Язык общения:</b> русский",
        "<b>Обращения:</b> 2, из них в работе: 2",
        "переписка с офисом",
        "Административного процедурно-процессуального кодекса",
        "№ 94-V «О персональных данных и их защите»",
        "5 лет после завершения обращения",
        "обезличиваются",
    ):
        assert part in text, part
    assert button_values(shown) == ["pv:download", "pv:withdraw"]

    kazakh = Owner(harness, 701, "kk")
    await kazakh.say("/start")
    await kazakh.press("lang:kk")
    calls = await kazakh.say("/privacy")
    shown = [c for c in private(calls) if isinstance(c, SendMessage)][-1]
    for part in (
        "Сіздің дербес деректеріңіз",
        "<b>Профиль:</b> сақталмаған.",
        "<b>Қарым-қатынас тілі:</b> қазақ тілі",
        "<b>Өтініштер:</b> жоқ.",
        "келісім</b> берген жоқсыз",
        "Әкімшілік рәсімдік-процестік кодексінде",
        "№ 94-V Қазақстан Республикасы Заңына",
        "аяқталғаннан кейін 5 жыл",
        "иесіздендіріледі",
    ):
        assert part in shown.text, part
    assert button_values(shown) == ["pv:download"]  # no consent given: nothing to withdraw

    calls = await kazakh.say("/help")
    assert "/privacy — дербес деректер" in last_text(calls)
    assert "/privacy — персональные данные" in I18N.get("ru", "help.text")


# --- the copy of everything ----------------------------------------------------------------


LONG_ANSWER = " ".join(["Мы изучили материалы проверки и запросили пояснения."] * 90)


async def test_download_holds_everything_of_the_person_and_nothing_of_others(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = await owner_with_appeals(harness, 710, 2)
    first, second = await appeals_of(sessionmaker, 710)
    # Staff take the first appeal, answer in its topic and write an internal note there.
    await harness.feed(up.callback(STAFF, f"st:take:{first.id}:", chat_id=OPERATOR_CHAT))
    first = (await appeals_of(sessionmaker, 710))[0]
    assert first.topic_id is not None
    for text in (STAFF_ANSWER, INTERNAL_NOTE, LONG_ANSWER):
        await harness.feed(
            up.message(
                STAFF,
                chat_id=OPERATOR_CHAT,
                text=text,
                message_thread_id=first.topic_id,
                is_topic_message=True,
            )
        )
    await owner.press(f"my:add:{first.id}:0")
    await owner.say("Дополнение: акт проверки так и не вручили.")
    await owner.press(f"my:done:{first.id}:0")
    # Someone else's appeal, with staff in the same topic machinery.
    calendar = harness.dispatcher["services"].calendar
    async with sessionmaker.begin() as session:
        session.add(User(id=711, language="ru"))
        await session.flush()
        other = await submit_appeal(
            session,
            calendar,
            711,
            answers("Петров Иван Сергеевич", OTHER_IIN, "+77050000000"),
            now=datetime.now(UTC),
            term_days=15,
        )
        other_number = other.number

    calls = await owner.press("pv:download")
    documents = [c for c in calls if isinstance(c, SendDocument)]
    assert len(documents) == 1 and documents[0].chat_id == 710
    assert "Всё, что проектный офис хранит о вас" in (documents[0].caption or "")
    upload = documents[0].document
    assert isinstance(upload, BufferedInputFile)
    assert upload.filename is not None and upload.filename.endswith(".json")
    raw = upload.data.decode("utf-8")
    assert "\n  " in raw and "Сейткали" in raw  # indented, and not \u-escaped
    data = json.loads(raw)

    profile = data["profile"]
    assert profile["telegram_user_id"] == 710
    assert profile["full_name"] == "Сейткали Айгерім Нұрланқызы"
    assert profile["iin_bin"] == VALID_IIN and profile["phone"] == "+77011234567"
    assert profile["language"] == "русский" and profile["consent_given_at"]
    assert "94-V" in data["legal_basis"] and data["retention_years_after_an_appeal_ends"] == 5

    assert [a["number"] for a in data["appeals"]] == [first.number, second.number]
    one, two = data["appeals"]
    assert one["applicant"]["iin_bin"] == VALID_IIN
    assert one["description"].startswith("Акимат третий месяц")
    assert one["status"] == "На рассмотрении" and two["status"] == "Зарегистрировано"
    assert [(e["what"], e["to_status"]) for e in one["history"] if e["to_status"]] == [
        ("Смена статуса", "Зарегистрировано"),
        ("Смена статуса", "На рассмотрении"),
    ]
    notes = [e["note"] for e in one["history"]]
    assert STAFF_ANSWER in notes
    assert "Дополнение: акт проверки так и не вручили." in notes
    office = [m for m in one["messages"] if m["direction"] == "от офиса вам"]
    # the long answer went in two pieces; the file has it whole
    assert [" ".join(m["text"].split()) for m in office] == [STAFF_ANSWER, LONG_ANSWER]
    mine = [m for m in one["messages"] if m["direction"] == "от вас офису"]
    assert [m["text"] for m in mine] == ["Дополнение: акт проверки так и не вручили."]
    assert [(f["kind"], f["file_name"]) for f in one["attachments"]] == [
        ("photo", None),
        ("document", "act.pdf"),
    ]
    assert one["attachments"][1]["mime_type"] == "application/pdf"
    assert two["attachments"] == [] and len(two["history"]) == 1

    # Nobody else's data: not the other owner's, not the staff member's, no internal note.
    for foreign in (other_number, "Петров", OTHER_IIN, "+77050000000", "User500", "проверить"):
        assert foreign not in raw, foreign
    assert f'"{STAFF}"' not in raw and f": {STAFF}," not in raw

    # Once delivered, the file is not kept in the outbox.
    async with sessionmaker() as session:
        await harness.app.jobs.personal_data(session, datetime.now(UTC))
        await session.commit()
        rows = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == 710, OutboxMessage.method == "sendDocument"
                )
            )
        ).all()
        assert [(row.payload, row.state) for row in rows] == [({}, "sent")]


# --- withdrawing consent -------------------------------------------------------------------


async def test_withdraw_consent_together_with_the_open_appeal(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = await owner_with_appeals(harness, 720, 1)
    (appeal,) = await appeals_of(sessionmaker, 720)
    calls = await owner.press("pv:withdraw")
    question = [c for c in private(calls) if isinstance(c, SendMessage)][-1]
    assert "Отзыв согласия на обработку персональных данных" in question.text
    assert "хранятся 5 лет после завершения" in question.text
    assert f"обращения в работе: {appeal.number}" in question.text
    assert button_values(question) == ["pv:all", "pv:keep", "pv:cancel"]

    calls = await owner.press("pv:cancel")
    assert "согласие остаётся в силе" in last_text(calls)
    assert (await user_of(sessionmaker, 720)).consent_withdrawn_at is None

    await owner.press("pv:withdraw")
    calls = await owner.press("pv:all")
    owner_texts = [c.text for c in private(calls) if isinstance(c, SendMessage)]
    assert f"Обращение {appeal.number} отозвано." in owner_texts
    assert (
        f"Согласие на обработку персональных данных отозвано {today(harness)}" in (owner_texts[-1])
    )
    assert "Сохранённый профиль удалён" in owner_texts[-1]
    staff = group_texts(calls)
    assert I18N.get("ru", "staff.owner_withdrew") in staff
    card = I18N.get("ru", "privacy.staff.card_withdrawn", date=today(harness))
    assert any(card in text and "Отозвано" in text for text in staff)

    (appeal,) = await appeals_of(sessionmaker, 720)
    assert appeal.status == "withdrawn"
    async with sessionmaker() as session:
        events = (
            await session.scalars(
                select(AppealEvent).where(AppealEvent.appeal_id == appeal.id).order_by("id")
            )
        ).all()
    assert [(e.kind, e.from_status, e.to_status, e.actor_kind) for e in events] == [
        ("status", None, "registered", "owner"),
        ("status", "registered", "withdrawn", "owner"),
        ("consent_withdrawn", None, None, "owner"),
    ]
    user = await user_of(sessionmaker, 720)
    assert user.consent_withdrawn_at is not None and not has_current_consent(user)
    assert (user.full_name, user.iin_bin, user.phone) == (None, None, None)
    assert appeal.applicant_iin_bin == VALID_IIN  # the appeal itself is a record: kept

    calls = await owner.press("pv:all")  # the old button again
    assert "Согласие уже отозвано" in (calls[0].text or "")
    calls = await owner.say("/privacy")
    shown = [c for c in private(calls) if isinstance(c, SendMessage)][-1]
    assert "<b>Профиль:</b> не сохранён." in shown.text
    assert f"отозвано {today(harness)}" in shown.text
    assert button_values(shown) == ["pv:download"]


async def test_withdraw_consent_and_let_the_appeal_be_finished_then_asked_again(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owner = await owner_with_appeals(harness, 730, 1)
    (appeal,) = await appeals_of(sessionmaker, 730)
    await owner.press("pv:withdraw")
    calls = await owner.press("pv:keep")
    assert f"будут рассмотрены до конца: {appeal.number}" in last_text(calls)
    assert not any("отозвано." in c.text for c in private(calls) if isinstance(c, SendMessage))
    staff = group_texts(calls)
    assert I18N.get("ru", "privacy.staff.consent_withdrawn") in staff
    card = I18N.get("ru", "privacy.staff.card_withdrawn", date=today(harness))
    assert any(card in text and "Зарегистрировано" in text for text in staff)
    (appeal,) = await appeals_of(sessionmaker, 730)
    assert appeal.status == "registered"

    # A new appeal asks for consent again; without it there is none.
    calls = await owner.say("/new")
    assert "Согласие на обработку персональных данных" in last_text(calls)
    calls = await owner.press("f:consent:refuse")
    assert "Без согласия мы не можем зарегистрировать обращение" in last_text(calls)
    assert not has_current_consent(await user_of(sessionmaker, 730))
    calls = await owner.say("/new")
    assert "Согласие на обработку персональных данных" in last_text(calls)
    calls = await owner.press("f:consent:agree")
    assert "фамилию, имя и отчество" in last_text(calls)  # the profile was forgotten
    user = await user_of(sessionmaker, 730)
    assert has_current_consent(user) and user.consent_withdrawn_at is not None

    # The card of the appeal filed before the withdrawal keeps showing it.
    async with sessionmaker() as session:
        refreshed = await session.get(Appeal, appeal.id)
        assert refreshed is not None
        text = await harness.app.topics.card(session, refreshed)
    assert card in text


# --- retention -----------------------------------------------------------------------------


async def test_retention_anonymises_old_appeals_once_and_keeps_the_figures(
    harness: Harness, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime.now(UTC)
    calendar = harness.dispatcher["services"].calendar
    files = [
        {
            "file_id": "doc-old",
            "file_unique_id": "udoc-old",
            "kind": "document",
            "file_name": "Иванов_паспорт.pdf",
            "mime_type": "application/pdf",
            "size": 2048,
        }
    ]
    ids: dict[str, int] = {}
    async with sessionmaker.begin() as session:
        for user_id, name, iin in ((740, "Омаров Ерлан", VALID_IIN), (741, "Ли Ольга", OTHER_IIN)):
            session.add(User(id=user_id, language="ru", full_name=name, iin_bin=iin))
        await session.flush()
        for key, user_id, years in (("old", 740, 6), ("recent", 740, 4), ("other", 741, 7)):
            filed = now - timedelta(days=365 * years + 30)
            appeal = await submit_appeal(
                session,
                calendar,
                user_id,
                answers(f"Омаров Ерлан {key}", VALID_IIN, "+77011112233", files=files),
                now=filed,
                term_days=15,
            )
            session.add(
                AppealEvent(
                    appeal_id=appeal.id,
                    kind="info_added",
                    actor_kind="owner",
                    actor_id=user_id,
                    note="мой паспорт 012345678",
                    created_at=filed + timedelta(days=1),
                )
            )
            await workflow.transition(
                session,
                appeal,
                AppealStatus.WITHDRAWN,
                actor_kind=ActorKind.OWNER,
                actor_id=user_id,
                now=now - timedelta(days=365 * years),
            )
            await harness.app.topics.publish(session, appeal)
            ids[key] = appeal.id
    await harness.app.sender.run_once()
    harness.session.take()

    async def counts() -> tuple[int, int, int]:
        async with sessionmaker() as session:
            return (
                int(await session.scalar(select(func.count()).select_from(Appeal)) or 0),
                int(await session.scalar(select(func.count()).select_from(Attachment)) or 0),
                int(
                    await session.scalar(
                        select(func.count())
                        .select_from(AppealEvent)
                        .where(AppealEvent.kind != "anonymised")
                    )
                    or 0
                ),
            )

    before = await counts()
    for _ in range(2):  # once: the second run finds nothing left to do
        async with sessionmaker() as session:
            await harness.app.jobs.personal_data(session, now)
            await session.commit()
    await harness.app.sender.run_once()
    staff = group_texts(harness.session.take())
    assert await counts() == before

    async with sessionmaker() as session:
        old, recent, other = [await session.get(Appeal, ids[key]) for key in ids]
        assert old is not None and recent is not None and other is not None
        for gone in (old, other):
            assert gone.anonymised_at is not None
            assert (gone.applicant_name, gone.applicant_iin_bin, gone.applicant_phone) == (
                "—",
                "—",
                "—",
            )
            assert gone.description == "—" and "омаров" not in (gone.search_text or "")
            # The figures stay.
            assert (gone.status, gone.category, gone.appeal_type, gone.locality) == (
                "withdrawn",
                "inspections",
                "complaint",
                "ridder",
            )
            assert gone.registered_at < now - timedelta(days=365 * 5)
        assert recent.anonymised_at is None
        assert recent.applicant_name == "Омаров Ерлан recent"
        assert recent.description.startswith("Омаров Ерлан recent")

        events = (
            await session.scalars(
                select(AppealEvent).where(AppealEvent.appeal_id == old.id).order_by("id")
            )
        ).all()
        assert [e.kind for e in events] == ["status", "info_added", "status", "anonymised"]
        assert all(e.note is None for e in events)
        assert [e.to_status for e in events if e.kind == "status"] == ["registered", "withdrawn"]
        recent_notes = await session.scalars(
            select(AppealEvent.note).where(
                AppealEvent.appeal_id == recent.id, AppealEvent.kind == "info_added"
            )
        )
        assert list(recent_notes) == ["мой паспорт 012345678"]

        old_file = await session.scalar(select(Attachment).where(Attachment.appeal_id == old.id))
        assert old_file is not None
        assert (old_file.kind, old_file.size, old_file.mime_type) == (
            "document",
            2048,
            "application/pdf",
        )
        assert old_file.file_name is None and old_file.file_id == "—"
        new_file = await session.scalar(select(Attachment).where(Attachment.appeal_id == recent.id))
        assert new_file is not None and new_file.file_name == "Иванов_паспорт.pdf"

        old_card = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.appeal_id == old.id, OutboxMessage.kind == "card"
            )
        )
        assert old_card is not None and old_card.payload == {}

        # The profile goes with the person's last appeal that had personal data.
        kept, forgotten = await session.get(User, 740), await session.get(User, 741)
        assert kept is not None and kept.full_name == "Омаров Ерлан recent"
        assert forgotten is not None and (forgotten.full_name, forgotten.iin_bin) == (None, None)

    anonymised = I18N.get("ru", "privacy.staff.card_anonymised", date=today(harness))
    cards = [text for text in staff if anonymised in text]
    assert len(cards) == 2 and all("Омаров" not in text for text in cards)
