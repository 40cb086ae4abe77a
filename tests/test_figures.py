"""The office's figures on a generated year (tests/support/history.py, answers counted by
hand): each figure of office_figures for the year and for one month, each number of the press
paragraph in Russian and Kazakh, the data every chart drew (read back from its artists),
/results; then /stats and /results as people see them, the whole app against the emulator."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendMediaGroup, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Application
from bot.domain.calendar import WorkCalendar
from bot.domain.figures import Figures, office_figures, public_results
from bot.domain.outbox import album_params, message_params
from bot.domain.periods import Period, month_of, year_of
from bot.i18n import I18n
from bot.sandbox.emulator import BotAPIEmulator
from bot.telegram.figures_report import queue_figures
from bot.telegram.methods import load
from bot.views.charts import draw_charts
from bot.views.numbers import decimal, plural_form, tenge
from bot.views.press import period_phrase, press_paragraph
from models import OutboxMessage, User
from tests.support.history import (
    NOVEMBER_2025,
    TZ,
    YEAR_2025,
    Expected,
    history_before_start,
    insert_history,
)
from tests.support.live import eventually, live_app, settled
from tests.support.pages import Group, OwnerChat

I18N = I18n()
RU, KK = I18N.translator("ru"), I18N.translator("kk")
CALENDAR = WorkCalendar(TZ)
YEAR = year_of(date(2025, 1, 1))
NOVEMBER = month_of(date(2025, 11, 1))
NBSP = "\u00a0"


@pytest.fixture
async def history(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Figures]:
    async with sessionmaker() as session:
        await insert_history(session)
    async with sessionmaker() as session:
        return {
            "year": await office_figures(session, YEAR, CALENDAR, term_days=15),
            "november": await office_figures(session, NOVEMBER, CALENDAR, term_days=15),
        }


def nonzero(counts: object) -> dict[str, int]:
    assert isinstance(counts, dict)
    return {key: value for key, value in counts.items() if value}


@pytest.mark.parametrize(("name", "expected"), [("year", YEAR_2025), ("november", NOVEMBER_2025)])
async def test_each_figure_is_what_the_history_holds(
    history: dict[str, Figures], name: str, expected: Expected
) -> None:
    f = history[name]
    assert f.received == expected.received
    assert nonzero(f.by_type) == expected.by_type
    assert nonzero(f.by_category) == expected.by_category
    assert nonzero(f.by_locality) == expected.by_locality
    assert nonzero(f.by_language) == expected.by_language
    assert (f.answered, f.on_time, f.late) == (expected.answered, expected.on_time, expected.late)
    assert f.median_days == expected.median_days
    assert (f.satisfied, f.partly, f.refused) == (
        expected.satisfied,
        expected.partly,
        expected.refused,
    )
    assert f.rights_protected == expected.rights_protected
    assert (f.withdrawn, f.not_considered) == (expected.withdrawn, expected.not_considered)
    assert f.sessions_held == expected.sessions_held
    assert (f.owners_came, f.owners_absent) == (expected.owners_came, expected.owners_absent)
    assert (f.officials_came, f.officials_absent) == (
        expected.officials_came,
        expected.officials_absent,
    )
    assert (f.agreements, f.agreements_amount) == (
        expected.agreements,
        expected.agreements_amount,
    )
    assert f.ratings == expected.ratings
    assert f.rating_mean == pytest.approx(expected.rating_mean)
    by_month = {month.month: nonzero(dict(counts)) for month, counts in f.by_month.items()}
    assert {m: c for m, c in by_month.items() if c} == expected.by_month
    assert list(f.by_month) == f.period.months()  # every month, empty ones too
    assert dict(f.answer_days) == expected.answer_days


async def test_a_month_without_answers_has_no_median_nor_mean(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await insert_history(session)
    async with sessionmaker() as session:
        december = await office_figures(
            session, month_of(date(2025, 12, 1)), CALENDAR, term_days=15
        )
        january = await office_figures(session, month_of(date(2025, 1, 1)), CALENDAR, term_days=15)
    assert (december.received, december.answered) == (1, 0)
    assert december.median_days is None and december.rating_mean is None
    assert december.sessions_held == 0  # one cancelled, none held
    # 00:30 local on 1 January is January, though still 31 December in UTC.
    assert january.received == 2


async def test_public_results_are_this_years_aggregates(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await insert_history(session)
    async with sessionmaker() as session:
        results = await public_results(session, 2025, CALENDAR, term_days=15)
    assert (results.year, results.received, results.answered, results.on_time) == (
        2025,
        23,
        17,
        13,
    )
    assert (results.sessions_held, results.rights_protected) == (3, 8)
    assert (results.projects, results.projects_amount) == (3, 67_300_000_000)


# ---- the press paragraph -----------------------------------------------------------------------

NOVEMBER_RU = (
    "В ноябре 2025 года в проектный офис «Шығыс – адалдық алаңы» поступило 7 обращений от "
    "предпринимателей. Рассмотрено 5 обращений, из них в установленный законом срок — 4. "
    "Удовлетворено 2, удовлетворено частично — 1, отказано — 1. Защищены права 2 "
    "предпринимателей. Проведено 1 заседание, на котором государственные служащие и "
    "предприниматели решали проблемы путём открытого диалога. Заключено 2 соглашения об "
    "антикоррупционном сопровождении инвестиционных проектов на сумму 27,8 млрд тенге. "
    "Средняя оценка работы офиса заявителями — 3,3 из 5 (3 оценки)."
)
NOVEMBER_KK = (
    "2025 жылдың қараша айында «Шығыс – адалдық алаңы» жобалық кеңсесіне кәсіпкерлерден 7 "
    "өтініш түсті. 5 өтініш қаралды, оның ішінде заңда белгіленген мерзімде қаралғаны — 4. "
    "2 өтініш толық қанағаттандырылды, 1 өтініш ішінара қанағаттандырылды, 1 өтініш бойынша "
    "бас тартылды. 2 кәсіпкердің құқығы қорғалды. Мемлекеттік қызметшілер мен кәсіпкерлер "
    "мәселелерді ашық диалог арқылы шешетін 1 отырыс өткізілді. Жалпы сомасы 27,8 млрд теңге "
    "болатын инвестициялық жобаларды сыбайлас жемқорлыққа қарсы сүйемелдеу туралы 2 келісім "
    "жасалды. Өтініш берушілердің кеңсе жұмысына берген орташа бағасы — 3,3 (5 балдық шкала "
    "бойынша; бағалар саны: 3)."
)
YEAR_RU = (
    "В 2025 году в проектный офис «Шығыс – адалдық алаңы» поступило 23 обращения",
    "Рассмотрено 17 обращений, из них в установленный законом срок — 13.",
    "Удовлетворено 7, удовлетворено частично — 4, отказано — 3.",
    "Защищены права 8 предпринимателей.",
    "Проведено 3 заседания, на которых",
    "Заключено 3 соглашения об антикоррупционном сопровождении инвестиционных проектов на "
    "сумму 67,3 млрд тенге.",
    "— 3,8 из 5 (10 оценок).",
)
YEAR_KK = (
    "2025 жылы «Шығыс – адалдық алаңы» жобалық кеңсесіне кәсіпкерлерден 23 өтініш түсті.",
    "17 өтініш қаралды, оның ішінде заңда белгіленген мерзімде қаралғаны — 13.",
    "7 өтініш толық қанағаттандырылды, 4 өтініш ішінара қанағаттандырылды, 3 өтініш бойынша "
    "бас тартылды.",
    "8 кәсіпкердің құқығы қорғалды.",
    "3 отырыс өткізілді.",
    "Жалпы сомасы 67,3 млрд теңге болатын инвестициялық жобаларды сыбайлас жемқорлыққа қарсы "
    "сүйемелдеу туралы 3 келісім жасалды.",
    "орташа бағасы — 3,8 (5 балдық шкала бойынша; бағалар саны: 10).",
)


async def test_the_press_paragraph_says_each_figure_in_russian_and_kazakh(
    history: dict[str, Figures],
) -> None:
    assert press_paragraph(RU, history["november"]) == NOVEMBER_RU
    assert press_paragraph(KK, history["november"]) == NOVEMBER_KK
    year_ru, year_kk = press_paragraph(RU, history["year"]), press_paragraph(KK, history["year"])
    for sentence in YEAR_RU:
        assert sentence in year_ru
    for sentence in YEAR_KK:
        assert sentence in year_kk


def test_numbers_and_plural_forms_as_the_office_writes_them() -> None:
    forms = {n: plural_form("ru", n) for n in (1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111)}
    assert forms == {
        1: "one",
        2: "few",
        4: "few",
        5: "many",
        11: "many",
        12: "many",
        14: "many",
        21: "one",
        22: "few",
        25: "many",
        101: "one",
        111: "many",
    }
    assert tenge(RU, 67_300_000_000) == "67,3 млрд тенге"
    assert tenge(KK, 67_300_000_000) == "67,3 млрд теңге"
    assert tenge(RU, 12_000_000_000) == "12 млрд тенге"
    assert tenge(RU, 450_500_000) == "450,5 млн тенге"
    assert tenge(RU, 1_234_567) == "1,2 млн тенге"
    assert tenge(RU, 950_000) == f"950{NBSP}000 тенге"
    assert decimal(3.25) == "3,3" and decimal(9.0) == "9" and decimal(4.0 + 1 / 3) == "4,3"


async def test_a_quiet_period_and_two_dates_read_right(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        empty = await office_figures(
            session, Period(date(2025, 3, 1), date(2025, 3, 15)), CALENDAR, term_days=15
        )
    assert press_paragraph(RU, empty) == (
        "С 01.03.2025 по 15.03.2025 обращений в проектный офис «Шығыс – адалдық алаңы» "
        "не поступало."
    )
    assert press_paragraph(KK, empty) == (
        "01.03.2025 – 15.03.2025 аралығында «Шығыс – адалдық алаңы» жобалық кеңсесіне өтініш "
        "түскен жоқ."
    )
    assert draw_charts(empty, RU) == []


# ---- the charts --------------------------------------------------------------------------------


async def test_every_chart_drew_the_figures(history: dict[str, Figures]) -> None:
    year = history["year"]
    charts = {chart.name: chart for chart in draw_charts(year, RU)}
    assert list(charts) == ["by_month", "outcomes", "answer_time", "by_locality"]
    for chart in charts.values():
        assert chart.png.startswith(b"\x89PNG")
        assert chart.title.endswith("01.01.2025 – 31.12.2025")
        assert chart.x_label and chart.y_label

    by_month = charts["by_month"]
    months = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
    assert by_month.labels == tuple(f"{month} 2025" for month in months)
    expected = {
        RU(f"category.{category}"): tuple(
            float(YEAR_2025.by_month.get(month, {}).get(category, 0)) for month in range(1, 13)
        )
        for category in YEAR_2025.by_category
    }
    assert dict(by_month.series) == expected  # one stacked series per category that occurs
    assert (by_month.x_label, by_month.y_label) == ("Месяц", "Обращений, шт.")

    outcomes = charts["outcomes"]
    assert outcomes.labels == ("удовлетворено", "удовлетворено частично", "отказано")
    assert list(outcomes.series.values()) == [(7.0, 4.0, 3.0)]

    answer_time = charts["answer_time"]
    heights = next(iter(answer_time.series.values()))
    assert answer_time.labels == tuple(str(day) for day in range(21))
    assert {day: int(n) for day, n in enumerate(heights) if n} == YEAR_2025.answer_days
    assert answer_time.lines == {"Срок по закону: 15 раб. дн.": 15.5}

    by_locality = charts["by_locality"]
    widths = dict(zip(by_locality.labels, next(iter(by_locality.series.values())), strict=True))
    assert widths == {RU(f"locality.{key}"): float(n) for key, n in YEAR_2025.by_locality.items()}
    assert by_locality.labels[-1] == RU("locality.ust_kamenogorsk")  # the largest on top


async def test_charts_speak_the_staff_language(history: dict[str, Figures]) -> None:
    charts = draw_charts(history["november"], KK)
    assert charts[0].title.startswith("Айлар мен санаттар бойынша өтініштер")
    assert charts[0].labels == ("қар 2025",)
    assert charts[0].y_label == "Өтініштер, дана"
    assert charts[2].lines == {"Заң бойынша мерзім: 15 жұмыс күні": 15.5}
    assert {label for label in charts[3].labels} == {
        KK(f"locality.{key}") for key in NOVEMBER_2025.by_locality
    }


# ---- photos and albums in the outbox -----------------------------------------------------------


def test_the_outbox_holds_photos_and_albums_as_inline_files() -> None:
    png = b"\x89PNG fake"
    method, params = message_params("подпись", photo=("a.png", png))
    assert method == "sendPhoto" and params["caption"] == "подпись"
    assert base64.b64decode(params["photo"]["$file"]["data_b64"]) == png
    call = load(method, {"chat_id": 1, **params})
    assert isinstance(call, SendPhoto) and isinstance(call.photo, BufferedInputFile)

    method, params = album_params([("a.png", png, "один"), ("b.png", png, "два")])
    assert method == "sendMediaGroup"
    call = load(method, {"chat_id": 1, **params})
    assert isinstance(call, SendMediaGroup)
    assert [item.caption for item in call.media] == ["один", "два"]
    assert all(isinstance(item.media, BufferedInputFile) for item in call.media)

    assert album_params([("a.png", png, "один")])[0] == "sendPhoto"
    with pytest.raises(ValueError, match="2 to 10"):
        album_params([])
    with pytest.raises(ValueError, match="2 to 10"):
        album_params([("a.png", png, "")] * 11)


# ---- /stats and /results as people see them ------------------------------------------------------

# Monday 15 December 2025, 10:00 in Almaty: "this year" is the history's year.
NOW = datetime(2025, 12, 15, 5, 0, tzinfo=UTC)


@dataclass
class Office:
    emu: BotAPIEmulator
    group: Group
    app: Application
    outsider: int


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    emu = BotAPIEmulator(seed=5)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    outsider = emu.add_user("Посторонний", language_code="ru")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    try:
        await history_before_start(tmp_path)
        async with live_app(emu, tmp_path, group_id, clock=lambda: NOW) as app:
            # The clock is in December: November's monthly report is sent before the tests
            # look (by the leader: on PostgreSQL the lead is taken after start).
            await eventually(app.jobs.is_leader)
            await app.jobs.tick()
            await settled(emu, app)
            yield Office(emu, Group(emu, group_id, staff), app, outsider)
    finally:
        await emu.stop()


def photos_after(emu: BotAPIEmulator, chat_id: int, after: int) -> list[dict[str, Any]]:
    return [
        entry
        for entry in emu.transcript(chat_id)
        if entry["from_bot"] and entry["message_id"] > after and entry["kind"] == "photo"
    ]


async def test_staff_get_the_figures_the_press_paragraphs_and_the_charts(office: Office) -> None:
    group, emu = office.group, office.emu
    after = group.last_id()
    text = await group.say("/stats год", None, expect="Поступило обращений: 23")
    assert "01.01.2025 – 31.12.2025" in text["text"]
    for line in (
        "Дан ответ: 17; в срок — 13, с опозданием — 4",
        "Медиана срока ответа: 8 раб. дн. (срок по закону — 15 раб. дн.)",
        "Итоги: удовлетворено — 7, частично — 4, отказано — 3",
        "Защищены права предпринимателей: 8",
        "Отозвано: 2; оставлено без рассмотрения: 2",
        "Проведено заседаний: 3; заявители пришли — 5, не пришли — 2; представители органов "
        "пришли — 4, не пришли — 2",
        "на 67,3 млрд тенге",
        "Средняя оценка заявителей: 3,8 из 5 (оценок: 10)",
        "по языку: казахский — 14, русский — 9",
        "Жалоба — 14",
    ):
        assert line in text["text"], line
    assert [label for row in text["buttons"] for label, _ in row] == ["Месяц", "Квартал", "Год"]
    ru = await group.expect("Для пресс-релиза, на русском:", None, after)
    kk = await group.expect("Для пресс-релиза, на казахском:", None, after)
    assert YEAR_RU[0] in ru["text"] and YEAR_KK[0] in kk["text"]

    def album() -> list[dict[str, Any]]:
        found = photos_after(emu, group.chat_id, after)
        return found if len(found) == 4 else []

    photos = await eventually(album)
    assert len({entry["media_group_id"] for entry in photos}) == 1
    assert [str(entry["caption"]).split("\n")[0] for entry in photos] == [
        "Обращения по месяцам и категориям",
        "Итоги рассмотрения обращений",
        "Срок ответа и срок по закону",
        "Обращения по населённым пунктам",
    ]
    async with office.app.sessionmaker() as session:
        year = await office_figures(session, YEAR, CALENDAR, term_days=15)
    drawn = [chart.png for chart in draw_charts(year, RU)]
    stored = [emu.world.files.get(entry["content"]["photo"][-1]["file_id"]) for entry in photos]
    sent = [file.data if file else None for file in stored]
    assert sent == drawn

    # The month button: this month's figures (December 2025: one appeal, nothing answered).
    after = group.last_id()
    data = next(d for row in text["buttons"] for label, d in row if label == "Месяц")
    emu.press_button(group.staff, group.chat_id, text["message_id"], data)
    month = await group.expect("Поступило обращений: 1", None, after)
    assert "01.12.2025 – 31.12.2025" in month["text"]
    ru = await group.expect("Для пресс-релиза, на русском:", None, after)
    assert (
        "В декабре 2025 года в проектный офис «Шығыс – адалдық алаңы» поступило 1 обращение"
        in (ru["text"])
    )


async def test_a_bad_period_is_explained_and_outsiders_are_refused(office: Office) -> None:
    group, emu = office.group, office.emu
    shown = await group.say("/stats вчера", None, expect=group.text("figures.bad_period"))
    outsider = OwnerChat(emu, office.outsider, "ru")
    await outsider.send("/stats", expect=outsider.text("staff.only_staff"))
    # The period buttons: pressed by someone outside the group, or forged with a period
    # that is none of them, they change nothing.
    query = emu.forge_callback(office.outsider, group.chat_id, shown["message_id"], "fg:year")
    answer = await emu.wait_for_callback_answer(query)
    assert answer["text"] == group.text("staff.not_member")
    query = emu.forge_callback(group.staff, group.chat_id, shown["message_id"], "fg:decade")
    answer = await emu.wait_for_callback_answer(query)
    assert answer["text"] == group.text("errors.stale_button")
    await settled(emu, office.app)
    # No figures were sent (the scheduler's digest and alerts about the history may be).
    title = group.text("figures.text.title", period="").strip()
    later = [e for e in emu.transcript(group.chat_id) if e["message_id"] > shown["message_id"]]
    assert not [e for e in later if title in (e["text"] or "")]
    assert not [e for e in later if e["kind"] == "photo"]


async def test_anyone_gets_this_years_results_in_their_language(office: Office) -> None:
    emu = office.emu
    # Telegram says Russian; the language the person chose in the bot (stored) wins.
    person = emu.add_user("Асель", language_code="ru")
    async with office.app.sessionmaker() as session:
        session.add(User(id=person, language="kk"))
        await session.commit()
    owner = OwnerChat(emu, person, "kk")
    answer = await owner.send("/results", expect="жылғы жұмыс қорытындысы")
    text = answer["text"]
    for line in (
        "«Шығыс – адалдық алаңы» жобалық кеңсесінің 2025 жылғы жұмыс қорытындысы",
        "15.12.2025 ж. жағдай бойынша",
        "Түскен өтініштер: 23",
        "Қаралған өтініштер: 17, оның ішінде заңда белгіленген мерзімде — 13",
        "Мемлекеттік органдар қатысқан отырыстар: 3",
        "Құқығы қорғалған кәсіпкерлер: 8",
        "инвестициялық жобалар: 3 (келісімдер сомасы — 67,3 млрд теңге)",
    ):
        assert line in text, line
    # Aggregates only: no name, IIN/BIN, company or number of anyone's appeal.
    for private in ("850315400124", "Заявитель", "Промотход", "2025-0000"):
        assert private not in text


async def test_the_report_is_queued_once_per_dedupe_prefix(
    sessionmaker: async_sessionmaker[AsyncSession], history: dict[str, Figures]
) -> None:
    """The monthly report queues with a dedupe prefix: a second run queues nothing more."""
    for _ in range(2):
        async with sessionmaker() as session:
            await queue_figures(
                session,
                chat_id=-100123,
                thread_id=None,
                figures=history["november"],
                i18n=I18N,
                staff_t=RU,
                now=NOW,
                dedupe_prefix="monthly:2025-11",
            )
            await session.commit()
    async with sessionmaker() as session:
        queued = (
            await session.execute(
                select(OutboxMessage.method, OutboxMessage.dedupe_key).order_by(OutboxMessage.id)
            )
        ).all()
    assert [tuple(row) for row in queued] == [
        ("sendMessage", "monthly:2025-11:text"),
        ("sendMessage", "monthly:2025-11:press:ru"),
        ("sendMessage", "monthly:2025-11:press:kk"),
        ("sendMediaGroup", "monthly:2025-11:charts"),
    ]


def test_the_period_is_named_as_a_press_release_names_it() -> None:
    quarter = Period(date(2025, 10, 1), date(2025, 12, 31))
    assert period_phrase(RU, quarter) == "В IV квартале 2025 года"
    assert period_phrase(KK, quarter) == "2025 жылдың IV тоқсанында"
    assert period_phrase(RU, YEAR) == "В 2025 году"
    assert period_phrase(KK, YEAR) == "2025 жылы"
    assert period_phrase(RU, month_of(date(2025, 5, 1))) == "В мае 2025 года"
    assert period_phrase(KK, month_of(date(2025, 5, 1))) == "2025 жылдың мамыр айында"
