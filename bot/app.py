"""Composition root: builds the Bot, Dispatcher, storage and database; nothing global."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.strategy import FSMStrategy
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
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
from bot.scheduler import Jobs, build_scheduler
from bot.services.bell import OutboxBell
from bot.services.calendar import calendar_from_settings
from bot.services.casework import CaseWork
from bot.services.delivery import DeliveryWorker
from bot.services.hearings import Hearings
from bot.services.outbox import enqueue
from bot.services.ratelimit import Limits, RateLimiter
from bot.services.relay import Relay
from bot.services.staff import StaffDirectory
from bot.services.topics import TopicService
from bot.storage import SQLAlchemyStorage
from handlers import build_router
from models import Appeal, OutboxMessage, utcnow
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
    bell = OutboxBell()
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
        casework=CaseWork(i18n, calendar, settings.AUTO_CLOSE_DAYS),
        hearings=Hearings(i18n, calendar, settings.REMINDER_OFFSETS_HOURS),
        staff_directory=directory,
        outbox_bell=bell,
    )
    inflight = InFlightMiddleware()
    dispatcher["inflight"] = inflight
    dispatcher.update.outer_middleware(inflight)
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker, bell))
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
    delivery: DeliveryWorker
    jobs: Jobs
    scheduler: AsyncIOScheduler

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
        self.delivery.start()
        self.scheduler.start()
        asyncio.create_task(self.publish_pending())  # noqa: RUF006 (best effort, logged)

    async def publish_pending(self) -> None:
        """Cards that could not be posted when their appeal arrived (Telegram was down)."""
        topics: TopicService = self.dispatcher["topics"]
        async with self.sessionmaker() as session:
            pending = (
                await session.scalars(select(Appeal).where(Appeal.card_message_id.is_(None)))
            ).all()
            for appeal in pending:
                try:
                    await topics.publish(self.bot, session, appeal)
                except TelegramAPIError as error:
                    log.warning("card of %s still not posted: %s", appeal.number, error)
                    return

    async def on_shutdown(self) -> None:
        inflight: InFlightMiddleware = self.dispatcher["inflight"]
        if not await inflight.wait_idle(SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with %d update(s) still in progress", inflight.count)
        # APScheduler cancels a running job at shutdown: let the current run finish first.
        self.scheduler.pause()
        await self.jobs.wait_idle()
        self.scheduler.shutdown(wait=False)
        await self.delivery.stop()

    async def polling(self, *, handle_signals: bool = True) -> None:
        """Long polling until stopped (a signal, or dispatcher.stop_polling())."""
        try:
            await self.dispatcher.start_polling(
                self.bot, handle_signals=handle_signals, close_bot_session=True
            )
        finally:
            await self.engine.dispose()
            log.info("stopped")


def build_delivery(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    clock: Callable[[], datetime],
) -> DeliveryWorker:
    topics: TopicService = dispatcher["topics"]
    staff_t = dispatcher["staff_t"]

    async def on_blocked(session: AsyncSession, row: OutboxMessage) -> None:
        appeal = await session.get(Appeal, row.appeal_id) if row.appeal_id else None
        if appeal is not None:
            await enqueue(
                session,
                chat_id=topics.chat_id,
                thread_id=appeal.topic_id,
                appeal_id=appeal.id,
                kind="staff_note",
                text=staff_t("staff.owner_blocked", number=appeal.number),
                now=clock(),
            )

    async def on_thread_missing(session: AsyncSession, row: OutboxMessage) -> int | None:
        appeal = await session.get(Appeal, row.appeal_id) if row.appeal_id else None
        if appeal is None:
            return None
        appeal.card_message_id = None
        await topics.publish(bot, session, appeal)
        return appeal.topic_id

    settings: Settings = dispatcher["settings"]
    limits = Limits(
        total_per_s=settings.RATE_TOTAL_PER_SECOND,
        private_per_s=settings.RATE_PRIVATE_PER_SECOND,
        group_per_min=settings.RATE_GROUP_PER_MINUTE,
    )
    return DeliveryWorker(
        bot,
        sessionmaker,
        limiter=RateLimiter(limits),
        clock=clock,
        max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
        poll_interval=1.0,
        on_blocked=on_blocked,
        on_thread_missing=on_thread_missing,
    )


async def create_application(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> Application:
    engine = make_engine(settings.DATABASE_URL)
    await upgrade_to_head(engine)
    sessionmaker = make_sessionmaker(engine)
    i18n = I18n(settings.DEFAULT_LANGUAGE)
    dispatcher = build_dispatcher(settings, sessionmaker, i18n, clock=clock)
    bot = build_bot(settings)
    bell: OutboxBell = dispatcher["outbox_bell"]
    install_request_middlewares(bot, bell)
    delivery = build_delivery(bot, sessionmaker, dispatcher, clock)
    bell.connect(delivery.wake)
    topics: TopicService = dispatcher["topics"]

    async def refresh_card(session: AsyncSession, appeal: Appeal) -> None:
        try:
            await topics.refresh(bot, session, appeal)
        except TelegramAPIError as error:
            log.warning("card of %s not refreshed: %s", appeal.number, error)

    jobs = Jobs(settings, sessionmaker, i18n, dispatcher["calendar"], clock, bell, refresh_card)
    scheduler = build_scheduler(jobs, settings.SCHEDULER_INTERVAL_SECONDS)
    dispatcher["jobs"] = jobs
    dispatcher["delivery"] = delivery
    app = Application(settings, engine, sessionmaker, bot, dispatcher, delivery, jobs, scheduler)
    dispatcher.startup.register(app.on_startup)
    dispatcher.shutdown.register(app.on_shutdown)
    return app


async def run_polling(settings: Settings) -> None:
    clock = (
        file_offset_clock(settings.SANDBOX_CLOCK_FILE) if settings.SANDBOX_CLOCK_FILE else utcnow
    )
    app = await create_application(settings, clock=clock)
    await app.polling()
