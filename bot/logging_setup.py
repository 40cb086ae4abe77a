"""Logging that never prints the bot token, nor anyone's personal data."""

from __future__ import annotations

import logging


class RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(level)


# The database drivers log every statement with its parameters, and SQLAlchemy the rows it
# reads, at DEBUG and INFO: names, IINs, phones, messages. Whatever LOG_LEVEL says.
DATA_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")


def quiet_libraries(level: str) -> None:
    for name in DATA_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # aiogram logs every update at INFO; keep our own start line the one line at start.
    if level != "DEBUG":
        logging.getLogger("aiogram").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
