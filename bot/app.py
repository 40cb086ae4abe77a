"""Composition root: builds the Bot, Dispatcher, storage and database; nothing global."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.strategy import FSMStrategy
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import file_offset_clock
from bot.commands import register_commands
from bot.config import Settings
from bot.i18n import I18n
from bot.middlewares.commit import install_request_middlewares
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.flood import FloodMiddleware
from bot.middlewares.inflight import InFlightMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.migrate import upgrade_to_head
from bot.services.calendar import calendar_from_settings
from bot.services.casework import CaseWork
from bot.services.hearings import Hearings
from bot.services.relay import Relay
from bot.services.staff import StaffDirectory
from bot.services.topics import TopicService
from bot.storage import SQLAlchemyStorage
from handlers import build_router
from models import utcnow
from models.db import make_engine, make_sessionmaker

log = logging.getLogger("bot")
SHUTDOWN_GRACE_SECONDS = 20.0


def build_bot(settings: Settings) -> Bot:
    session = None
    if settings.BOT_API_URL:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.BOT_API_URL))
    bot = Bot(
        settings.BOT_TOKEN.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    install_request_middlewares(bot)
    return bot


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    i18n: I18n,
    events_isolation: BaseEventIsolation | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Dispatcher:
    calendar = calendar_from_settings(settings)
    directory = StaffDirectory(settings.OPERATOR_CHAT_ID)
    topics = TopicService(settings.OPERATOR_CHAT_ID, i18n, settings.STAFF_LANGUAGE, calendar, clock)
    dispatcher = Dispatcher(
        storage=SQLAlchemyStorage(sessionmaker),
        # One lock per chat, user and forum topic: two updates of one person never interleave,
        # and a staff member can be asked for input in two appeals' topics at once.
        events_isolation=events_isolation or SimpleEventIsolation(),
        fsm_strategy=FSMStrategy.USER_IN_TOPIC,
        settings=settings,
        sessionmaker=sessionmaker,
        i18n=i18n,
        staff_t=i18n.translator(settings.STAFF_LANGUAGE),
        calendar=calendar,
        # Every "now" of the handlers comes from here, so tests can move time.
        clock=clock,
        topics=topics,
        relay=Relay(topics, i18n),
        casework=CaseWork(i18n, calendar),
        hearings=Hearings(i18n, calendar),
        staff_directory=directory,
    )
    inflight = InFlightMiddleware()
    dispatcher["inflight"] = inflight
    dispatcher.update.outer_middleware(inflight)
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    locale = LocaleMiddleware(i18n)
    dispatcher.message.outer_middleware(locale)
    dispatcher.edited_message.outer_middleware(locale)
    dispatcher.callback_query.outer_middleware(locale)
    flood = FloodMiddleware(settings.FLOOD_MESSAGES_PER_MINUTE)
    dispatcher["flood"] = flood
    dispatcher.message.outer_middleware(flood)
    dispatcher.callback_query.outer_middleware(flood)
    dispatcher.include_router(build_router(i18n, settings.OPERATOR_CHAT_ID, directory))
    return dispatcher


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot
    dispatcher: Dispatcher

    async def on_startup(self, bot: Bot) -> None:
        await register_commands(bot, self.dispatcher["i18n"])
        me = await bot.me()
        log.info(
            "started @%s: long polling %s, database %s, operator chat %s",
            me.username,
            self.settings.BOT_API_URL or "api.telegram.org",
            self.engine.url.render_as_string(hide_password=True),
            self.settings.OPERATOR_CHAT_ID,
        )

    async def on_shutdown(self) -> None:
        inflight: InFlightMiddleware = self.dispatcher["inflight"]
        if not await inflight.wait_idle(SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with %d update(s) still in progress", inflight.count)

    async def polling(self, *, handle_signals: bool = True) -> None:
        """Long polling until stopped (a signal, or dispatcher.stop_polling())."""
        try:
            await self.dispatcher.start_polling(
                self.bot, handle_signals=handle_signals, close_bot_session=True
            )
        finally:
            await self.engine.dispose()
            log.info("stopped")


async def create_application(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> Application:
    engine = make_engine(settings.DATABASE_URL)
    await upgrade_to_head(engine)
    sessionmaker = make_sessionmaker(engine)
    i18n = I18n(settings.DEFAULT_LANGUAGE)
    dispatcher = build_dispatcher(settings, sessionmaker, i18n, clock=clock)
    app = Application(settings, engine, sessionmaker, build_bot(settings), dispatcher)
    dispatcher.startup.register(app.on_startup)
    dispatcher.shutdown.register(app.on_shutdown)
    return app


async def run_polling(settings: Settings) -> None:
    clock = file_offset_clock(settings.SANDBOX_CLOCK_FILE) if settings.SANDBOX_CLOCK_FILE else utcnow
    app = await create_application(settings, clock=clock)
    await app.polling()
