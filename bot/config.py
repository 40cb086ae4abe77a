"""Settings from config.env or the environment (the environment wins)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.timezones import load_zone

CONFIG_FILE = "config.env"
TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


def _split_dates(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=CONFIG_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
    )

    BOT_TOKEN: SecretStr
    OPERATOR_CHAT_ID: int
    DATABASE_URL: str = "sqlite+aiosqlite:///data/adal.db"
    BOT_API_URL: str | None = None
    DEFAULT_LANGUAGE: Literal["kk", "ru"] = "kk"
    STAFF_LANGUAGE: Literal["kk", "ru"] = "ru"
    TIMEZONE: str = "Asia/Almaty"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    WORKDAY_START: str = "09:00"
    WORKDAY_END: str = "18:30"
    APPEAL_TERM_DAYS: int = Field(default=15, ge=1, le=60)
    FLOOD_MESSAGES_PER_MINUTE: int = Field(default=40, ge=5)
    REMINDER_OFFSETS_HOURS: Annotated[list[int], NoDecode] = [72, 24, 2]
    NEEDS_INFO_REMINDER_DAYS: Annotated[list[int], NoDecode] = [3, 10]
    DIGEST_TIME: str = "09:00"
    AUTO_CLOSE_DAYS: int = Field(default=10, ge=1, le=90)
    # Years after an appeal ended before the applicant's personal data in it are anonymised.
    PERSONAL_DATA_RETENTION_YEARS: int = Field(default=5, ge=1, le=75)
    SCHEDULER_INTERVAL_SECONDS: int = Field(default=30, ge=1, le=3600)
    DELIVERY_MAX_ATTEMPTS: int = Field(default=8, ge=1, le=50)
    RATE_TOTAL_PER_SECOND: float = Field(default=30.0, gt=0)
    RATE_PRIVATE_PER_SECOND: float = Field(default=1.0, gt=0)
    RATE_GROUP_PER_MINUTE: float = Field(default=20.0, gt=0)
    WEBHOOK_URL: str | None = None
    WEBHOOK_SECRET: SecretStr | None = None
    WEB_HOST: str = "127.0.0.1"
    WEB_PORT: int = Field(default=8080, ge=1, le=65535)
    WEBHOOK_MAX_CONNECTIONS: int = Field(default=40, ge=1, le=100)
    UPDATE_MAX_ATTEMPTS: int = Field(default=3, ge=1, le=20)
    UPDATE_WORKERS: int = Field(default=8, ge=1, le=200)
    HOLIDAYS_EXTRA: Annotated[list[date], NoDecode] = []
    WORKDAYS_EXTRA: Annotated[list[date], NoDecode] = []

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("OPERATOR_CHAT_ID")
    @classmethod
    def _group_id(cls, value: int) -> int:
        if value >= 0:
            raise ValueError("must be the negative id of the operator supergroup (-100...)")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if "+" not in value.split("://", 1)[0] or "://" not in value:
            raise ValueError(
                "must be an async SQLAlchemy URL such as sqlite+aiosqlite:///data/adal.db"
            )
        return value

    @field_validator("BOT_API_URL")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")) or "/" not in value.split("://", 1)[1]:
            raise ValueError(
                "must be the full address Telegram calls, like https://bot.example.kz/tg"
            )
        return value

    @field_validator("WEBHOOK_SECRET")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters, digits, _ and -")
        return value

    @field_validator("TIMEZONE")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            load_zone(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known time zone such as Asia/Almaty") from exc
        return value

    @field_validator("REMINDER_OFFSETS_HOURS", "NEEDS_INFO_REMINDER_DAYS", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        return _split_dates(value)

    @field_validator("REMINDER_OFFSETS_HOURS", "NEEDS_INFO_REMINDER_DAYS")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(item <= 0 for item in value):
            raise ValueError("must be positive whole numbers separated by commas")
        return sorted(set(value), reverse=True)

    @field_validator("WORKDAY_START", "WORKDAY_END", "DIGEST_TIME")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be a time as HH:MM")
        return value

    @field_validator("HOLIDAYS_EXTRA", "WORKDAYS_EXTRA", mode="before")
    @classmethod
    def _dates(cls, value: object) -> object:
        return _split_dates(value)

    @property
    def tz(self) -> ZoneInfo:
        return load_zone(self.TIMEZONE)

    @property
    def bot_id(self) -> int:
        return int(self.BOT_TOKEN.get_secret_value().split(":", 1)[0])

    @property
    def webhook_path(self) -> str:
        assert self.WEBHOOK_URL is not None
        path = "/" + self.WEBHOOK_URL.split("://", 1)[1].split("/", 1)[1]
        return path.split("?", 1)[0]

    def require_webhook(self) -> None:
        """`python -m bot web` cannot start without these two."""
        for name in ("WEBHOOK_URL", "WEBHOOK_SECRET"):
            if getattr(self, name) is None:
                raise ConfigError(
                    f"{name} is not set: `python -m bot web` needs it (see config.example.env)"
                )

    @property
    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        if self.DATABASE_URL.startswith(prefix):
            rest = self.DATABASE_URL[len(prefix) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
        return None


def load_settings(env_file: str | None = CONFIG_FILE) -> Settings:
    """Build settings or raise ConfigError naming the first bad variable."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "configuration"
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"{name} {problem}: set it in {CONFIG_FILE} or the environment (see config.example.env)"
        ) from None
