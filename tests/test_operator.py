"""The operator side as staff and owners live it, with the whole application polling the
emulator: an appeal filed through the intake service gets a topic and a card; staff and the
owner talk through the relay; each lifecycle transition (one per test) tells the owner and
leaves its event; hearings, authorization, a deleted topic, a blocked owner, a group without
topics. Texts come from the catalogs, rows are read through the models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.domain import lifecycle
from bot.keyboards.callbacks import StaffCb
from bot.sandbox.emulator import BotAPIEmulator
from models import (
    Appeal,
    AppealEvent,
    AppealStatus,
    Hearing,
    OutboxMessage,
    RelayedMessage,
    User,
)
from tests.support.cases import VALID_IIN, filed
from tests.support.live import eventually, live_app
from tests.support.pages import (
    I18N,
    Entry,
    Group,
    OwnerChat,
    StaffCard,
    button,
    fragment,
    owner_withdraws,
    rows,
    staff_step,
    statuses,
    wait_status,
)

# Kept importable from here for other test files; they live in tests/support/pages.py.
__all__ = ["Group", "owner_withdraws", "rows", "staff_step", "wait_status", "world"]

STAFF_NAME = "Дина Оспанова"
PLACE = "Өскемен, Горький к-сі 40"


@dataclass
class Case:
    number: str
    user: int
    owner: OwnerChat
    card: StaffCard


@dataclass
class Desk:
    """The operator group with one staff member, an outsider, and the running bot."""

    emu: BotAPIEmulator
    group: Group
    app: Application
    outsider: int

    async def case(self, language: str = "ru", name: str = "Ольга", photos: int = 0) -> Case:
        """A new owner's appeal, filed through the intake service, its card posted."""
        user = self.emu.add_user(name, language_code=language)
        number = await filed(self.app, self.emu, user, language, photos=photos)
        card = await self.group.staff_card(number)
        return Case(number, user, OwnerChat(self.emu, user, language), card)

    def changed(self, before: str, after: str) -> str:
        """What staff read in the topic once a status changed."""
        return self.group.text(
            "staff.changed",
            from_status=self.group.text(f"status.{before}"),
            to_status=self.group.text(f"status.{after}"),
            name=STAFF_NAME,
        )

    async def schedule(self, case: Case, date: str, time: str, place: str, bring: str = "") -> None:
        """/hearing in the case's topic, until staff read that it is set."""
        command = f"/hearing {date} {time} {place}" + (f"; bring: {bring}" if bring else "")
        shown = ".".join(reversed(date.split("-")))
        set_ = self.group.text("staff.ask.hearing_set", date=shown, time=time, place="\0")
        await case.card.say(command, expect=set_.split("\0")[0])

    async def reach(self, case: Case, status: str) -> None:
        """Lead the case from registered to ``status`` the way staff do."""
        if status == "registered":
            return
        await case.card.act("take", expect="")
        await wait_status(self.app, case.number, "in_review")
        if status == "needs_info":
            await case.card.act(
                "needs_info", "Уточните адрес.", self.changed("in_review", "needs_info")
            )
        elif status == "hearing_scheduled":
            await self.schedule(case, "2030-05-05", "11:00", "Каб. 7")
        elif status == "answered":
            await case.card.answer("satisfied", "Разрешение выдано 20.11.2030.")
        await wait_status(self.app, case.number, status)


@asynccontextmanager
async def running_desk(tmp_path: Path, *, forum: bool = True, seed: int = 3) -> AsyncIterator[Desk]:
    emu = BotAPIEmulator(seed=seed)
    await emu.start()
    staff = emu.add_user("Дина", "Оспанова")
    outsider = emu.add_user("Посторонний")
    group_id = emu.add_group("Операторы", forum=forum, members=[staff], admins=[staff])
    try:
        async with live_app(emu, tmp_path, group_id) as app:
            yield Desk(emu, Group(emu, group_id, staff), app, outsider)
    finally:
        await emu.stop()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path) as desk:
        yield desk


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[BotAPIEmulator, Group, Application]]:
    """The emulator, the group and the bot (tests/test_scoping.py imports this fixture)."""
    async with running_desk(tmp_path) as desk:
        yield desk.emu, desk.group, desk.app


def directions(app: Application) -> list[str]:
    return sorted(r[0] for r in rows(app, select(RelayedMessage.direction)))


# ---- the topic, the card, the relay ------------------------------------------------------------


async def test_a_filed_appeal_gets_a_topic_and_a_card_with_its_album(desk: Desk) -> None:
    case = await desk.case("kk", "Асель", photos=2)
    topic = case.card.topic()
    t = desk.group.t
    # the topic is named in the staff language (ru), after the owner and the category
    assert I18N.get("kk", "category.inspections") not in topic["name"]
    assert t("category.inspections") in topic["name"]
    assert "Жұмабаева А." in topic["name"]
    assert desk.group.text("staff.card.confidential") in case.card.text
    assert VALID_IIN in case.card.text
    assert case.card.buttons()[0] == t("staff.button.take")
    # the attachments follow the card, as one album
    await desk.emu.wait_for_message(
        desk.group.chat_id,
        lambda e: e["kind"] == "photo",
        thread_id=case.card.thread,
        after_message_id=case.card.message_id + 1,
    )
    kinds = [
        e["kind"]
        for e in desk.emu.transcript(desk.group.chat_id, case.card.thread)
        if e["from_bot"]
    ]
    assert kinds.count("photo") == 2


async def test_a_staff_text_reaches_the_owner_under_the_offices_name(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    after = case.owner.last_id()
    sent = await case.card.say("Сәлеметсіз бе! Құжаттарыңызды алдық.")
    got = await case.owner.expect("Құжаттарыңызды алдық", after)
    assert case.owner.text("notify.header", number=case.number) in got["text"]
    assert "Дина" not in got["text"] and "Оспанова" not in got["text"]
    assert await desk.group.reaction_on(sent["message_id"])  # delivered
    await eventually(lambda: directions(desk.app) == ["to_owner"])


async def test_a_staff_photo_reaches_the_owner_with_the_header_as_its_caption(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    after = case.owner.last_id()
    desk.emu.send_photo(
        desk.group.staff,
        chat_id=desk.group.chat_id,
        thread_id=case.card.thread,
        caption="Акт проверки",
    )
    photo = await case.owner.expect("Акт проверки", after)
    assert photo["kind"] == "photo"
    assert case.owner.text("notify.header", number=case.number) in photo["caption"]
    await eventually(lambda: directions(desk.app) == ["to_owner"])


async def test_internal_notes_never_reach_the_owner(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    note = await case.card.say("!позвонить в ДГД до пятницы")
    await desk.group.reaction_on(note["message_id"])
    await case.card.say("/note проверить лицензию")
    await eventually(lambda: directions(desk.app) == ["internal", "internal"])
    assert not case.owner.saw("позвонить") and not case.owner.saw("лицензию")


async def test_the_owners_reply_to_the_office_appears_in_the_topic(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    after = case.owner.last_id()
    await case.card.say("Сәлеметсіз бе! Құжаттарыңызды алдық.")
    got = await case.owner.expect("Құжаттарыңызды алдық", after)
    after_group = case.card.last_id()
    await case.owner.send("Рахмет! Ертең келемін.", reply_to=got["message_id"])
    shown = await case.card.expect("Ертең келемін", after_group)
    assert desk.group.text("staff.owner_message") in shown["text"]
    await eventually(lambda: directions(desk.app) == ["to_owner", "to_staff"])


# ---- one lifecycle transition per test ---------------------------------------------------------


async def test_take_registered_to_in_review(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    after = case.owner.last_id()
    await case.card.press("take")
    await wait_status(desk.app, case.number, "in_review")
    await case.owner.notice("notify.in_review", after)
    in_review = desk.group.t("status.in_review")
    await eventually(lambda: in_review in case.card.text)
    assert STAFF_NAME in case.card.text
    icon = lifecycle.STATUS[AppealStatus.IN_REVIEW].icon
    await eventually(lambda: case.card.topic()["name"].startswith(icon))
    assert statuses(desk.app, case.number) == [(None, "registered"), ("registered", "in_review")]


async def test_needs_info_the_question_reaches_the_owner(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "in_review")
    after = case.owner.last_id()
    question = "Приложите, пожалуйста, акт проверки."
    await case.card.act("needs_info", question, desk.changed("in_review", "needs_info"))
    asked = await case.owner.notice("notify.needs_info", after)
    assert question in asked["text"]
    assert statuses(desk.app, case.number)[-1] == ("in_review", "needs_info")


async def test_the_owners_answer_puts_needs_info_back_in_review(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "needs_info")
    asked = await case.owner.notice("notify.needs_info", 0)
    await case.owner.press("notify.reply", case.number, message=asked)
    after_group = case.card.last_id()
    await case.owner.send("Акт жіберемін, ол 12 наурызда жасалған.")
    await case.card.expect("Акт жіберемін", after_group)
    await case.card.expect(desk.group.text("staff.owner_answered_question"), after_group)
    await wait_status(desk.app, case.number, "in_review")
    assert statuses(desk.app, case.number)[-2:] == [
        ("in_review", "needs_info"),
        ("needs_info", "in_review"),
    ]


async def test_a_hearing_invites_the_owner_with_a_calendar_file(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "in_review")
    after = case.owner.last_id()
    await desk.schedule(case, "2030-12-03", "15:00", f"{PLACE}, 12-каб.", bring="шарт")
    invite = await case.owner.notice("notify.hearing", after)
    assert "03.12.2030" in invite["text"] and "шарт" in invite["text"]
    ics = await case.owner.notice("notify.ics_caption", invite["message_id"])
    assert ics["kind"] == "document"
    assert ics["content"]["document"]["file_name"].endswith(".ics")
    assert statuses(desk.app, case.number)[-1] == ("in_review", "hearing_scheduled")


async def test_a_moved_hearing_is_answered_and_the_old_invitation_points_on(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "in_review")
    await desk.schedule(case, "2030-12-03", "15:00", PLACE)
    invite = await case.owner.notice("notify.hearing", 0)
    after = case.owner.last_id()
    await desk.schedule(case, "2030-12-04", "10:30", PLACE)
    moved = await case.owner.expect("04.12.2030", after)
    await case.owner.press("notify.will_come", "10:30", message=moved)
    await case.card.expect(
        desk.group.text("staff.ask.hearing_owner_yes", date="04.12.2030", time="10:30")
    )
    stale = await case.owner.press_for_answer("notify.will_come", message=invite)
    assert stale["text"] == case.owner.t("notify.hearing_moved_to", date="04.12.2030", time="10:30")
    assert statuses(desk.app, case.number)[-2:] == [
        ("in_review", "hearing_scheduled"),
        ("hearing_scheduled", "hearing_scheduled"),
    ]


@pytest.mark.parametrize(
    ("start", "outcome", "text"),
    [
        ("hearing_scheduled", "satisfied", "Разрешение выдано 20.11.2030."),
        ("in_review", "partly", "Часть требований удовлетворена."),
    ],
)
async def test_an_answer_tells_the_owner_the_outcome_and_the_text(
    desk: Desk, start: str, outcome: str, text: str
) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, start)
    after = case.owner.last_id()
    await case.card.answer(outcome, text)
    answered = await case.owner.notice("notify.answered", after)
    assert case.owner.t(f"staff.outcome.{outcome}") in answered["text"] and text in answered["text"]
    assert statuses(desk.app, case.number)[-1] == (start, "answered")


async def test_an_answered_appeal_goes_back_in_review(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "answered")
    after = case.owner.last_id()
    await case.card.act("in_review", None, "")
    await case.owner.notice("notify.back_in_review", after)
    await wait_status(desk.app, case.number, "in_review")
    assert statuses(desk.app, case.number)[-1] == ("answered", "in_review")


async def test_closing_an_answered_appeal_tells_the_owner_and_closes_the_topic(desk: Desk) -> None:
    case = await desk.case("kk", "Асель")
    await desk.reach(case, "answered")
    after = case.owner.last_id()
    await case.card.press("closed")
    await case.owner.notice("notify.closed", after)
    await eventually(lambda: case.card.topic()["closed"])
    assert statuses(desk.app, case.number) == [
        (None, "registered"),
        ("registered", "in_review"),
        ("in_review", "answered"),
        ("answered", "closed"),
    ]


@pytest.mark.parametrize(
    ("start", "action", "text"),
    [
        ("registered", "redirected", "Департамент госдоходов по ВКО"),
        ("registered", "not_considered", "Анонимное лицо не подтвердило данные"),
        ("in_review", "redirected", "Акимат области"),
        ("needs_info", "not_considered", "Заявитель не ответил на запрос"),
    ],
)
async def test_a_final_decision_with_a_text_reaches_the_owner(
    desk: Desk, start: str, action: str, text: str
) -> None:
    case = await desk.case("ru")
    await desk.reach(case, start)
    after = case.owner.last_id()
    await case.card.act(action, text, desk.changed(start, action))
    told = await case.owner.notice(f"notify.{action}", after)
    assert text in told["text"]
    await wait_status(desk.app, case.number, action)
    assert statuses(desk.app, case.number)[-1] == (start, action)


async def test_a_forged_button_on_a_final_appeal_is_refused(desk: Desk) -> None:
    case = await desk.case("ru")
    await case.card.act(
        "not_considered", "Анонимное лицо", desk.changed("registered", "not_considered")
    )
    await wait_status(desk.app, case.number, "not_considered")
    # No card offers "back in review" here: a tampering client forges it.
    appeal_id = rows(desk.app, select(Appeal.id).where(Appeal.number == case.number))[0][0]
    forged = StaffCb(action="in_review", appeal_id=appeal_id).pack()
    query = desk.emu.forge_callback(
        desk.group.staff, desk.group.chat_id, case.card.message_id, forged
    )
    refused = await desk.emu.wait_for_callback_answer(query)
    # A final appeal: nothing can change, and the answer says so.
    assert refused["text"] == desk.group.t(
        "staff.appeal_closed", number=case.number, status=desk.group.t("status.not_considered")
    )
    assert statuses(desk.app, case.number)[-1] == ("registered", "not_considered")


@pytest.mark.parametrize("start", ["in_review", "needs_info", "hearing_scheduled"])
async def test_the_owner_withdraws_an_open_appeal(desk: Desk, start: str) -> None:
    case = await desk.case("ru")
    await desk.reach(case, start)
    after = case.card.last_id()
    await owner_withdraws(desk.emu, case.user, "ru", case.number)
    await case.card.expect(desk.group.text("staff.owner_withdrew"), after)
    await wait_status(desk.app, case.number, "withdrawn")
    assert statuses(desk.app, case.number)[-1] == (start, "withdrawn")
    if start == "hearing_scheduled":
        assert [r[0] for r in rows(desk.app, select(Hearing.state))] == ["scheduled"]


async def test_a_cancelled_hearing_puts_the_appeal_back_in_review(desk: Desk) -> None:
    case = await desk.case("ru")
    await desk.reach(case, "hearing_scheduled")
    after = case.owner.last_id()
    await case.card.say("/hearing cancel", expect=desk.group.text("staff.ask.hearing_cancelled"))
    cancelled = await case.owner.notice("notify.hearing_cancelled", after)
    assert "05.05.2030" in cancelled["text"]
    await wait_status(desk.app, case.number, "in_review")
    assert statuses(desk.app, case.number)[-1] == ("hearing_scheduled", "in_review")
    await desk.schedule(case, "2030-05-06", "11:00", "Каб. 7")
    await wait_status(desk.app, case.number, "hearing_scheduled")
    states = [r[0] for r in rows(desk.app, select(Hearing.state).order_by(Hearing.id))]
    assert states == ["cancelled", "scheduled"]


async def test_a_past_or_unreadable_hearing_date_is_refused(desk: Desk) -> None:
    case = await desk.case("ru")
    await desk.reach(case, "in_review")
    await case.card.say(
        "/hearing 2020-01-01 10:00 Каб. 7", expect=desk.group.text("staff.ask.hearing_past")
    )
    unreadable = fragment(desk.group.t, "staff.ask.hearing_invalid")
    await case.card.say("/hearing завтра утром", expect=unreadable)
    assert statuses(desk.app, case.number)[-1] == ("registered", "in_review")


async def test_an_extension_past_two_months_is_refused_a_good_one_moves_the_due_date(
    desk: Desk,
) -> None:
    case = await desk.case("ru")
    await desk.reach(case, "in_review")
    after = case.owner.last_id()
    await case.card.press("extend")
    await case.card.expect(fragment(desk.group.t, "staff.ask.extend"))
    await case.card.say(
        "01.01.2099 слишком поздно", expect=fragment(desk.group.t, "staff.ask.extend_invalid")
    )
    registered = rows(desk.app, select(Appeal.registered_at).where(Appeal.number == case.number))[
        0
    ][0]
    year, month = registered.year, registered.month + 1  # of the time in UTC, as stored
    year, month = (year + 1, month - 12) if month > 12 else (year, month)
    new_due = f"20.{month:02d}.{year}"
    reason = "нужен ответ из акимата"
    await case.card.say(
        f"{new_due} {reason}",
        expect=desk.group.text("staff.ask.extended", date=new_due, reason=reason),
    )
    extended = await case.owner.notice("notify.extended", after)
    assert new_due in extended["text"] and "акимата" in extended["text"]
    await eventually(lambda: new_due in case.card.text)
    extensions = select(func.count()).where(AppealEvent.kind == "extension")
    assert tuple(rows(desk.app, extensions)[0]) == (1,)


# ---- who may do what; a deleted topic; a blocked owner -----------------------------------------


async def test_outsiders_are_refused_card_buttons_and_staff_commands(desk: Desk) -> None:
    case = await desk.case("ru", "Ерлан")
    not_member = desk.group.t("staff.not_member")
    take = button(case.card.entry, desk.group.t("staff.button.take"))
    # a non-member's button press on a card is refused
    query = desk.emu.forge_callback(desk.outsider, desk.group.chat_id, case.card.message_id, take)
    assert (await desk.emu.wait_for_callback_answer(query))["text"] == not_member
    # a staff command in a private chat is refused, in the sender's language (ru)
    outsider = OwnerChat(desk.emu, desk.outsider, "ru")
    await outsider.send("/open", expect=outsider.text("staff.only_staff"))
    # a card button forged into a private chat is refused too
    await case.owner.send("/my", expect=case.number)
    query = desk.emu.forge_callback(case.user, case.user, 1, take)
    assert (await desk.emu.wait_for_callback_answer(query))["text"] == not_member
    assert [r[0] for r in rows(desk.app, select(Appeal.status))] == ["registered"]


async def test_staff_help_open_and_find_in_the_group(desk: Desk) -> None:
    case = await desk.case("ru", "Ерлан")
    group = desk.group
    title = group.text("staff.help").splitlines()[0]
    staff_help = await group.say("/help", None, expect=title)
    for command in ("/open", "/find", "/note", "/hearing", "/failed"):
        assert command in staff_help["text"]
    await group.say("/open", None, expect=case.number)
    await group.say("/find Сериков", None, expect=case.number)
    await group.say("/find нет-такого", None, expect=group.text("staff.find_empty"))


async def test_a_deleted_topic_is_made_again_with_the_card_on_the_owners_next_message(
    desk: Desk,
) -> None:
    case = await desk.case("ru", "Ерлан")
    assert case.card.thread is not None
    desk.emu.delete_topic(desk.group.chat_id, case.card.thread)
    owner = case.owner
    await owner.send("/my", expect=case.number)
    await owner.press(case.number, fragment(owner.t, "my.card.history"))
    await owner.press("my.card.add", case.number)
    await owner.send("Вот ещё одна деталь: инспектор приходил дважды.", expect=case.number)
    new_card = await desk.group.staff_card(case.number, after=case.card.message_id)
    assert new_card.thread != case.card.thread
    await new_card.expect("инспектор приходил дважды")
    live_topics = [t for t in desk.emu.topics(desk.group.chat_id) if not t["deleted"]]
    assert len(live_topics) == 1


async def test_staff_see_a_failure_note_when_the_owner_blocked_the_bot(desk: Desk) -> None:
    case = await desk.case("ru", "Ерлан")
    desk.emu.block_bot(case.user)
    after = case.card.last_id()
    await case.card.say("Добрый день! Есть вопросы по акту.")
    # Either the relay's failure, or the block itself (when Telegram's notice of it came first).
    await case.card.expect_one_of(
        desk.group.text("staff.relay_failed_blocked"),
        desk.group.text("staff.owner_blocked", number=case.number),
        after=after,
    )
    assert [r[0] for r in rows(desk.app, select(User.blocked).where(User.id == case.user))] == [
        True
    ]


async def test_the_first_undeliverable_notice_is_reported_in_the_topic_once(desk: Desk) -> None:
    case = await desk.case("kk", "Мирас")
    desk.emu.block_bot(case.user)
    blocked = desk.group.text("staff.owner_blocked", number=case.number)
    await case.card.press("take")
    await case.card.expect(blocked)
    assert [r[0] for r in rows(desk.app, select(User.blocked).where(User.id == case.user))] == [
        True
    ]
    await case.card.act(
        "needs_info", "Уточните адрес объекта.", desk.changed("in_review", "needs_info")
    )

    def settled() -> bool:
        found = rows(
            desk.app,
            select(OutboxMessage.state).where(
                OutboxMessage.chat_id == case.user, OutboxMessage.kind == "status"
            ),
        )
        # Both notices queued after the block: failed (the first) and cancelled, none left.
        return len(found) == 2 and all(state not in ("pending", "claimed") for (state,) in found)

    await eventually(settled)
    transcript = desk.emu.transcript(desk.group.chat_id, case.card.thread)
    failed = desk.group.text("staff.relay_failed_blocked")
    notes = [e for e in transcript if any(n in (e["text"] or "") for n in (blocked, failed))]
    assert len(notes) == 1


# ---- a group without topics ----------------------------------------------------------------------


@pytest.fixture
async def plain_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path, forum=False, seed=4) as desk:
        yield desk


async def replied_to_card(desk: Desk, case: Case, text: str) -> tuple[Entry, Entry]:
    """Staff reply to the card; the staff message and the owner's copy of it."""
    assert case.card.thread is None and desk.emu.topics(desk.group.chat_id) == []
    # The card's id is recorded right after Telegram accepted it; staff reply later than a test.
    await eventually(
        lambda: rows(
            desk.app, select(Appeal.id).where(Appeal.card_message_id == case.card.message_id)
        )
    )
    after = case.owner.last_id()
    sent = desk.emu.send_text(
        desk.group.staff, text, chat_id=desk.group.chat_id, reply_to=case.card.message_id
    )
    return sent, await case.owner.expect(text, after)


async def test_without_topics_a_staff_reply_to_the_card_reaches_the_owner(plain_desk: Desk) -> None:
    case = await plain_desk.case("ru")
    sent, got = await replied_to_card(plain_desk, case, "Добрый день, приняли в работу.")
    assert case.owner.text("notify.header", number=case.number) in got["text"]
    # 👍 on the staff message: delivered.
    assert await plain_desk.group.reaction_on(sent["message_id"])
    # a message that is not a reply stays in the group
    plain_desk.emu.send_text(
        plain_desk.group.staff, "Коллеги, обед в 13:00", chat_id=plain_desk.group.chat_id
    )
    await plain_desk.group.say("/open", None, expect=case.number)
    assert not case.owner.saw("обед")


async def test_without_topics_the_owner_and_staff_reply_to_each_other(plain_desk: Desk) -> None:
    desk = plain_desk
    case = await desk.case("ru")
    sent, got = await replied_to_card(desk, case, "Добрый день, приняли в работу.")
    # Its copy's id is recorded for the owner's reply once delivered (a person needs a second
    # to reply; a test does not).
    assert await desk.group.reaction_on(sent["message_id"])
    # the owner's reply comes back as a reply to the card; staff reply to that one too
    after_group = desk.group.last_id()
    await case.owner.send("Спасибо, жду.", reply_to=got["message_id"])
    shown = await desk.group.expect("Спасибо, жду", None, after_group)
    assert shown["reply_to_message_id"] == case.card.message_id
    # The copy's id is recorded right after Telegram accepted it; a person replies later.
    await eventually(
        lambda: rows(
            desk.app,
            select(RelayedMessage.id).where(
                RelayedMessage.operator_message_id == shown["message_id"]
            ),
        )
    )
    after = case.owner.last_id()
    desk.emu.send_text(
        desk.group.staff,
        "Ответ будет до пятницы.",
        chat_id=desk.group.chat_id,
        reply_to=shown["message_id"],
    )
    await case.owner.expect("до пятницы", after)


# ---- publishing and notes ----------------------------------------------------------------------


async def test_publishing_again_at_once_queues_one_topic_and_one_card(desk: Desk) -> None:
    """A card is queued once per appeal (dedupe keys), however often and at once it is asked
    for: a redelivered Submit, or three units of work at the same moment."""
    app = desk.app
    case = await desk.case("kk", "Асель")

    async def publish() -> None:
        async with app.sessionmaker() as session:
            appeal = await session.scalar(select(Appeal).where(Appeal.number == case.number))
            assert appeal is not None
            await app.topics.publish(session, appeal)
            await app.bell.commit(session)

    await asyncio.gather(publish(), publish(), publish())
    async with app.sessionmaker() as session:
        queued = await session.execute(
            select(OutboxMessage.kind, func.count())
            .join(Appeal, Appeal.id == OutboxMessage.appeal_id)
            .where(Appeal.number == case.number, OutboxMessage.kind.in_(["topic", "card"]))
            .group_by(OutboxMessage.kind)
        )
        assert dict(queued.all()) == {"topic": 1, "card": 1}
    live = [t for t in desk.emu.topics(desk.group.chat_id) if not t["deleted"]]
    assert len(live) == 1 and case.number in live[0]["name"]


async def test_a_note_typed_while_a_question_is_asked_for_stays_in_the_group(desk: Desk) -> None:
    case = await desk.case("ru")
    await desk.reach(case, "in_review")
    after = case.card.last_id()
    await case.card.press("needs_info")
    await case.card.expect(desk.group.text("staff.ask.needs_info"), after)
    note = await case.card.say("!сверить ИИН по базе, заявителю не показывать")
    assert await desk.group.reaction_on(note["message_id"])
    assert statuses(desk.app, case.number)[-1] == ("registered", "in_review")
    owner_after = case.owner.last_id()
    await case.card.say("Пришлите, пожалуйста, копию предписания.")
    await case.owner.expect("копию предписания", owner_after)
    await wait_status(desk.app, case.number, "needs_info")
    assert not case.owner.saw("сверить ИИН")
