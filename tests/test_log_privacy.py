"""No personal data in any log line: updates of kinds the bot does not know or does not
handle, edited messages, updates that fail, SQL errors and undeliverable rows are logged by
kind and id only, never with what people wrote (IIN, phone, name)."""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.types import Update
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.app import create_application
from bot.domain import appeals
from bot.logging_setup import DATA_LOGGERS, quiet_libraries
from bot.telegram.outbox import queue_call
from bot.telegram.uow import describe
from models import InboxUpdate, OutboxMessage, User
from models.db import make_sessionmaker
from tests.support.harness import OPERATOR_CHAT, TEST_TOKEN, Harness, make_settings
from tests.support.recording import RecordingSession

IIN = "900101300017"
PHONE = "+77011112233"
NAME = "Жұмабаева"
SECRETS = (IIN, PHONE, NAME, "7011112233")
OWNER = 4242
_ids = itertools.count(10_000)


def person() -> dict[str, Any]:
    return {"id": OWNER, "is_bot": False, "first_name": "Асель", "last_name": NAME}


def private_message(text: str) -> dict[str, Any]:
    return {
        "message_id": next(_ids),
        "date": int(datetime.now(UTC).timestamp()),
        "chat": {"id": OWNER, "type": "private", "first_name": "Асель", "last_name": NAME},
        "from": person(),
        "text": text,
    }


CONTENT = f"{NAME} Асель, ИИН {IIN}, тел. {PHONE}"


def updates() -> list[dict[str, Any]]:
    """Kinds nobody handles, one aiogram does not know, one it cannot read, an edit."""
    poll = {
        "id": "p1",
        "question": CONTENT,
        "options": [{"persistent_id": "o1", "text": PHONE, "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    return [
        {"future_kind": {"from": person(), "text": CONTENT, "phone": PHONE}},
        {"poll": poll},
        {"poll": {"id": "p2", "question": CONTENT}},  # unreadable: fields missing
        {"business_message": {**private_message(CONTENT), "business_connection_id": "b1"}},
        {"edited_message": {**private_message(CONTENT), "edit_date": 1}},
        {
            "chat_join_request": {
                "chat": {"id": OPERATOR_CHAT, "type": "supergroup", "title": "Операторы"},
                "from": person(),
                "user_chat_id": OWNER,
                "date": 0,
                "bio": CONTENT,
            }
        },
        {
            "message": {
                **private_message(CONTENT),
                "contact": {"phone_number": PHONE, "first_name": NAME, "user_id": OWNER},
            }
        },
    ]


def _update(message: dict[str, Any]) -> Update:
    return Update.model_validate({"update_id": next(_ids), "message": message})


def leaks(records: list[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(record) for record in records]
    return [line for line in lines if any(secret in line for secret in SECRETS)]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything at DEBUG as LOG_LEVEL=DEBUG sets it up (aiogram's loggers included; the
    database drivers' kept at WARNING), and Python's warnings."""
    names = ("aiogram", "alembic", *DATA_LOGGERS)
    levels = {name: logging.getLogger(name).level for name in names}
    caplog.set_level(logging.DEBUG)
    quiet_libraries("DEBUG")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    shown = [str(w.message) for w in caught if any(s in str(w.message) for s in SECRETS)]
    assert not shown


async def test_updates_nobody_handles_are_logged_by_kind_and_sender_only(
    harness: Harness, logs: pytest.LogCaptureFixture
) -> None:
    for body in updates():
        await harness.app.handle_now({"update_id": next(_ids), **body})
    assert not leaks(logs.records)
    said = [record.getMessage() for record in logs.records]
    assert any("future_kind" in line and str(OWNER) in line for line in said)
    async with harness.app.sessionmaker() as session:
        states = set(await session.scalars(select(InboxUpdate.state)))
    assert states <= {"done", "failed"}


@pytest.fixture
async def fragile(tmp_path: Path) -> AsyncIterator[Harness]:
    """The application with one attempt per update, so a failure is final at once."""
    settings = make_settings(tmp_path, UPDATE_MAX_ATTEMPTS=1)
    session = RecordingSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    app = await create_application(settings, migrate=False, bot=bot)
    yield Harness(app, session)
    await app.close()


async def test_a_failing_update_and_its_sql_error_are_logged_without_content(
    fragile: Harness, logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def breaks(session: AsyncSession, owner: int, page: int) -> Any:
        # A statement that fails with the person's data among its parameters.
        values = {"id": owner, "full_name": NAME, "iin_bin": IIN, "phone": PHONE}
        await session.execute(insert(User).values(**values))
        await session.execute(insert(User).values(**values))

    monkeypatch.setattr(appeals, "owner_page", breaks)
    calls = await fragile.feed(_update(private_message(f"/my {CONTENT}")))
    assert any("Бірдеңе дұрыс болмады" in (getattr(c, "text", "") or "") for c in calls)
    assert [r for r in logs.records if "failed" in r.getMessage()]
    assert not leaks(logs.records)


async def test_an_integrity_errors_log_line_holds_no_parameter(
    engine: AsyncEngine, logs: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("bot.test")
    sessionmaker = make_sessionmaker(engine)
    values = {"id": OWNER, "full_name": NAME, "iin_bin": IIN, "phone": PHONE}
    async with sessionmaker() as session:
        await session.execute(insert(User).values(**values))
        with pytest.raises(IntegrityError) as raised:
            await session.execute(insert(User).values(**values))
        try:
            raise raised.value
        except IntegrityError as error:
            log.exception("storing failed: %s", describe(error))
    assert "parameters hidden" in str(raised.value)
    assert [r for r in logs.records if r.name == "bot.test"]
    assert not leaks(logs.records)


async def test_an_unusable_outbox_row_is_logged_without_its_payload(
    harness: Harness, logs: pytest.LogCaptureFixture
) -> None:
    async with harness.app.sessionmaker.begin() as session:
        await queue_call(
            session,
            chat_id=OWNER,
            method="sendMessage",
            params={"text": [CONTENT], "parse_mode": "HTML"},  # not a string
            kind="status",
            now=datetime.now(UTC),
        )
    await harness.app.sender.run_once()
    async with harness.app.sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == OWNER))
    assert row is not None and row.state == "failed"
    assert row.last_error is not None and "text" in row.last_error
    assert not any(secret in row.last_error for secret in SECRETS)  # /failed shows it
    assert not leaks(logs.records)
