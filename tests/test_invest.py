"""Investment projects as people meet them, the whole app against the emulator: an investor
files a project with /invest and gets its number; staff see its card in a topic of its own,
take it under review and sign the agreement; the investor hears of each change once; /stats
and /results count the agreement. Plus the refusals: a bad amount, a bad BIN, a sticker where
a text is wanted, a forged button, a non-member pressing the card; and an obstacle that
becomes an appeal linked to the project. And the amount parser on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Application
from bot.domain import invest_form
from bot.domain.calendar import WorkCalendar
from bot.domain.invest import parse_agreement
from bot.domain.invest_amount import parse_amount
from bot.domain.privacy import export
from bot.sandbox.emulator import BotAPIEmulator
from models import Appeal, InvestmentProject, OutboxMessage, ProjectEvent, User
from tests.support.history import TZ
from tests.support.keyboard import buttons
from tests.support.live import eventually, live_app, settled
from tests.support.pages import Group, OwnerChat, fragment, rows

# Monday 15 December 2025, 10:00 in Almaty.
NOW = datetime(2025, 12, 15, 5, 0, tzinfo=UTC)
ANSWERS = invest_form.example_answers()


@pytest.mark.parametrize(
    ("typed", "tenge"),
    [
        ("1 500 000 000", 1_500_000_000),
        ("1\u00a0500\u00a0000\u00a0000 тенге", 1_500_000_000),
        ("1,5 млрд", 1_500_000_000),
        ("1.5 млрд", 1_500_000_000),
        ("300 млн", 300_000_000),
        ("2 mln", 2_000_000),
        ("1.5 bln KZT", 1_500_000_000),
        ("750 мың теңге", 750_000),
        ("1.500.000", 1_500_000),
        ("12 000 000 ₸", 12_000_000),
    ],
)
def test_amounts_as_people_write_them(typed: str, tenge: int) -> None:
    assert parse_amount(typed) == tenge


@pytest.mark.parametrize("typed", ["", "много", "0", "-5 млн", "1,5", "5 кг", "1 2 3 млрдд", "1e9"])
def test_what_is_no_amount(typed: str) -> None:
    assert parse_amount(typed) is None


def test_an_agreement_as_staff_type_it() -> None:
    today = date(2025, 12, 15)
    signed = parse_agreement("15.12.2025 17-ИП 1,5 млрд", today)
    assert signed is not None
    assert (signed.signed_on, signed.number, signed.amount) == (today, "17-ИП", 1_500_000_000)
    assert parse_agreement("16.12.2025 17-ИП 1,5 млрд", today) is None  # not yet
    assert parse_agreement("31.02.2025 17 1 млрд", today) is None
    assert parse_agreement("15.12.2025 17-ИП много", today) is None


# ---- live ------------------------------------------------------------------------------------


@dataclass
class Office:
    emu: BotAPIEmulator
    group: Group
    app: Application
    outsider: int


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    emu = BotAPIEmulator(seed=7)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    outsider = emu.add_user("Посторонний")
    group_id = emu.add_group("Операторы", forum=True, members=[staff], admins=[staff])
    try:
        async with live_app(emu, tmp_path, group_id, clock=lambda: NOW) as app:
            yield Office(emu, Group(emu, group_id, staff), app, outsider)
    finally:
        await emu.stop()


async def investor(office: Office, language: str) -> OwnerChat:
    person = office.emu.add_user("Ерлан", "Сериков", language_code="ru")
    async with office.app.sessionmaker() as session:
        session.add(User(id=person, language=language))
        await session.commit()
    return OwnerChat(office.emu, person, language)


async def file_project(owner: OwnerChat, *, amount: str = ANSWERS["amount"]) -> str:
    """/invest with the sample answers to the summary, then submit: the project's number."""
    t = owner.t

    def q(step: str) -> str:
        return fragment(t, f"invest.{step}.question")

    await owner.send("/invest", expect=fragment(t, "invest.consent.question"))
    await owner.press("invest.consent.agree", q("company"))
    await owner.send(ANSWERS["company"], expect=q("bin"))
    await owner.send(ANSWERS["bin"], expect=q("project"))
    await owner.send(ANSWERS["project"], expect=q("industry"))
    await owner.press("invest.industry.agriculture", q("locality"))
    await owner.press("locality.glubokoe", q("amount"))
    await owner.send(amount, expect=q("jobs"))
    await owner.send(ANSWERS["jobs"], expect=q("stage"))
    await owner.press("invest.stage.design", q("needs"))
    await owner.send(ANSWERS["needs"], expect=q("bodies"))
    await owner.send(ANSWERS["bodies"], expect=q("contact_name"))
    await owner.send(ANSWERS["contact_name"], expect=q("phone"))
    summary = await owner.send_contact(ANSWERS["phone"], fragment(t, "invest.summary.title"))
    assert t("invest.tenge", amount="1\u00a0500\u00a0000\u00a0000") in summary["text"]
    receipt = await owner.press("invest.summary.submit", fragment(t, "invest.receipt"))
    number = receipt["text"].split(": ")[1].split("\n")[0]
    assert number.startswith("ИП-2025-")
    return number


def pushes(owner: OwnerChat, key: str) -> list[str]:
    needle = fragment(owner.t, key)
    return [e["text"] for e in owner.emu.transcript(owner.user_id) if needle in (e["text"] or "")]


async def test_from_invest_to_a_signed_agreement_counted_in_the_figures(office: Office) -> None:
    emu, group = office.emu, office.group
    owner = await investor(office, "kk")
    number = await file_project(owner)
    assert number == "ИП-2025-0001"

    # Its own topic, named after it, with the card and its buttons.
    card = await group.emu.wait_for_message(
        group.chat_id,
        lambda e: group.text("invest.card.title", number=number) in (e["text"] or ""),
        timeout=45,
    )
    thread = card["message_thread_id"]
    assert thread is not None
    assert number in group.topic(thread)["name"]
    assert "940140000385" in card["text"] and "ТОО «Шығыс Агро»" in card["text"]
    assert group.text("invest.card.language", language="казахский") in card["text"]
    labels = [label for label, _ in buttons(card)]
    assert labels == [group.t("invest.button.under_review"), group.t("invest.button.declined")]

    # Under review: one press, the card changes, the investor hears it once.
    def press(action: str) -> str:
        current = group.current_card(card)
        data = next(d for label, d in buttons(current) if label == group.t(action))
        return emu.press_button(group.staff, group.chat_id, card["message_id"], data)

    press("invest.button.under_review")
    await owner.notice("invest.notify.under_review", 0)
    await eventually(lambda: "Қаралуда" not in group.current_card(card)["text"])
    await eventually(
        lambda: (
            group.t("invest.button.agreement_signed")
            in [label for label, _ in buttons(group.current_card(card))]
        )
    )

    # Signed: staff type date, number, amount (a wrong one is explained first).
    after = group.last_id(thread)
    press("invest.button.agreement_signed")
    await group.expect(fragment(group.t, "invest.staff.ask_agreement"), thread, after)
    await group.say("вчера 17", thread, expect=fragment(group.t, "invest.staff.agreement_invalid"))
    await group.say("15.12.2025 17-ИП 1,5 млрд", thread, expect="→")
    signed = await owner.notice("invest.notify.agreement_signed", 0)
    assert "1\u00a0500\u00a0000\u00a0000 теңге" in signed["text"] and "17-ИП" in signed["text"]
    await settled(emu, office.app)
    assert len(pushes(owner, "invest.notify.under_review")) == 1
    assert len(pushes(owner, "invest.notify.agreement_signed")) == 1
    stored = rows(
        office.app,
        select(
            InvestmentProject.status,
            InvestmentProject.agreement_date,
            InvestmentProject.agreement_number,
            InvestmentProject.agreement_amount,
        ),
    )
    assert [tuple(r) for r in stored] == [
        ("agreement_signed", date(2025, 12, 15), "17-ИП", 1_500_000_000)
    ]
    events = rows(office.app, select(ProjectEvent.to_status).order_by(ProjectEvent.id))
    assert [r[0] for r in events] == ["received", "under_review", "agreement_signed"]
    final = group.current_card(card)
    assert not buttons(final)  # nothing more to do
    assert "17-ИП" in final["text"]

    # Staff write in the topic: the investor gets it under the office's name.
    await group.say("Встреча в акимате в пятницу", thread)
    relayed = await owner.expect("Встреча в акимате в пятницу", 0)
    assert number in relayed["text"]
    # The investor's reply to it reaches the topic, under the investor's header.
    written = fragment(owner.t, "invest.my.written")
    # Once the copy is recorded as sent (its message id is what a reply is matched by).
    await settled(emu, office.app)
    await owner.send("Рақмет, барамын", expect=written, reply_to=relayed["message_id"])
    answer = await group.expect("Рақмет, барамын", thread, 0)
    assert group.text("invest.staff.from_investor", number=number) in answer["text"]

    # The figures: /stats in the group for this month, /results for the investor.
    stats = await group.say("/stats", None, expect="Подписано соглашений")
    assert (
        "Подписано соглашений о сопровождении инвестпроектов: 1 на 1,5 млрд тенге"
        in (stats["text"])
    )
    results = await owner.send("/results", expect="жылғы жұмыс қорытындысы")
    assert "инвестициялық жобалар: 1 (келісімдер сомасы — 1,5 млрд теңге)" in results["text"]


async def test_bad_answers_are_explained_and_nothing_is_lost(office: Office) -> None:
    emu = office.emu
    owner = await investor(office, "ru")
    t = owner.t
    await owner.send("/invest", expect=fragment(t, "invest.consent.question"))
    await owner.press("invest.consent.agree", fragment(t, "invest.company.question"))
    await owner.send("ТОО «Алтай Энерго»", expect=fragment(t, "invest.bin.question"))
    # A BIN whose check digit is wrong, then an IIN: both refused with their reasons.
    await owner.send("940140000386", expect=fragment(t, "form.iin_bin.invalid_checksum"))
    await owner.send("850315400124", expect=fragment(t, "form.iin_bin.invalid_not_bin"))
    # A sticker where a text is wanted: the hint and the same question.
    after = owner.last_id()
    emu.send_sticker(owner.user_id)
    await owner.expect(t("hint.text"), after)
    await owner.expect(fragment(t, "invest.bin.question"), after)
    await owner.send("990140004654", expect=fragment(t, "invest.project.question"))
    await owner.send("x" * 2001, expect=fragment(t, "invest.project.too_long"))
    await owner.send(ANSWERS["project"], expect=fragment(t, "invest.industry.question"))
    # A forged choice: stale, the question again.
    industry = owner.last()
    query = emu.forge_callback(
        owner.user_id, owner.user_id, industry["message_id"], "iv:f:industry:oil:0"
    )
    answer = await emu.wait_for_callback_answer(query)
    assert answer["text"] == t("hint.stale")
    await owner.press("invest.industry.energy", fragment(t, "invest.locality.question"))
    await owner.press("locality.other", fragment(t, "invest.locality_other.question"))
    await owner.send("с. Самарское", expect=fragment(t, "invest.amount.question"))
    await owner.send("много денег", expect=fragment(t, "invest.amount.invalid"))
    await owner.send("300 млн", expect=fragment(t, "invest.jobs.question"))
    await owner.send("сорок", expect=fragment(t, "invest.jobs.invalid"))
    await owner.send("40", expect=fragment(t, "invest.stage.question"))
    await settled(emu, office.app)
    data = owner.emu.transcript(owner.user_id)
    assert any(e["text"] == "✅ Энергетика" for e in data)
    # Back and forth kept every answer: the summary at the end shows them.
    await owner.press("invest.stage.idea", fragment(t, "invest.needs.question"))
    await owner.send("Земельный участок 10 га", expect=fragment(t, "invest.bodies.question"))
    await owner.send("Акимат Самарского района", expect=fragment(t, "invest.contact_name.question"))
    await owner.send("Сериков Ерлан", expect=fragment(t, "invest.phone.question"))
    summary = await owner.send_contact("+77011112233", fragment(t, "invest.summary.title"))
    for shown in ("990140004654", "с. Самарское", "300\u00a0000\u00a0000 тенге", "Энергетика"):
        assert shown in summary["text"], shown
    # Editing the amount from the summary comes back to the summary.
    await owner.press(
        t("invest.summary.edit", field=t("invest.summary.amount")),
        fragment(t, "invest.amount.question"),
    )
    edited = await owner.send("1,2 млрд", expect=fragment(t, "invest.summary.title"))
    assert "1\u00a0200\u00a0000\u00a0000 тенге" in edited["text"]
    number = await owner.press("invest.summary.submit", fragment(t, "invest.receipt"))
    assert "ИП-2025-0001" in number["text"]


async def test_staff_buttons_refuse_outsiders_and_forged_presses(office: Office) -> None:
    emu, group = office.emu, office.group
    owner = await investor(office, "ru")
    number = await file_project(owner)
    card = await emu.wait_for_message(
        group.chat_id,
        lambda e: group.text("invest.card.title", number=number) in (e["text"] or ""),
        timeout=45,
    )
    project_id = rows(office.app, select(InvestmentProject.id))[0][0]
    # Someone not in the group.
    query = emu.forge_callback(
        office.outsider, group.chat_id, card["message_id"], f"ip:under_review:{project_id}"
    )
    assert (await emu.wait_for_callback_answer(query))["text"] == group.text("staff.not_member")
    # Staff, but a button the card does not offer (signing what is not under review).
    query = emu.forge_callback(
        group.staff, group.chat_id, card["message_id"], f"ip:agreement_signed:{project_id}"
    )
    answer = await emu.wait_for_callback_answer(query)
    assert answer["text"] == group.text(
        "invest.staff.refused", status=group.t("invest.status.received")
    )
    query = emu.forge_callback(group.staff, group.chat_id, card["message_id"], "ip:received:999")
    answer = await emu.wait_for_callback_answer(query)
    assert answer["text"] == group.text("invest.staff.not_found")
    await settled(emu, office.app)
    status = rows(office.app, select(InvestmentProject.status))
    assert status[0][0] == "received"
    assert not pushes(owner, "invest.notify.under_review")


async def test_an_obstacle_becomes_an_appeal_linked_to_the_project(office: Office) -> None:
    emu, group = office.emu, office.group
    owner = await investor(office, "ru")
    t = owner.t
    number = await file_project(owner)
    listing = await owner.send("/my", expect=fragment(t, "invest.my.title"))
    opened = await owner.press(number, fragment(t, "invest.my.history"), message=listing)
    # The appeal form, prefilled: after its consent straight to the type of appeal.
    await owner.press("invest.my.obstacle", fragment(t, "form.consent.question"), message=opened)
    await owner.press("form.consent.agree", fragment(t, "form.appeal_type.question"))
    await owner.press("appeal_type.complaint", fragment(t, "form.category.question"))
    await owner.press("category.land", fragment(t, "form.locality.question"))
    await owner.press("locality.glubokoe", fragment(t, "form.body.question"))
    await owner.send("Акимат Глубоковского района", expect=fragment(t, "form.description.question"))
    await owner.send(
        "Третий месяц не выдают акт на земельный участок под завод, хотя все документы сданы.",
        expect=fragment(t, "form.attachments.question"),
    )
    await owner.press("form.attachments.skip", fragment(t, "form.confidentiality.question"))
    summary = await owner.press("form.confidentiality.disclose", fragment(t, "form.summary.title"))
    assert "940140000385" in summary["text"] and "Шығыс Агро" in summary["text"]
    await owner.press("form.summary.submit", fragment(t, "form.receipt.text"))
    await settled(emu, office.app)
    appeal = rows(office.app, select(Appeal.number, Appeal.project_id, Appeal.applicant_iin_bin))
    project_id = rows(office.app, select(InvestmentProject.id))[0][0]
    assert [(r.project_id, r.applicant_iin_bin) for r in appeal] == [(project_id, "940140000385")]
    kinds = rows(office.app, select(ProjectEvent.kind, ProjectEvent.note).order_by(ProjectEvent.id))
    assert ("obstacle", appeal[0][0]) in [tuple(r) for r in kinds]
    # Staff of the project read of it in the project's topic.
    await emu.wait_for_message(
        group.chat_id,
        lambda e: group.text("invest.staff.obstacle", number=appeal[0][0]) in (e["text"] or ""),
        timeout=45,
    )
    # Each notice about the project went out once.
    sent = rows(
        office.app,
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("project%")),
    )
    assert len(sent) == len({r[0] for r in sent})


async def test_the_investors_data_export_holds_their_projects(office: Office) -> None:
    owner = await investor(office, "kk")
    number = await file_project(owner)
    async with office.app.sessionmaker() as session:
        data = await export(
            session, owner.t, WorkCalendar(TZ), owner.user_id, NOW, retention_years=5
        )
    [project] = data["investment_projects"]
    assert (project["number"], project["bin"], project["amount_tenge"]) == (
        number,
        "940140000385",
        1_500_000_000,
    )
    assert [step["status"] for step in project["history"]] == ["received"]


async def card_of(group: Group, number: str, after: int = 0) -> dict[str, Any]:
    return await group.emu.wait_for_message(
        group.chat_id,
        lambda e: group.text("invest.card.title", number=number) in (e["text"] or ""),
        after_message_id=after,
        timeout=45,
    )


async def test_the_investor_writes_to_the_topic_even_after_staff_deleted_it(
    office: Office,
) -> None:
    emu, group = office.emu, office.group
    owner = await investor(office, "ru")
    t = owner.t
    number = await file_project(owner)
    card = await card_of(group, number)
    old = card["message_thread_id"]
    await settled(emu, office.app)
    emu.delete_topic(group.chat_id, old)
    listing = await owner.send("/my", expect=fragment(t, "invest.my.title"))
    opened = await owner.press(number, fragment(t, "invest.my.history"), message=listing)
    await owner.press("invest.my.write", fragment(t, "invest.my.write_prompt"), message=opened)
    # Too long for one message: said so, still writing.
    await owner.send("я" * 4001, expect=fragment(t, "my.add.too_long"))
    await owner.send("Акимат просит ещё одну справку", expect=fragment(t, "invest.my.written"))
    # A new topic with the card again, then the message under the investor's header.
    again = await card_of(group, number, after=card["message_id"])
    new = again["message_thread_id"]
    assert new not in (None, old)
    relayed = await group.expect("Акимат просит ещё одну справку", new, 0)
    assert group.text("invest.staff.from_investor", number=number) in relayed["text"]
    events = rows(office.app, select(ProjectEvent.kind, ProjectEvent.actor_kind))
    assert ("message", "owner") in [tuple(r) for r in events]


async def test_a_group_without_topics_keeps_the_project_under_its_card(tmp_path: Path) -> None:
    emu = BotAPIEmulator(seed=8)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    group_id = emu.add_group("Операторы", forum=False, members=[staff], admins=[staff])
    try:
        async with live_app(emu, tmp_path, group_id, clock=lambda: NOW) as app:
            office = Office(emu, Group(emu, group_id, staff), app, 0)
            owner = await investor(office, "kk")
            number = await file_project(owner)
            card = await card_of(office.group, number)
            assert card["message_thread_id"] is None
            # Staff reply to the card: the investor gets it.
            office.group.emu.send_text(
                staff,
                "Сәлеметсіз бе, ертең хабарласамыз",
                chat_id=group_id,
                reply_to=card["message_id"],
            )
            relayed = await owner.expect("ертең хабарласамыз", 0)
            assert number in relayed["text"]
    finally:
        await emu.stop()
