"""Bot API calls as plain JSON, so they can wait in the outbox and be made later.

A call is its method name and its parameters. Bot defaults (parse mode ...) are resolved when
the call is stored, files are kept inline as base64, and three references are resolved only
when the call is made:

  {"$outbox": N}   the message (or topic) that outbox row N created;
  {"$card": A}     the card message of appeal A;
  {"$topic": A}    the forum topic of appeal A;
  {"$project_topic": P}, {"$project_card": P}   the topic and card of investment project P.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

import aiogram.methods
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, FSInputFile, InputFile
from pydantic import BaseModel

REF_KEYS = ("$outbox", "$card", "$topic", "$project_topic", "$project_card")


@cache
def method_classes() -> dict[str, type[TelegramMethod[Any]]]:
    classes: dict[str, type[TelegramMethod[Any]]] = {}
    for name in aiogram.methods.__all__:
        cls = getattr(aiogram.methods, name)
        api_name = getattr(cls, "__api_method__", None)
        if isinstance(cls, type) and isinstance(api_name, str):
            classes[api_name] = cls
    return classes


def inline_file(value: InputFile) -> dict[str, Any]:
    if isinstance(value, BufferedInputFile):
        data = value.data
    elif isinstance(value, FSInputFile):
        with open(value.path, "rb") as handle:
            data = handle.read()
    else:
        raise TypeError(f"{type(value).__name__} cannot wait in the outbox")
    name = value.filename or "file"
    return {"$file": {"name": name, "data_b64": base64.b64encode(data).decode("ascii")}}


def plain(value: Any, bot: Bot) -> Any:
    """A parameter value as JSON: defaults resolved, files inline, None left out."""
    if isinstance(value, Default):
        return plain(bot.default[value.name], bot)
    if isinstance(value, InputFile):
        return inline_file(value)
    if isinstance(value, BaseModel):
        return plain(value.model_dump(warnings=False), bot)
    if isinstance(value, dict):
        items = ((key, plain(item, bot)) for key, item in value.items())
        return {key: item for key, item in items if item is not None}
    if isinstance(value, list | tuple):
        return [item for item in (plain(element, bot) for element in value) if item is not None]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def dump(method: TelegramMethod[Any], bot: Bot) -> tuple[str, dict[str, Any]]:
    params = plain(method.model_dump(warnings=False), bot)
    assert isinstance(params, dict)
    return method.__api_method__, params


def _restore_files(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$file"}:
            blob = value["$file"]
            return BufferedInputFile(base64.b64decode(blob["data_b64"]), filename=blob["name"])
        return {key: _restore_files(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_files(item) for item in value]
    return value


def load(name: str, params: dict[str, Any]) -> TelegramMethod[Any]:
    """The call again, ready to make (references must be resolved first)."""
    cls = method_classes().get(name)
    if cls is None:
        raise ValueError(f"unknown Bot API method {name!r}")
    return cls.model_validate(_restore_files(params))


def ref_of(value: Any) -> tuple[str, int] | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if key in REF_KEYS and isinstance(value[key], int):
            return key, value[key]
    return None


def find_refs(value: Any) -> list[tuple[str, int]]:
    """Every reference in the parameters (looked up in one go before a call)."""
    found = ref_of(value)
    if found is not None:
        return [found]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in find_refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in find_refs(item)]
    return []


def resolve(value: Any, known: dict[tuple[str, int], int]) -> Any:
    """Replace each reference by its id; KeyError names one that has no id (yet)."""
    found = ref_of(value)
    if found is not None:
        return known[found]
    if isinstance(value, dict):
        return {key: resolve(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, known) for item in value]
    return value
