"""Who is in the sandbox: owner personas, office staff and their forum supergroup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.emulator import BotAPIEmulator

GROUP_TITLE = "Операторы / Операторлар"


@dataclass(frozen=True)
class Persona:
    user_id: int
    first_name: str
    last_name: str
    language: str
    phone: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "first_name": self.first_name,
            "language": self.language,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str
    admin: bool

    def json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "admin": self.admin}


@dataclass(frozen=True)
class Scene:
    group_id: int
    group_title: str
    personas: tuple[Persona, ...]
    staff: tuple[Staff, ...]

    def persona(self, user_id: int) -> Persona | None:
        return next((p for p in self.personas if p.user_id == user_id), None)

    def is_staff(self, user_id: int) -> bool:
        return any(s.user_id == user_id for s in self.staff)

    def json(self) -> dict[str, Any]:
        return {
            "group": {"chat_id": self.group_id, "title": self.group_title},
            "personas": [p.json() for p in self.personas],
            "staff": [s.json() for s in self.staff],
        }


_PERSONAS = (
    ("Асель", "Жұмабаева", "kk", "77011234567"),
    ("Ольга", "Петрова", "ru", "77052345678"),
    ("Ерлан", "Сейітқали", "kk", "77773456789"),
)
_STAFF = (("Дина", "Оспанова", "dina_staff", True), ("Марат", "Ахметов", "marat_staff", False))


def populate(emulator: BotAPIEmulator) -> Scene:
    """Add the personas, the staff and the operator forum to a fresh emulator."""
    personas = tuple(
        Persona(emulator.add_user(first, last, language_code=lang), first, last, lang, phone)
        for first, last, lang, phone in _PERSONAS
    )
    staff = tuple(
        Staff(emulator.add_user(first, last, username=username), f"{first} {last}", admin)
        for first, last, username, admin in _STAFF
    )
    group_id = emulator.add_group(
        GROUP_TITLE,
        forum=True,
        members=[s.user_id for s in staff],
        admins=[s.user_id for s in staff if s.admin],
    )
    return Scene(group_id, GROUP_TITLE, personas, staff)
