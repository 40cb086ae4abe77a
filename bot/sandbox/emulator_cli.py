"""``python -m bot.sandbox.emulator_cli``: run the Bot API emulator with demo chats."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.emulator import DEFAULT_TOKEN, BotAPIEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="adal_test_bot")
    parser.add_argument(
        "--forum-group-with-members",
        type=int,
        default=2,
        metavar="N",
        help="staff members in the demo forum supergroup (the first is its creator)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    emulator = BotAPIEmulator(args.token, args.bot_username)
    base_url = await emulator.start(args.host, args.port)
    try:
        user_id = emulator.add_user("Demo", "User", username="demo_user")
        staff = [
            emulator.add_user(f"Staff{n}", username=f"staff_{n}")
            for n in range(1, args.forum_group_with_members + 1)
        ]
        group_id = emulator.add_group("Operators", forum=True, members=staff, admins=staff[:1])
        print(f"BASE_URL={base_url}")
        print(f"TOKEN={emulator.token}")
        print(f"USER_ID={user_id}")
        print(f"GROUP_ID={group_id}")
        print(f"STAFF_IDS={','.join(map(str, staff))}", flush=True)
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
