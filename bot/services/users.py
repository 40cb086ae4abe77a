"""People who write to the bot: rows, language."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def ensure_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id)
        session.add(user)
        await session.flush()
    return user


async def set_language(session: AsyncSession, user_id: int, language: str) -> User:
    user = await ensure_user(session, user_id)
    user.language = language
    user.blocked = False
    return user
