"""Filing an appeal through the emulator as an owner would, for tests that need one."""

from __future__ import annotations

import itertools
import re

from bot.domain import form
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.texts import catalogs, frag
from tests.e2e.harness import ChatDriver

I18N = catalogs()
# The owner answers every step as the form's sample entrepreneur (bot/domain/form.py).
ANSWERS = form.example_answers()
__all__ = ["ANSWERS", "I18N", "file_appeal", "frag"]


async def file_appeal(
    emu: BotAPIEmulator, user: int, language: str, *, photos: int = 1, returning: bool = False
) -> str:
    """Go through the whole dialogue, step by step in the form's order; return the receipt
    number."""
    chat = ChatDriver(emu, user)

    def f(key: str) -> str:
        return frag(language, key)

    if not returning:
        await chat.say("/start", "Тілді таңдаңыз")
        await chat.press(f"lang:{language}", f("start.welcome"))
    facts = form.Facts(answers=ANSWERS, consented=returning, has_profile=returning)
    path = form.path(facts)
    await chat.say("/new", f(form.question_key(path[0], facts)))
    for name, following in itertools.pairwise(path):
        step = form.step(name)
        expect = f(form.question_key(following, facts))
        if step.kind == "files":
            for _ in range(photos):
                await chat.act(lambda: emu.send_photo(user), f("form.attachments.received"))
        if step.options:
            await chat.press(f"f:{name}:{ANSWERS.get(name, step.options[0])}", expect)
        else:
            await chat.say(ANSWERS.get(name) or step.example, expect)
    receipt = await chat.press("f:summary:submit", f("form.receipt.text"))
    match = re.search(r"\d{4}-\d{6}", receipt["text"])
    assert match is not None
    return match.group(0)
