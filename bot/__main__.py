"""`python -m bot` runs the bot; `python -m bot migrate` only applies migrations;
`python -m bot sandbox` runs the browser sandbox (emulator, bot and web page)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import ConfigError, load_settings
from bot.logging_setup import setup_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "sandbox"])
    parser.add_argument("--port", type=int, default=8080, help="sandbox: port of the web page")
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from bot.sandbox.run import main as sandbox_main

        return sandbox_main(port=args.port)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.LOG_LEVEL, [settings.BOT_TOKEN.get_secret_value()])

    if args.command == "migrate":
        from bot.migrate import upgrade_to_head
        from models.db import make_engine

        async def migrate() -> None:
            engine = make_engine(settings.DATABASE_URL)
            await upgrade_to_head(engine)
            await engine.dispose()

        asyncio.run(migrate())
        return 0

    from bot.app import run_polling

    asyncio.run(run_polling(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
