"""Migration 0008 on an SQLite file that holds appeals: rebuilding `appeals` (SQLite alters a
table by copying it) must not take the rows that refer to it along (ON DELETE CASCADE fires
on the DROP while foreign keys are enforced), and every hearing becomes a one-item session."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.migrate import upgrade_to_head
from models.db import make_engine

T = "'2026-11-20 05:00:00.000000'"
ROWS = [
    f"INSERT INTO users (id, language, blocked, created_at, updated_at) "
    f"VALUES (7001, 'kk', 0, {T}, {T})",
    "INSERT INTO appeals (id, number, user_id, applicant_name, applicant_kind, "
    "applicant_iin_bin, applicant_phone, appeal_type, category, locality, body, description, "
    "confidential, status, registered_at, due_at, created_at, updated_at, version) VALUES "
    "(1, '2026-000001', 7001, 'Асель', 'ip', '850315400124', '+77011234567', 'complaint', "
    f"'permits', 'Өскемен', 'Әкімдік', 'Рұқсат бермейді', 0, 'hearing_scheduled', {T}, {T}, "
    f"{T}, {T}, 3)",
    "INSERT INTO appeal_events (id, appeal_id, kind, actor_kind, from_status, to_status, "
    f"created_at) VALUES (1, 1, 'status', 'staff', 'registered', 'in_review', {T}), "
    f"(2, 1, 'status', 'staff', 'in_review', 'hearing_scheduled', {T})",
    "INSERT INTO attachments (id, appeal_id, event_id, file_id, file_unique_id, kind, "
    f"position, created_at) VALUES (1, 1, 1, 'F1', 'U1', 'photo', 0, {T})",
    "INSERT INTO relayed_messages (id, appeal_id, direction, created_at) "
    f"VALUES (1, 1, 'to_owner', {T})",
    "INSERT INTO hearings (id, appeal_id, starts_at, place, notes, state, owner_answer, "
    "created_at, updated_at) VALUES (1, 1, '2026-12-10 10:00:00.000000', 'Каб. 4', "
    f"'паспорт', 'scheduled', 'will_come', {T}, {T})",
    "INSERT INTO outbox (id, chat_id, kind, method, payload, due_at, attempts, state, "
    f"appeal_id, created_at) VALUES (1, 7001, 'hearing', 'sendMessage', '{{}}', {T}, 0, "
    f"'sent', 1, {T})",
]
COUNTED = ("appeals", "appeal_events", "attachments", "relayed_messages", "hearings")


async def test_0008_keeps_every_row_and_makes_each_hearing_a_session(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'adal.db'}")  # foreign keys on
    try:
        await upgrade_to_head(engine, revision="0007")
        async with engine.begin() as connection:
            for statement in ROWS:
                await connection.execute(text(statement))
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            counts = {
                table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                for table in COUNTED
            }
            assert counts == dict.fromkeys(COUNTED, 1) | {"appeal_events": 2}
            assert (await connection.execute(text("SELECT appeal_id FROM outbox"))).scalar() == 1
            hearing = (
                await connection.execute(
                    text(
                        "SELECT h.session_id, h.position, h.owner_answer, s.place, s.state, "
                        "s.revision, s.starts_at FROM hearings h "
                        "JOIN office_sessions s ON s.id = h.session_id"
                    )
                )
            ).one()
            assert tuple(hearing)[1:6] == (1, "will_come", "Каб. 4", "scheduled", 1)
            assert str(hearing.starts_at).startswith("2026-12-10 10:00")
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            violations = (await connection.execute(text("PRAGMA foreign_key_check"))).all()
            assert violations == []
    finally:
        await engine.dispose()
