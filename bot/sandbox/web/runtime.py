"""The running sandbox's moving parts: the emulator, its scene and the bot child.

:class:`Runtime` starts them, says what it is doing (one line per stage, for the terminal),
passes clock jumps on to the bot, wipes everything on request (a new emulator with the same
personas, an empty database, real time, a new bot process) and tells ``run.py`` when the bot
dies by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bot.sandbox.emulator import BotAPIEmulator

from .api import Fresh
from .bot_child import CHILD_MODULE, BotChild
from .clock import ClockFile
from .scene import Scene, populate

DATABASE_FILE = "sandbox.db"
CLOCK_FILE = "sandbox-clock"
LOG_FILE = "sandbox-bot.log"
Say = Callable[[str], None]


def say_on_stdout(line: str) -> None:
    print(line, flush=True)


def fresh_data_dir(data_dir: Path) -> Path:
    """The absolute data folder, without a database or clock offset left by an earlier run."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The emulator keeps its chats in memory only, so the bot's memory of them starts over too.
    for name in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm", CLOCK_FILE):
        (data_dir / name).unlink(missing_ok=True)
    return data_dir


async def migrate(database_url: str) -> str:
    """Bring the (fresh) database to the current schema; the bot then finds it current."""
    from bot.migrate import head_revision, upgrade_to_head
    from models.db import make_engine

    engine = make_engine(database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return head_revision()


class Runtime:
    def __init__(
        self, data_dir: Path, clock: ClockFile, *, host: str, say: Say = say_on_stdout
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.host = host
        self.say = say
        self.log_path = data_dir / LOG_FILE
        self.database_url = f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}"
        self.emulator: BotAPIEmulator | None = None
        self.scene: Scene | None = None
        self.child: BotChild | None = None
        self._lock = asyncio.Lock()
        self._restarting = False
        self._failure: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._watchers: set[asyncio.Task[None]] = set()

    # ---- starting ---------------------------------------------------------------------------

    async def open(self) -> tuple[BotAPIEmulator, Scene]:
        """A running emulator with the personas, the staff and their forum group."""
        emulator = BotAPIEmulator()
        await emulator.start(self.host, 0)
        scene = populate(emulator)
        self.emulator, self.scene = emulator, scene
        self.say(
            f"  Telegram emulator at {emulator.base_url}: {len(scene.personas)} owners, "
            f"{len(scene.staff)} staff, the forum group {scene.group_title!r}"
        )
        return emulator, scene

    async def start_bot(self) -> None:
        """Migrate the database, start the bot and wait until it long-polls."""
        assert self.emulator is not None and self.scene is not None
        started = time.monotonic()
        database = self.data_dir / DATABASE_FILE
        self.say(f"  database {database}: applying migrations…")
        revision = await migrate(self.database_url)
        self.say(f"  database ready, schema {revision} ({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        self.say(
            f"  starting the bot (python -m {CHILD_MODULE}, log {self.log_path}); "
            "a fresh interpreter takes about 10 s…"
        )
        child = BotChild(
            self.emulator,
            self.scene.group_id,
            workdir=self.data_dir.parent,
            log_path=self.log_path,
            database_url=self.database_url,
            clock_path=self.clock.path,
        )
        self.child = child
        await child.start()
        self.say(f"  the bot is long-polling the emulator ({time.monotonic() - started:.1f} s)")
        watcher = asyncio.create_task(self._watch(child), name="sandbox-bot-watch")
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _watch(self, child: BotChild) -> None:
        code = await child.wait()
        if child is self.child and not self._restarting and not self._failure.done():
            self._failure.set_result(f"the bot exited with code {code}")

    async def failed(self) -> str:
        """Once the bot has died by itself (not stopped, not restarted): why."""
        return await asyncio.shield(self._failure)

    # ---- what the page asks for -----------------------------------------------------------

    def clock_moved(self) -> None:
        if self.child is not None and not self._restarting:
            self.child.clock_moved()

    async def wipe(self, fresh: Fresh) -> None:
        async with self._lock:
            self._restarting = True
            try:
                self.say("Wiping the sandbox's data: stopping the bot…")
                await self._stop_parts()
                fresh_data_dir(self.data_dir)
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write("---- the sandbox's data was wiped; the bot starts again ----\n")
                emulator, scene = await self.open()
                fresh(emulator, scene)
                await self.start_bot()
                self.say("Wiped: empty chats and database, real time.")
            except BaseException as error:
                if not self._failure.done():
                    self._failure.set_result(f"wiping failed: {error}")
                raise
            finally:
                self._restarting = False

    # ---- stopping ---------------------------------------------------------------------------

    async def stop_bot(self) -> None:
        async with self._lock:
            self._restarting = True
            if self.child is not None:
                await self.child.stop()

    async def close(self) -> None:
        async with self._lock:
            self._restarting = True
            await self._stop_parts()

    async def _stop_parts(self) -> None:
        if self.child is not None:
            await self.child.stop()
        if self.emulator is not None:
            await self.emulator.stop()
