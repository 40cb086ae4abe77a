"""Page objects for tests against the emulator: what the owner's private chat and the operator
group show, and pressing their buttons by meaning (a catalog text), never by callback data.

- :func:`buttons` flattens a message's inline keyboard to ``(text, data)`` pairs;
  :func:`button` is the data of the one with a given text.
- :class:`OwnerChat`: one owner's chat in their language: send, read, ``press(key_or_text)``.
- :class:`Group`: the operator group as one staff member sees it; :class:`StaffCard`: an
  appeal's card there, ``press(action)`` by the staff button's catalog text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Row, select

from bot.app import Application
from bot.i18n import Translator
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.texts import catalogs, piece, plain
from models import Appeal, AppealEvent
from tests.e2e.harness import ChatDriver
from tests.support import database
from tests.support.keyboard import button, buttons
from tests.support.live import eventually

Entry = dict[str, Any]
I18N = catalogs()
TIMEOUT = 15.0


def label(t: Translator, key_or_text: str) -> str:
    """A button's text: the catalog's for a key, else the text itself."""
    return t(key_or_text) if key_or_text in t.i18n.catalogs[t.language] else key_or_text


def rows(app: Application, statement: Executable) -> list[Row[Any]]:
    """A select on the application's database (SQLite or PostgreSQL), from sync code too."""
    return list(database.fetch_all(app.settings.DATABASE_URL, statement))


def status_of(app: Application, number: str) -> str | None:
    found = rows(app, select(Appeal.status).where(Appeal.number == number))
    return found[0][0] if found else None


def statuses(app: Application, number: str) -> list[tuple[str | None, str | None]]:
    """The appeal's status events, oldest first, as (from, to)."""
    return [
        (row.from_status, row.to_status)
        for row in rows(
            app,
            select(AppealEvent.from_status, AppealEvent.to_status)
            .join(Appeal, Appeal.id == AppealEvent.appeal_id)
            .where(Appeal.number == number, AppealEvent.kind == "status")
            .order_by(AppealEvent.id),
        )
    ]


async def wait_status(app: Application, number: str, status: str) -> None:
    await eventually(lambda: status_of(app, number) == status)


class OwnerChat(ChatDriver):
    """An owner's private chat, in the owner's language."""

    def __init__(self, emu: BotAPIEmulator, user_id: int, language: str) -> None:
        super().__init__(emu, user_id, TIMEOUT)
        self.t = I18N.translator(language)

    def text(self, key: str, /, **values: Any) -> str:
        return plain(self.t(key, **values))

    def last(self) -> Entry:
        """The bot's newest message in the chat."""
        mine = [e for e in self.emu.transcript(self.user_id) if e["from_bot"]]
        assert mine, "the bot has said nothing here"
        return mine[-1]

    def saw(self, needle: str) -> bool:
        """Whether any message of the chat (the bot's or the owner's) contains ``needle``."""
        return any(
            needle in (e["text"] or e["caption"] or "") for e in self.emu.transcript(self.user_id)
        )

    async def notice(self, key: str, after: int) -> Entry:
        """The bot's message of catalog ``key`` (its longest fixed piece), newer than ``after``."""
        return await self.expect(fragment(self.t, key), after)

    async def send(
        self, text: str, expect: str | None = None, reply_to: int | None = None
    ) -> Entry:
        after = self.last_id()
        sent = self.emu.send_text(self.user_id, text, reply_to=reply_to)
        return sent if expect is None else await self.expect(expect, after)

    async def send_contact(self, phone: str, expect: str) -> Entry:
        return await self.act(lambda: self.emu.send_contact(self.user_id, phone), expect)

    async def send_file(self, expect: str, caption: str | None = None) -> Entry:
        return await self.act(lambda: self.emu.send_photo(self.user_id, caption=caption), expect)

    def _find(self, text: str, message: Entry | None) -> tuple[int, str]:
        if message is not None:
            return message["message_id"], button(message, text)
        for entry in reversed(self.emu.transcript(self.user_id)):
            for label_, data in buttons(entry):
                if label_ == text:
                    return entry["message_id"], data
        raise AssertionError(f"no button {text!r} in the chat")

    async def press(self, key_or_text: str, expect: str, *, message: Entry | None = None) -> Entry:
        """Press the newest button reading ``key_or_text`` (or the one on ``message``)."""
        message_id, data = self._find(label(self.t, key_or_text), message)
        return await self.act(
            lambda: self.emu.press_button(self.user_id, self.user_id, message_id, data), expect
        )

    async def press_for_answer(
        self, key_or_text: str, *, message: Entry | None = None
    ) -> dict[str, Any]:
        """Press and return the callback answer (the small pop-up), for refusals."""
        message_id, data = self._find(label(self.t, key_or_text), message)
        query = self.emu.press_button(self.user_id, self.user_id, message_id, data)
        return await self.emu.wait_for_callback_answer(query, timeout=self.timeout)


def fragment(t: Translator, key: str) -> str:
    """A plain-text piece of a catalog string that a message must contain."""
    return piece(t(key))


class Group:
    """The operator group as one staff member sees it (in the staff language)."""

    def __init__(self, emu: BotAPIEmulator, chat_id: int, staff: int, language: str = "ru") -> None:
        self.emu = emu
        self.chat_id = chat_id
        self.staff = staff
        self.t = I18N.translator(language)

    def text(self, key: str, /, **values: Any) -> str:
        return plain(self.t(key, **values))

    async def card(self, number: str, after: int = 0) -> Entry:
        """The appeal's card (the newest one after `after`), waiting for it to be posted."""
        title = self.text("staff.card.title", number=number)

        def is_card(entry: Entry) -> bool:
            return title in (entry["text"] or "") and bool(entry["buttons"])

        return await self.emu.wait_for_message(
            self.chat_id, is_card, after_message_id=after, timeout=TIMEOUT
        )

    async def staff_card(self, number: str, after: int = 0) -> StaffCard:
        return StaffCard(self, await self.card(number, after))

    def current_card(self, card: Entry) -> Entry:
        """The card as it reads now (cards are edited in place)."""
        for entry in self.emu.transcript(self.chat_id):
            if entry["message_id"] == card["message_id"]:
                return entry
        raise AssertionError("card is gone")

    def topic(self, thread: int | None) -> dict[str, Any]:
        return next(t for t in self.emu.topics(self.chat_id) if t["thread_id"] == thread)

    def last_id(self, thread: int | None = None) -> int:
        entries = self.emu.transcript(self.chat_id, thread)
        return entries[-1]["message_id"] if entries else 0

    async def expect(self, needle: str, thread: int | None, after: int) -> Entry:
        return await self.emu.wait_for_message(
            self.chat_id,
            lambda e: needle in (e["text"] or e["caption"] or ""),
            thread_id=thread,
            after_message_id=after,
            timeout=TIMEOUT,
        )

    async def say(
        self, text: str, thread: int | None, expect: str | None = None, reply_to: int | None = None
    ) -> Entry:
        after = self.last_id(thread)
        sent = self.emu.send_text(
            self.staff, text, chat_id=self.chat_id, thread_id=thread, reply_to=reply_to
        )
        if expect is not None:
            return await self.expect(expect, thread, after)
        return sent

    async def press(self, card: Entry, action: str, user: int | None = None) -> str:
        """Press the card's button for `action` (its catalog text), once the card (edited in
        place) offers it; return the callback query's id."""
        text = self.t(f"staff.button.{action}")

        def offered() -> str | None:
            found = [d for label_, d in buttons(self.current_card(card)) if label_ == text]
            return found[0] if found else None

        data = await eventually(offered)
        return self.emu.press_button(user or self.staff, self.chat_id, card["message_id"], data)

    async def reaction_on(self, message_id: int) -> Any:
        def reacted() -> Any:
            for entry in self.emu.transcript(self.chat_id):
                if entry["message_id"] == message_id and entry["reaction"]:
                    return entry["reaction"]
            return None

        return await eventually(reacted, TIMEOUT)


async def staff_step(group: Group, card: Entry, action: str, text: str | None, expect: str) -> None:
    """Press a card button; when it asks for a text, write it; wait for the confirmation."""
    thread = card["message_thread_id"]
    after = group.last_id(thread)
    await group.press(group.current_card(card), action)
    if text is not None:
        await group.emu.wait_for_message(group.chat_id, thread_id=thread, after_message_id=after)
        after = group.last_id(thread)
        await group.say(text, thread)
    if expect:
        await group.expect(expect, thread, after)


class StaffCard:
    """An appeal's card in the operator group, as it reads now, and its topic (or thread)."""

    def __init__(self, group: Group, entry: Entry) -> None:
        self.group = group
        self.entry = entry
        self.message_id: int = entry["message_id"]
        self.thread: int | None = entry["message_thread_id"]

    @property
    def current(self) -> Entry:
        return self.group.current_card(self.entry)

    @property
    def text(self) -> str:
        return self.current["text"] or ""

    def buttons(self) -> list[str]:
        """The texts of the card's buttons."""
        return [label_ for label_, _ in buttons(self.current)]

    def topic(self) -> dict[str, Any]:
        return self.group.topic(self.thread)

    def last_id(self) -> int:
        return self.group.last_id(self.thread)

    async def press(self, action: str, user: int | None = None) -> str:
        """Press the button for ``action`` (by its catalog text); the callback query's id."""
        return await self.group.press(self.entry, action, user)

    async def act(self, action: str, text: str | None = None, expect: str = "→") -> None:
        """Press ``action``; when it asks for a text, write ``text``; wait for ``expect``."""
        await staff_step(self.group, self.entry, action, text, expect)

    async def say(self, text: str, expect: str | None = None) -> Entry:
        return await self.group.say(text, self.thread, expect)

    async def expect(self, needle: str, after: int = 0) -> Entry:
        return await self.group.expect(needle, self.thread, after)

    async def expect_one_of(self, *needles: str, after: int = 0) -> Entry:
        return await self.group.emu.wait_for_message(
            self.group.chat_id,
            lambda e: any(n in (e["text"] or e["caption"] or "") for n in needles),
            thread_id=self.thread,
            after_message_id=after,
            timeout=TIMEOUT,
        )

    async def answer(self, outcome: str, text: str) -> None:
        """Press Answered, choose the outcome (by its text), write the answer to the owner."""
        after = self.last_id()
        await self.press("answered")
        asked = await self.expect(self.group.text("staff.ask.answered"), after)
        outcome_text = self.group.t(f"staff.button.{outcome}")
        data = button(asked, outcome_text)
        self.group.emu.press_button(self.group.staff, self.group.chat_id, asked["message_id"], data)
        await self.expect(fragment(self.group.t, "staff.ask.answered_text"), asked["message_id"])
        await self.say(text, expect=self.group.text("status.answered"))


async def owner_withdraws(emu: BotAPIEmulator, user: int, language: str, number: str) -> None:
    """The owner withdraws the appeal: /my, open it, Withdraw, Yes."""
    owner = OwnerChat(emu, user, language)
    after = owner.last_id()
    emu.send_text(user, "/my")
    # The list itself (a notice about the appeal may arrive meanwhile and name it too).
    listing = await emu.wait_for_message(
        user,
        lambda e: any(text == number for text, _ in buttons(e)),
        after_message_id=after,
        timeout=owner.timeout,
    )
    opened = await owner.press(number, fragment(owner.t, "my.card.history"), message=listing)
    await owner.press("my.card.withdraw", fragment(owner.t, "my.withdraw.confirm"), message=opened)
    await owner.press("my.withdraw.yes", fragment(owner.t, "my.withdraw.done"))
