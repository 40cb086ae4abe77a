"""People who write to the bot: rows, language."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from models import User, utcnow
from models.db import insert_for

# Built once: every update reads its sender's row (session.get builds its query each time).
USER = select(User).where(User.id == bindparam("id"))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    known = session.identity_map.get(identity_key(User, user_id))
    if isinstance(known, User):
        return known
    return await session.scalar(USER, {"id": user_id})


async def ensure_user(session: AsyncSession, user_id: int) -> User:
    user = await get_user(session, user_id)
    if user is None:
        # INSERT ... ON CONFLICT DO NOTHING: a row made meanwhile elsewhere is no error.
        now = utcnow()
        await session.execute(
            insert_for(session)(User)
            .values(id=user_id, blocked=False, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        user = await session.get(User, user_id)
        assert user is not None
    return user


async def set_language(session: AsyncSession, user_id: int, language: str) -> User:
    user = await ensure_user(session, user_id)
    user.language = language
    user.blocked = False
    return user
