"""Files a person picks in the page, read from a multipart form."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

_PHOTO_TYPES = ("image/png", "image/jpeg")


class BadInput(ValueError):
    """The page sent something the sandbox can't act on; the message says what."""


class Upload:
    def __init__(self, name: str, mime_type: str, data: bytes) -> None:
        self.name = name
        self.mime_type = mime_type
        self.data = data

    @property
    def is_photo(self) -> bool:
        return self.mime_type in _PHOTO_TYPES


def album_item(upload: Upload) -> dict[str, Any]:
    if upload.is_photo:
        return {"type": "photo", "data": upload.data}
    return {
        "type": "document",
        "file_name": upload.name,
        "data": upload.data,
        "mime_type": upload.mime_type,
    }


async def read_multipart(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    if not request.content_type.startswith("multipart/"):
        raise BadInput("send the files as multipart/form-data")
    fields: dict[str, Any] = {}
    files: list[Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename:
            data = await part.read()
            if data:
                # Browsers and aiohttp percent-encode some characters of file names.
                name = unquote(part.filename)
                mime = part.headers.get("Content-Type") or "application/octet-stream"
                if mime == "application/octet-stream":
                    mime = mimetypes.guess_type(name)[0] or mime
                files.append(Upload(name, mime, bytes(data)))
        elif part.name:
            fields[part.name] = await part.text()
    return fields, files
