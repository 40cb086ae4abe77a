"""Vocabularies of the appeal form: what the buttons offer, in a fixed order."""

from __future__ import annotations

from models import AppealType, Category

APPEAL_TYPES = [item.value for item in AppealType]
CATEGORIES = [item.value for item in Category]
# East Kazakhstan region after the 2022 reform: three cities, nine districts.
LOCALITIES = [
    "ust_kamenogorsk",
    "ridder",
    "altai",
    "glubokoe",
    "zaisan",
    "katon",
    "kurchum",
    "markakol",
    "samar",
    "tarbagatai",
    "ulan",
    "shemonaikha",
]
OTHER_LOCALITY = "other"

MAX_FILES = 10
MAX_FILE_MB = 20  # getFile cannot fetch more than 20 MB from Telegram
ALLOWED_EXTENSIONS = {"pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png"}
DESCRIPTION_MIN = 30
DESCRIPTION_MAX = 4000
CONSENT_VERSION = "2026-11"


def is_known_locality(value: str) -> bool:
    return value in LOCALITIES or value == OTHER_LOCALITY
