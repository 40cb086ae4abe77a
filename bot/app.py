"""Composition root: builds the bot's parts and wires them; nothing global.

Telegram --(getUpdates | webhook)--> inbox (committed before the ack)
  --> unit of work per update (FSM, rows, the calls to make: one commit)
  --> outbox --> sender (the leader only, within Telegram's limits) --> Telegram
scheduler tick (the leader only) --> due rows --> outbox
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import Update
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.commands import register_commands
from bot.config import Settings
from bot.domain.calendar import calendar_from_settings
from bot.domain.casework import CaseWork
from bot.domain.hearings import Hearings
from bot.domain.sessions import Sessions
from bot.i18n import I18n
from bot.middlewares.flood import FloodMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.migrate import check_schema, upgrade_to_head
from bot.scheduler import Jobs, build_scheduler
from bot.services import Services
from bot.storage import SQLAlchemyStorage
from bot.telegram import inbox
from bot.telegram.alerts import FailureNotice, StaffAlerts
from bot.telegram.bell import OutboxBell
from bot.telegram.capture import QueueInUnitOfWork, sending_directly
from bot.telegram.cluster import DatabaseLock, PostgresLeadership, SoloLeadership
from bot.telegram.inbox import InboxWorker, Lane
from bot.telegram.polling import Poller
from bot.telegram.project_topics import ProjectTopics
from bot.telegram.ratelimit import Limits, RateLimiter
from bot.telegram.relay import Relay
from bot.telegram.responses import KeepResponseModels
from bot.telegram.sender import Sender
from bot.telegram.staff import StaffDirectory
from bot.telegram.topics import TopicService
from bot.telegram.uow import UnitOfWork
from bot.telegram.webhook import build_web_app
from handlers import build_router
from models import utcnow
from models.db import is_sqlite_url, make_engine, make_sessionmaker, sqlite_path

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
    bot.session.middleware(KeepResponseModels())
    bot.session.middleware(QueueInUnitOfWork())
    return bot


def build_dispatcher(
    settings: Settings,
    i18n: I18n,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    topics: TopicService,
    clock: Callable[[], datetime] = utcnow,
) -> Dispatcher:
    """Routers, middlewares and the one ``services`` object handlers ask for.

    No events isolation of aiogram's: the inbox hands one person's updates over one at a
    time across all instances (bot/telegram/uow.py).
    """
    calendar = topics.calendar
    directory = StaffDirectory(settings.OPERATOR_CHAT_ID)
    hearings = Hearings(i18n, calendar, settings.REMINDER_OFFSETS_HOURS)
    services = Services(
        i18n=i18n,
        staff_t=i18n.translator(settings.STAFF_LANGUAGE),
        calendar=calendar,
        clock=clock,
        topics=topics,
        relay=Relay(topics, i18n),
        casework=CaseWork(i18n, calendar, settings.AUTO_CLOSE_DAYS),
        hearings=hearings,
        sessions=Sessions(hearings),
        staff_directory=directory,
        term_days=settings.APPEAL_TERM_DAYS,
        retention_years=settings.PERSONAL_DATA_RETENTION_YEARS,
        projects=ProjectTopics(topics, i18n),
    )
    dispatcher = Dispatcher(
        services=services,
        storage=SQLAlchemyStorage(sessionmaker),
        # A staff member may be asked for input in two appeals' topics at once.
        fsm_strategy=FSMStrategy.USER_IN_TOPIC,
    )
    locale = LocaleMiddleware(i18n)
    dispatcher.message.outer_middleware(locale)
    dispatcher.edited_message.outer_middleware(locale)
    dispatcher.callback_query.outer_middleware(locale)
    flood = FloodMiddleware(settings.FLOOD_MESSAGES_PER_MINUTE)
    dispatcher.message.outer_middleware(flood)
    dispatcher.callback_query.outer_middleware(flood)
    dispatcher.include_router(build_router(i18n, settings.OPERATOR_CHAT_ID, directory))
    return dispatcher


def instance_token() -> str:
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    sender_engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot
    dispatcher: Dispatcher
    i18n: I18n
    topics: TopicService
    bell: OutboxBell
    uow: UnitOfWork
    worker: InboxWorker
    sender: Sender
    leadership: SoloLeadership | PostgresLeadership
    jobs: Jobs
    scheduler: AsyncIOScheduler
    clock: Callable[[], datetime]
    # Set to stop run_polling / run_web (tests; in production a signal does it).
    stop_requested: asyncio.Event | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    # ---- taking updates -------------------------------------------------------------------

    async def store(self, raws: list[dict[str, Any]]) -> None:
        """Commit updates to the inbox, then hand their lanes to the worker."""
        for lane in await inbox.store(self.sessionmaker, raws, self.clock()):
            self.worker.kick(lane)

    def allowed_updates(self) -> list[str]:
        return sorted(set(self.dispatcher.resolve_used_update_types()) | {"my_chat_member"})

    async def handle_now(self, update: Update | dict[str, Any]) -> None:
        """Store and handle one update in this task (tests): what polling does, in order."""
        raw = (
            update.model_dump(mode="json", exclude_unset=True, by_alias=True)
            if isinstance(update, Update)
            else update
        )
        for lane in set(await inbox.store(self.sessionmaker, [raw], self.clock())):
            while await self.uow.handle_next(lane) is Lane.MORE:
                pass

    # ---- running --------------------------------------------------------------------------

    async def start(self) -> None:
        with sending_directly():
            await register_commands(self.bot, self.i18n, self.settings.OPERATOR_CHAT_ID)
            with suppress(Exception):
                await self.topics.is_forum(self.bot)
        self.worker.start()
        await self.leadership.start()
        self.scheduler.start()

    async def stop(self) -> None:
        if not await self.worker.stop(SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with %d update(s) still in progress", self.worker.busy)
        # APScheduler cancels a running job at shutdown: let the current run finish first.
        with suppress(Exception):
            self.scheduler.pause()
            await self.jobs.wait_idle()
            self.scheduler.shutdown(wait=False)
        await self.leadership.stop()
        await self.bot.session.close()
        await self._dispose()
        log.info("stopped")
        self.stopped.set()

    async def close(self) -> None:
        """Release what an application that was never started holds (tests)."""
        await self.leadership.stop()
        await self._dispose()

    async def _dispose(self) -> None:
        await self.engine.dispose()
        if self.sender_engine is not self.engine:
            await self.sender_engine.dispose()

    async def _started_line(self, mode: str) -> None:
        me = await self.bot.me()
        log.info(
            "started @%s: %s, %s, database %s, operator chat %s",
            me.username,
            mode,
            self.settings.BOT_API_URL or "api.telegram.org",
            self.engine.url.render_as_string(hide_password=True),
            self.settings.OPERATOR_CHAT_ID,
        )

    async def run_polling(self, *, stop: asyncio.Event | None = None) -> None:
        """Long polling until stopped (a signal, or ``stop`` set)."""
        stop = stop or self.stop_requested or _signal_event()
        await self.start()
        poller = Poller(self.bot, self.store, self.allowed_updates())
        try:
            with sending_directly():
                await self.bot.delete_webhook(drop_pending_updates=False)
            await self._started_line("long polling")
            polling = asyncio.create_task(poller.run(), name="polling")
            await _until(stop, polling)
            poller.stop()
            await polling
        finally:
            await self.stop()

    async def run_web(self, *, stop: asyncio.Event | None = None) -> None:
        """Serve Telegram's webhook until stopped."""
        settings = self.settings
        settings.require_webhook()
        assert settings.WEBHOOK_URL is not None and settings.WEBHOOK_SECRET is not None
        stop = stop or self.stop_requested or _signal_event()
        await self.start()
        app = build_web_app(
            dispatcher=self.dispatcher,
            bot=self.bot,
            store=self.store,
            secret_token=settings.WEBHOOK_SECRET.get_secret_value(),
            path=settings.webhook_path,
            ready=self.readiness,
        )
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.WEB_HOST, settings.WEB_PORT).start()
            with sending_directly():
                await self.bot.set_webhook(
                    settings.WEBHOOK_URL,
                    secret_token=settings.WEBHOOK_SECRET.get_secret_value(),
                    max_connections=settings.WEBHOOK_MAX_CONNECTIONS,
                    allowed_updates=self.allowed_updates(),
                    drop_pending_updates=False,
                )
            await self._started_line(f"webhook on {settings.WEB_HOST}:{settings.WEB_PORT}")
            await stop.wait()
        finally:
            # Stop taking updates first: Telegram sends them to another instance meanwhile.
            await runner.cleanup()
            await self.stop()

    async def readiness(self) -> str | None:
        try:
            await check_schema(self.engine)
        except Exception as error:
            return str(error)[:300]
        return None


def _signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _until(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    waiter = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task in done:
        task.result()  # polling ended by itself: an error to report


async def create_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate: bool | None = None,
    bot: Bot | None = None,
) -> Application:
    """Everything, wired; nothing started. SQLite migrates itself; PostgreSQL must already be
    migrated (`python -m bot migrate` is its deploy step) or this raises SchemaOutdated."""
    sqlite = is_sqlite_url(settings.DATABASE_URL)
    lock = DatabaseLock(sqlite_path(settings.DATABASE_URL) if sqlite else None)
    lock.acquire()
    engine = make_engine(
        settings.DATABASE_URL, pool_size=settings.UPDATE_WORKERS + 4, immediate=True
    )
    # SQLite: the sender's own connection, so that marking a message sent never waits behind
    # the updates queued for the other one (the window in which a crash repeats a message is
    # then one request long). PostgreSQL's pool has room for it.
    sender_engine = make_engine(settings.DATABASE_URL, immediate=True) if sqlite else engine
    try:
        if migrate if migrate is not None else sqlite:
            await upgrade_to_head(engine, bot_id=settings.bot_id)
        await check_schema(engine)
    except BaseException:
        await engine.dispose()
        await sender_engine.dispose()
        lock.release()
        raise
    sessionmaker = make_sessionmaker(engine)
    i18n = I18n(settings.DEFAULT_LANGUAGE)
    calendar = calendar_from_settings(settings)
    topics = TopicService(settings.OPERATOR_CHAT_ID, i18n, settings.STAFF_LANGUAGE, calendar, clock)
    dispatcher = build_dispatcher(
        settings, i18n, sessionmaker=sessionmaker, topics=topics, clock=clock
    )
    if bot is None:
        bot = build_bot(settings)
    else:
        bot.session.middleware(KeepResponseModels())
        bot.session.middleware(QueueInUnitOfWork())
    bell = OutboxBell(notify=not sqlite)
    limits = Limits(
        total_per_s=settings.RATE_TOTAL_PER_SECOND,
        private_per_s=settings.RATE_PRIVATE_PER_SECOND,
        group_per_min=settings.RATE_GROUP_PER_MINUTE,
    )

    alerts = StaffAlerts(
        topics=topics,
        staff_t=i18n.translator(settings.STAFF_LANGUAGE),
        sessionmaker=sessionmaker,
    )

    async def forum() -> bool:
        return await topics.is_forum(bot)

    sender = Sender(
        bot,
        make_sessionmaker(sender_engine),
        bell=bell,
        limiter=RateLimiter(limits),
        forum=forum,
        token=instance_token(),
        clock=clock,
        max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
        on_blocked=alerts.owner_blocked,
        on_failed=alerts.delivery_failed,
        on_thread_missing=alerts.thread_missing,
        on_project_thread_missing=partial(ProjectTopics(topics, i18n).recreate, sessionmaker),
    )
    bell.connect(sender.wake)
    uow = UnitOfWork(
        dispatcher=dispatcher,
        bot=bot,
        sessionmaker=sessionmaker,
        bell=bell,
        clock=clock,
        max_attempts=settings.UPDATE_MAX_ATTEMPTS,
        on_failure=FailureNotice(i18n),
    )
    worker = InboxWorker(
        uow.handle_next, sessionmaker, concurrency=settings.UPDATE_WORKERS, clock=clock
    )
    leadership: SoloLeadership | PostgresLeadership
    if sqlite:
        leadership = SoloLeadership(
            lock, on_lead=_leading(sender, lambda: jobs), on_step_down=sender.stop
        )
    else:
        leadership = PostgresLeadership(
            settings.DATABASE_URL,
            settings.bot_id,
            on_lead=_leading(sender, lambda: jobs),
            on_step_down=sender.stop,
            wake=sender.wake,
            lost=sender.lost_claim,
        )
    jobs = Jobs(
        settings,
        sessionmaker,
        i18n,
        calendar,
        clock,
        bell,
        topics,
        is_leader=lambda: leadership.is_leader,
    )
    scheduler = build_scheduler(jobs, settings.SCHEDULER_INTERVAL_SECONDS)
    return Application(
        settings=settings,
        engine=engine,
        sender_engine=sender_engine,
        sessionmaker=sessionmaker,
        bot=bot,
        dispatcher=dispatcher,
        i18n=i18n,
        topics=topics,
        bell=bell,
        uow=uow,
        worker=worker,
        sender=sender,
        leadership=leadership,
        jobs=jobs,
        scheduler=scheduler,
        clock=clock,
    )


def _leading(sender: Sender, jobs: Callable[[], Jobs]) -> Callable[[], Any]:
    """On becoming the leader: send, and look at once for what fell due (the scheduler's
    first tick may have come before the leadership did)."""
    tasks: set[asyncio.Task[None]] = set()

    async def lead() -> None:
        sender.start()
        task = asyncio.create_task(jobs().tick(), name="first-tick")
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return lead
