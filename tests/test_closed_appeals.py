"""A closed (final) appeal's buttons answer at once with what is still possible, on the staff
card and in the owner's chat; a staff message typed in its topic is not relayed silently:
staff are asked whether to send it anyway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import Appeal
from tests.e2e.harness import ChatDriver
from tests.support.keyboard import buttons, data_of, labels
from tests.support.live import settled
from tests.support.owner import I18N, frag
from tests.support.pages import owner_withdraws, staff_step, wait_status
from tests.test_scheduled import World, case, texts, world  # noqa: F401 (world: a fixture)

Entry = dict[str, Any]


async def appeal_id(state: World, number: str) -> int:
    return int(await state.scalar(select(Appeal.id).where(Appeal.number == number)))


def closed(number: str, status: str, language: str = "ru") -> str:
    return I18N.get(
        language,
        "staff.appeal_closed",
        number=number,
        status=I18N.get(language, f"status.{status}"),
    )


async def answer(state: World, card: Entry, text: str) -> None:
    group = state.group
    thread = card["message_thread_id"]
    after = group.last_id(thread)
    await group.press(group.current_card(card), "answered")
    outcome = await group.expect("Выберите итог", thread, after)
    data = data_of(outcome, suffix=":partly")
    state.emu.press_button(group.staff, group.chat_id, outcome["message_id"], data)
    await group.expect("Напишите текст ответа", thread, outcome["message_id"])
    await group.say(text, thread, expect="Дан ответ")


def buttons_of(entry: Entry) -> list[str]:
    return [data for _, data in buttons(entry)]


async def test_card_buttons_and_staff_messages_of_a_closed_appeal(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    assert world.app is not None
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    await staff_step(group, card, "redirected", "Департамент госдоходов по ВКО", "→")
    await wait_status(world.app, number, "redirected")
    ident = await appeal_id(world, number)

    # every card button, old or forged, says the appeal is closed and changes nothing
    for data in (
        f"st:take:{ident}:",
        f"st:in_review:{ident}:",
        f"st:needs_info:{ident}:",
        f"st:answered:{ident}:",
        f"st:outcome:{ident}:satisfied",
        f"st:hearing:{ident}:",
        f"st:extend:{ident}:",
        f"st:closed:{ident}:",
    ):
        query = emu.forge_callback(group.staff, group.chat_id, card["message_id"], data)
        got = await emu.wait_for_callback_answer(query)
        assert got["text"] == closed(number, "redirected") and got["show_alert"], data
    await settled(emu, world.app)
    assert await world.scalar(select(Appeal.status).where(Appeal.id == ident)) == "redirected"

    # a message typed in the topic is kept and staff are asked; "send anyway" relays it
    after_owner = owner.last_id()
    question = await group.say(
        "Дополнительно: ДГД ответит вам до пятницы.",
        thread,
        expect=I18N.get("ru", "staff.closed_ask", number=number, status="Перенаправлено")[:40],
    )
    typed = next(
        e
        for e in emu.transcript(group.chat_id, thread)
        if (e["text"] or "").startswith("Дополнительно: ДГД")
    )
    assert question["reply_to_message_id"] == typed["message_id"]
    assert labels(question) == [
        I18N.get("ru", "staff.closed_send"),
        I18N.get("ru", "staff.closed_drop"),
    ]
    await settled(emu, world.app)
    assert texts(emu, user, "ответит вам до пятницы") == []
    send, drop = buttons_of(question)
    query = emu.press_button(group.staff, group.chat_id, question["message_id"], send)
    assert (await emu.wait_for_callback_answer(query))["text"] == I18N.get(
        "ru", "staff.closed_sending"
    )
    got = await owner.expect("ответит вам до пятницы", after_owner)
    assert number in got["text"] and "Дина" not in got["text"]
    assert await group.reaction_on(typed["message_id"])  # delivered, as any staff message
    # the question's buttons are gone; an old client's press of them is stale
    await emu.wait_for_message(
        group.chat_id, lambda e: e["message_id"] == question["message_id"] and not e["buttons"]
    )
    for data in (send, drop):
        query = emu.forge_callback(group.staff, group.chat_id, question["message_id"], data)
        got_answer = await emu.wait_for_callback_answer(query)
        assert got_answer["text"] == I18N.get("ru", "staff.closed_gone")

    # "don't send": the owner never gets it
    second = await group.say("Черновик, не для заявителя", thread, expect="Отправить его всё")
    query = emu.press_button(
        group.staff, group.chat_id, second["message_id"], buttons_of(second)[1]
    )
    assert (await emu.wait_for_callback_answer(query))["text"] == I18N.get(
        "ru", "staff.closed_dropped"
    )
    # a "!" note stays a note: no question
    note = await group.say("!созвониться с ДГД", thread)
    await group.reaction_on(note["message_id"])
    await settled(emu, world.app)
    assert texts(emu, user, "Черновик") == [] and texts(emu, user, "созвониться") == []
    asked = texts(emu, group.chat_id, "Отправить его всё равно", thread)
    assert len(asked) == 2


async def test_a_text_asked_for_before_the_appeal_closed_is_refused(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    assert world.app is not None
    user = emu.add_user("Ольга", language_code="ru")
    number, card = await case(world, user, "ru")
    thread = card["message_thread_id"]
    after = group.last_id(thread)
    await group.press(group.current_card(card), "needs_info")
    await group.expect("вопрос", thread, after)
    await owner_withdraws(emu, user, "ru", number)  # while staff write the question
    await wait_status(world.app, number, "withdrawn")
    after_owner = ChatDriver(emu, user).last_id()
    await group.say("Приложите акт проверки.", thread, expect=closed(number, "withdrawn")[:40])
    await settled(emu, world.app)
    assert [e for e in emu.transcript(user) if e["message_id"] > after_owner] == []


async def test_owner_buttons_of_a_closed_appeal_say_what_is_possible(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    assert world.app is not None
    user = emu.add_user("Асель", language_code="kk")
    owner = ChatDriver(emu, user)
    first, first_card = await case(world, user, "kk")
    second, second_card = await case(world, user, "kk", returning=True)
    first_id, second_id = await appeal_id(world, first), await appeal_id(world, second)

    # the owner is asked which appeal a typed message is about; one of them closes meanwhile
    world.clock.now += timedelta(days=4)
    which = await owner.say("Жауап қашан болады?", I18N.get("kk", "owner_message.which"))
    await staff_step(group, first_card, "redirected", "ДГД по ВКО", "→")
    await wait_status(world.app, first, "redirected")
    choice = data_of(which, label=first)
    got = await owner.press_answer(choice)
    assert got["text"] == I18N.get("kk", "my.add.closed", number=first) and got["show_alert"]

    # the closed appeal's "Reply", "Add" and "Withdraw" say it is closed, at once
    for data in (f"re:{first_id}", f"my:add:{first_id}:0"):
        query = emu.forge_callback(user, user, which["message_id"], data)
        got = await emu.wait_for_callback_answer(query)
        assert got["text"] == I18N.get("kk", "my.add.closed", number=first), data
    query = emu.forge_callback(user, user, which["message_id"], f"my:withdraw:{first_id}:0")
    got = await emu.wait_for_callback_answer(query)
    status = I18N.get("kk", "status.redirected")
    assert got["text"] == I18N.get("kk", "my.withdraw.not_allowed", number=first, status=status)

    # a hearing of an appeal answered and closed: the invitation's buttons say so
    thread = second_card["message_thread_id"]
    after_owner = owner.last_id()
    await group.say(
        "/hearing 2026-12-20 15:00 Өскемен, Горький к-сі 40", thread, expect="Заседание"
    )
    invite = await owner.expect(frag("kk", "notify.hearing"), after_owner)
    after_owner = owner.last_id()
    await answer(world, second_card, "Ішінара шешілді.")
    await owner.expect(frag("kk", "rate.ask"), after_owner)
    await staff_step(group, second_card, "closed", None, "")
    await wait_status(world.app, second, "closed")
    going = data_of(invite, suffix=":yes")
    got = await owner.press_answer(going)
    assert got["text"] == I18N.get("kk", "notify.hearing_appeal_closed", number=second)
    # a closed appeal's answer can still be rated, no longer disputed
    dispute = f"rt:{second_id}:dispute"
    got = await owner.press_answer(dispute)
    assert got["text"] == I18N.get("kk", "rate.dispute_closed", number=second)
    assert await world.scalar(select(Appeal.status).where(Appeal.id == second_id)) == "closed"
    await owner.press(f"rt:{second_id}:4", "⭐⭐⭐⭐")
