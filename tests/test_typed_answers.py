"""An owner answers a staff question by typing, as people do: the message goes to the appeal
it is about (the one the office last wrote about, or the only open one); with several open
and no recent office message the bot asks which, keeping the message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.harness import ChatDriver
from tests.support.keyboard import data_of, labels
from tests.support.live import eventually
from tests.support.owner import I18N
from tests.test_scheduled import World, case, texts, world  # noqa: F401 (world: a fixture)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_typed_answer_to_a_staff_question_reaches_the_topic(
    world: World,  # noqa: F811 (the fixture imported above)
    language: str,
) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Асель", language_code=language)
    owner = ChatDriver(emu, user)
    number, card = await case(world, user, language)
    thread = card["message_thread_id"]
    after = owner.last_id()
    await group.say("Уточните номер заявки в ЦОН", thread)
    await owner.expect("Уточните номер заявки", after)
    after_topic = group.last_id(thread)
    sent = I18N.get(language, "owner_message.sent", number=number)
    await owner.say("Номер заявки KZ-2026-48213", sent)
    shown = await group.expect("KZ-2026-48213", thread, after_topic)
    assert "Сообщение заявителя" in shown["text"]
    # a photo is typed in the same way
    after_topic = group.last_id(thread)
    emu.send_photo(user, caption="Скан талона")
    photo = await group.expect("Скан талона", thread, after_topic)
    assert photo["kind"] == "photo"
    # and a voice message, as people send when typing is hard
    after_topic = group.last_id(thread)
    emu.send_voice(user)
    voice = await emu.wait_for_message(
        group.chat_id,
        lambda e: e["kind"] == "voice",
        thread_id=thread,
        after_message_id=after_topic,
    )
    assert "Сообщение заявителя" in (voice["caption"] or "")


async def test_with_several_open_appeals_the_owner_chooses_and_nothing_is_lost(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    emu, group = world.emu, world.group
    user = emu.add_user("Ольга", language_code="ru")
    owner = ChatDriver(emu, user)
    first, first_card = await case(world, user, "ru")
    second, second_card = await case(world, user, "ru", returning=True)
    # nothing from the office for four days: no appeal stands out (once the notices of both
    # appeals were sent, they are four days old)
    await eventually(
        lambda: all(texts(emu, user, f"{number} принято") for number in (first, second))
    )
    world.clock.now += timedelta(days=4)
    question = await owner.say("Когда будет ответ?", I18N.get("ru", "owner_message.which"))
    numbers = labels(question)
    assert sorted(numbers) == sorted([first, second])
    choice = data_of(question, label=second)
    after_topic = group.last_id(second_card["message_thread_id"])
    await owner.press(choice, I18N.get("ru", "owner_message.sent", number=second))
    await group.expect("Когда будет ответ?", second_card["message_thread_id"], after_topic)
    assert texts(emu, group.chat_id, "Когда будет ответ?", first_card["message_thread_id"]) == []
    # the buttons are gone; a press from an old client is stale (the message was sent once)
    await emu.wait_for_message(
        user, lambda e: e["message_id"] == question["message_id"] and not e["buttons"], timeout=45
    )
    query = emu.forge_callback(user, user, question["message_id"], choice)
    answer = await emu.wait_for_callback_answer(query, timeout=45)
    assert answer["text"] == I18N.get("ru", "hint.stale")
