"""In-memory file storage: file_id / file_unique_id / file_path for everything sent."""

from __future__ import annotations

import mimetypes
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any


def make_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small valid PNG, so handlers that open images don't choke."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


DEFAULT_PHOTO = make_png()
THUMBNAIL_SIDE = 320


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; a plausible default for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        if size:
            return size
    return 640, 480


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def guess_mime_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    # For photos: the whole list of sizes this file belongs to.
    photo_sizes: list[dict[str, Any]] = field(default_factory=list)

    def file_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


_FOLDERS = {"photo": "photos", "document": "documents", "voice": "voice", "sticker": "stickers"}


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        extension: str = "bin",
    ) -> StoredFile:
        self._counter += 1
        number = self._counter
        if file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"EMU-{kind}-{number:06d}",
            file_unique_id=f"emu{number:06d}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, 'files')}/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def add_photo(self, data: bytes) -> list[dict[str, Any]]:
        """Store a photo; return Telegram's list of PhotoSize, largest last."""
        width, height = image_size(data)
        extension = "png" if data.startswith(b"\x89PNG") else "jpg"
        sizes: list[dict[str, Any]] = []
        if max(width, height) > THUMBNAIL_SIDE:
            ratio = THUMBNAIL_SIDE / max(width, height)
            thumb = self.add("photo", data, extension=extension)
            sizes.append(_photo_size(thumb, round(width * ratio), round(height * ratio)))
        original = self.add("photo", data, extension=extension)
        sizes.append(_photo_size(original, width, height))
        for size in sizes:
            self._by_id[size["file_id"]].photo_sizes = sizes
        return sizes

    def add_document(self, data: bytes, file_name: str, mime_type: str | None) -> dict[str, Any]:
        stored = self.add(
            "document", data, file_name=file_name, mime_type=mime_type or guess_mime_type(file_name)
        )
        return {
            "file_name": file_name,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }


def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "width": width,
        "height": height,
    }
