"""The browser sandbox: one page where a person plays the owners and the office staff.

The page talks to an aiohttp server that drives the in-process Bot API emulator; the real bot
runs as a child process long-polling that emulator (see ``bot.sandbox.run``).
"""

from .app import make_app
from .scene import Persona, Scene, populate

__all__ = ["Persona", "Scene", "make_app", "populate"]
