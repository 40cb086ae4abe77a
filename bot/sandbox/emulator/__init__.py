"""A local Telegram Bot API emulator for tests, benchmarks and the browser sandbox.

Point aiogram at it with ``AiohttpSession(api=TelegramAPIServer.from_base(base_url))``::

    emulator = BotAPIEmulator()
    base_url = await emulator.start()
    user_id = emulator.add_user("Асем")
    emulator.send_text(user_id, "/start")              # queued as an update for getUpdates
    reply = await emulator.wait_for_message(user_id)   # what the bot answered
    await emulator.stop()
"""

from .core import DEFAULT_TOKEN, BotAPIEmulator
from .errors import ApiError
from .media import DEFAULT_PHOTO, make_png

__all__ = ["DEFAULT_PHOTO", "DEFAULT_TOKEN", "ApiError", "BotAPIEmulator", "make_png"]
