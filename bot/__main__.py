"""`python -m bot` runs the bot with long polling (one instance);
`python -m bot web` serves Telegram's webhook (any number of instances on PostgreSQL);
`python -m bot migrate` only applies migrations (PostgreSQL's deploy step; SQLite migrates
itself at start); `python -m bot sandbox` runs the browser sandbox (emulator, bot and page).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import setup_logging

if TYPE_CHECKING:
    from bot.app import Application

COMMANDS = ["run", "web", "migrate", "sandbox"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=COMMANDS)
    parser.add_argument("--port", type=int, default=8080, help="sandbox: port of the web page")
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from bot.sandbox.run import main as sandbox_main

        return sandbox_main(port=args.port)
    try:
        settings = load_settings()
        if args.command == "web":
            settings.require_webhook()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    secrets = [settings.BOT_TOKEN.get_secret_value()]
    if settings.WEBHOOK_SECRET is not None:
        secrets.append(settings.WEBHOOK_SECRET.get_secret_value())
    setup_logging(settings.LOG_LEVEL, secrets)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    return asyncio.run(_serve(settings, web=args.command == "web"))


async def _migrate(settings: Settings) -> int:
    from bot.migrate import head_revision, upgrade_to_head
    from models.db import make_engine

    engine = make_engine(settings.DATABASE_URL)
    try:
        await upgrade_to_head(engine, bot_id=settings.bot_id)
    finally:
        await engine.dispose()
    print(f"database schema at {head_revision()}")
    return 0


async def open_application(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> Application | None:
    """The application as `python -m bot` runs it (the sandbox's child too, with its own
    clock); None, with one line on stderr, when it cannot start (an older schema, another
    process on the file)."""
    from bot.app import create_application
    from bot.clock import real_clock
    from bot.migrate import SchemaOutdated
    from bot.telegram.cluster import AlreadyRunning

    try:
        return await create_application(settings, clock=clock or real_clock)
    except (SchemaOutdated, AlreadyRunning) as exc:
        print(f"start-up error: {exc}", file=sys.stderr)
        return None


async def _serve(settings: Settings, *, web: bool) -> int:
    app = await open_application(settings)
    if app is None:
        return 2
    if web:
        await app.run_web()
    else:
        await app.run_polling()
    return 0


if __name__ == "__main__":
    sys.exit(main())
