"""End to end, in Kazakh and Russian at once: an owner files an appeal with photos and an
album, the bot is killed and restarted in the middle, then the owner uses "My appeals"."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import func, select

from bot.i18n import I18n
from bot.sandbox.emulator import BotAPIEmulator
from models import Appeal, AppealEvent, Attachment
from tests.e2e.harness import BotProcess, ChatDriver
from tests.support import database
from tests.support.keyboard import data_of

I18N = I18n("kk")
VALID_BIN = "940140000385"
WRONG_BIN = "940140000386"
PDF = b"%PDF-1.4\n% test document\n"


def frag(language: str, key: str) -> str:
    """A plain-text piece of a catalog string that the bot's message must contain."""
    text = re.sub(r"<[^>]+>", "", I18N.get(language, key))
    piece = text.split("{")[0].split("\n")[0].strip()
    return piece[:40]


class Journey:
    def __init__(self, emu: BotAPIEmulator, language: str) -> None:
        self.emu = emu
        self.lang = language
        self.user = emu.add_user("Асель" if language == "kk" else "Ольга", language_code=language)
        self.chat = ChatDriver(emu, self.user)

    def f(self, key: str) -> str:
        return frag(self.lang, key)

    async def first_half(self) -> None:
        chat = self.chat
        await chat.say("/start", "Тілді таңдаңыз")
        await chat.press(f"lang:{self.lang}", self.f("start.welcome"))
        await chat.say("/new", self.f("form.consent.question"))
        await chat.press("f:consent:agree", self.f("form.full_name.question"))
        # a sticker where text is expected: hint, and the same question again
        await chat.act(lambda: self.emu.send_sticker(self.user), self.f("hint.text"))
        await chat.expect(self.f("form.full_name.question"), chat.last_id() - 2)
        await chat.say("Жұмабаева Асель Маратқызы", self.f("form.applicant_kind.question"))
        await chat.say("ТОО", self.f("hint.buttons"))  # text where a button is expected
        await chat.press("f:applicant_kind:le", self.f("form.iin_bin.question_le"))
        await chat.say(WRONG_BIN, self.f("form.iin_bin.invalid_checksum"))
        await chat.say(VALID_BIN, self.f("form.company.question"))
        await chat.say("ТОО «Алтай Агро»", self.f("form.phone.question"))
        await chat.act(
            lambda: self.emu.send_contact(self.user, "77051234567"),
            self.f("form.appeal_type.question"),
        )
        await chat.press("f:appeal_type:complaint", self.f("form.category.question"))
        await chat.press("f:category:permits", self.f("form.locality.question"))
        await chat.press("f:locality:other", self.f("form.locality.other_question"))
        await chat.say("с. Ақсуат", self.f("form.body.question"))
        # Back from the body step returns to the free-text locality
        await chat.press("f:body:back", self.f("form.locality.other_question"))
        await chat.say("с. Бурабай", self.f("form.body.question"))
        await chat.say(
            "ГУ «Отдел архитектуры», специалист Петров", self.f("form.description.question")
        )

    async def second_half(self) -> None:
        chat = self.chat
        await chat.say(
            "Третий месяц не выдают разрешение на реконструкцию цеха, намекают на «благодарность».",
            self.f("form.attachments.question"),
        )
        await chat.act(lambda: self.emu.send_photo(self.user), "1")
        await chat.act(lambda: self.emu.send_photo(self.user), "2")
        album: list[dict[str, Any] | bytes] = [
            {
                "type": "document",
                "file_name": f"{name}.pdf",
                "data": PDF,
                "mime_type": "application/pdf",
            }
            for name in ("akt", "predpisanie", "zayavka")
        ]
        after = chat.last_id()
        self.emu.send_album(self.user, album)

        def counted_five(entry: dict) -> bool:  # the album's status message, edited in place
            return "5" in (entry["text"] or "")

        await self.emu.wait_for_message(self.user, counted_five, after_message_id=after, timeout=45)
        await chat.press("f:attachments:done", self.f("form.confidentiality.question"))
        summary = await chat.press("f:confidentiality:keep", self.f("form.summary.title"))
        assert "с. Бурабай" in summary["text"] and VALID_BIN in summary["text"]
        await chat.press("f:summary:edit-body", self.f("form.body.question"))
        summary = await chat.say("Акимат района, отдел архитектуры", self.f("form.summary.title"))
        assert "Акимат района" in summary["text"]
        receipt = await chat.press("f:summary:submit", self.f("form.receipt.text"))
        number = re.search(r"\d{4}-\d{6}", receipt["text"])
        assert number, receipt["text"]
        self.number = number.group(0)
        # a button of an old question is stale now
        answer = await chat.press_answer("f:body:cancel")
        assert answer["text"] == I18N.get(self.lang, "hint.stale")

    async def my_appeals(self) -> None:
        chat = self.chat
        listing = await chat.say("/my", self.number)
        open_data = data_of(listing, label=self.number)
        card = await chat.press(open_data, self.f("my.card.history"))
        assert I18N.get(self.lang, "status.registered") in card["text"]
        add = data_of(card, prefix="my:add:")
        await chat.press(add, self.number)
        await chat.say(
            "Дополнение: вчера снова отказали устно.", self.f("my.add.done").strip("✅ ")
        )
        after = chat.last_id()
        self.emu.send_document(self.user, "otkaz.pdf", PDF, "application/pdf")
        await chat.expect(self.number, after)
        done = add.replace(":add:", ":done:")
        await chat.press(done, self.number)
        withdraw = add.replace(":add:", ":withdraw:")
        await chat.press(withdraw, self.number)
        confirm = add.replace(":add:", ":confirm:")
        await chat.press(confirm, self.number)


async def test_owner_journey_in_both_languages_with_restart(
    emu: BotAPIEmulator, bot_process: BotProcess
) -> None:
    journeys = [Journey(emu, "kk"), Journey(emu, "ru")]
    await asyncio.gather(*(j.first_half() for j in journeys))

    await bot_process.kill()
    await bot_process.start()

    await asyncio.gather(*(j.second_half() for j in journeys))
    await asyncio.gather(*(j.my_appeals() for j in journeys))

    url = bot_process.env["DATABASE_URL"]
    for journey in journeys:
        rows = database.fetch_all(
            url,
            select(
                Appeal.id,
                Appeal.status,
                Appeal.locality,
                Appeal.body,
                Appeal.applicant_iin_bin,
                Appeal.confidential,
            ).where(Appeal.user_id == journey.user),
        )
        assert len(rows) == 1
        appeal_id, status, locality, body, bin_, confidential = tuple(rows[0])
        assert (status, locality, bin_, confidential) == (
            "withdrawn",
            "с. Бурабай",
            VALID_BIN,
            True,
        )
        assert body == "Акимат района, отдел архитектуры"
        kinds = database.fetch_all(
            url,
            select(Attachment.kind, Attachment.file_name)
            .where(Attachment.appeal_id == appeal_id, Attachment.event_id.is_(None))
            .order_by(Attachment.position),
        )
        pairs = [tuple(row) for row in kinds]
        assert [k for k, _ in pairs] == ["photo", "photo", "document", "document", "document"]
        assert sorted(n for _, n in pairs if n) == ["akt.pdf", "predpisanie.pdf", "zayavka.pdf"]
        added = database.fetch_all(
            url,
            select(func.count()).where(
                AppealEvent.appeal_id == appeal_id, AppealEvent.kind == "info_added"
            ),
        )
        assert added[0][0] == 2
    assert "Traceback" not in bot_process.log()
