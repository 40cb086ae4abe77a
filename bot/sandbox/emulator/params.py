"""Method parameters as aiogram sends them.

aiogram 3 posts every call as form data (``aiohttp.FormData(quote_fields=False)``): plain
strings as they are, numbers and booleans JSON-dumped (``"42"``, ``"true"``), nested objects
(reply_markup, entities, media, reaction, scope ...) as JSON strings, ``None`` and empty
values left out. Files become multipart parts named by a random key and the field itself
holds ``"attach://<key>"``. Telegram also accepts query strings and JSON bodies; so do we.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str | None


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse request JSON object") from None
            if isinstance(body, dict):
                values.update(body)
            return cls(values, uploads)
        if request.method == "POST":
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    data = value.file.read()
                    uploads[key] = Upload(value.filename, data, value.content_type)
                    values[key] = f"attach://{key}"
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode()
                else:
                    values[key] = value
        return cls(values, uploads)

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def required_str(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise bad_request(f"parameter {name} is required")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def required_int(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json_value(self, name: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def upload(self, reference: str) -> Upload | None:
        if reference.startswith("attach://"):
            return self.uploads.get(reference.removeprefix("attach://"))
        return None

    def loggable(self) -> dict[str, Any]:
        """Decoded values for the call log; uploads summarised, not copied."""
        logged: dict[str, Any] = {}
        for key, value in self.values.items():
            if key in self.uploads:
                continue
            logged[key] = _decode(value)
        for key, upload in self.uploads.items():
            logged.setdefault("_uploads", {})[key] = {
                "filename": upload.filename,
                "size": len(upload.data),
            }
        return logged


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value[:1] in ("{", "[") or value in ("true", "false"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
