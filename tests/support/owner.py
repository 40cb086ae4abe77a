"""Filing an appeal through the emulator as an owner would, for tests that need one."""

from __future__ import annotations

import re

from bot.i18n import I18n
from bot.sandbox.emulator import BotAPIEmulator
from tests.e2e.harness import ChatDriver

I18N = I18n("kk")
VALID_IIN = "900101300017"


def frag(language: str, key: str) -> str:
    """A plain-text piece of a catalog string that a message must contain."""
    text = re.sub(r"<[^>]+>", "", I18N.get(language, key))
    pieces = [p.strip() for p in re.split(r"\{[^}]*\}|\n", text)]
    return max(pieces, key=len)[:40]


async def file_appeal(
    emu: BotAPIEmulator, user: int, language: str, *, photos: int = 1, returning: bool = False
) -> str:
    """Go through the whole dialogue; return the receipt number."""
    chat = ChatDriver(emu, user)

    def f(key: str) -> str:
        return frag(language, key)

    if not returning:
        await chat.say("/start", "Тілді таңдаңыз")
        await chat.press(f"lang:{language}", f("start.welcome"))
        await chat.say("/new", f("form.consent.question"))
        await chat.press("f:consent:agree", f("form.full_name.question"))
        await chat.say("Жұмабаева Асель Маратқызы", f("form.applicant_kind.question"))
        await chat.press("f:applicant_kind:ie", f("form.iin_bin.question_ie"))
        await chat.say(VALID_IIN, f("form.phone.question"))
        await chat.say("+7 701 111 22 33", f("form.appeal_type.question"))
    else:
        await chat.say("/new", f("form.profile.question"))
        await chat.press("f:profile:reuse", f("form.appeal_type.question"))
    await chat.press("f:appeal_type:complaint", f("form.category.question"))
    await chat.press("f:category:inspections", f("form.locality.question"))
    await chat.press("f:locality:ust_kamenogorsk", f("form.body.question"))
    await chat.say("ДГД по ВКО, инспектор Сериков", f("form.description.question"))
    await chat.say(
        "Инспектор пришёл без предписания и требует деньги за «быстрое закрытие» проверки.",
        f("form.attachments.question"),
    )
    for _ in range(photos):
        await chat.act(lambda: emu.send_photo(user), f("form.attachments.received"))
    await chat.press("f:attachments:done", f("form.confidentiality.question"))
    await chat.press("f:confidentiality:keep", f("form.summary.title"))
    receipt = await chat.press("f:summary:submit", f("form.receipt.text"))
    match = re.search(r"\d{4}-\d{6}", receipt["text"])
    assert match is not None
    return match.group(0)
